package openroutertest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// The Responses API (POST /responses) is served with the chat
// completion's machinery: the same script (Enqueue: a Reply answers
// whichever of /chat/completions and /responses comes next), responder,
// checks, rate limits, credits and billing. A Reply's fields map onto
// the Responses shapes: Content is an output message, ToolCalls are
// function_call items, an Error with status 200 a response whose status
// is "failed" (an "error" event in a stream), Disconnect, CutAfter and
// the StreamScript faults (Cut, Stall, After, NoFinish, NoDone) do as
// they do for chat.

func (s *Server) handleResponses(w http.ResponseWriter, r *http.Request) {
	latency, done := s.enter()
	defer done()
	raw, _ := io.ReadAll(r.Body)
	req, invalid := parseResponsesRequest(raw, r.Header)
	req.srv = s
	s.mu.Lock()
	if s.record {
		s.requests = append(s.requests, req)
	}
	var scripted *Reply
	if invalid == "" && len(s.script) > 0 {
		scripted = &s.script[0]
		s.script = s.script[1:]
	}
	s.mu.Unlock()
	if scripted == nil {
		if !s.authorized(w, r, s.Key, s.ManagementKey) {
			return
		}
		s.mu.Lock()
		limited := s.rateLimited(w, req.Model)
		s.mu.Unlock()
		if limited {
			return
		}
	}
	if latency > 0 && !pause(r, latency) {
		return
	}
	if scripted != nil {
		s.replyResponse(w, r, req, *scripted)
		return
	}
	if rep, ok := s.checkResponses(req, invalid); !ok {
		s.replyResponse(w, r, req, rep)
		return
	}
	respond := s.responder
	if respond == nil {
		respond = s.defaultReply
	}
	s.replyResponse(w, r, req, respond(req))
}

// checkResponses answers what OpenRouter refuses before any work: an
// invalid body, an unknown model (400), no credits (402).
func (s *Server) checkResponses(req Request, invalid string) (Reply, bool) {
	if invalid != "" {
		return Reply{Status: 400, Error: &ErrorBody{Code: 400, Message: invalid, Metadata: map[string]any{"error_type": "invalid_request"}}}, false
	}
	m, ok := s.lookup(req.Model)
	if !ok {
		return ErrorReply(400, req.Model+" is not a valid model ID"), false
	}
	if msg := contextProblem(m, req); msg != "" {
		return Reply{Status: 400, Error: &ErrorBody{Code: 400, Message: msg, Metadata: map[string]any{"error_type": "context_length_exceeded"}}}, false
	}
	s.mu.Lock()
	broke := s.usage >= s.credits
	s.mu.Unlock()
	if broke {
		return Reply{Status: 402, Error: &ErrorBody{Code: 402, Message: "Insufficient credits. Add more using https://openrouter.ai/settings/credits",
			Metadata: map[string]any{"limit_source": "openrouter_credits"}}}, false
	}
	return Reply{}, true
}

// replyResponse sends rep in the Responses API's shapes.
func (s *Server) replyResponse(w http.ResponseWriter, r *http.Request, req Request, rep Reply) {
	status := rep.Status
	if rep.Disconnect || rep.Body != "" || rep.raw || status >= 400 {
		s.reply(w, r, req, rep) // the same faults and error bodies as chat
		return
	}
	if m, ok := s.lookup(req.Model); ok {
		req.Model = m.ID
	}
	id := "resp-" + s.nextID()
	for k, vs := range rep.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if rep.lost && !req.Stream {
		// CutAfter: billed and recorded whole, half the body sent.
		b, _ := json.Marshal(s.responseJSON(id, req, rep, true))
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("X-Generation-Id", id)
		h.Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(b[:len(b)/2])
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		panic(http.ErrAbortHandler) // the connection is closed mid-body
	}
	if rep.lost {
		s.bill(id, req, rep)
		rep.Stream.Cut = true // after CutAfter's pieces; billed once, here
	}
	if req.Stream {
		s.streamResponse(w, r, id, req, rep)
		return
	}
	w.Header().Set("X-Generation-Id", id) // RULES.md R5
	writeJSON(w, http.StatusOK, s.responseJSON(id, req, rep, true))
}

// responseJSON is the response object for rep (RULES.md R3): complete
// (billed, with usage) when final, else the in-progress snapshot of a
// stream's start.
func (s *Server) responseJSON(id string, req Request, rep Reply, final bool) map[string]any {
	out := responseSnapshot(id, req)
	if !final {
		return out // no usage yet: the document's snapshot has none rather than null
	}
	completeResponse(out, id, req, rep, s.bill(id, req, rep))
	return out
}

