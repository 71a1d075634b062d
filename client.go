package openrouter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Client calls the OpenRouter API. It is safe for concurrent use; create
// one and reuse it, so that its connections, pacing and spending total are
// shared.
type Client struct {
	// Audio holds the speech and transcription calls.
	Audio *AudioService
	// Videos holds the video generation calls.
	Videos *VideosService
	// Responses calls the Responses API (POST /responses).
	Responses *ResponsesService

	cfg    config
	cfgErr error // the first bad option, returned by every call
	keyErr error // why the key cannot work; nil when it may
	// secrets returns the API key, its Authorization header and its
	// redactor. It is a func because fmt prints a func as an address
	// whatever the verb, where a pointer (%s, %q of a Client value) or a
	// string field would be printed in full: no verb reaches the key.
	secrets func() *secrets
	hc      *http.Client // a copy of the caller's, with the redirect policy and the limiter
	// stdTransport: hc's transport is net/http's own (under the client's
	// wrappers), which reports httptrace's GotConn and WroteRequest: a
	// request body may then be of a type net/http writes in one piece
	// with the headers (see callState.reached).
	stdTransport bool

	catalog *catalog
	account account
	roles   atomic.Pointer[Roles] // the config's, then SetRoles'; see Client.Roles
	// header holds the headers every request carries. Requests share its
	// one-element value slices: net/http never writes into them, and an
	// Add by a transport appends past their capacity, into a new array.
	header http.Header

	now       func() time.Time
	waitHook  func(time.Duration) time.Duration     // tests: observe and shorten retry waits
	afterFunc func(time.Duration, func()) stopTimer // the stream watchdog's timers; tests replace it
}

// NewClient returns a client that authenticates with apiKey. The key is
// checked before each request, not here: an empty key, white space around
// it, or a prefix other than "sk-or-" fail every call with
// [ErrUnauthorized], and nothing is sent.
//
//	c := openrouter.NewClient(os.Getenv("OPENROUTER_API_KEY"),
//		openrouter.WithAppInfo("https://example.com", "My App"))
//	res, err := c.Chat(ctx, &openrouter.ChatRequest{
//		Model:    "openai/gpt-4o-mini",
//		Messages: []openrouter.Message{openrouter.UserMessage("Hello")},
//	})
func NewClient(apiKey string, opts ...Option) *Client {
	c := &Client{cfg: defaultConfig(), secrets: newSecrets(apiKey), now: time.Now,
		afterFunc: func(d time.Duration, f func()) stopTimer { return time.AfterFunc(d, f) }}
	defaultLimiter := c.cfg.limiter
	for _, o := range opts {
		if err := o(&c.cfg); err != nil && c.cfgErr == nil {
			c.cfgErr = invalid("%v", err)
		}
	}
	c.keyErr = checkKey(apiKey, c.cfg.keyPrefix)
	c.roles.Store(&c.cfg.roles)
	c.secrets().holdManagementKey(&c.cfg)
	c.catalog = newCatalog(c.cfg.catalogTTL)
	c.header = http.Header{"User-Agent": {c.cfg.userAgent}}
	if c.cfg.referer != "" {
		c.header["Http-Referer"] = []string{c.cfg.referer}
	}
	if c.cfg.title != "" {
		c.header["X-Openrouter-Title"] = []string{c.cfg.title}
		c.header["X-Title"] = []string{c.cfg.title}
	}
	c.hc = c.httpClient(defaultLimiter)
	c.Audio = &AudioService{c: c}
	c.Videos = &VideosService{c: c}
	c.Responses = &ResponsesService{c: c}
	return c
}

// Limiter returns the client's Limiter; nil when pacing is disabled.
func (c *Client) Limiter() Limiter { return c.cfg.limiter }

// NewClientFromEnv returns NewClient(os.Getenv("OPENROUTER_API_KEY"), opts...).
func NewClientFromEnv(opts ...Option) *Client {
	return NewClient(os.Getenv("OPENROUTER_API_KEY"), opts...)
}

