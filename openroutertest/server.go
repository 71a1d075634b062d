// Package openroutertest is a fake OpenRouter API for tests, examples and
// offline runs. It serves /chat/completions, /models, /key and /credits with
// OpenRouter's real shapes and error bodies, from a catalogue, a credit
// balance and a queue of scripted replies; beyond chat, /embeddings,
// /images, /keys, /activity, the models' endpoints, /providers,
// /models/user and /models/count, the Batch API (/batches, see
// WithClock), and speech, transcription, rerank and video generation
// (see EnqueueFor):
//
//	srv := openroutertest.NewServer()
//	defer srv.Close()
//	srv.Enqueue(openroutertest.ErrorReply(429, "Rate limit exceeded").WithRetryAfter("1"))
//	c := srv.Client() // an *openrouter.Client pointed at srv, with srv.Key
//
// Like net/http/httptest, a Server does not need a testing.TB, so programs
// can start one too. It listens on loopback only.
package openroutertest

import (
	"bufio"
	"encoding/json"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/routerkit/openrouter"
)

// DefaultKey is the API key a Server accepts unless WithKey says otherwise.
const DefaultKey = "sk-or-v1-0000000000000000000000000000000000000000000000000000000000000000"

// Server is a running fake OpenRouter. Its methods are safe for concurrent
// use.
type Server struct {
	// URL is the API root, for openrouter.WithBaseURL ("http://127.0.0.1:port/api/v1").
	URL string
	// Key is the API key the server accepts.
	Key string
	// ManagementKey is a key that may also read /credits.
	ManagementKey string

	srv *httptest.Server

	mu        sync.Mutex
	models    []Model
	credits   float64  // total credits; +Inf when unlimited
	keyLimit  *float64 // the ordinary key's spending limit; nil when it has none (keys.go)
	usage     float64  // total spent
	script    []Reply
	responder func(Request) Reply
	latency   time.Duration
	requests  []Request
	stats     Stats
	inFlight  int
	record    bool
	ids       int
	gens      map[string]map[string]any // generation records by ID
	gen       generationStore           // content logging and lookups (generation.go)
	ext       *extra                    // the endpoints beyond chat (extra.go)
	media     *media                    // speech, transcription, rerank, video (media.go)
	now       func() time.Time          // the clock of the batches (WithClock)
	batch     batchState
	// requireParams: honour provider.require_parameters (WithRequireParameters).
	requireParams bool
	// affordCheck: refuse what the credits cannot pay (WithAffordabilityCheck, on by default).
	affordCheck bool

	bucket          *bucket
	maxConcurrent   int
	retryAfter      string
	rlHeaders       bool
	freePerMinute   int
	freePerDay      int
	freeMinute      time.Time
	freeMinuteCount int
	freeDay         time.Time
	freeDayCount    int
}

// Stats counts what the server saw.
type Stats struct {
	Requests       int // all requests, every path
	ModelsRequests int // GET /models requests
	Completions    int // chat completions answered 200
	Status         map[int]int
	RateLimited    int // answers with status 429
	PeakConcurrent int // most chat requests in flight at once
	StreamsAborted int // streams the client left before their end
}

// Option configures a Server.
type Option func(*Server)

// WithKey sets the API key the server accepts (default DefaultKey).
func WithKey(key string) Option { return func(s *Server) { s.Key = key } }

// WithModels replaces the catalogue (default DefaultModels()).
func WithModels(models ...Model) Option { return func(s *Server) { s.models = models } }

// WithCredits sets the account's credits in USD (default unlimited). Each
// completion spends its cost; once they are spent, completions get 402.
// It gives the key no spending limit: /key reports "limit": null, as
// OpenRouter's GET /key does for a key without one ("Get current API
// key": limit and limit_remaining are null when the key has no limit;
// see WithKeyLimit). The account's credits are read with GET /credits,
// by the management key only.
func WithCredits(usd float64) Option { return func(s *Server) { s.credits = usd } }

// WithLatency makes each chat completion take d before answering.
func WithLatency(d time.Duration) Option { return func(s *Server) { s.latency = d } }

// WithResponder sets the function that answers chat completions that no
// script answers. The default echoes the last user message, returns a
// small JSON object when JSON was asked for, and an image for image output.
func WithResponder(f func(Request) Reply) Option { return func(s *Server) { s.responder = f } }

// WithoutRecording stops the server keeping each request (for long runs);
// Stats still counts them.
func WithoutRecording() Option { return func(s *Server) { s.record = false } }

