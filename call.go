package openrouter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"reflect"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// One API call: its state across attempts, sending it through the retry
// loop, and decoding its answer.

// callState follows one call through its attempts. It lives in the
// call's context (see stateCtx).
type callState struct {
	model       string
	attempts    int
	maybeBilled int           // attempts sent in full whose answer was lost: each may have been billed
	cutResends  int           // POSTs sent again after a cut, within the resend-after-cut allowance
	retryMax    int           // the call's retry bound: attempt retryMax+1 is the last
	req         *http.Request // the last attempt's request
	last        *APIError     // the error of the last attempt that got an answer

	// What the current attempt reached, reported from the transport's
	// goroutines by the trace and the body.
	traced   atomic.Bool // httptrace's WroteRequest fired: a connection was obtained
	wrote    atomic.Bool // ... and the whole request was written to it
	bodyRead atomic.Bool // the request's body was read to its end
	// hopAnswered: the transport returned an answer to the request it
	// was last handed (a redirect's, say).
	hopAnswered atomic.Bool
	gotConn     atomic.Bool // httptrace's GotConn fired (oneWrite bodies only)
	trace       httptrace.ClientTrace
	body        attemptBody // the first attempt's body
	// oneWrite: the attempts' bodies are io.NopCloser(*bytes.Reader),
	// which net/http writes with the headers in one write; reached then
	// relies on the trace alone (stdTransport).
	oneWrite bool
	reader   bytes.Reader // the first attempt's body when oneWrite
	held     *releaseBody // the limiter's hold on the last answer, to mark a quota

	// noResend marks a call that may not be sent twice (a batch
	// submission): retried only when its attempt surely was not processed.
	noResend bool
	// content is the chat request whose messages the observer's
	// ContentObserver gets at the call's end; nil without one.
	content *ChatRequest

	// The retry engine's bookkeeping (retryloop.go): final is the error
	// the last attempt (or the wait after it) would end the call with;
	// waiting is set between the decision to retry and the next attempt;
	// waitErr refuses a wait that would pass the context's deadline;
	// wait is the wait planned before the next attempt (planWait).
	final   error
	waiting bool
	waitErr error
	wait    time.Duration

	// The call's options (nil without any) and the last answer's status
	// and headers, for ResponseInfo and APIError.Header.
	call   *callConfig
	status int
	header http.Header

	// client redacts the key from an error found in a 200 answer, which
	// quotes the answer.
	client *Client

	// The observer's view of the call (observer.go): the context its
	// CallStart returned, the path, and whether the caller reports the
	// call's end itself (an answer whose usage is read after the headers).
	obsCtx   context.Context
	path     string
	endLater bool
	ended    bool
	stream   bool
	started  time.Time // the call's start, for a stream's first-chunk latency
	// limitParts is the parts of the attempt's wait for an AdaptiveLimiter,
	// for a LimiterObserver (waitParts).
	limitParts LimiterWait
}

// stateKey finds a call's state in its context, for the limiter's
// transport.
type stateKey struct{}

// stateCtx is a call's context: it holds the call's state and the
// retry engine's per-call values, in one allocation.
type stateCtx struct {
	context.Context
	st callState
	// rc is the call's retryablehttp.Client (see retryloop.go) and rreq
	// the request it sends: values here, not allocations of their own.
	rc   retryablehttp.Client
	rreq retryablehttp.Request
}

// Value answers for the call's state; other keys go to the caller's
// context.
func (c *stateCtx) Value(key any) any {
	if key == (stateKey{}) {
		return &c.st
	}
	return c.Context.Value(key)
}

// do sends one API call through the retry loop and returns the response
// of a successful attempt (status < 300), whose body the caller closes, or
// the typed error of the last attempt. body is replayed intact on each
// attempt; model names the model for errors. The call's state is returned
// too, for errors found later in the body.
//
// A call that returns a response ends for the observer when its caller
// has read the answer: the caller defers st.endAnswer with its error, so
// that an answer lost in its body (maybe billed) is seen as the caller
// sees it, not as the success its headers announced.
func (c *Client) do(ctx context.Context, method, path string, body []byte, model string, opts []CallOption) (*http.Response, *callState, error) {
	sc := &stateCtx{}
	sc.st.endLater = true
	return c.doCall(ctx, sc, method, path, body, model, opts)
}

