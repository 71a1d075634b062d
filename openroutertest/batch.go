package openroutertest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
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

// WithClock sets the clock that drives the batches' progress (default
// time.Now); pass a Clock's Now to control it.
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
// before requests, as the real server needs to stream-parse the body.
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

func (s *Server) handleBatchSubmit(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r, s.Key, s.ManagementKey) {
		return
	}
	raw, _ := io.ReadAll(r.Body)
	bad := func(msg string) { writeError(w, 400, ErrorBody{Code: 400, Message: msg}) }
	if msg := fieldOrder(raw); msg != "" {
		bad(msg)
		return
	}
	var body struct {
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
	if err := json.Unmarshal(raw, &body); err != nil {
		bad("Invalid JSON body: " + err.Error())
		return
	}
	switch {
	case !slices.Contains(batchEndpoints, body.Endpoint):
		bad(fmt.Sprintf("endpoint must be one of %s", strings.Join(batchEndpoints, ", ")))
		return
	case body.Model == "":
		bad("model is required")
		return
	case len(body.Requests) == 0:
		bad("requests must be a non-empty array")
		return
	case body.CompletionWindow != "" && body.CompletionWindow != "24h":
		bad("completion_window must be 24h")
		return
	}
	for k := range body.Provider {
		if k != "only" && k != "allow_fallbacks" {
			bad("provider: only provider.only and provider.allow_fallbacks are supported")
			return
		}
	}
	if body.CallbackURL != "" {
		if u, err := url.Parse(body.CallbackURL); err != nil || u.Scheme != "https" {
			bad("callback_url must be an https URL")
			return
		}
	}
	now := s.clock()
	b := &fakeBatch{endpoint: body.Endpoint, model: body.Model, window: "24h", created: now, status: "validating"}
	seen := map[string]bool{}
	for i, it := range body.Requests {
		if it.CustomID == "" || seen[it.CustomID] {
			bad(fmt.Sprintf("requests[%d]: custom_id must be present and unique", i))
			return
		}
		seen[it.CustomID] = true
		req, err := parseRequest(it.Body, r.Header)
		req.srv = s
		if err != nil && b.invalid == "" {
			b.invalid = fmt.Sprintf("requests[%d] (%s): body is not a JSON object", i, it.CustomID)
		}
		b.items = append(b.items, batchItem{customID: it.CustomID, req: req})
		if b.invalid == "" {
			b.invalid = s.batchInvalid(body.Endpoint, body.Model, req)
			if b.invalid != "" {
				b.invalid = fmt.Sprintf("requests[%d] (%s): %s", i, it.CustomID, b.invalid)
			}
		}
	}
	if !s.batchModelKnown(body.Endpoint, body.Model) && b.invalid == "" {
		b.invalid = body.Model + " is not a valid model ID"
	}
	st := &s.batch
	st.mu.Lock()
	st.seq++
	b.id = fmt.Sprintf("batch_%d_%04d", now.Unix(), st.seq)
	if st.expire > 0 {
		st.expire--
		b.expire = true
	}
	st.list = append(st.list, b)
	st.stats.Submits++
	lose := st.lose > 0
	if lose {
		st.lose--
		st.stats.LostSubmits++
	}
	obj := s.batchObject(b, false)
	st.mu.Unlock()
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

// batchInvalid returns why a request cannot run in a batch, "" when it
// can.
func (s *Server) batchInvalid(endpoint, model string, req Request) string {
	if endpoint == "/v1/embeddings" {
		return s.embeddingBatchInvalid(model, req)
	}
	switch {
	case endpoint != "/v1/chat/completions":
		return "the fake runs chat completion and embeddings batches only"
	case req.Model != "" && req.Model != model:
		return fmt.Sprintf("model %q differs from the batch's model %q", req.Model, model)
	case req.Stream:
		return "stream is not available in a batch"
	case req.WantsImage():
		return "image output is not available in a batch"
	case len(req.Messages) == 0:
		return "messages is required"
	}
	if msgs, ok := req.Body["messages"].([]any); ok {
		for _, m := range msgs {
			parts, _ := m.(map[string]any)["content"].([]any)
			for _, p := range parts {
				if t, _ := p.(map[string]any)["type"].(string); t != "text" {
					return "file, image, audio and video inputs are not available in a batch"
				}
			}
		}
	}
	return ""
}

// advance moves a batch to the state its clock says; it runs the
// requests when the batch ends. st.mu is held.
func (s *Server) advance(b *fakeBatch, now time.Time) {
	if b.status == "completed" || b.status == "failed" || b.status == "expired" || b.status == "cancelled" {
		return
	}
	t := s.batch.timing
	if t.Validate == 0 {
		t.Validate = 30 * time.Second
	}
	if t.Run == 0 {
		t.Run = 5 * time.Minute
	}
	if t.Finalize == 0 {
		t.Finalize = 30 * time.Second
	}
	runStart := b.created.Add(t.Validate)
	done := func(at time.Time) int { // requests finished by at
		if at.Before(runStart) {
			return 0
		}
		n := len(b.items)
		return min(n, int(float64(n)*float64(at.Sub(runStart))/float64(t.Run)))
	}
	switch {
	case !b.cancelAt.IsZero() && !now.Before(b.cancelAt.Add(t.Finalize)):
		s.finish(b, "cancelled", done(b.cancelAt), b.cancelAt.Add(t.Finalize))
	case !b.cancelAt.IsZero():
		b.status = "cancelling"
	case now.Before(runStart):
		b.status = "validating"
	case b.invalid != "":
		s.finish(b, "failed", 0, runStart)
	case b.expire && !now.Before(runStart.Add(t.Run/2)):
		s.finish(b, "expired", len(b.items)/2, runStart.Add(t.Run/2))
	case now.Before(runStart.Add(t.Run)):
		b.status = "in_progress"
		b.completed = done(now)
	case now.Before(runStart.Add(t.Run + t.Finalize)):
		b.status = "finalizing"
		b.completed = len(b.items)
	default:
		s.finish(b, "completed", len(b.items), runStart.Add(t.Run+t.Finalize))
	}
}

// finish ends a batch with the first n requests run: their results are
// made and billed, at half the sync price.
func (s *Server) finish(b *fakeBatch, status string, n int, at time.Time) {
	b.status, b.final, b.completed, b.failed = status, at, 0, 0
	var prompt, completion int
	var cost float64
	for i := 0; i < n; i++ {
		res, p, c, usd, ok := s.runBatchItem(b, b.items[i])
		b.results = append(b.results, res)
		prompt, completion, cost = prompt+p, completion+c, cost+usd
		if ok {
			b.completed++
		} else {
			b.failed++
		}
	}
	if status != "failed" {
		b.usage = map[string]any{"prompt_tokens": prompt, "completion_tokens": completion,
			"total_tokens": prompt + completion, "cost": cost, "is_byok": false}
	}
}

// runBatchItem answers one batch request and bills it; ok is false for a
// failed request.
func (s *Server) runBatchItem(b *fakeBatch, it batchItem) (res map[string]any, prompt, completion int, cost float64, ok bool) {
	s.batch.stats.Requests++
	id := fmt.Sprintf("gen-batch-%s-%04d", strings.TrimPrefix(b.id, "batch_"), s.batch.stats.Requests)
	res = map[string]any{"id": id, "custom_id": it.customID, "response": nil, "error": nil}
	fail := func(status int, e ErrorBody) {
		res["response"] = map[string]any{"status_code": status, "request_id": id,
			"body": map[string]any{"error": e, "user_id": "user_openroutertest"}}
	}
	if f, scripted := s.batch.failures[it.customID]; scripted {
		e := ErrorBody{Code: f.Status, Message: f.Message, Metadata: f.Metadata}
		if f.AsError {
			res["error"] = e
		} else {
			fail(f.Status, e)
		}
		return res, 0, 0, 0, false
	}
	if b.endpoint == "/v1/embeddings" {
		var ok bool
		res["response"], prompt, cost, ok = s.runEmbeddingBatchItem(b, it, id)
		return res, prompt, 0, cost, ok
	}
	req := it.req
	if req.Model == "" {
		req.Model = b.model
	}
	m, _ := s.lookup(req.Model)
	rep := s.defaultReply(req)
	if s.responder != nil {
		rep = s.responder(req)
	}
	if rep.Status >= 400 || rep.Disconnect {
		status := max(rep.Status, 502)
		e := ErrorBody{Code: status, Message: http.StatusText(status)}
		if rep.Error != nil {
			e = *rep.Error
		}
		fail(status, e)
		return res, 0, 0, 0, false
	}
	for _, msg := range req.Messages {
		prompt += tokens(msg.Text)
	}
	completion = tokens(rep.Content)
	cost = rep.Cost
	if cost == 0 {
		cost = m.cost(prompt, completion, 0)
	}
	cost /= 2 // the batch price
	s.mu.Lock()
	broke := s.usage >= s.credits
	if !broke {
		s.usage += cost
	}
	s.mu.Unlock()
	if broke {
		fail(402, ErrorBody{Code: 402, Message: "Insufficient credits. Add more using https://openrouter.ai/settings/credits",
			Metadata: map[string]any{"limit_source": "openrouter_credits"}})
		return res, 0, 0, 0, false
	}
	finish := rep.FinishReason
	if finish == "" {
		finish = "stop"
	}
	msg := map[string]any{"role": "assistant", "content": nil}
	if rep.Content != "" {
		msg["content"] = rep.Content
	}
	body := map[string]any{"id": id, "provider": "OpenRouterTest", "model": m.ID, "object": "chat.completion",
		"created": b.created.Unix(), "choices": []any{map[string]any{"index": 0, "finish_reason": finish,
			"native_finish_reason": finish, "message": msg}},
		"usage": map[string]any{"prompt_tokens": prompt, "completion_tokens": completion,
			"total_tokens": prompt + completion, "cost": cost, "is_byok": false}}
	if rep.Error != nil {
		body["error"] = rep.Error
	}
	res["response"] = map[string]any{"status_code": 200, "request_id": id, "body": body}
	return res, prompt, completion, cost, true
}

// batchObject is a batch's JSON; st.mu is held.
func (s *Server) batchObject(b *fakeBatch, listed bool) map[string]any {
	s.advance(b, s.clock())
	var final, provider, usage, errObj, results any
	if !b.final.IsZero() {
		final = b.final.Unix()
	}
	if b.status != "validating" && b.status != "failed" {
		provider = "OpenRouterTest"
	}
	if b.usage != nil {
		usage = b.usage
	}
	if b.status == "failed" {
		errObj = map[string]any{"message": b.invalid}
	}
	if s.batch.inline && !listed && b.final.After(time.Time{}) {
		results = b.results
		if results == nil || len(b.results) == 0 {
			results = []any{}
		}
	}
	return map[string]any{"id": b.id, "object": "batch", "endpoint": b.endpoint, "model": b.model,
		"completion_window": b.window, "status": b.status, "provider": provider,
		"created_at": b.created.Unix(), "finalized_at": final, "expires_at": b.created.Add(24 * time.Hour).Unix(),
		"request_counts": map[string]int{"total": len(b.items), "completed": b.completed, "failed": b.failed},
		"usage":          usage, "results": results, "error": errObj}
}

// findBatch returns the batch with the path's ID, or answers 404; st.mu
// is held.
func (s *Server) findBatch(w http.ResponseWriter, r *http.Request) *fakeBatch {
	id := r.PathValue("id")
	for _, b := range s.batch.list {
		if b.id == id {
			return b
		}
	}
	writeError(w, http.StatusNotFound, ErrorBody{Code: 404, Message: "Batch not found: " + id})
	return nil
}

func (s *Server) handleBatchGet(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r, s.Key, s.ManagementKey) {
		return
	}
	st := &s.batch
	st.mu.Lock()
	st.stats.Polls++
	b := s.findBatch(w, r)
	var obj map[string]any
	if b != nil {
		obj = s.batchObject(b, false)
	}
	st.mu.Unlock()
	if b != nil {
		writeJSON(w, http.StatusOK, obj)
	}
}

