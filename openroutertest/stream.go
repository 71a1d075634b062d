package openroutertest

import (
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// StreamScript shapes the answer to a streamed request ("stream": true).
// The zero value streams Content in 8-byte pieces with keep-alive
// comments before the first chunk and between chunks, a finish chunk, a
// usage chunk (one choice repeating the finish reason) and [DONE].
type StreamScript struct {
	// Pieces replaces the default split of Content.
	Pieces []string
	// NoComments leaves the keep-alive comments out.
	NoComments bool
	// After is the number of content chunks sent before Cut, Stall or the
	// reply's Error.
	After int
	// Cut cuts the connection after After chunks.
	Cut bool
	// Stall stops sending after After chunks, keep-alive comments aside
	// (one every StallComments, when set), until the client goes away.
	Stall         bool
	StallComments time.Duration
	// Delay is the pause before each chunk (a slow stream).
	Delay time.Duration
	// OnlyComments sends keep-alive comments and nothing else.
	OnlyComments bool
	// NoFinish leaves out the finish chunk; NoDone the final [DONE];
	// NoUsage the usage chunk.
	NoFinish, NoDone, NoUsage bool
	// UsageWithoutChoices sends the usage chunk with an empty choices
	// array, as older answers did.
	UsageWithoutChoices bool
	// CRLF ends lines with CRLF instead of LF.
	CRLF bool
	// BeforeChunk, when set, is called before content chunk i (from 0)
	// is sent; a test can block in it.
	BeforeChunk func(i int)
}

// sse writes one stream's server-sent events.
type sse struct {
	w     http.ResponseWriter
	fl    http.Flusher
	eol   string
	quiet bool // no keep-alive comments
	id    string
	model string
}

// send writes one event (or comment) and flushes it; false means the
// client went away.
func (e *sse) send(line string) bool {
	_, err := io.WriteString(e.w, line+e.eol+e.eol)
	if e.fl != nil {
		e.fl.Flush()
	}
	return err == nil
}

// comment sends a keep-alive comment, unless the script leaves them out.
func (e *sse) comment() bool { return e.quiet || e.send(": OPENROUTER PROCESSING") }

// event sends one chat.completion.chunk with choices and extra fields.
func (e *sse) event(choices []any, extra map[string]any) bool {
	v := map[string]any{"id": e.id, "provider": "OpenRouterTest", "model": e.model, "object": "chat.completion.chunk",
		"created": time.Now().Unix(), "choices": choices, "system_fingerprint": Fingerprint}
	for k, x := range extra {
		v[k] = x
	}
	b, _ := json.Marshal(v)
	return e.send("data: " + string(b))
}

// delta is the choices of a chunk carrying d.
func delta(d map[string]any, finish any) []any {
	return []any{map[string]any{"index": 0, "delta": d, "finish_reason": finish, "native_finish_reason": finish}}
}

// streamReply answers a streamed request with server-sent events, in
// steps: the headers, the preamble (debug echo, reasoning), the content
// chunks, then the tail (images, tool calls, citations, finish, usage,
// [DONE]). A reply's Error (with status 200) becomes an error event
// after Stream.After chunks.
func (s *Server) streamReply(w http.ResponseWriter, r *http.Request, id string, req Request, rep Reply) {
	e := s.startStream(w, id, req, rep.Stream)
	if !e.comment() {
		return
	}
	if rep.Stream.OnlyComments {
		e.comment()
		return
	}
	if !streamPreamble(e, req) {
		s.noteAbort()
		return
	}
	if !s.streamContent(e, r, req, rep) {
		return
	}
	s.streamTail(e, id, req, rep)
}

// startStream writes the stream's headers, X-Generation-Id among them
// (RULES.md B1), and returns its event writer.
func (s *Server) startStream(w http.ResponseWriter, id string, req Request, sc StreamScript) *sse {
	fl, _ := w.(http.Flusher)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Generation-Id", id)
	w.WriteHeader(http.StatusOK)
	e := &sse{w: w, fl: fl, eol: "\n", quiet: sc.NoComments, id: id, model: req.Model}
	if sc.CRLF {
		e.eol = "\r\n"
	}
	if m, ok := s.lookup(req.Model); ok {
		e.model = m.ID
	}
	return e
}

// streamPreamble sends the debug echo and the reasoning chunk when the
// request asked for them; false means the client went away.
func streamPreamble(e *sse, req Request) bool {
	if d, _ := req.Body["debug"].(map[string]any); d["echo_upstream_body"] == true {
		upstream := make(map[string]any, len(req.Body))
		for k, v := range req.Body {
			if k != "debug" {
				upstream[k] = v
			}
		}
		if !e.event([]any{}, map[string]any{"debug": map[string]any{"echo_upstream_body": upstream}}) {
			return false
		}
	}
	if req.WantsReasoning() {
		d := map[string]any{"role": "assistant", "content": "", "reasoning": fakeReasoning, "reasoning_details": reasoningDetails()}
		return e.event(delta(d, nil), nil)
	}
	return true
}

// streamPieces is the content split into chunks: the script's pieces, or
// 8 bytes each.
func streamPieces(rep Reply) []string {
	if rep.Stream.Pieces != nil {
		return rep.Stream.Pieces
	}
	var pieces []string
	for c := rep.Content; c != ""; {
		n := min(8, len(c))
		pieces, c = append(pieces, c[:n]), c[n:]
	}
	return pieces
}

// streamContent sends the content chunks, with a comment after each; at
// chunk Stream.After it cuts, stalls or sends the reply's error instead
// of going on. It reports whether the stream goes on to its tail.
func (s *Server) streamContent(e *sse, r *http.Request, req Request, rep Reply) bool {
	sc := rep.Stream
	pieces := streamPieces(rep)
	wantLogprobs, topLogprobs := req.WantsLogprobs()
	for i := 0; ; i++ {
		if i == sc.After {
			switch {
			case sc.Cut:
				s.cancelGeneration(e.id, req, rep, pieces[:min(i, len(pieces))])
				panic(http.ErrAbortHandler) // the connection is closed mid-body
			case sc.Stall:
				s.stall(r, sc.StallComments, e.comment)
				return false
			case rep.Error != nil:
				e.event(delta(map[string]any{"content": ""}, "error"), map[string]any{"error": rep.Error})
				return false
			}
		}
		if i >= len(pieces) {
			return true
		}
		if sc.BeforeChunk != nil {
			sc.BeforeChunk(i)
		}
		if sc.Delay > 0 && !pause(r, sc.Delay) {
			s.noteAbort()
			return false
		}
		d := map[string]any{"content": pieces[i]}
		if i == 0 {
			d["role"] = "assistant"
		}
		choices := delta(d, nil)
		if wantLogprobs {
			choices[0].(map[string]any)["logprobs"] = map[string]any{"content": logprobs(pieces[i], topLogprobs), "refusal": nil}
		}
		if !e.event(choices, nil) || !e.comment() {
			s.noteAbort()
			return false
		}
	}
}

// streamTail sends what follows the content: images, tool calls,
// citations, the finish chunk, the usage chunk (which bills the answer)
// and [DONE], as the script allows.
func (s *Server) streamTail(e *sse, id string, req Request, rep Reply) {
	sc := rep.Stream
	if len(rep.Images) > 0 {
		e.event(delta(map[string]any{"images": imageParts(rep.Images)}, nil), nil)
	}
	for _, d := range toolCallDeltas(rep.ToolCalls) {
		e.event(delta(d, nil), nil)
	}
	if req.WantsWebSearch() {
		e.event(delta(map[string]any{"content": "", "annotations": citations(rep.Content)}, nil), nil)
	}
	finish := rep.FinishReason
	if finish == "" {
		finish = "stop"
	}
	if !sc.NoFinish {
		e.event(delta(map[string]any{"content": "", "role": "assistant"}, finish), nil)
	}
	if !sc.NoUsage {
		u := s.bill(id, req, rep)
		choices := delta(map[string]any{"content": "", "role": "assistant"}, finish)
		if sc.UsageWithoutChoices || sc.NoFinish {
			choices = []any{}
		}
		extra := map[string]any{"usage": u}
		if req.WantsMetadata() {
			extra["openrouter_metadata"] = routerMetadata(e.model)
		}
		e.event(choices, extra)
	} else if !rep.lost {
		s.bill(id, req, rep) // billed and recorded all the same
	}
	if !sc.NoDone {
		e.send("data: [DONE]")
	}
}

// stall holds the stream open, sending only keep-alive comments, until
// the client goes away (or a minute passes, so no test hangs forever).
func (s *Server) stall(r *http.Request, every time.Duration, comment func() bool) {
	deadline := time.NewTimer(time.Minute)
	defer deadline.Stop()
	var tick <-chan time.Time
	if every > 0 {
		t := time.NewTicker(every)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-r.Context().Done():
			s.noteAbort()
			return
		case <-deadline.C:
			return
		case <-tick:
			if !comment() {
				s.noteAbort()
				return
			}
		}
	}
}

func (s *Server) noteAbort() {
	s.mu.Lock()
	s.stats.StreamsAborted++
	s.mu.Unlock()
}

// pause waits d, or reports false when the client goes away first.
func pause(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}