// httpClient returns the client's copy of the caller's http.Client (the
// caller's is never modified), with the API's redirect policy and, when
// pacing is on, the limiter around its transport; its transport keeps
// its idle connections when the retry engine gives up on a call. The default limiter's
// gate lasts at most the client's maximum wait, the one threshold between
// a rate limit and a quota.
func (c *Client) httpClient(defaultLimiter Limiter) *http.Client {
	var hc *http.Client
	if c.cfg.httpClient != nil {
		cp := *c.cfg.httpClient
		hc = &cp
	} else {
		hc = &http.Client{Transport: defaultTransport()}
	}
	hc.CheckRedirect = checkRedirect(hc.CheckRedirect)
	defer func() { hc.Transport = keepIdle{hc.Transport} }()
	if c.cfg.limiter == nil {
		_, c.stdTransport = baseTransport(hc).(*http.Transport)
		return hc
	}
	if l, ok := c.cfg.limiter.(*AdaptiveLimiter); ok && c.cfg.limiter == defaultLimiter {
		l.maxGate = c.cfg.maxWait // the client's own limiter, shared with no one
	}
	base := baseTransport(hc)
	_, c.stdTransport = base.(*http.Transport)
	hc.Transport = &limitTransport{base: base, lim: c.cfg.limiter}
	return hc
}

// baseTransport is hc's transport, or the one net/http uses for nil.
func baseTransport(hc *http.Client) http.RoundTripper {
	if hc.Transport == nil {
		return http.DefaultTransport
	}
	return hc.Transport
}

// defaultTransport is a pooled transport that keeps enough idle
// connections for a bulk run's workers.
func defaultTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 200
	t.MaxIdleConnsPerHost = 100
	return t
}

// checkKey refuses keys that cannot work, without saying what the key is.
func checkKey(key, prefix string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: no API key (set OPENROUTER_API_KEY, or pass one to NewClient)", ErrUnauthorized)
	case strings.TrimSpace(key) != key:
		return fmt.Errorf("%w: the API key has white space before or after it", ErrUnauthorized)
	case strings.ContainsAny(key, " \t\r\n"):
		return fmt.Errorf("%w: the API key contains white space", ErrUnauthorized)
	case prefix != "" && !strings.HasPrefix(key, prefix):
		return fmt.Errorf("%w: the API key does not start with %q", ErrUnauthorized, prefix)
	}
	return nil
}

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

	// The retry engine's bookkeeping (retryloop.go): final is the error
	// the last attempt (or the wait after it) would end the call with;
	// waiting is set between the decision to retry and the next attempt;
	// waitErr refuses a wait that would pass the context's deadline.
	final   error
	waiting bool
	waitErr error

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
func (c *Client) do(ctx context.Context, method, path string, body []byte, model string, opts []CallOption) (*http.Response, *callState, error) {
	return c.doCall(ctx, &stateCtx{}, method, path, body, model, opts)
}

// doOnce is do for a request that must not be sent twice even after an
// error answer (a batch submission, a key's creation: each may have been
// stored): it is retried only when an attempt surely was not processed
// (see callState.unprocessed).
func (c *Client) doOnce(ctx context.Context, method, path string, body []byte, model string, opts []CallOption) (*http.Response, *callState, error) {
	sc := &stateCtx{}
	sc.st.noResend = true
	return c.doCall(ctx, sc, method, path, body, model, opts)
}

func (c *Client) doCall(ctx context.Context, sc *stateCtx, method, path string, body []byte, model string, opts []CallOption) (*http.Response, *callState, error) {
	sc.st.model, sc.st.client = model, c
	if c == nil {
		return nil, &sc.st, invalid("nil *Client")
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
		sc.st.endCall(nil, err)
	}
	return resp, &sc.st, err
}

// getJSON sends a GET and decodes the answer's JSON into out. An error
// object in the 200 answer is returned as that error, as for Chat.
func (c *Client) getJSON(ctx context.Context, path string, out any, opts []CallOption) error {
	return c.getWith(ctx, path, out, opts, c.decodeAnswer)
}