func terminal(status string) bool {
	return status == "completed" || status == "failed" || status == "expired" || status == "cancelled"
}

func (s *Server) handleBatchResults(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r, s.Key, s.ManagementKey) {
		return
	}
	st := &s.batch
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.inline {
		writeError(w, http.StatusNotFound, ErrorBody{Code: 404, Message: "Not Found: " + r.Method + " " + r.URL.Path})
		return
	}
	st.stats.ResultPages++
	b := s.findBatch(w, r)
	if b == nil {
		return
	}
	s.advance(b, s.clock())
	if !terminal(b.status) {
		writeError(w, http.StatusConflict, ErrorBody{Code: 409, Message: "Batch " + b.id + " is " + b.status + ": results are available once it is finished"})
		return
	}
	q := r.URL.Query()
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, 400, ErrorBody{Code: 400, Message: "limit must be an integer from 1 through 1000"})
			return
		}
		limit = n
	}
	start := 0
	if c := q.Get("cursor"); c != "" {
		dec, err := base64.RawURLEncoding.DecodeString(c)
		id, off, found := strings.Cut(string(dec), ":")
		n, aerr := strconv.Atoi(off)
		if err != nil || !found || id != b.id || aerr != nil || n < 0 || n > len(b.results) {
			writeError(w, 400, ErrorBody{Code: 400, Message: "Invalid cursor"})
			return
		}
		start = n
	}
	end := min(start+limit, len(b.results))
	var next any
	if end < len(b.results) {
		next = base64.RawURLEncoding.EncodeToString([]byte(b.id + ":" + strconv.Itoa(end)))
	}
	data := b.results[start:end]
	if data == nil {
		data = []map[string]any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data, "has_more": next != nil, "next_cursor": next})
}

