package openroutertest

import (
	"encoding/json"
	"fmt"
	"strings"
)

// What a batch's validation refuses (RULES.md T4, T6-T9). A refused
// request does not fail the submission: the batch is stored (202,
// validating) and then moves to failed with error.message naming the
// request, as the batch quickstart describes ("202 … queued it for
// validation"; "Validation fails a mismatched batch and names the first
// request that conflicts").

// MaxBatchRequests is how many requests one batch may carry; a larger
// submission is refused with a 400 (RULES.md T22: the Batch API guide,
// "The Batch API takes up to 5,000 requests in one call").
const MaxBatchRequests = 5000

// batchInvalid returns why a request cannot run in a batch, "" when it
// can. Web search (the web plugin) is allowed (RULES.md T20): the newest
// quickstart bills "Web-search calls … at standard rates" in batches,
// where an older guide said it was unavailable.
func (s *Server) batchInvalid(endpoint, model string, req Request) string {
	switch endpoint {
	case "/v1/embeddings":
		return s.embeddingBatchInvalid(model, req)
	case "/v1/responses", "/v1/messages":
		return shapeInvalid(endpoint, model, req)
	}
	switch {
	case req.Model != "" && req.Model != model:
		// RULES.md T4: batch-quickstart, "If a request body sets its own
		// model, it must match the batch-level model".
		return fmt.Sprintf("model %q differs from the batch's model %q", req.Model, model)
	case req.Stream:
		return "stream is not available in a batch"
	}
	if msg := checkRequest(req.Raw); msg != "" {
		// The body follows the shape of the endpoint (batch-quickstart,
		// "body follows the shape of the selected endpoint").
		return msg
	}
	if msg := nonTextOutput(req); msg != "" {
		return msg
	}
	return mediaInput(req)
}

// nonTextOutput refuses a request asking for non-text output (RULES.md
// T7: batch-quickstart, "Limitations": "validation also rejects requests
// that ask for non-text output through modalities, audio, or
// image_config").
func nonTextOutput(req Request) string {
	for _, m := range req.Modalities {
		if m != "text" {
			return fmt.Sprintf("modalities %q: the Batch API is text-only; send non-text output requests to the sync API", m)
		}
	}
	for _, key := range []string{"audio", "image_config"} {
		if v, ok := req.Body[key]; ok && v != nil {
			return key + ": the Batch API is text-only; send non-text output requests to the sync API"
		}
	}
	return ""
}

// mediaInput refuses image, audio, video and file parts (RULES.md T6:
// batch-quickstart, "Limitations": "validation rejects any request that
// carries image, audio, video, or file content parts").
func mediaInput(req Request) string {
	msgs, _ := req.Body["messages"].([]any)
	for i, m := range msgs {
		mm, _ := m.(map[string]any)
		parts, _ := mm["content"].([]any)
		for j, p := range parts {
			if t, _ := p.(map[string]any)["type"].(string); t != "text" {
				return fmt.Sprintf("messages[%d].content[%d]: %q parts are not available in a batch (text only)", i, j, t)
			}
		}
	}
	return ""
}

// googleFormats refuses a Google batch whose requests ask for different
// response formats, naming the first that conflicts (RULES.md T9:
// batch-quickstart, "On Google models, every request in a batch must ask
// for the same response_format").
func googleFormats(model string, items []batchItem) string {
	if !strings.HasPrefix(model, "google/") || len(items) == 0 {
		return ""
	}
	first := formatKey(items[0].req)
	for i, it := range items[1:] {
		if formatKey(it.req) != first {
			return fmt.Sprintf("requests[%d] (%s): response_format differs from requests[0] (%s); a Google batch needs one response_format (none, json_object, or json_schema with one schema)",
				i+1, it.customID, items[0].customID)
		}
	}
	return ""
}

// formatKey is what must agree between the requests of a Google batch:
// the response_format's type and, for json_schema, its schema.
func formatKey(req Request) string {
	var f struct {
		Type       string `json:"type"`
		JSONSchema struct {
			Schema any `json:"schema"`
		} `json:"json_schema"`
	}
	if json.Unmarshal(req.ResponseFormat, &f) != nil || f.Type == "" || f.Type == "text" {
		return ""
	}
	if f.Type != "json_schema" {
		return f.Type
	}
	b, _ := json.Marshal(f.JSONSchema.Schema) // map keys sorted: one text per schema
	return f.Type + " " + string(b)
}