// responseSnapshot is a response in progress, as a stream starts it.
func responseSnapshot(id string, req Request) map[string]any {
	b := req.Body
	out := map[string]any{
		"id": id, "object": "response", "created_at": time.Now().Unix(), "model": req.Model,
		"status": "in_progress", "completed_at": nil, "output": []any{}, "error": nil, "incomplete_details": nil,
		"temperature": b["temperature"], "top_p": b["top_p"], "presence_penalty": nil, "frequency_penalty": nil,
		"instructions": b["instructions"], "metadata": b["metadata"], "tools": orEmpty(b["tools"]),
		"tool_choice": orDefault(b["tool_choice"], "auto"), "parallel_tool_calls": orDefault(b["parallel_tool_calls"], true),
	}
	return out
}

// completeResponse makes out the finished response of rep, with usage u
// (a chat usage object).
func completeResponse(out map[string]any, id string, req Request, rep Reply, u map[string]any) {
	out["completed_at"] = time.Now().Unix()
	out["output"] = outputItems(id, req, rep)
	out["usage"] = responsesUsage(u)
	out["status"] = "completed"
	if rep.FinishReason == "length" {
		out["status"], out["incomplete_details"] = "incomplete", map[string]any{"reason": "max_output_tokens"}
	}
	if rep.Error != nil {
		code, errorType := responsesErrorCode(*rep.Error)
		out["status"], out["error"], out["error_type"] = "failed", map[string]any{"code": code, "message": rep.Error.Message}, errorType
	}
	if req.WantsMetadata() {
		out["openrouter_metadata"] = routerMetadata(req.Model)
	}
}

// outputItems is the output of a response: reasoning when asked for, the
// message, the function calls.
func outputItems(id string, req Request, rep Reply) []any {
	var items []any
	if req.WantsReasoning() {
		items = append(items, map[string]any{"type": "reasoning", "id": "rs_" + id, "status": "completed",
			"summary": []any{map[string]any{"type": "summary_text", "text": "The user wants an answer."}}})
	}
	if rep.Content != "" || len(rep.ToolCalls) == 0 {
		items = append(items, messageItem(id, rep.Content, "completed"))
	}
	for i, c := range rep.ToolCalls {
		items = append(items, functionCallItem(id, i, c, c.Arguments, "completed"))
	}
	return items
}

func messageItem(id, text, status string) map[string]any {
	content := []any{}
	if text != "" || status == "completed" {
		content = append(content, outputText(text))
	}
	return map[string]any{"type": "message", "id": "msg_" + id, "role": "assistant", "status": status, "content": content}
}

func outputText(text string) map[string]any {
	return map[string]any{"type": "output_text", "text": text, "annotations": []any{}}
}

func functionCallItem(id string, i int, c ToolCall, args, status string) map[string]any {
	callID := c.ID
	if callID == "" {
		callID = fmt.Sprintf("call_%d", i)
	}
	return map[string]any{"type": "function_call", "id": fmt.Sprintf("fc_%s_%d", id, i), "call_id": callID,
		"name": c.Name, "arguments": args, "status": status}
}

// responsesUsage is the Responses form of a chat usage object.
func responsesUsage(u map[string]any) map[string]any {
	pd, _ := u["prompt_tokens_details"].(map[string]any)
	cd, _ := u["completion_tokens_details"].(map[string]any)
	costs, _ := u["cost_details"].(map[string]any)
	out := map[string]any{"input_tokens": u["prompt_tokens"], "output_tokens": u["completion_tokens"], "total_tokens": u["total_tokens"],
		"input_tokens_details": map[string]any{"cached_tokens": pd["cached_tokens"]}, "output_tokens_details": map[string]any{"reasoning_tokens": cd["reasoning_tokens"]},
		"cost": u["cost"], "is_byok": u["is_byok"],
		"cost_details": map[string]any{"upstream_inference_cost": costs["upstream_inference_cost"],
			"upstream_inference_input_cost": costs["upstream_inference_prompt_cost"], "upstream_inference_output_cost": costs["upstream_inference_completions_cost"]}}
	return out
}

// responsesErrorCode maps an error to the Responses API's coarse code and
// its canonical error_type (docs api_reference/responses/error-handling).
func responsesErrorCode(e ErrorBody) (code, errorType string) {
	errorType, _ = e.Metadata["error_type"].(string)
	status, _ := e.Code.(int)
	switch {
	case status == 429 || errorType == "rate_limit_exceeded":
		return "rate_limit_exceeded", "rate_limit_exceeded"
	case status == 400 || errorType == "invalid_request" || errorType == "context_length_exceeded":
		if errorType == "" {
			errorType = "invalid_request"
		}
		return "invalid_prompt", errorType
	}
	if errorType == "" {
		errorType = "server"
		switch status {
		case 401:
			errorType = "authentication"
		case 402:
			errorType = "payment_required"
		case 502:
			errorType = "provider_unavailable"
		case 503:
			errorType = "provider_overloaded"
		}
	}
	return "server_error", errorType
}