// getWith sends a GET and decodes the answer with decode: decodeAnswer,
// or decodeBody for an answer whose "error" is a field of its own (a
// failed batch).
func (c *Client) getWith(ctx context.Context, path string, out any, opts []CallOption, decode func(*http.Response, any) error) error {
	resp, st, err := c.do(ctx, http.MethodGet, path, nil, "", opts)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
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
	// The catalogue is a megabyte: decode it twice only when it may hold
	// an error member.
	if bytes.Contains(b, []byte(`"error"`)) {
		var env struct {
			Error json.RawMessage `json:"error"`
		}
		if json.Unmarshal(b, &env) == nil {
			if e := c.answerError(env.Error); e != nil {
				return e
			}
		}
	}
	return c.redactErr(decodeJSON(resp, b, out))
}

// annotate fills in the model and attempt count of an *APIError found in
// a 200 answer, removes the key from it (the answer may echo it), and
// returns err.
func (st *callState) annotate(err error) error {
	var cut *answerCutError
	if errors.As(err, &cut) && st.req != nil && !idempotent(st.req.Method) {
		// The request was processed (its answer began): counted, never
		// resent.
		st.countMaybeBilled(st.req.Context())
		st.call.lostAnswer()
		te := st.failure(st.req, cut.err, "the answer was cut off after its headers")
		te.GenerationID = st.header.Get("X-Generation-Id") // for a lookup, or a recovery (recover.go)
		return te
	}
	var e *APIError
	if errors.As(err, &e) {
		e.Model, e.Attempts, e.MaybeBilled = st.model, st.attempts, st.maybeBilled
		if st.client != nil {
			st.client.redact(e)
		}
	}
	return err
}

// answerCutError is a 2xx answer whose body broke off before its end.
type answerCutError struct{ err error }

func (e *answerCutError) Error() string { return "openrouter: reading the answer: " + e.err.Error() }

func (e *answerCutError) Unwrap() error { return e.err }

// readFailure is the error of a 2xx answer's body that could not be read.
func readFailure(err error) error {
	if errors.Is(err, ErrTooLarge) {
		return fmt.Errorf("openrouter: reading the answer: %w", err)
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
			return e
		}
		return err
	}
	if k, ok := out.(interface{ keepRaw([]byte) }); ok {
		k.keepRaw(b) // the answer's own bytes, for ChatResponse.Raw
	}
	return nil
}

// Chat sends a chat completion and returns the answer. Errors match the
// sentinels of this package: HTTP failures as *[APIError], an error inside
// a 200 as *APIError with InStream set, and an answer with no content, no
// image and no tool call as *[EmptyContentError] ([ErrEmptyContent]).
func (c *Client) Chat(ctx context.Context, req *ChatRequest, opts ...CallOption) (*ChatResponse, error) {
	r, model, st, err := c.sendChat(ctx, req, c.decodeBody, opts)
	if err != nil {
		return nil, err
	}
	if err := checkAnswer(r, model); err != nil {
		return nil, st.annotate(c.answerErr(err))
	}
	return r, nil
}

// chatEnvelope is a 200 answer of /chat/completions: a completion, or an
// error object.
type chatEnvelope struct {
	ChatResponse
	Error json.RawMessage `json:"error"`
}

// sendChat sends a chat request and decodes the 200 answer with decode,
// then adds its cost to the client's spending and turns an error object
// in it into an *APIError. It is the one path of Chat and GenerateImage.
func (c *Client) sendChat(ctx context.Context, req *ChatRequest, decode func(*http.Response, any) error, opts []CallOption) (*ChatResponse, string, *callState, error) {
	body, model, err := c.encodeChat(ctx, req, false)
	if err != nil {
		return nil, model, nil, err
	}
	resp, st, err := c.doAnswer(ctx, http.MethodPost, "/chat/completions", body, model, opts)
	if err != nil {
		return nil, model, st, c.suggestModels(err, model)
	}
	defer resp.Body.Close()
	r, err := c.readChat(ctx, st, req, resp, decode)
	if st.obsCtx != nil {
		st.endCall(r, err)
	}
	if err != nil {
		return nil, model, st, err
	}
	return r, model, st, nil
}

