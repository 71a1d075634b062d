package openrouter

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"mime"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
	"time"

	"github.com/routerkit/openrouter/internal/sse"
)

// The types of the Responses API's stream events this package reads;
// ResponseEvent.Type holds any other as sent.
const (
	EventResponseCreated    = "response.created"
	EventResponseInProgress = "response.in_progress"
	EventOutputItemAdded    = "response.output_item.added"
	EventOutputItemDone     = "response.output_item.done"
	EventContentPartAdded   = "response.content_part.added"
	EventContentPartDone    = "response.content_part.done"
	EventOutputTextDelta    = "response.output_text.delta"
	EventOutputTextDone     = "response.output_text.done"
	EventRefusalDelta       = "response.refusal.delta"
	EventReasoningDelta     = "response.reasoning_text.delta"
	EventReasoningSummary   = "response.reasoning_summary_text.delta"
	EventFunctionArgsDelta  = "response.function_call_arguments.delta"
	EventFunctionArgsDone   = "response.function_call_arguments.done"
	EventResponseCompleted  = "response.completed"
	EventResponseIncomplete = "response.incomplete"
	EventResponseFailed     = "response.failed"
	EventError              = "error"
)

// ResponseEvent is one event of a streamed response. Type says which, and
// which fields are set:
//   - the response events (created, in_progress, completed, incomplete,
//     failed): Response, the response so far;
//   - output_item.added and .done: OutputIndex and Item;
//   - content_part.added and .done: ItemID, OutputIndex, ContentIndex and
//     Part;
//   - the .delta events (output_text, refusal, reasoning_text,
//     reasoning_summary_text, function_call_arguments): ItemID,
//     OutputIndex, ContentIndex and Delta;
//   - output_text.done: Text; function_call_arguments.done: Arguments;
//   - "error": Code, Message and Param (the stream then ends with an
//     *APIError).
//
// Raw holds the event's JSON, for the types not listed.
type ResponseEvent struct {
	Type           string        `json:"type"`
	SequenceNumber int           `json:"sequence_number"`
	OutputIndex    int           `json:"output_index"`
	ContentIndex   int           `json:"content_index"`
	ItemID         string        `json:"item_id,omitempty"`
	Delta          string        `json:"delta,omitempty"`
	Text           string        `json:"text,omitempty"`
	Arguments      string        `json:"arguments,omitempty"`
	Item           *ResponseItem `json:"item,omitempty"`
	Part           *ResponsePart `json:"part,omitempty"`
	Response       *Response     `json:"response,omitempty"`
	Code           string        `json:"code,omitempty"`
	Message        string        `json:"message,omitempty"`
	Param          string        `json:"param,omitempty"`
	// Raw is the event's JSON as received.
	Raw json.RawMessage `json:"-"`
}

// ResponseStream is a response being streamed; see ResponsesService.Stream.
type ResponseStream struct {
	c    *Client
	ctx  context.Context
	req  *ResponseRequest
	opts []CallOption
	used atomic.Bool
	acc  responseAccumulator
}

// Stream streams a response: range over Events for its typed events as
// they arrive, then Response for the whole answer. Nothing is sent until
// Events is ranged over.
//
//	s := c.Responses.Stream(ctx, req)
//	for ev, err := range s.Events() {
//		if err != nil {
//			return err // typed like Create's; s.Response() has what came
//		}
//		if ev.Type == openrouter.EventOutputTextDelta {
//			fmt.Print(ev.Delta)
//		}
//	}
//	res := s.Response()
func (s *ResponsesService) Stream(ctx context.Context, req *ResponseRequest, opts ...CallOption) *ResponseStream {
	return &ResponseStream{c: s.client(), ctx: ctx, req: req, opts: opts}
}

// Response returns the response assembled from the events so far: the
// final one (usage included) once Events has finished without error.
func (s *ResponseStream) Response() *Response { return s.acc.response() }

// Events sends the request and yields each event as it arrives. It can
// be ranged over once. Errors end the iteration:
//   - before the stream starts, the typed errors of Create (retries
//     happen only then);
//   - an "error" event or a response.failed event, an *APIError matching
//     the same sentinels (a mid-stream rate limit is ErrRateLimited);
//   - a cut connection, a stream that ends before response.completed
//     (or .incomplete), an answer that is not an event stream, a stall
//     (WithStreamTimeouts) or an event past the client's AnswerLimits, a
//     *StreamError. A stream that began and broke off matches
//     [ErrMaybeBilled]: it is not sent again.
//
// Leaving the loop early closes the connection.
func (s *ResponseStream) Events() iter.Seq2[ResponseEvent, error] {
	return func(yield func(ResponseEvent, error) bool) {
		if s.used.Swap(true) {
			yield(ResponseEvent{}, invalid("a ResponseStream's events can be ranged over once"))
			return
		}
		s.run(yield)
	}
}

