package openroutertest

import (
	"encoding/base64"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The results of the fake's batches: the inline shape (batchObject) and
// GET /batches/{id}/results, rows in a seeded order that is not the
// input order, in pages smaller than most batches.

// DefaultBatchResultsPageSize is the most result rows a page of
// GET /batches/{id}/results holds unless WithBatchResultsPageSize says
// otherwise; a client that reads one page, or asks a large limit and
// stops, misses the rest.
const DefaultBatchResultsPageSize = 2

// WithBatchResultsPageSize sets the most result rows one page holds,
// whatever limit the client asks (default DefaultBatchResultsPageSize);
// the cursor contract allows a short page with has_more true.
func WithBatchResultsPageSize(n int) Option {
	return func(s *Server) { s.batch.pageSize = max(n, 1) }
}

// WithBatchResultsSeed sets the seed of the order in which a batch's
// results come back (default 1). Whatever the seed, a batch of two or
// more results never comes back in input order (RULES.md T13).
func WithBatchResultsSeed(seed int64) Option { return func(s *Server) { s.batch.seed = seed } }

// shuffle puts a finished batch's results in a seeded order that is not
// the input order (RULES.md T13: batch-quickstart, "Each result maps back
// to an input using custom_id"); the order then stays, so pages are
// stable (RULES.md T14). st.mu is held.
func (s *Server) shuffle(b *fakeBatch) {
	n := len(b.results)
	if n < 2 {
		return
	}
	rng := rand.New(rand.NewPCG(uint64(s.batch.seed), uint64(n)))
	perm := rng.Perm(n)
	identity := true
	for i, p := range perm {
		identity = identity && i == p
	}
	if identity {
		perm = append(perm[1:], perm[0])
	}
	out := make([]map[string]any, n)
	for i, p := range perm {
		out[i] = b.results[p]
	}
	b.results = out
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
	if s.batch.inline && !listed && b.status == "completed" {
		// RULES.md T11: batch-quickstart, "When a batch is in progress, or
		// has failed, expired, or been cancelled, results is null".
		results = b.results
		if len(b.results) == 0 {
			results = []any{}
		}
	}
	return map[string]any{"id": b.id, "object": "batch", "endpoint": b.endpoint, "model": b.model,
		"completion_window": b.window, "status": b.status, "provider": provider,
		"created_at": b.created.Unix(), "finalized_at": final, "expires_at": b.created.Add(24 * time.Hour).Unix(),
		"request_counts": map[string]int{"total": len(b.items), "completed": b.completed, "failed": b.failed},
		"usage":          usage, "results": results, "error": errObj}
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
	// RULES.md T14: a page holds at most limit rows, and at most the
	// server's page size (WithBatchResultsPageSize), so that a client
	// must follow next_cursor.
	end := min(start+min(limit, st.pageSize), len(b.results))
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