// doOnce is do for a request that must not be sent twice even after an
// error answer (a batch submission, a key's creation: each may have been
// stored): it is retried only when an attempt surely was not processed
// (see callState.unprocessed).
func (c *Client) doOnce(ctx context.Context, method, path string, body []byte, model string, opts []CallOption) (*http.Response, *callState, error) {
	sc := &stateCtx{}
	sc.st.noResend, sc.st.endLater = true, true // ended as do's
	return c.doCall(ctx, sc, method, path, body, model, opts)
}

func (c *Client) doCall(ctx context.Context, sc *stateCtx, method, path string, body []byte, model string, opts []CallOption) (*http.Response, *callState, error) {
	sc.st.model, sc.st.client = model, c
	switch {
	case c == nil:
		return nil, &sc.st, invalid("nil *Client")
	case c.secrets == nil:
		return nil, &sc.st, invalid("a Client not made by NewClient (create it with NewClient)")
	}
	if c.cfg.observer != nil {
		ctx = c.startCall(ctx, &sc.st, method, path)
	}
	var resp *http.Response
	var err error
	if len(opts) > 0 {
		resp, _, err = c.doWith(ctx, sc, method, path, body, opts)
	} else {
		resp, err = c.send(ctx, sc, method, path, body)
		if err != nil {
			setErrorHeader(err, &sc.st)
		}
	}
	if c.cfg.observer != nil && (err != nil || !sc.st.endLater) {
		endBefore(&sc.st, resp, err)
	}
	return resp, &sc.st, err
}

// endBefore ends the call for the observer before its answer, resp, is
// read; should the observer panic, resp's body is closed first (see
// Observer).
func endBefore(st *callState, resp *http.Response, err error) {
	told := false
	defer func() {
		if !told && resp != nil {
			resp.Body.Close()
		}
	}()
	st.endCall(nil, err)
	told = true
}

// getJSON sends a GET and decodes the answer's JSON into out. An error
// object in the 200 answer is returned as that error, as for Chat.
func (c *Client) getJSON(ctx context.Context, path string, out any, opts []CallOption) error {
	return c.getWith(ctx, path, out, opts, c.decodeAnswer)
}

// getWith sends a GET and decodes the answer with decode: decodeAnswer,
// or decodeBody for an answer whose "error" is a field of its own (a
// failed batch).
func (c *Client) getWith(ctx context.Context, path string, out any, opts []CallOption, decode func(*http.Response, any) error) (err error) {
	resp, st, err := c.do(ctx, http.MethodGet, path, nil, "", opts)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	defer func() { st.endAnswer(nil, err) }()
	return st.annotate(decode(resp, out))
}

// decodeAnswer is decodeBody for answers that may be an OpenRouter error
// object ({"error": {...}} in a 200): that error is returned, so that it
// is not taken for an empty answer. Not for answers where "error" is a
// field of their own (a failed batch).
func (c *Client) decodeAnswer(resp *http.Response, out any) error {
	b, err := readBody(resp, c.cfg.limits.JSON)
	if err != nil {
		return readFailure(err)
	}
	if e := c.answerError(errorMember(b)); e != nil {
		return e
	}
	return c.redactErr(decodeJSON(resp, b, out))
}

// annotate fills in the model and attempt count of an *APIError found in
// a 2xx answer, removes the key from it (the answer may echo it), and
// returns err. For a request that is not idempotent (a POST: a
// generation, a submission), the answer means OpenRouter took the
// request: an answer that could not be used (see unusableAnswer) is a
// lost answer, counted as maybe billed and never sent again; an error
// object inside it matches [ErrMaybeBilled] too (see APIError.answered).
func (st *callState) annotate(err error) error {
	var lost *TransportError
	if err == nil || errors.As(err, &lost) {
		return err // nil, or already annotated
	}
	if cut, ok := err.(*answerCutError); ok && st.callTimedOut() {
		cut.err = timeoutAfter(st.req.Context(), st.call.timeout, cut.err) // named, as CallTimeout promises
	}
	paid := st.req != nil && !idempotent(st.req.Method)
	var e *APIError
	if errors.As(err, &e) {
		e.Model, e.Attempts, e.MaybeBilled = st.model, st.attempts, st.maybeBilled
		if st.client != nil {
			st.client.redact(e)
		}
		if paid && (e.InStream || e.shape) {
			e.markAnswered(e.Response.hasOutput())
		}
		if e.answered && e.RequestID == "" {
			e.RequestID = st.header.Get("X-Generation-Id")
		}
		if st.client != nil {
			e.RequestID = st.client.redactor().String(e.RequestID) // the server's: it may echo the key
		}
	}
	if what := unusableAnswer(err); paid && what != "" {
		// The request was processed (its answer began): counted, never
		// resent.
		st.countMaybeBilled(st.req.Context())
		st.call.lostAnswer()
		cause := err
		if cut, ok := err.(*answerCutError); ok {
			cause = cut.err
		}
		te := st.failure(st.req, cause, what)
		te.GenerationID = st.header.Get("X-Generation-Id") // for a lookup, or a recovery (recover.go)
		if st.client != nil {
			te.GenerationID = st.client.redactor().String(te.GenerationID) // the server's: it may echo the key
		}
		return te
	}
	return err
}

