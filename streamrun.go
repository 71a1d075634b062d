package openrouter

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/http/httptrace"
	"net/textproto"

	"github.com/routerkit/openrouter/internal/sse"
)

// streamRun is one run of a Stream's request: what its steps share.
type streamRun struct {
	s     *Stream
	c     *Client
	model string
	wd    *watchdog
	yield func(Chunk, error) bool
	// What came so far: the call's state once the request was sent,
	// whether the answer's headers came, its X-Generation-Id and body.
	st         *callState
	answered   bool
	genID      string
	answerBody io.Closer
}

// run sends the request and reads the stream: encode, send (retries
// happen only there), check that the answer is an event stream, then
// read its events. The deferred steps run in the reverse order: close
// the body, complete the ResponseInfo and the observer's CallEnd, count
// the spending, stop the watchdog, release the context.
func (s *Stream) run(yield func(Chunk, error) bool) {
	c := s.c
	if s.ctx == nil {
		yield(Chunk{}, invalid("nil context"))
		return
	}
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	body, model, err := c.encodeChat(ctx, s.req, true)
	if err != nil {
		yield(Chunk{}, err)
		return
	}
	r := &streamRun{s: s, c: c, model: model, wd: c.newWatchdog(cancel), yield: yield}
	defer r.wd.stop()
	defer func() { c.spend(ctx, s.acc.Response().Usage) }()
	resp, st, err := c.doChat(r.traced(ctx), s.req, body, model, true, s.opts)
	r.st = st
	if st.obsCtx != nil { // the observer's CallEnd, with the stream's usage
		r.yield = st.observeStream(&s.acc, r.yield)
		defer func() { st.endCall(s.acc.Response(), nil) }()
	}
	if st.call != nil {
		defer func() { st.call.answered(s.acc.Response()) }()
	}
	if err != nil {
		r.notSent(err)
		return
	}
	defer resp.Body.Close()
	r.answered, r.genID, r.answerBody = true, c.redactor().String(resp.Header.Get("X-Generation-Id")), resp.Body
	r.wd.resume()
	br := bufio.NewReaderSize(newLimitedBody(resp.Body, c.cfg.limits.Stream, "the stream"), sseBuffer)
	if r.notEvents(resp, br) {
		return
	}
	r.readEvents(br)
}

// traced returns ctx with the watchdog's hooks. The first-chunk wait
// starts when the request is written, not before the limiter's gate or a
// retry's wait: each attempt restarts it. It pauses when an attempt's
// answer starts (a 429 is then retried after a wait that must not count)
// and resumes once the answer is the stream's. The transport reports the
// writing and the answer on two goroutines, in either order: the
// connection hook, called before each attempt is written, pairs them
// (see watchdog.attempt).
func (r *streamRun) traced(ctx context.Context) context.Context {
	wd := r.wd
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GetConn:              func(string) { wd.attempt() },
		WroteRequest:         func(httptrace.WroteRequestInfo) { wd.sent() },
		GotFirstResponseByte: wd.answered,
		Got1xxResponse: func(int, textproto.MIMEHeader) error {
			wd.informational() // a 103 Early Hints is not the answer
			return nil
		},
	})
}

// notSent ends a stream whose request failed before an answer was the
// stream's: the watchdog's timeout, or the error Chat would give.
func (r *streamRun) notSent(err error) {
	if r.wd.fired() != "" {
		r.fail("", nil, 0)
		return
	}
	r.yield(Chunk{}, r.c.suggestModels(err, r.model))
}

// notEvents reports whether the answer is not an event stream, having
// dealt with it: a whole JSON answer is read as one; anything else (an
// HTML page from a proxy) is said as it is, not as an empty stream.
func (r *streamRun) notEvents(resp *http.Response, br *bufio.Reader) bool {
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if ct == "text/event-stream" {
		return false
	}
	if b, err := br.Peek(1); ct == "application/json" || err == nil && (b[0] == '{' || b[0] == '[') {
		r.s.jsonAnswer(r.st, resp, br, r.model, r.yield)
		return true
	}
	if b, _ := br.Peek(5); len(b) > 0 && !looksLikeSSE(b) {
		head, _ := br.Peek(4 << 10)
		r.fail("the answer is not an event stream ("+ct+"): "+excerpt(head), nil, 0)
		return true
	}
	return false
}

