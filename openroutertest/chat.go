package openroutertest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Reply is how the server answers one chat completion. The zero value is
// a 200 with an empty answer; set the fields for what to send.
type Reply struct {
	// Status is the HTTP status (default 200).
	Status int
	// Header is added to the answer (Retry-After, X-RateLimit-*, ...).
	Header http.Header
	// Body, when set, is sent as it is, whatever the other fields say: an
	// HTML page from a proxy, a truncated body. RawReply sends an empty one.
	Body string
	raw  bool
	// Error is OpenRouter's error object: the body of a Status >= 400, or
	// a top-level "error" inside a 200 when Status is 0 or 200.
	Error *ErrorBody
	// ChoiceError makes a 200 whose choice finished with "error" after
	// Content was produced.
	ChoiceError *ErrorBody

	Content            string   // the assistant's text
	FinishReason       string   // default "stop"
	NativeFinishReason string   // default FinishReason
	Images             []string // image URLs (data URLs) in message.images
	// ToolCalls are the function calls the assistant asks for (see
	// ToolCallReply).
	ToolCalls []ToolCall
	// Disconnect cuts the connection instead of answering, as a network
	// fault.
	Disconnect bool
	// Stream shapes the answer when the request asked for a stream.
	Stream StreamScript
	// Cost overrides the cost computed from the model's pricing (USD).
	Cost float64
	// UpstreamCost, when set, makes the answer a BYOK one: usage.is_byok
	// is true and cost_details.upstream_inference_cost is UpstreamCost
	// (USD, charged to the caller's own provider key), beside Cost,
	// OpenRouter's fee.
	UpstreamCost float64
	// CachedTokens is usage.prompt_tokens_details.cached_tokens: prompt
	// tokens read from the prompt cache.
	CachedTokens int
	// Times is how many requests this reply answers, for Enqueue (default 1).
	Times int
	lost  bool // CutAfter: the answer is lost, the generation recorded
}

// WithRetryAfter returns r with a Retry-After header.
func (r Reply) WithRetryAfter(v string) Reply { return r.WithHeader("Retry-After", v) }

// WithHeader returns r with one more header.
func (r Reply) WithHeader(k, v string) Reply {
	h := r.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Add(k, v)
	r.Header = h
	return r
}

// WithMetadata returns r with one more error.metadata entry.
func (r Reply) WithMetadata(k string, v any) Reply {
	if r.Error == nil {
		return r
	}
	e := *r.Error
	md := make(map[string]any, len(e.Metadata)+1)
	for mk, mv := range e.Metadata {
		md[mk] = mv
	}
	md[k] = v
	e.Metadata = md
	r.Error = &e
	return r
}

// Repeat returns r answering n requests.
func (r Reply) Repeat(n int) Reply { r.Times = n; return r }

// ErrorReply is an HTTP error with OpenRouter's body.
func ErrorReply(status int, message string) Reply {
	return Reply{Status: status, Error: &ErrorBody{Code: status, Message: message}}
}

// RawReply sends status and body exactly as given, even an empty body.
func RawReply(status int, body string) Reply { return Reply{Status: status, Body: body, raw: true} }

// TextReply is a 200 whose answer is text (prose, fenced JSON, anything).
func TextReply(content string) Reply { return Reply{Content: content} }

// EmptyReply is a 200 with no content and the given finish reason
// ("content_filter", "length", "stop").
func EmptyReply(finishReason string) Reply { return Reply{FinishReason: finishReason} }

// ImageReply is a 200 carrying text and images (data URLs; see PNG).
func ImageReply(text string, dataURLs ...string) Reply {
	return Reply{Content: text, Images: dataURLs}
}

// enter counts an inference request in flight (Stats.PeakConcurrent) and
// returns the latency to answer it with and the func that ends it.
func (s *Server) enter() (latency time.Duration, done func()) {
	s.mu.Lock()
	s.inFlight++
	s.stats.PeakConcurrent = max(s.stats.PeakConcurrent, s.inFlight)
	latency = s.latency
	s.mu.Unlock()
	return latency, func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}
}

