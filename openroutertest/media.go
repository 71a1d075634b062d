package openroutertest

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
)

// media is the state of the media endpoints: speech, transcription,
// rerank and video generation (audio.go, rerank.go, video.go).
type media struct {
	mu       sync.Mutex
	script   map[string][]Reply  // scripted replies by API path
	requests map[string][][]byte // request bodies by API path
	jobs     map[string]*videoJob
	jobOrder []string
	polls    int // polls of a job before it completes (WithVideoPolls)
}

func newMedia() *media {
	return &media{script: map[string][]Reply{}, requests: map[string][][]byte{}, jobs: map[string]*videoJob{}, polls: 2}
}

// registerMedia serves the media endpoints on mux.
func (s *Server) registerMedia(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/audio/speech", s.handleSpeech)
	mux.HandleFunc("POST /api/v1/audio/transcriptions", s.handleTranscription)
	mux.HandleFunc("POST /api/v1/rerank", s.handleRerank)
	mux.HandleFunc("POST /api/v1/videos", s.handleVideoSubmit)
	mux.HandleFunc("GET /api/v1/videos/models", s.handleVideoModels)
	mux.HandleFunc("GET /api/v1/videos/{id}", s.handleVideoGet)
	mux.HandleFunc("GET /api/v1/videos/{id}/content", s.handleVideoContent)
}

// EnqueueFor queues replies for the media endpoint at path ("/audio/speech",
// "/audio/transcriptions", "/rerank", "/videos", "/videos/content" for
// any download, "/videos/poll" for any poll): each of its next valid
// requests takes the next reply. A reply with an error Status (and
// Error), a Body, or Disconnect is served as it is; CutAfter(0) serves
// the endpoint's real answer (billed, a video job stored) and cuts it
// after half its body. A request the endpoint refuses as malformed
// leaves the queue as it is.
func (s *Server) EnqueueFor(path string, replies ...Reply) {
	s.media.mu.Lock()
	defer s.media.mu.Unlock()
	for _, r := range replies {
		n := max(r.Times, 1)
		r.Times = 1
		for range n {
			s.media.script[path] = append(s.media.script[path], r)
		}
	}
}

// MediaRequests returns the bodies of the requests the media endpoint at
// path received (as EnqueueFor names paths), in order.
func (s *Server) MediaRequests(path string) [][]byte {
	s.media.mu.Lock()
	defer s.media.mu.Unlock()
	return append([][]byte(nil), s.media.requests[path]...)
}

// record keeps a request's body.
func (s *Server) recordMedia(path string, body []byte) {
	s.media.mu.Lock()
	defer s.media.mu.Unlock()
	s.media.requests[path] = append(s.media.requests[path], body)
}

// scripted serves the next reply queued for path when it is a fault,
// and reports whether it did (the handler stops), and whether the
// handler's own answer must be cut (CutAfter).
func (s *Server) scripted(w http.ResponseWriter, r *http.Request, path string) (done, cut bool) {
	s.media.mu.Lock()
	q := s.media.script[path]
	if len(q) == 0 {
		s.media.mu.Unlock()
		return false, false
	}
	rep := q[0]
	s.media.script[path] = q[1:]
	s.media.mu.Unlock()
	if rep.lost {
		return false, true
	}
	if rep.Disconnect || rep.Body != "" || rep.raw || rep.Status >= 400 {
		s.reply(w, r, Request{}, rep) // these replies end before any chat answer
		return true, false
	}
	if rep.Error != nil { // an error object in a 200
		writeJSON(w, http.StatusOK, map[string]any{"error": rep.Error, "user_id": "user_openroutertest"})
		return true, false
	}
	return false, false
}

// writeBody answers status with body of type ct, naming the generation
// id when there is one; cut sends half of it and cuts the connection.
func writeBody(w http.ResponseWriter, status int, ct string, body []byte, id string, cut bool) {
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if id != "" {
		h.Set("X-Generation-Id", id)
	}
	w.WriteHeader(status)
	if !cut {
		_, _ = w.Write(body)
		return
	}
	_, _ = w.Write(body[:len(body)/2])
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
	panic(http.ErrAbortHandler)
}

// readMedia reads a media request's JSON body into v (answering 400
// when it is not JSON) and records it under path.
func (s *Server) readMedia(w http.ResponseWriter, r *http.Request, path string, v any) bool {
	if !s.authorized(w, r, s.Key, s.ManagementKey) { // the management key got 403 (inferenceGuard)
		return false
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 128<<20))
	if err != nil {
		writeError(w, http.StatusBadRequest, ErrorBody{Code: 400, Message: "Invalid body: " + err.Error()})
		return false
	}
	s.recordMedia(path, b)
	if err := json.Unmarshal(b, v); err != nil {
		writeError(w, http.StatusBadRequest, ErrorBody{Code: 400, Message: "Invalid JSON body: " + err.Error()})
		return false
	}
	return true
}

// badRequest refuses a malformed media request before anything is
// billed (RULES.md E2, M1).
func badRequest(w http.ResponseWriter, msg string) {
	writeError(w, http.StatusBadRequest, ErrorBody{Code: 400, Message: msg, Metadata: map[string]any{"error_type": "invalid_request"}})
}
