package openroutertest

import (
	"net/http"
	"slices"
	"strconv"
	"time"
)

// The handlers of GET /batches/{id}, GET /batches, POST
// /batches/{id}/cancel and DELETE /batches/{id}.

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
		// RULES.md T19: a finished batch cannot be cancelled.
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