func (s *ResponseStream) run(yield func(ResponseEvent, error) bool) {
	c := s.c
	if s.ctx == nil {
		yield(ResponseEvent{}, invalid("nil context"))
		return
	}
	body, model, err := c.encodeResponse(s.ctx, s.req, true)
	if err != nil {
		yield(ResponseEvent{}, err)
		return
	}
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	wd := c.newWatchdog(cancel)
	defer wd.stop()
	defer func() { c.spend(s.ctx, s.acc.usage()) }()
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest:         func(httptrace.WroteRequestInfo) { wd.sent() },
		GotFirstResponseByte: wd.answered,
	})
	resp, st, err := c.doStream(ctx, "/responses", body, model, s.opts)
	if c.cfg.observer != nil && err == nil {
		// The call ends for the observer with the error the caller gets,
		// or after the last event with the response's usage.
		yield = s.endsCall(st, yield)
		defer func() { st.endAnswer(s.acc.response().answer, nil) }()
	}
	if st.call != nil {
		defer func() {
			r := s.acc.response()
			st.call.answered(&ChatResponse{ID: r.ID, Model: r.Model}) // for CallResponseInto
		}()
	}
	f := &responseFailer{s: s, st: st, wd: wd, model: model, yield: yield}
	if err != nil {
		if wd.fired() != "" {
			f.fail("", nil)
			return
		}
		yield(ResponseEvent{}, c.suggestModels(err, model))
		return
	}
	defer resp.Body.Close()
	f.answered, f.genID = true, c.redactor().String(resp.Header.Get("X-Generation-Id"))
	wd.resume()
	lim := c.cfg.limits
	br := bufio.NewReaderSize(newLimitedBody(resp.Body, lim.Stream, "the stream"), sseBuffer)
	if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct != "text/event-stream" {
		if b, err := br.Peek(1); ct == "application/json" || err == nil && b[0] == '{' {
			s.jsonAnswer(f.st, resp, br, model, yield)
			return
		}
		if b, _ := br.Peek(5); len(b) > 0 && !looksLikeSSE(b) {
			head, _ := br.Peek(4 << 10)
			f.fail("the answer is not an event stream ("+ct+"): "+excerpt(head), nil)
			return
		}
	}
	s.read(sse.NewReaderLimit(br, lim.SSEEvent), f)
}

// read reads the events until the stream's end.
func (s *ResponseStream) read(rd *sse.Reader, f *responseFailer) {
	for {
		data, err := rd.Next()
		switch {
		case errors.Is(err, io.EOF), err == nil && string(bytes.TrimSpace(data)) == "[DONE]":
			if !s.acc.finished {
				f.fail("the stream ended before response.completed", io.ErrUnexpectedEOF)
			} else if err := s.acc.response().check(f.model); err != nil {
				f.yield(ResponseEvent{}, f.st.annotate(s.c.redactErr(err)))
			}
			return
		case errors.Is(err, io.ErrUnexpectedEOF):
			f.fail("the connection was cut", err)
			return
		case errors.Is(err, sse.ErrTooLong):
			f.fail("an event is too large", tooLarge("an event", int64(s.c.cfg.limits.SSEEvent)))
			return
		case err != nil:
			f.fail("reading the stream", err)
			return
		}
		var ev ResponseEvent
		if err := json.Unmarshal(data, &ev); err != nil || ev.Type == "" {
			if e := s.untypedError(data); e != nil {
				s.eventError(e, &ResponseEvent{Type: EventError, Raw: append(json.RawMessage(nil), data...)}, f.model, f.yield)
				return
			}
			other, ok := unknownEvent(data)
			if err == nil || !ok {
				f.fail("an event is not a typed JSON object: "+excerpt(data), err)
				return
			}
			ev = other
		}
		ev.Raw = append(json.RawMessage(nil), data...)
		f.events++
		f.wd.chunk(ev.Delta != "" || ev.Item != nil)
		if obj, errorType := s.acc.add(&ev); obj != nil {
			s.eventError(s.c.responseError(obj, errorType), &ev, f.model, f.yield)
			return
		}
		if !f.yield(ev, nil) {
			return
		}
	}
}

// readEvents are the event types whose members this package reads (see
// responseAccumulator.add): one of them not in the documented shape ends
// the stream.
var readEvents = map[string]bool{EventResponseCreated: true, EventResponseInProgress: true, EventOutputItemAdded: true,
	EventOutputItemDone: true, EventContentPartAdded: true, EventContentPartDone: true, EventOutputTextDelta: true,
	EventOutputTextDone: true, EventRefusalDelta: true, EventReasoningDelta: true, EventReasoningSummary: true,
	EventFunctionArgsDelta: true, EventFunctionArgsDone: true, EventResponseCompleted: true, EventResponseIncomplete: true,
	EventResponseFailed: true, EventError: true, "response.done": true}

// unknownEvent is an event of a type this package does not read whose
// members do not decode into ResponseEvent's (an object where it has a
// string, say): new event types ship without notice, so it is passed on
// with its Type, SequenceNumber and Raw rather than ending the stream.
// ok is false for an event of a type it reads, or one with no type.
func unknownEvent(data []byte) (ev ResponseEvent, ok bool) {
	var head struct {
		Type           string `json:"type"`
		SequenceNumber int    `json:"sequence_number"`
	}
	if json.Unmarshal(data, &head) != nil || head.Type == "" || readEvents[head.Type] {
		return ResponseEvent{}, false
	}
	return ResponseEvent{Type: head.Type, SequenceNumber: head.SequenceNumber}, true
}