// readEvents reads the events, yielding each chunk, until the stream's
// end, an error or the caller's break; then checks the whole answer.
func (r *streamRun) readEvents(br *bufio.Reader) {
	lim := r.c.cfg.limits
	rd := sse.NewReaderLimit(br, lim.SSEEvent) // reuses br: same buffer size
	n, finished := 0, false
	var ev chunkWire // reused: its repeated strings are decoded once
	for {
		data, err := rd.Next()
		if err != nil || string(bytes.TrimSpace(data)) == "[DONE]" {
			if r.ended(err, n, finished) {
				return
			}
			break
		}
		chunk, evErr, err := ev.decode(data)
		if err != nil {
			r.fail("a chunk is not JSON: "+excerpt(data), err, n)
			return
		}
		n++
		if !r.chunk(chunk, evErr, &finished) {
			return
		}
	}
	if err := checkAnswer(r.s.acc.Response(), r.model); err != nil {
		r.yield(Chunk{}, generated(r.c.answerErr(err)))
	}
}

// ended handles the end of the events: err from the reader (io.EOF at
// the end), or nil for [DONE]. It reports whether the stream failed
// (and said so); false is a stream that ended after a finish reason.
func (r *streamRun) ended(err error, n int, finished bool) bool {
	done := "the stream ended"
	switch {
	case err == nil:
		done = "the stream ended ([DONE])"
	case errors.Is(err, io.EOF):
	case errors.Is(err, io.ErrUnexpectedEOF):
		r.fail("the connection was cut", err, n)
		return true
	case errors.Is(err, sse.ErrTooLong):
		r.fail("an event is too large", tooLarge("an event", int64(r.c.cfg.limits.SSEEvent)), n)
		return true
	default:
		r.fail("reading the stream", err, n)
		return true
	}
	switch {
	case n == 0:
		r.fail("the stream ended without a chunk", nil, n)
		return true
	case !finished:
		r.fail(done+" before a finish reason", io.ErrUnexpectedEOF, n)
		return true
	}
	return false
}

// chunk folds one chunk into the answer and yields it, or the error it
// carries (an error event, a choice finished by "error"). It reports
// whether to read on; finished is set by a finish reason.
func (r *streamRun) chunk(chunk Chunk, evErr json.RawMessage, finished *bool) bool {
	s, c := r.s, r.c
	s.acc.Add(chunk)
	if e := c.answerError(evErr); e != nil {
		e.Model, e.RequestID, e.Response = r.model, c.redactor().String(chunk.ID), s.acc.Response()
		e.markAnswered(e.Response.hasOutput())
		r.yield(Chunk{}, e)
		return false
	}
	r.wd.chunk(chunk.progress())
	for _, ch := range chunk.Choices {
		if ch.FinishReason == "error" {
			r.yield(Chunk{}, generated(c.answerErr(choiceError(s.acc.Response(), r.model))))
			return false
		}
		if ch.FinishReason != "" {
			*finished = true
		}
	}
	return r.yield(chunk, nil)
}

// fail ends the stream with a *StreamError: the reason, its cause and the
// chunks so far, typed by what ended it (the watchdog, the caller's
// context, the call's timeout, a bound), after reading back a cut
// answer's stored generation when the client may (see recoverCut).
func (r *streamRun) fail(reason string, cause error, n int) {
	s, st, wd := r.s, r.st, r.wd
	cut := streamCut(s.ctx, r.answered, cause, wd)
	lost, done := s.recoverCut(st, r.genID, r.model, cut, r.answerBody, r.yield)
	if done {
		return
	}
	if !cut && r.answered && st != nil && !errors.Is(s.ctx.Err(), context.Canceled) {
		// The answer began and something other than the caller ended
		// it (a timeout, a bound, a chunk that is not JSON, an early
		// end): the generation ran (and may still run), its usage
		// never came.
		st.countMaybeBilled(s.ctx)
		st.call.lostAnswer()
	}
	e := &StreamError{Model: r.model, Reason: r.c.redactor().String(reason), Err: cause, Chunks: n, Response: s.acc.Response(), kind: ErrServer,
		GenerationID: lost.id, Generation: lost.gen, notRecovered: lost.why}
	if st != nil {
		e.Attempts, e.MaybeBilled = st.attempts, st.maybeBilled
	}
	switch {
	case wd.fired() != "":
		e.Reason, e.Err, e.kind = wd.fired(), nil, ErrTimeout
	case s.ctx.Err() != nil:
		e.Reason, e.Err, e.kind = "the context ended", s.ctx.Err(), nil
		if errors.Is(e.Err, context.DeadlineExceeded) {
			e.kind = ErrTimeout
		}
	case st != nil && st.callTimedOut():
		// The call's own deadline: the same error as the caller's.
		e.Reason, e.Err, e.kind = "the context ended", timeoutAfter(st.req.Context(), st.call.timeout, context.DeadlineExceeded), ErrTimeout
	case errors.Is(cause, ErrTooLarge):
		e.kind = ErrTooLarge
	}
	r.yield(Chunk{}, e)
}