// readChat reads a chat answer of sendChat.
func (c *Client) readChat(ctx context.Context, st *callState, req *ChatRequest, resp *http.Response, decode func(*http.Response, any) error) (*ChatResponse, error) {
	var out chatEnvelope
	if err := decode(resp, &out); err != nil {
		resp.Body.Close() // frees the limiter's slot for a recovery's lookups
		r, err := c.recoverChat(ctx, st, req, st.annotate(c.redactErr(err)))
		if err != nil {
			return nil, err
		}
		out.ChatResponse = *r // read back from its generation (recover.go)
	}
	r := &out.ChatResponse
	c.spend(ctx, r.Usage)
	if st.call != nil {
		st.call.answered(r)
	}
	if e := c.answerError(out.Error); e != nil {
		e.RequestID, e.Response = r.ID, r
		return r, st.annotate(e) // r for the observer: its usage was billed
	}
	r.MaybeBilled = st.maybeBilled
	return r, nil
}

// answerError is the one check of an answer's "error" member, for every
// endpoint, a 200 body and a stream event alike: nil when there is none,
// else the *APIError it stands for, without the key.
func (c *Client) answerError(obj json.RawMessage) *APIError {
	if len(obj) == 0 || string(obj) == "null" {
		return nil
	}
	e := errorFromObject(obj)
	c.redact(e)
	c.judgeAnswer(e) // as over HTTP: a quota, a budget's reset
	return e
}

// suggestModels attaches the closest catalogue IDs to an unknown-model
// error, when the client has the catalogue (it is not fetched for this).
func (c *Client) suggestModels(err error, model string) error {
	var e *APIError
	if model == "" || !errors.As(err, &e) || !e.Is(ErrModelNotFound) || e.Is(ErrNoEndpoints) || len(e.Suggestions) > 0 {
		return err
	}
	if models := c.catalog.cached(); models != nil {
		e.Suggestions = suggest(catalogID(model), models)
	}
	return err
}

// encodeChat validates a request and returns its body and model, with the
// client's standard model filled in when the request names none (the
// caller's request is not changed). With WithModelCheck, the models are
// looked up in the catalogue first.
func (c *Client) encodeChat(ctx context.Context, req *ChatRequest, stream bool) ([]byte, string, error) {
	if c == nil {
		return nil, "", invalid("nil *Client")
	}
	if err := req.validate(); err != nil {
		return nil, "", err
	}
	if !stream && req.Debug != nil {
		return nil, "", invalid("debug: the upstream body is echoed in a stream only; use ChatStream")
	}
	if req.Model == "" && len(req.Models) == 0 {
		cp := *req
		cp.Model = c.Roles().Standard
		req = &cp
	}
	req = c.withTrace(ctx, req) // observer.go
	if c.cfg.modelCheck && ctx != nil {
		for _, m := range append([]string{req.Model}, req.Models...) {
			if m == "" || uncheckable(m) {
				continue
			}
			if _, err := c.usableModel(ctx, m, nil); err != nil {
				return nil, "", err
			}
		}
	}
	body, err := req.encode(stream)
	if err != nil && !errors.Is(err, ErrInvalidRequest) {
		err = invalid("%v", err)
	}
	if err != nil {
		if errors.Is(err, ErrInvalidRequest) {
			return nil, "", err
		}
		return nil, "", invalid("%v", err)
	}
	model := req.Model
	if model == "" && len(req.Models) > 0 {
		model = req.Models[0]
	}
	return body, model, nil
}

// expBackoff is minWait doubled per attempt, capped at maxWait, with the
// upper half jittered so that clients that failed together do not retry
// together.
func expBackoff(minWait, maxWait time.Duration, attempt int) time.Duration {
	if minWait <= 0 {
		return 0
	}
	d := minWait
	for i := 0; i < attempt && d < maxWait; i++ {
		d *= 2
	}
	if d > maxWait {
		d = maxWait
	}
	return d/2 + rand.N(d/2+1)
}