// untypedError returns the error an event that did not decode stands
// for: an OpenRouter error object ({"error": {"code": 429, ...}}, as chat
// streams send them), or an "error" event whose code is a number; nil
// when it is neither.
func (s *ResponseStream) untypedError(data []byte) *APIError {
	var env struct {
		Type  string          `json:"type"`
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(data, &env) != nil {
		return nil
	}
	switch {
	case len(env.Error) > 0 && string(env.Error) != "null":
		return s.c.answerError(env.Error)
	case env.Type == EventError:
		return s.c.answerError(data)
	}
	return nil
}

// eventError yields the *APIError of an error event or a failed response.
func (s *ResponseStream) eventError(e *APIError, ev *ResponseEvent, model string, yield func(ResponseEvent, error) bool) {
	rd := s.c.redactor() // the event is the caller's too: its message may echo the key
	ev.Raw, ev.Code, ev.Message, ev.Param = rd.Bytes(ev.Raw), rd.String(ev.Code), rd.String(ev.Message), rd.String(ev.Param)
	s.c.redactFailed(ev.Response) // the accumulator's too
	e.Model = model
	e.RequestID = s.c.redactor().String(s.acc.response().ID)
	e.markAnswered(s.acc.output || s.acc.r.hasOutput()) // inside a 200 to a generation: it may have been billed; output shows that the model ran
	yield(*ev, e)
}

// jsonAnswer handles a 200 that is JSON rather than events: an error
// object, or a whole response, yielded as one response.completed event.
func (s *ResponseStream) jsonAnswer(st *callState, resp *http.Response, body io.Reader, model string, yield func(ResponseEvent, error) bool) {
	var out Response
	b, err := readAll(body, s.c.cfg.limits.JSON)
	if err != nil {
		err = readFailure(err)
	} else {
		err = decodeJSON(resp, b, &out)
	}
	if err != nil {
		yield(ResponseEvent{}, st.annotate(s.c.redactErr(err))) // a lost answer (callState.annotate)
		return
	}
	s.c.redactFailed(&out)
	if e := s.c.responseError(out.errorObject()); e != nil {
		e.Model, e.RequestID = model, out.ID
		s.acc.r = &out
		if out.hasOutput() {
			e.markAnswered(true) // the model ran, whatever the error says (an availability error), as in Create
		}
		yield(ResponseEvent{}, st.annotate(e))
		return
	}
	ev := ResponseEvent{Type: EventResponseCompleted, Response: &out, Raw: b}
	s.acc.add(&ev)
	if err := out.check(model); err != nil {
		yield(ResponseEvent{}, st.annotate(err))
		return
	}
	yield(ev, nil)
}

// endsCall returns yield, which also ends the call for the observer with
// the error it passes on and the response so far (a failed response's
// usage was billed), and tells a StreamObserver of the first event.
func (s *ResponseStream) endsCall(st *callState, yield func(ResponseEvent, error) bool) func(ResponseEvent, error) bool {
	so := st.client.cfg.obsExt.stream
	first := true
	return func(ev ResponseEvent, err error) bool {
		if err != nil {
			st.endAnswer(s.acc.response().answer, err)
		} else if first && so != nil {
			so.FirstChunk(st.obsCtx, FirstChunk{Model: st.model, Latency: time.Since(st.started)})
		}
		first = false
		return yield(ev, err)
	}
}

// responseFailer ends a stream that broke with a *StreamError, counting
// a stream that began and broke off as maybe billed.
type responseFailer struct {
	s        *ResponseStream
	st       *callState
	wd       *watchdog
	model    string
	yield    func(ResponseEvent, error) bool
	answered bool   // the answer's headers came
	genID    string // X-Generation-Id
	events   int
}

func (f *responseFailer) fail(reason string, cause error) {
	c, st := f.s.c, f.st
	id := f.genID
	if id == "" {
		id = c.redactor().String(f.s.acc.response().ID)
	}
	e := &StreamError{Model: f.model, Reason: c.redactor().String(reason), Err: cause, Chunks: f.events, kind: ErrServer, GenerationID: id}
	if f.answered && st != nil && !errors.Is(f.s.ctx.Err(), context.Canceled) {
		// The answer began and something other than the caller ended
		// it (a cut, a stall, a bound, an event that is not JSON): it
		// was processed, its cost unknown.
		st.countMaybeBilled(f.s.ctx)
		st.call.lostAnswer()
	}
	if st != nil {
		e.Attempts, e.MaybeBilled = st.attempts, st.maybeBilled
	}
	switch {
	case f.wd.fired() != "":
		e.Reason, e.Err, e.kind = f.wd.fired(), nil, ErrTimeout
	case f.s.ctx.Err() != nil:
		e.Reason, e.Err, e.kind = "the context ended", f.s.ctx.Err(), nil
	case errors.Is(cause, ErrTooLarge):
		e.kind = ErrTooLarge
	}
	f.yield(ResponseEvent{}, e)
}