// parseTime reads a list filter: RFC 3339 or Unix seconds.
func parseTime(v string) (time.Time, bool) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	t, err := time.Parse(time.RFC3339, v)
	return t, err == nil
}

func (s *Server) handleBatchList(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r, s.Key, s.ManagementKey) {
		return
	}
	q := r.URL.Query()
	limit := 20
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			writeError(w, 400, ErrorBody{Code: 400, Message: "limit must be an integer from 1 through 100"})
			return
		}
		limit = n
	}
	var after, before time.Time
	for _, f := range []struct {
		key string
		dst *time.Time
	}{{"created_after", &after}, {"created_before", &before}} {
		if v := q.Get(f.key); v != "" {
			t, ok := parseTime(v)
			if !ok {
				writeError(w, 400, ErrorBody{Code: 400, Message: f.key + " must be a timestamp"})
				return
			}
			*f.dst = t
		}
	}
	st := &s.batch
	st.mu.Lock()
	defer st.mu.Unlock()
	st.stats.Lists++
	skipping := q.Get("after") != ""
	data := []map[string]any{}
	more := false
	for i := len(st.list) - 1; i >= 0; i-- { // newest first
		b := st.list[i]
		if skipping {
			skipping = b.id != q.Get("after")
			continue
		}
		obj := s.batchObject(b, true)
		if !after.IsZero() && !b.created.After(after) || !before.IsZero() && !b.created.Before(before) ||
			len(q["status"]) > 0 && !slices.Contains(q["status"], b.status) {
			continue
		}
		if len(data) == limit {
			more = true
			break
		}
		data = append(data, obj)
	}
	var first, last any
	if len(data) > 0 {
		first, last = data[0]["id"], data[len(data)-1]["id"]
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data, "first_id": first, "last_id": last, "has_more": more})
}

