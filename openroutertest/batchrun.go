package openroutertest

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// How a batch runs: its status follows the server's clock, and when it
// ends its requests are answered and billed at the batch price.

// advance moves a batch to the state its clock says; it runs the
// requests when the batch ends. st.mu is held. The statuses are the
// quickstart's (RULES.md T10: batch-quickstart, "Poll for results").
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
		// RULES.md T15: a cancelled batch has no result rows.
		s.finish(b, "cancelled", 0, b.cancelAt.Add(t.Finalize))
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
	s.shuffle(b)
	if status != "failed" {
		b.usage = map[string]any{"prompt_tokens": prompt, "completion_tokens": completion,
			"total_tokens": prompt + completion, "cost": cost, "is_byok": false}
	}
}

// runBatchItem answers one batch request and bills it; ok is false for a
// failed request.
func (s *Server) runBatchItem(b *fakeBatch, it batchItem) (res map[string]any, prompt, completion int, cost float64, ok bool) {
	s.batch.stats.Requests++
	// RULES.md T17: batch-quickstart, "Reporting issues": gen-batch-... IDs.
	id := fmt.Sprintf("gen-batch-%s-%04d", strings.TrimPrefix(b.id, "batch_"), s.batch.stats.Requests)
	res = map[string]any{"id": id, "custom_id": it.customID, "response": nil, "error": nil}
	if f, scripted := s.batch.failures[it.customID]; scripted {
		e := ErrorBody{Code: f.Status, Message: f.Message, Metadata: f.Metadata}
		if f.AsError {
			res["error"] = e
		} else {
			res["response"] = failedAnswer(id, f.Status, e)
		}
		return res, 0, 0, 0, false
	}
	if b.endpoint == "/v1/embeddings" {
		res["response"], prompt, cost, ok = s.runEmbeddingBatchItem(b, it, id)
		return res, prompt, 0, cost, ok
	}
	res["response"], prompt, completion, cost, ok = s.runInferenceItem(b, it, id)
	return res, prompt, completion, cost, ok
}

// failedAnswer is the response of a batch request that failed with an
// error answer.
func failedAnswer(id string, status int, e ErrorBody) map[string]any {
	return map[string]any{"status_code": status, "request_id": id,
		"body": map[string]any{"error": e, "user_id": "user_openroutertest"}}
}

// runInferenceItem answers a chat, Responses or Messages request of a
// batch (id is its generation ID) and bills it at half price; ok is
// false for a failed request.
func (s *Server) runInferenceItem(b *fakeBatch, it batchItem, id string) (response map[string]any, prompt, completion int, cost float64, ok bool) {
	req := it.req
	if req.Model == "" {
		req.Model = b.model
	}
	m, _ := s.lookup(req.Model)
	if msg := contextProblem(m, req); msg != "" {
		// RULES.md C18, per request: a completed batch can hold failed
		// requests (T16).
		return failedAnswer(id, 400, ErrorBody{Code: 400, Message: msg, Metadata: map[string]any{"error_type": "context_length_exceeded"}}), 0, 0, 0, false
	}
	rep := s.defaultReply(req)
	if s.responder != nil {
		rep = s.responder(req)
	}
	if rep.Status >= 400 || rep.Disconnect || rep.Error != nil && b.endpoint == "/v1/messages" {
		// A Messages answer has no error member: an error is an error answer.
		status := max(rep.Status, 502)
		e := ErrorBody{Code: status, Message: http.StatusText(status)}
		if rep.Error != nil {
			e = *rep.Error
		}
		return failedAnswer(id, status, e), 0, 0, 0, false
	}
	prompt, images := promptTokens(req)
	completion = tokens(rep.Content)
	cost = rep.Cost
	if cost == 0 {
		cost = m.cost(prompt, completion, images, 0)
	}
	cost /= 2 // the batch price (RULES.md T18: batch-quickstart, "Pricing", 50%)
	if !s.chargeBatch(cost) {
		return failedAnswer(id, 402, ErrorBody{Code: 402, Message: "Insufficient credits. Add more using https://openrouter.ai/settings/credits",
			Metadata: map[string]any{"limit_source": "openrouter_credits"}}), 0, 0, 0, false
	}
	u := map[string]any{"prompt_tokens": prompt, "completion_tokens": completion,
		"total_tokens": prompt + completion, "cost": cost, "is_byok": false}
	body := batchAnswer(b, id, m, req, rep, u)
	return map[string]any{"status_code": 200, "request_id": id, "body": body}, prompt, completion, cost, true
}

// chargeBatch adds cost to the account's usage, unless the credits ran out.
func (s *Server) chargeBatch(cost float64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.usage >= s.credits {
		return false
	}
	s.usage += cost
	return true
}
