package openroutertest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// The fake's Batch API (POST/GET /batches, GET /batches/{id},
// GET /batches/{id}/results, POST /batches/{id}/cancel,
// DELETE /batches/{id}). A batch moves through validating, in_progress
// and finalizing to completed as the server's clock (WithClock) passes
// the durations of BatchTiming; its requests are answered by the same
// responder as chat completions, billed at half their sync price.

// Clock is a clock a test moves by hand, for WithClock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock that reads start until it is advanced.
func NewClock(start time.Time) *Clock { return &Clock{t: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// WithClock sets the clock that drives the batches' progress and says
// which day it is for GET /activity (default time.Now); pass a Clock's
// Now to control it.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// BatchTiming is how long a batch spends in each phase.
type BatchTiming struct {
	Validate time.Duration // validating (default 30 s)
	Run      time.Duration // in_progress; requests finish evenly over it (default 5 min)
	Finalize time.Duration // finalizing, and cancelling (default 30 s)
}

// WithBatchTiming sets the phases' durations; a zero field keeps its
// default.
func WithBatchTiming(t BatchTiming) Option {
	return func(s *Server) { s.batch.timing = t }
}

// WithInlineBatchResults serves the older shape of the API: a finished
// batch carries its results inline, and /batches/{id}/results is 404.
func WithInlineBatchResults() Option { return func(s *Server) { s.batch.inline = true } }

// BatchStats counts the batch requests the server answered.
type BatchStats struct {
	Submits     int // POST /batches that stored a batch
	LostSubmits int // of those, answers cut on purpose (LoseBatchSubmits)
	Polls       int // GET /batches/{id}
	Lists       int // GET /batches
	ResultPages int // GET /batches/{id}/results
	Cancels     int
	Deletes     int
	Requests    int // batch requests run (results with a response)
}

// BatchFailure scripts the result of one batch request: Status and
// Message make a response whose body is an OpenRouter error (status_code
// Status); with AsError the result carries an error object instead of a
// response.
type BatchFailure struct {
	Status   int
	Message  string
	Metadata map[string]any
	AsError  bool
}

type batchState struct {
	mu       sync.Mutex
	timing   BatchTiming
	inline   bool
	pageSize int          // most result rows a page holds (WithBatchResultsPageSize)
	seed     int64        // the seed of the results' order (WithBatchResultsSeed)
	list     []*fakeBatch // creation order
	failures map[string]BatchFailure
	lose     int
	expire   int
	stats    BatchStats
	seq      int
}

type fakeBatch struct {
	id, endpoint, model, window string
	created, cancelAt, final    time.Time
	items                       []batchItem
	invalid                     string // why validation fails, "" when it passes
	expire                      bool
	status                      string
	results                     []map[string]any
	completed, failed           int
	usage                       map[string]any
}

type batchItem struct {
	customID string
	req      Request
}

// FailBatchRequest scripts the result of the batch request with this
// custom ID, in every batch from now on.
func (s *Server) FailBatchRequest(customID string, f BatchFailure) {
	s.batch.mu.Lock()
	defer s.batch.mu.Unlock()
	if s.batch.failures == nil {
		s.batch.failures = map[string]BatchFailure{}
	}
	s.batch.failures[customID] = f
}

// ExpireBatches makes the next n batches submitted expire halfway through
// their run: the first half of their requests have results, the others
// none.
func (s *Server) ExpireBatches(n int) {
	s.batch.mu.Lock()
	defer s.batch.mu.Unlock()
	s.batch.expire += n
}

// LoseBatchSubmits makes the next n submissions be stored, then answered
// by a cut connection: the client does not learn the batch's ID.
func (s *Server) LoseBatchSubmits(n int) {
	s.batch.mu.Lock()
	defer s.batch.mu.Unlock()
	s.batch.lose += n
}

// BatchStats returns the batch counts so far.
func (s *Server) BatchStats() BatchStats {
	s.batch.mu.Lock()
	defer s.batch.mu.Unlock()
	return s.batch.stats
}

// BatchCount returns how many batches the server holds (deleted ones
// are gone).
func (s *Server) BatchCount() int {
	s.batch.mu.Lock()
	defer s.batch.mu.Unlock()
	return len(s.batch.list)
}

func (s *Server) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

func (s *Server) routeBatches(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/batches", s.handleBatchSubmit)
	mux.HandleFunc("GET /api/v1/batches", s.handleBatchList)
	mux.HandleFunc("GET /api/v1/batches/{id}", s.handleBatchGet)
	mux.HandleFunc("GET /api/v1/batches/{id}/results", s.handleBatchResults)
	mux.HandleFunc("POST /api/v1/batches/{id}/cancel", s.handleBatchCancel)
	mux.HandleFunc("DELETE /api/v1/batches/{id}", s.handleBatchDelete)
}

var batchEndpoints = []string{"/v1/chat/completions", "/v1/responses", "/v1/messages", "/v1/embeddings"}

// fieldOrder checks that endpoint and model (and callback_url) come
// before requests, as the real server needs to stream-parse the body
// (RULES.md T2: batch-quickstart, "Serialize endpoint and model before
// requests").
func fieldOrder(raw []byte) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return "Invalid JSON body: an object is required"
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return "Invalid JSON body"
		}
		key, _ := t.(string)
		switch key {
		case "requests":
			if !seen["endpoint"] || !seen["model"] {
				return "endpoint and model must appear before requests in the request body"
			}
		case "callback_url":
			if seen["requests"] {
				return "callback_url must appear before requests in the request body"
			}
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return "Invalid JSON body"
		}
	}
	return ""
}