func (s *Server) handleBatchCancel(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r, s.Key, s.ManagementKey) {
		return
	}
	st := &s.batch
	st.mu.Lock()
	st.stats.Cancels++
	b := s.findBatch(w, r)
	if b == nil {
		st.mu.Unlock()
		return
	}
	now := s.clock()
	s.advance(b, now)
	if terminal(b.status) {
		st.mu.Unlock()
		writeError(w, http.StatusConflict, ErrorBody{Code: 409, Message: "Batch " + b.id + " is already " + b.status})
		return
	}
	if b.cancelAt.IsZero() {
		b.cancelAt = now
	}
	obj := s.batchObject(b, false)
	st.mu.Unlock()
	writeJSON(w, http.StatusOK, obj)
}

func (s *Server) handleBatchDelete(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r, s.Key, s.ManagementKey) {
		return
	}
	st := &s.batch
	st.mu.Lock()
	b := s.findBatch(w, r)
	if b == nil {
		st.mu.Unlock()
		return
	}
	s.advance(b, s.clock())
	if !terminal(b.status) {
		st.mu.Unlock()
		writeError(w, http.StatusConflict, ErrorBody{Code: 409, Message: "Batch " + b.id + " is " + b.status + ": cancel it before deleting it"})
		return
	}
	st.list = slices.DeleteFunc(st.list, func(x *fakeBatch) bool { return x == b })
	st.stats.Deletes++
	st.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"id": b.id, "object": "batch", "deletion": map[string]any{"openrouter": "deleted"}})
}