// generated marks the *APIError in err, if any, as come inside a 2xx
// answer to a generation (see APIError.answered: it matches
// [ErrMaybeBilled]), for the errors of a stream; it returns err.
func generated(err error) error {
	var e *APIError
	if errors.As(err, &e) {
		e.markAnswered(e.Response.hasOutput())
	}
	return err
}

// unusableAnswer says why err is a 2xx answer that could not be used
// whole: its body broke off, passed the client's bound, or is not the
// JSON (or the shape) the API promises. "" for any other error (an
// error object in the answer, an answer judged after it was read: no
// content, not the JSON the caller asked the model for).
func unusableAnswer(err error) string {
	var cut *answerCutError
	var e *APIError
	switch {
	case errors.As(err, &cut):
		return "the answer was cut off after its headers"
	case errors.Is(err, ErrTooLarge):
		return "the answer was not read whole"
	case errors.As(err, &e) && e.unusable:
		return "the answer could not be used"
	}
	return ""
}

// answerCutError is a 2xx answer whose body broke off before its end.
type answerCutError struct{ err error }

func (e *answerCutError) Error() string { return "openrouter: reading the answer: " + e.err.Error() }

func (e *answerCutError) Unwrap() error { return e.err }

// Is matches [ErrTimeout] for a body cut by a deadline or timeout (a
// GET's, such as a video's download, which is not turned into a
// *TransportError), as a *TransportError does.
func (e *answerCutError) Is(target error) bool { return target == ErrTimeout && isTimeout(e.err) }

// readFailure is the error of a 2xx answer's body that could not be
// read: past a bound (an ErrTooLarge error, as it is), or cut.
func readFailure(err error) error {
	if errors.Is(err, ErrTooLarge) {
		return err
	}
	return &answerCutError{err: err}
}

// decodeBody reads a 2xx body into out, within the client's JSON bound. A body that is not the JSON
// expected gives an [ErrServer] error with an excerpt, never a bare decode
// error; a body that is an OpenRouter error object gives that error.
func (c *Client) decodeBody(resp *http.Response, out any) error {
	b, err := readBody(resp, c.cfg.limits.JSON)
	if err != nil {
		return readFailure(err)
	}
	return decodeJSON(resp, b, out)
}

// decodeJSON decodes the body b of resp into out; see decodeBody.
func decodeJSON(resp *http.Response, b []byte, out any) error {
	if r, ok := out.(*ChatResponse); ok && r != nil && reflect.ValueOf(r).Elem().IsZero() && decodeChatFast(b, r) {
		r.raw = b // as keepRaw below
		return nil
	}
	err := json.Unmarshal(b, out)
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && strings.HasSuffix(te.Field, "message.content") {
		err = decodeContentParts(b, out) // content sent as an array of parts
	}
	if err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) || errors.As(err, &te) || errors.Is(err, io.ErrUnexpectedEOF) {
			e := parseError(resp.StatusCode, resp.Header, b, time.Now())
			if e.StatusCode < 400 {
				e.StatusCode = resp.StatusCode
				e.kind = []error{ErrServer}
				e.Message = "the answer is not the JSON expected: " + excerpt(b)
			}
			e.unusable = true
			return e
		}
		return err
	}
	if k, ok := out.(interface{ keepRaw([]byte) }); ok {
		k.keepRaw(b) // the answer's own bytes, for ChatResponse.Raw
	}
	return nil
}