// handleChat answers POST /chat/completions, in steps: read the request,
// check the key, take a scripted reply if one is queued, pass the rate
// limit and the latency, refuse what OpenRouter refuses, then reply.
func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	latency, done := s.enter()
	defer done()

	req, invalid := s.readChat(r)
	// RULES.md A7: no key or an unknown key is refused before anything
	// else, scripted replies included (docs errors-and-debugging,
	// "Pre-stream errors": "Apply rate-limit or auth checks before any
	// work begins").
	if !s.authorized(w, r, s.Key, s.ManagementKey) {
		return
	}
	scripted := s.nextScripted(invalid)
	if !s.admitChat(w, r, req, scripted == nil, latency) {
		return
	}
	if scripted != nil {
		s.reply(w, r, req, *scripted)
		return
	}
	m, ok := s.refuseChat(w, req, invalid)
	if !ok {
		return
	}
	req.Model = m.ID
	respond := s.responder
	if respond == nil {
		respond = s.defaultReply
	}
	s.reply(w, r, req, respond(req))
}

// readChat reads and parses a chat request, records it, and returns it
// with what makes it invalid ("" when nothing does).
func (s *Server) readChat(r *http.Request) (Request, string) {
	raw, _ := io.ReadAll(r.Body)
	req, perr := parseRequest(raw, r.Header)
	req.srv = s
	invalid := requestProblem(raw, perr)
	s.mu.Lock()
	if s.record {
		s.requests = append(s.requests, req)
	}
	s.mu.Unlock()
	return req, invalid
}

// nextScripted takes the next scripted reply, or returns nil.
func (s *Server) nextScripted(invalid string) *Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	// A request OpenRouter refuses with a 400 is refused before any work
	// (RULES.md E2, S2), so it does not take a scripted reply either.
	if invalid == "" && len(s.script) > 0 {
		scripted := &s.script[0]
		s.script = s.script[1:]
		return scripted
	}
	return nil
}

// admitChat applies the rate limit (not to a scripted reply) and the
// server's latency; false means the request was answered or the client
// went away.
func (s *Server) admitChat(w http.ResponseWriter, r *http.Request, req Request, limit bool, latency time.Duration) bool {
	if limit {
		s.mu.Lock()
		limited := s.rateLimited(w, req.Model)
		s.mu.Unlock()
		if limited {
			return false
		}
	}
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return false
		}
	}
	return true
}

// refuseChat answers the error OpenRouter gives a request it will not
// run, and returns false then; otherwise it returns the model that runs
// the request.
func (s *Server) refuseChat(w http.ResponseWriter, req Request, invalid string) (Model, bool) {
	if invalid != "" {
		// RULES.md E2: 400, error_type invalid_request, nothing billed.
		writeError(w, 400, ErrorBody{Code: 400, Message: invalid, Metadata: map[string]any{"error_type": "invalid_request"}})
		return Model{}, false
	}
	m, refusal := s.pickModel(req)
	if refusal != nil {
		// RULES.md E4, E7, C18, R2: an unknown model, a model of another
		// endpoint, or a prompt beyond every candidate's context.
		writeError(w, 400, *refusal)
		return Model{}, false
	}
	req.Model = m.ID
	if missing := unsupportedRequired(m, req); missing != nil && s.requireParams {
		writeError(w, 404, requireParametersError(m, missing))
		return Model{}, false
	}
	if name, strict, sch, ok := req.jsonSchema(); ok {
		if msg := checkSchema(name, strict, sch); msg != "" {
			raw, _ := json.Marshal(map[string]any{"error": map[string]any{"message": msg, "type": "invalid_request_error"}})
			writeError(w, 400, ErrorBody{Code: 400, Message: "Provider returned error", Metadata: map[string]any{"raw": string(raw), "provider_name": "OpenAI"}})
			return Model{}, false
		}
	}
	if req.HasTools && !m.Supports("tools") {
		// RULES.md C13: the 404 OpenRouter answers (digest §4.5, seen verbatim).
		writeError(w, 404, ErrorBody{Code: 404, Message: "No endpoints found that support tool use. To learn more about provider routing, visit: https://openrouter.ai/docs/guides/routing/provider-selection"})
		return Model{}, false
	}
	s.mu.Lock()
	broke := s.usage >= s.credits
	s.mu.Unlock()
	if broke {
		writeError(w, 402, ErrorBody{Code: 402, Message: "Insufficient credits. Add more using https://openrouter.ai/settings/credits",
			Metadata: map[string]any{"limit_source": "openrouter_credits"}})
		return Model{}, false
	}
	if s.unaffordable(w, m, req) {
		return Model{}, false
	}
	return m, true
}