// NewServer starts a fake OpenRouter on a loopback port.
func NewServer(opts ...Option) *Server {
	s := &Server{
		Key:           DefaultKey,
		ManagementKey: "sk-or-v1-management-0000000000000000000000000000000000000000000000",
		models:        DefaultModels(),
		credits:       math.Inf(1),
		record:        true,
		retryAfter:    "1",
		stats:         Stats{Status: map[int]int{}},
		gens:          map[string]map[string]any{},
		ext:           newExtra(),
		media:         newMedia(),
		batch:         batchState{pageSize: DefaultBatchResultsPageSize, seed: 1},
		affordCheck:   true,
		requireParams: true,
	}
	for _, o := range opts {
		o(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/chat/completions", s.handleChat)
	mux.HandleFunc("GET /api/v1/models", s.handleModels)
	mux.HandleFunc("GET /api/v1/key", s.handleKey)
	mux.HandleFunc("GET /api/v1/credits", s.handleCredits)
	mux.HandleFunc("GET /api/v1/generation", s.handleGeneration)
	mux.HandleFunc("GET /api/v1/generation/content", s.handleGenerationContent)
	s.registerExtra(mux)
	s.routeBatches(mux)
	s.registerMedia(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, ErrorBody{Code: 404, Message: "Not Found: " + r.Method + " " + r.URL.Path})
	})
	s.srv = httptest.NewServer(s.count(s.inferenceGuard(mux)))
	s.URL = s.srv.URL + "/api/v1"
	return s
}

// Close shuts the server down, waiting for requests in flight.
func (s *Server) Close() { s.srv.Close() }

// CloseClientConnections cuts every open connection, as a network fault.
func (s *Server) CloseClientConnections() { s.srv.CloseClientConnections() }

// Client returns an *openrouter.Client pointed at the server with its key.
// Options given are applied after those two.
func (s *Server) Client(opts ...openrouter.Option) *openrouter.Client {
	return openrouter.NewClient(s.Key, append([]openrouter.Option{openrouter.WithBaseURL(s.URL)}, opts...)...)
}

// Enqueue queues replies: each of the next chat completions is answered by
// the next reply (a reply with Times n answers n of them), before any
// check of the model, credits or rate limits. A request without a known
// key gets its 401, and a request OpenRouter would refuse as malformed
// (RULES.md A7, C1-C12) its 400; both leave the queue as it is. See
// ErrorReply and friends.
func (s *Server) Enqueue(replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range replies {
		n := max(r.Times, 1)
		r.Times = 1
		for i := 0; i < n; i++ {
			s.script = append(s.script, r)
		}
	}
}

// Pending returns how many scripted replies are still queued.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.script)
}

// Requests returns the chat completion requests received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Stats returns the counts so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Status = make(map[int]int, len(s.stats.Status))
	for k, v := range s.stats.Status {
		st.Status[k] = v
	}
	return st
}

// AddCredits adds usd to the account's credits (a top-up), so that a
// test can resume a run stopped by 402.
func (s *Server) AddCredits(usd float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.credits += usd
}

// Spent returns the credits spent so far, in USD.
func (s *Server) Spent() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.usage
}

// count wraps the handler to count requests and statuses.
func (s *Server) count(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: 200}
		s.mu.Lock()
		s.stats.Requests++
		s.mu.Unlock()
		h.ServeHTTP(sw, r)
		s.mu.Lock()
		s.stats.Status[sw.status]++
		if sw.status == http.StatusTooManyRequests {
			s.stats.RateLimited++
		}
		s.mu.Unlock()
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Hijack lets a reply cut the connection through the wrapper.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if hj, ok := w.ResponseWriter.(http.Hijacker); ok {
		return hj.Hijack()
	}
	return nil, nil, http.ErrNotSupported
}

// Flush lets streamed answers through the wrapper.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// ErrorBody is OpenRouter's error object: {"code", "message", "metadata"}.
// Code is usually the status number; a string is allowed, as some
// answers send one.
type ErrorBody struct {
	Code    any    `json:"code,omitempty"`
	Message string `json:"message"`
	// ErrorType, HTTPStatus and Availability make the envelope of
	// OpenRouter's model-availability errors (2026-08-19), which has no
	// code: see AvailabilityError.
	ErrorType    string         `json:"error_type,omitempty"`
	HTTPStatus   int            `json:"http_status,omitempty"`
	Availability *Availability  `json:"availability,omitempty"`
	Metadata     map[string]any `json:"metadata,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, e ErrorBody) {
	writeJSON(w, status, map[string]any{"error": e, "user_id": "user_openroutertest"})
}

// authorized checks the Bearer key the way OpenRouter answers: no header
// gives "No auth credentials found", an unknown key "User not found."
// (RULES.md A1, A2: docs api_reference/authentication.mdx, Bearer tokens;
// the messages as OpenRouter sends them).
func (s *Server) authorized(w http.ResponseWriter, r *http.Request, keys ...string) bool {
	auth := r.Header.Get("Authorization")
	key, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || key == "" {
		writeError(w, http.StatusUnauthorized, ErrorBody{Code: 401, Message: "No auth credentials found"})
		return false
	}
	for _, k := range keys {
		if key == k {
			return true
		}
	}
	writeError(w, http.StatusUnauthorized, ErrorBody{Code: 401, Message: "User not found."})
	return false
}
