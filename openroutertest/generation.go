package openroutertest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// The generation records of the fake: GET /generation (catalogue.go)
// answers for every completion the server billed, and GET
// /generation/content reads back the stored prompt and completion when
// the account logs them. Shapes: the OpenAPI document's getGeneration and
// listGenerationContent operations (#/components/schemas/ of each).

// generationStore is the server's state for generation lookups. Its zero
// value is an account without Input & Output Logging and generations
// visible at once. Guarded by Server.mu.
type generationStore struct {
	logging bool                      // the account's Input & Output Logging is on
	lag     int                       // lookups of a generation answered 404 before it is found
	content map[string]map[string]any // the stored content (#/components/schemas/GenerationContentData) by ID
	lookups map[string]int            // lookups per generation ID, both endpoints
	total   int                       // all lookups, both endpoints
}

// WithContentLogging turns on the account's Input & Output Logging: the
// prompt and completion of every completion served from then on are
// stored, and GET /generation/content returns them. Without it, that
// endpoint answers 404 for every generation. (Docs:
// guides/features/input-output-logging.mdx, "Only generations made after
// enabling Input & Output Logging will have stored content"; what the
// endpoint answers for a generation without stored content is not
// documented: 404 is the document's "Resource does not exist".)
func WithContentLogging() Option { return func(s *Server) { s.gen.logging = true } }

// WithGenerationLag makes each generation answer 404 to its first n
// lookups (GET /generation and GET /generation/content together), as
// OpenRouter records a generation shortly after it ends and an immediate
// lookup can miss it (docs: openapi/openapi.yaml, getGeneration's 404
// "Not Found - Resource does not exist"; the wait is not documented).
func WithGenerationLag(n int) Option { return func(s *Server) { s.gen.lag = max(n, 0) } }

// GenerationLookups returns how many requests GET /generation and GET
// /generation/content have received, found or not.
func (s *Server) GenerationLookups() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen.total
}

// found counts a lookup of id and reports whether the generation may be
// shown yet (WithGenerationLag). s.mu is held.
func (g *generationStore) found(id string) bool {
	if g.lookups == nil {
		g.lookups = map[string]int{}
	}
	g.total++
	g.lookups[id]++
	return g.lookups[id] > g.lag
}

// keep stores the content of a completion when the account logs it, in
// the document's shape (#/components/schemas/GenerationContentData).
// s.mu is held.
func (g *generationStore) keep(id string, req Request, rep Reply) {
	if !g.logging {
		return
	}
	if g.content == nil {
		g.content = map[string]map[string]any{}
	}
	messages, _ := req.Body["messages"].([]any)
	if messages == nil {
		messages = []any{}
	}
	var completion, reasoning any
	if rep.Content != "" {
		completion = rep.Content
	}
	if req.WantsReasoning() {
		reasoning = fakeReasoning
	}
	var failure any
	if rep.ChoiceError != nil {
		failure = map[string]any{"status": rep.ChoiceError.Code, "message": rep.ChoiceError.Message,
			"provider_name": "OpenRouterTest", "raw": nil, "previous_errors": []any{}}
	}
	g.content[id] = map[string]any{"input": map[string]any{"messages": messages},
		"output": map[string]any{"completion": completion, "reasoning": reasoning}, "error": failure}
}

// handleGenerationContent serves GET /generation/content?id= (docs:
// openapi/openapi.yaml, listGenerationContent; its 200 is
// #/components/schemas/GenerationContentResponse): the stored prompt and
// completion of a generation, 404 when there is none. The ordinary key and the
// management key may both read it: the document lists a 403 for keys
// without the permission but does not say which keys those are.
func (s *Server) handleGenerationContent(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r, s.Key, s.ManagementKey) {
		return
	}
	id := r.URL.Query().Get("id")
	if id == "" {
		writeError(w, http.StatusBadRequest, ErrorBody{Code: 400, Message: "id is required"})
		return
	}
	s.mu.Lock()
	_, known := s.gens[id]
	c, stored := s.gen.content[id]
	visible := s.gen.found(id)
	s.mu.Unlock()
	switch {
	case !known || !visible:
		writeError(w, http.StatusNotFound, ErrorBody{Code: 404, Message: "Generation not found"})
	case !stored:
		writeError(w, http.StatusNotFound, ErrorBody{Code: 404, Message: "No stored content for this generation (Input & Output Logging is off)"})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"data": c})
	}
}

// CutAfter returns r with its answer lost on the way while the
// generation runs to its end, as when a connection breaks between
// OpenRouter and the client: a stream is cut after chunks content chunks
// (its X-Generation-Id header and the chunks' id name the generation), a
// whole answer after its headers and half its body. The generation is
// billed and recorded all the same (GET /generation), with its content
// when the account logs it (WithContentLogging). (Docs:
// api_reference/streaming.mdx, "Stream cancellation": providers that
// cannot cancel run and bill the whole answer; the X-Generation-Id
// header is sent on all inference endpoints.)
func (r Reply) CutAfter(chunks int) Reply {
	r.lost = true
	r.Stream.After = max(chunks, 0)
	return r
}

// cancelGeneration records the generation of a stream cut by its
// script (StreamScript.Cut) as cancelled, billed for the pieces sent: the
// provider stopped when the client went away (docs: api_reference/streaming.mdx,
// "Stream cancellation"; the record's "cancelled"). A reply made by
// CutAfter was recorded whole already.
func (s *Server) cancelGeneration(id string, req Request, rep Reply, sent []string) {
	if rep.lost {
		return
	}
	rep.Content = strings.Join(sent, "")
	rep.Images, rep.ToolCalls = nil, nil
	s.bill(id, req, rep)
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.gens[id]
	g["cancelled"], g["finish_reason"], g["native_finish_reason"] = true, nil, nil
}

// loseAnswer answers a reply made by CutAfter: it bills and records the
// whole generation, then sends part of the answer and cuts the
// connection.
func (s *Server) loseAnswer(w http.ResponseWriter, r *http.Request, id string, req Request, rep Reply) {
	if req.Stream {
		s.bill(id, req, rep)
		rep.Stream.Cut, rep.Stream.NoUsage = true, true // billed once, here
		s.streamReply(w, r, id, req, rep)               // panics at the cut
		return
	}
	b, _ := json.Marshal(s.completion(id, req, rep))
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