// DefaultReply returns the reply the server gives this request by
// default, for a responder (WithResponder) that changes only some answers.
func (r Request) DefaultReply() Reply { return r.srv.defaultReply(r) }

// defaultReply echoes the last user message, answers JSON when JSON was
// asked for, and draws an image when image output was asked of a model
// that has it (a text model answers in text).
func (s *Server) defaultReply(req Request) Reply {
	text := req.LastUserText()
	if len(text) > 200 {
		text = text[:200]
	}
	if m, _ := s.lookup(req.Model); req.WantsImage() && m.OutputsImage() {
		return ImageReply("Here is your image.", PNGDataURL)
	}
	if req.WantsImage() {
		return TextReply("I can only answer in text: " + text)
	}
	if t := req.ResponseFormatType(); t == "json_object" || t == "json_schema" {
		return jsonReply(req)
	}
	return TextReply("You said: " + text)
}

func (s *Server) reply(w http.ResponseWriter, r *http.Request, req Request, rep Reply) {
	if rep.Disconnect {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	for k, vs := range rep.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	status := rep.Status
	if status == 0 {
		status = http.StatusOK
	}
	switch {
	case rep.Body != "" || rep.raw:
		ct := "application/json"
		if strings.HasPrefix(strings.TrimSpace(rep.Body), "<") {
			ct = "text/html; charset=utf-8"
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, rep.Body)
		return
	case rep.Error != nil && status >= 400:
		writeError(w, status, *rep.Error)
		return
	case status >= 400:
		writeError(w, status, ErrorBody{Code: status, Message: http.StatusText(status)})
		return
	}
	id := s.nextID()
	if rep.lost {
		s.loseAnswer(w, r, id, req, rep)
		return
	}
	if req.Stream {
		s.streamReply(w, r, id, req, rep)
		return
	}
	// RULES.md B1: docs api_reference/streaming.mdx, "The generation ID is
	// returned in the X-Generation-Id response header for all endpoints".
	w.Header().Set("X-Generation-Id", id)
	if rep.Error != nil {
		writeJSON(w, status, map[string]any{"id": id, "error": rep.Error, "user_id": "user_openroutertest"})
		return
	}
	writeJSON(w, status, s.completion(id, req, rep))
}

// completion builds the JSON of a 200 answer and spends its cost.
func (s *Server) completion(id string, req Request, rep Reply) map[string]any {
	finish := rep.FinishReason
	if finish == "" {
		finish = "stop"
	}
	if rep.ChoiceError != nil {
		finish = "error"
	}
	native := rep.NativeFinishReason
	if native == "" {
		native = finish
	}
	msg := map[string]any{"role": "assistant", "content": nil}
	if rep.Content != "" {
		msg["content"] = rep.Content
	}
	if len(rep.Images) > 0 {
		msg["images"] = imageParts(rep.Images)
	}
	if len(rep.ToolCalls) > 0 {
		msg["tool_calls"] = toolCallsJSON(rep.ToolCalls)
	}
	choice := map[string]any{"index": 0, "finish_reason": finish, "native_finish_reason": native, "message": msg}
	addAnswerFields(req, rep.Content, msg, choice)
	if rep.ChoiceError != nil {
		choice["error"] = rep.ChoiceError
	}
	u := s.bill(id, req, rep)
	model := req.Model
	if m, ok := s.lookup(req.Model); ok && model == "" {
		model = m.ID
	}
	ans := map[string]any{
		"id": id, "provider": "OpenRouterTest", "model": model, "object": "chat.completion",
		"created": time.Now().Unix(), "choices": []any{choice}, "usage": u, "system_fingerprint": Fingerprint,
	}
	if req.WantsMetadata() {
		ans["openrouter_metadata"] = routerMetadata(model)
	}
	return ans
}

// bill computes a completion's usage from the model's prices, spends its
// cost and records the generation; it returns the usage object.
func (s *Server) bill(id string, req Request, rep Reply) map[string]any {
	finish := rep.FinishReason
	if finish == "" {
		finish = "stop"
	}
	prompt, inputImages := promptTokens(req)
	completion := tokens(rep.Content) + OutputImageTokens*len(rep.Images)
	cost := rep.Cost
	m, _ := s.lookup(req.Model)
	if cost == 0 {
		cost = m.cost(prompt, completion, inputImages, len(rep.Images))
	}
	model := req.Model
	if model == "" {
		model = m.ID
	}
	s.mu.Lock()
	s.usage += cost
	s.stats.Completions++
	searches := 0
	if req.WantsWebSearch() {
		searches = 1
	}
	reasoning := 0
	if req.WantsReasoning() {
		reasoning = 12
	}
	g := generation(id, model, req, finish, cost, prompt, completion, reasoning, searches, len(rep.Images), inputImages, s.latency.Milliseconds())
	var upstream any
	if rep.UpstreamCost > 0 {
		upstream = rep.UpstreamCost
		g["is_byok"], g["upstream_inference_cost"] = true, rep.UpstreamCost
	}
	g["native_tokens_cached"] = rep.CachedTokens
	s.gen.keep(id, req, rep)
	s.gens[id] = g
	s.mu.Unlock()
	promptCost := 0.0
	if prompt+completion > 0 {
		promptCost = cost * float64(prompt) / float64(prompt+completion)
	}
	u := map[string]any{"prompt_tokens": prompt, "completion_tokens": completion,
		"total_tokens": prompt + completion, "cost": cost, "is_byok": upstream != nil,
		"prompt_tokens_details":     map[string]any{"cached_tokens": rep.CachedTokens, "cache_write_tokens": 0, "audio_tokens": 0, "video_tokens": 0},
		"completion_tokens_details": map[string]any{"reasoning_tokens": reasoning, "audio_tokens": 0, "image_tokens": OutputImageTokens * len(rep.Images)},
		"cost_details":              map[string]any{"upstream_inference_cost": upstream, "upstream_inference_prompt_cost": promptCost, "upstream_inference_completions_cost": cost - promptCost},
	}
	if searches > 0 {
		u["server_tool_use_details"] = map[string]any{"web_search_requests": searches}
	}
	return u
}

// generation is the /generation record of a completion, with every key
// the API document marks required.
func generation(id, model string, req Request, finish string, cost float64, prompt, completion, reasoning, searches, images, inputImages int, latencyMS int64) map[string]any {
	engine := any(nil)
	if searches > 0 {
		engine = "exa"
	}
	return map[string]any{"id": id, "model": model, "provider_name": "OpenRouterTest", "total_cost": cost, "usage": cost,
		"upstream_id": "chatcmpl-" + id, "upstream_inference_cost": nil, "cache_discount": nil, "is_byok": false,
		"tokens_prompt": prompt, "tokens_completion": completion, "native_tokens_prompt": prompt,
		"native_tokens_completion": completion, "native_tokens_reasoning": reasoning, "native_tokens_cached": 0,
		"native_tokens_completion_images": OutputImageTokens * images, "num_media_prompt": inputImages, "num_input_audio_prompt": 0,
		"num_media_completion": images, "num_search_results": 5 * searches, "num_fetches": 0, "web_search_engine": engine,
		"finish_reason": finish, "native_finish_reason": finish, "streamed": req.Stream, "cancelled": false,
		"latency": float64(latencyMS) + 12, "moderation_latency": nil, "generation_time": float64(latencyMS) + 40,
		"created_at": time.Now().UTC().Format(time.RFC3339Nano), "app_id": nil, "service_tier": nil,
		"origin": req.Header.Get("HTTP-Referer"), "external_user": nilIfEmpty(req.Body["user"]), "api_type": "completions",
		"preset_id": nil, "router": nil, "provider_responses": nil, "user_agent": req.Header.Get("User-Agent"),
		"http_referer": nilIfEmpty(req.Header.Get("HTTP-Referer")), "data_region": "global", "workspace_id": nil,
		"request_id": "req-" + id, "session_id": nilIfEmpty(req.Body["session_id"])}
}

// nilIfEmpty is v, or nil (JSON null) for "" and nil.
func nilIfEmpty(v any) any {
	if v == nil || v == "" {
		return nil
	}
	return v
}

// tokens estimates a token count the usual way: four bytes a token.
func tokens(s string) int { return (len(s) + 3) / 4 }

func (s *Server) nextID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ids++
	return fmt.Sprintf("gen-%d-%06d", time.Now().Unix(), s.ids)
}

// imageParts is message.images (or delta.images) for image URLs.
func imageParts(urls []string) []map[string]any {
	parts := make([]map[string]any, len(urls))
	for i, u := range urls {
		parts[i] = map[string]any{"type": "image_url", "image_url": map[string]string{"url": u}}
	}
	return parts
}
