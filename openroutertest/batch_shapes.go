package openroutertest

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// The Responses and Anthropic Messages shapes of a batch (RULES.md T23,
// T24). The batch quickstart (batch-quickstart.mdx, "Use different API
// shapes") lists /v1/responses and /v1/messages as endpoints whose
// requests' "body follows the shape of the selected endpoint"; a result's
// response.body is "the standard ... response" of that endpoint, so the
// fake answers a Responses item with a response object (as POST
// /responses does, OpenAPI schemas/OpenResponsesResult) and a Messages
// item with a message (OpenAPI schemas/MessagesResult).

// parseBatchItem reads a batch request's body in the shape of endpoint;
// why is a reason validation fails ("" when the body reads).
func parseBatchItem(endpoint string, raw []byte, h http.Header) (req Request, why string) {
	switch endpoint {
	case "/v1/responses":
		return parseResponsesBody(raw, h, false)
	case "/v1/messages":
		return parseMessagesBody(raw, h)
	}
	req, err := parseRequest(raw, h)
	if err != nil {
		return req, "body is not a JSON object"
	}
	return req, ""
}

// parseMessagesBody reads an Anthropic Messages body (OpenAPI
// schemas/MessagesRequest: messages required; system a string or text
// blocks) as a Request: the system prompt and the turns as messages.
func parseMessagesBody(raw []byte, h http.Header) (Request, string) {
	req := Request{Raw: raw, Header: h.Clone()}
	var w struct {
		Model    string          `json:"model"`
		System   json.RawMessage `json:"system"`
		Stream   bool            `json:"stream"`
		Tools    []any           `json:"tools"`
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return req, "Invalid request: " + err.Error()
	}
	_ = json.Unmarshal(raw, &req.Body)
	req.Model, req.Stream, req.HasTools = w.Model, w.Stream, len(w.Tools) > 0
	if len(w.System) > 0 && string(w.System) != "null" {
		req.Messages = append(req.Messages, RequestMessage{Role: "system", Text: partsText(w.System)})
	}
	if len(w.Messages) == 0 {
		// The OpenAPI document's example of a 400 on POST /messages.
		return req, "Invalid request: messages is required"
	}
	for i, m := range w.Messages {
		if m.Role != "user" && m.Role != "assistant" {
			return req, fmt.Sprintf("Invalid request: messages[%d].role must be user or assistant", i)
		}
		req.Messages = append(req.Messages, RequestMessage{Role: m.Role, Text: partsText(m.Content)})
	}
	return req, ""
}

// shapeInvalid returns why a Responses or Messages request cannot run in
// a batch of model: another model (RULES.md T4), streaming, or a media
// part (RULES.md T24: batch-quickstart, "Limitations": "That includes the
// Responses input_image and input_file parts and the Anthropic image and
// document blocks").
func shapeInvalid(endpoint, model string, req Request) string {
	switch {
	case req.Model != "" && req.Model != model:
		return fmt.Sprintf("model %q differs from the batch's model %q", req.Model, model)
	case req.Stream:
		return "stream is not available in a batch"
	}
	list, refused := "input", map[string]bool{"input_image": true, "input_file": true}
	if endpoint == "/v1/messages" {
		list, refused = "messages", map[string]bool{"image": true, "document": true}
	}
	items, _ := req.Body[list].([]any)
	for i, it := range items {
		m, _ := it.(map[string]any)
		parts, _ := m["content"].([]any)
		for j, p := range parts {
			if t, _ := p.(map[string]any)["type"].(string); refused[t] {
				return fmt.Sprintf("%s[%d].content[%d]: %q parts are not available in a batch (text only)", list, i, j, t)
			}
		}
	}
	return ""
}

// batchAnswer is the body of a batch request's 200 answer in the shape of
// the batch's endpoint; u is its chat usage object.
func batchAnswer(b *fakeBatch, id string, m Model, req Request, rep Reply, u map[string]any) map[string]any {
	switch b.endpoint {
	case "/v1/responses":
		req.Model = m.ID
		out := responseSnapshot(id, req)
		completeResponse(out, id, req, rep, detailedUsage(u))
		return out
	case "/v1/messages":
		return messageAnswer(id, m, rep, u)
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
		"usage": u}
	if rep.Error != nil {
		body["error"] = rep.Error
	}
	return body
}

// detailedUsage is u with the token and cost details a response's usage
// requires (OpenAPI schemas/OpenResponsesResult: cached and reasoning
// tokens, the upstream input and output costs).
func detailedUsage(u map[string]any) map[string]any {
	cost, _ := u["cost"].(float64)
	prompt, _ := u["prompt_tokens"].(int)
	total, _ := u["total_tokens"].(int)
	promptCost := 0.0
	if total > 0 {
		promptCost = cost * float64(prompt) / float64(total)
	}
	out := map[string]any{
		"prompt_tokens_details":     map[string]any{"cached_tokens": 0},
		"completion_tokens_details": map[string]any{"reasoning_tokens": 0},
		"cost_details":              map[string]any{"upstream_inference_cost": nil, "upstream_inference_prompt_cost": promptCost, "upstream_inference_completions_cost": cost - promptCost},
	}
	for k, v := range u {
		out[k] = v
	}
	return out
}

// stopReasons are the Messages API's stop reasons for the chat finish
// reasons (OpenAPI schemas/ORAnthropicStopReason).
var stopReasons = map[string]string{"": "end_turn", "stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use", "content_filter": "refusal"}

// messageAnswer is a Messages API answer (OpenAPI schemas/MessagesResult,
// every required key present): the text block, then the tool calls.
func messageAnswer(id string, m Model, rep Reply, u map[string]any) map[string]any {
	content := []any{}
	if rep.Content != "" || len(rep.ToolCalls) == 0 {
		content = append(content, map[string]any{"type": "text", "text": rep.Content, "citations": nil})
	}
	for i, c := range rep.ToolCalls {
		callID := c.ID
		if callID == "" {
			callID = fmt.Sprintf("toolu_%d", i)
		}
		var input any = map[string]any{}
		_ = json.Unmarshal([]byte(c.Arguments), &input)
		content = append(content, map[string]any{"type": "tool_use", "id": callID, "name": c.Name, "input": input})
	}
	stop, ok := stopReasons[rep.FinishReason]
	if !ok {
		stop = "end_turn"
	}
	return map[string]any{"id": id, "type": "message", "role": "assistant", "model": m.ID, "container": nil,
		"content": content, "stop_reason": stop, "stop_details": nil, "stop_sequence": nil,
		"usage": map[string]any{"input_tokens": u["prompt_tokens"], "output_tokens": u["completion_tokens"],
			"cache_creation_input_tokens": nil, "cache_read_input_tokens": nil, "cache_creation": nil,
			"inference_geo": nil, "server_tool_use": nil, "service_tier": "standard", "output_tokens_details": nil,
			"cost": u["cost"], "is_byok": u["is_byok"]}}
}