func orEmpty(v any) any {
	if v == nil {
		return []any{}
	}
	return v
}

func orDefault(v, d any) any {
	if v == nil {
		return d
	}
	return v
}

// parseResponsesRequest reads a /responses body as a Request (its input
// as messages, instructions as a system message) and returns why
// OpenRouter would refuse it with a 400, or "".
func parseResponsesRequest(raw []byte, h http.Header) (Request, string) {
	return parseResponsesBody(raw, h, true)
}

// parseResponsesBody is parseResponsesRequest; without needModel, a body
// may omit the model (a batch item's, which the batch names).
func parseResponsesBody(raw []byte, h http.Header, needModel bool) (Request, string) {
	req := Request{Raw: raw, Header: h.Clone()}
	var w struct {
		Model        string          `json:"model"`
		Models       []string        `json:"models"`
		Input        json.RawMessage `json:"input"`
		Instructions *string         `json:"instructions"`
		Stream       bool            `json:"stream"`
		Tools        []any           `json:"tools"`
		Store        *bool           `json:"store"`
		Previous     json.RawMessage `json:"previous_response_id"`
		Text         *struct {
			Format json.RawMessage `json:"format"`
		} `json:"text"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return req, "Invalid JSON body: " + err.Error()
	}
	_ = json.Unmarshal(raw, &req.Body)
	req.Model, req.Stream, req.HasTools = w.Model, w.Stream, len(w.Tools) > 0
	if req.Model == "" && len(w.Models) > 0 {
		req.Model = w.Models[0]
	}
	if w.Instructions != nil {
		req.Messages = append(req.Messages, RequestMessage{Role: "system", Text: *w.Instructions})
	}
	if w.Text != nil && len(w.Text.Format) > 0 {
		req.ResponseFormat = chatFormat(w.Text.Format)
	}
	// RULES.md R1, R2: the docs' "Stateless Only" note (store true or a
	// previous response is refused with a 400), model required.
	switch {
	case w.Store != nil && *w.Store:
		return req, "store: the Responses API is stateless; store must be false"
	case len(w.Previous) > 0 && string(w.Previous) != "null":
		return req, "previous_response_id is not supported: the Responses API is stateless; send the full conversation in input"
	case needModel && req.Model == "":
		return req, "Missing required parameter: 'model'."
	}
	msgs, problem := inputMessages(w.Input)
	req.Messages = append(req.Messages, msgs...)
	return req, problem
}

// inputMessages reads input: a string (one user message) or items.
func inputMessages(raw json.RawMessage) ([]RequestMessage, string) {
	var text string
	if json.Unmarshal(raw, &text) == nil {
		if text == "" {
			return nil, "Missing required parameter: 'input'."
		}
		return []RequestMessage{{Role: "user", Text: text}}, ""
	}
	var items []struct {
		Type    string          `json:"type"`
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
		Output  json.RawMessage `json:"output"`
	}
	if err := json.Unmarshal(raw, &items); err != nil || len(items) == 0 {
		return nil, "Missing required parameter: 'input'."
	}
	var out []RequestMessage
	for i, it := range items {
		switch it.Type {
		case "", "message":
			if it.Role == "" {
				return nil, fmt.Sprintf("input[%d]: a message needs a role", i)
			}
			out = append(out, RequestMessage{Role: it.Role, Text: partsText(it.Content)})
		case "function_call_output":
			out = append(out, RequestMessage{Role: "tool", Text: partsText(it.Output)})
		}
	}
	return out, ""
}

// partsText is the text of content given as a string or as parts.
func partsText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct{ Text string }
	_ = json.Unmarshal(raw, &parts)
	for _, p := range parts {
		s += p.Text
	}
	return s
}

// chatFormat is a Responses text.format as a chat response_format, so
// that the default answers follow it.
func chatFormat(f json.RawMessage) json.RawMessage {
	var v struct {
		Type   string          `json:"type"`
		Name   string          `json:"name"`
		Schema json.RawMessage `json:"schema"`
		Strict *bool           `json:"strict"`
	}
	if json.Unmarshal(f, &v) != nil || v.Type != "json_schema" {
		return f
	}
	b, _ := json.Marshal(map[string]any{"type": "json_schema", "json_schema": map[string]any{"name": v.Name, "schema": v.Schema, "strict": v.Strict}})
	return b
}