// batchSubmission is the body of POST /batches.
type batchSubmission struct {
	Endpoint         string `json:"endpoint"`
	Model            string `json:"model"`
	CallbackURL      string `json:"callback_url"`
	CompletionWindow string `json:"completion_window"`
	Provider         map[string]json.RawMessage
	Requests         []struct {
		CustomID string          `json:"custom_id"`
		Body     json.RawMessage `json:"body"`
	} `json:"requests"`
}

// handleBatchSubmit answers POST /batches in three steps: refuse a
// submission whose envelope is wrong (400), build the batch and validate
// its requests (a refused request fails the batch later, RULES.md T8),
// store it and answer 202 (RULES.md T1).
func (s *Server) handleBatchSubmit(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r, s.Key, s.ManagementKey) {
		return
	}
	raw, _ := io.ReadAll(r.Body)
	body, msg := parseBatchSubmission(raw)
	var b *fakeBatch
	if msg == "" {
		b, msg = s.newBatch(body, r.Header)
	}
	if msg != "" {
		writeError(w, 400, ErrorBody{Code: 400, Message: msg})
		return
	}
	obj, lose := s.storeBatch(b)
	if lose {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	writeJSON(w, http.StatusAccepted, obj)
}

// parseBatchSubmission decodes the body and checks its envelope
// (RULES.md T2, T3, T5, T21: batch-quickstart, "Submit a batch" and "The
// only supported completion window is 24h"), returning why it is
// refused, or "".
func parseBatchSubmission(raw []byte) (batchSubmission, string) {
	var body batchSubmission
	if msg := fieldOrder(raw); msg != "" {
		return body, msg
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		return body, "Invalid JSON body: " + err.Error()
	}
	switch {
	case !slices.Contains(batchEndpoints, body.Endpoint):
		return body, fmt.Sprintf("endpoint must be one of %s", strings.Join(batchEndpoints, ", "))
	case body.Model == "":
		return body, "model is required"
	case len(body.Requests) == 0:
		return body, "requests must be a non-empty array"
	case len(body.Requests) > MaxBatchRequests:
		// RULES.md T22: the Batch API guide, "up to 5,000 requests".
		return body, fmt.Sprintf("requests: at most %d requests per batch, got %d", MaxBatchRequests, len(body.Requests))
	case body.CompletionWindow != "" && body.CompletionWindow != "24h":
		return body, "completion_window must be 24h"
	}
	for k := range body.Provider {
		if k != "only" && k != "allow_fallbacks" {
			return body, "provider: only provider.only and provider.allow_fallbacks are supported"
		}
	}
	if body.CallbackURL != "" {
		if u, err := url.Parse(body.CallbackURL); err != nil || u.Scheme != "https" {
			return body, "callback_url must be an https URL"
		}
	}
	return body, ""
}

// newBatch builds a batch from a submission and records why its
// validation will fail, if it will; a missing or repeated custom_id
// refuses the submission (RULES.md T3).
func (s *Server) newBatch(body batchSubmission, h http.Header) (*fakeBatch, string) {
	b := &fakeBatch{endpoint: body.Endpoint, model: body.Model, window: "24h", created: s.clock(), status: "validating"}
	seen := map[string]bool{}
	for i, it := range body.Requests {
		if it.CustomID == "" || seen[it.CustomID] {
			return nil, fmt.Sprintf("requests[%d]: custom_id must be present and unique", i)
		}
		seen[it.CustomID] = true
		req, why := parseBatchItem(body.Endpoint, it.Body, h)
		req.srv = s
		b.items = append(b.items, batchItem{customID: it.CustomID, req: req})
		if why == "" {
			why = s.batchInvalid(body.Endpoint, body.Model, req)
		}
		if why != "" && b.invalid == "" {
			b.invalid = fmt.Sprintf("requests[%d] (%s): %s", i, it.CustomID, why)
		}
	}
	if b.invalid == "" && body.Endpoint == "/v1/chat/completions" {
		b.invalid = googleFormats(body.Model, b.items)
	}
	if !s.batchModelKnown(body.Endpoint, body.Model) && b.invalid == "" {
		b.invalid = body.Model + " is not a valid model ID"
	}
	return b, ""
}

// storeBatch gives the batch its ID and keeps it; lose says the answer
// is to be cut (LoseBatchSubmits).
func (s *Server) storeBatch(b *fakeBatch) (obj map[string]any, lose bool) {
	st := &s.batch
	st.mu.Lock()
	defer st.mu.Unlock()
	st.seq++
	b.id = fmt.Sprintf("batch_%d_%04d", b.created.Unix(), st.seq)
	if st.expire > 0 {
		st.expire--
		b.expire = true
	}
	st.list = append(st.list, b)
	st.stats.Submits++
	if st.lose > 0 {
		st.lose--
		st.stats.LostSubmits++
		lose = true
	}
	return s.batchObject(b, false), lose
}
