package openroutertest

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// Embeddings batches (endpoint /v1/embeddings): each request's body is
// an embeddings request without a model (the batch's), answered as
// POST /embeddings answers and billed at half the price. The Batch API
// takes neither input_type nor provider preferences on them (the batch
// quickstart, "Embeddings").

// embeddingBatchInvalid returns why an embeddings request cannot run in
// a batch of model, "" when it can.
func (s *Server) embeddingBatchInvalid(model string, req Request) string {
	if m, _ := req.Body["model"].(string); m != "" && m != model {
		return fmt.Sprintf("model %q differs from the batch's model %q", m, model)
	}
	for _, k := range []string{"input_type", "provider"} {
		if _, ok := req.Body[k]; ok {
			return k + " is not supported on the Batch API; use the sync API"
		}
	}
	raw, _ := json.Marshal(req.Body["input"])
	if _, msg := embeddingInputs(raw); msg != "" {
		return msg
	}
	return ""
}

// batchModelKnown reports whether the catalogue of endpoint's models
// lists model.
func (s *Server) batchModelKnown(endpoint, model string) bool {
	if endpoint == "/v1/embeddings" {
		_, ok := s.embeddingModel(model)
		return ok
	}
	_, ok := s.lookup(model)
	return ok
}

// runEmbeddingBatchItem answers one embeddings request of a batch (id is
// its generation ID) and bills it at half price; ok is false when the
// credits ran out.
func (s *Server) runEmbeddingBatchItem(b *fakeBatch, it batchItem, id string) (response map[string]any, prompt int, cost float64, ok bool) {
	m, _ := s.embeddingModel(b.model)
	raw, _ := json.Marshal(it.req.Body["input"])
	inputs, _ := embeddingInputs(raw) // validated at submission
	dims := EmbeddingDimensions
	if d, isNum := it.req.Body["dimensions"].(float64); isNum && d >= 1 {
		dims = int(d)
	}
	format, _ := it.req.Body["encoding_format"].(string)
	data, tokens := embeddingData(inputs, dims, format)
	price, _ := strconv.ParseFloat(m.Pricing.Prompt, 64)
	cost = float64(tokens) * price / 2 // the batch price
	s.mu.Lock()
	broke := s.usage >= s.credits
	if !broke {
		s.usage += cost
	}
	s.mu.Unlock()
	if broke {
		return map[string]any{"status_code": 402, "request_id": id, "body": map[string]any{"error": ErrorBody{Code: 402,
			Message: "Insufficient credits. Add more using https://openrouter.ai/settings/credits"}}}, 0, 0, false
	}
	body := map[string]any{"id": id, "object": "list", "model": m.ID, "data": data,
		"usage": map[string]any{"prompt_tokens": tokens, "total_tokens": tokens, "cost": cost}}
	return map[string]any{"status_code": 200, "request_id": id, "body": body}, tokens, cost, true
}
