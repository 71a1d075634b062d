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
	"os"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Client calls the OpenRouter API. It is safe for concurrent use; create
// one and reuse it, so that its connections, pacing and spending total are
// shared.
type Client struct {
	cfg    config
	cfgErr error  // the first bad option, returned by every call
	keyErr error  // why the key cannot work; nil when it may
	apiKey string // never logged, never in an error
	// redactor takes the key out of every text built from an answer.
	redactor *redactor
	rc       *retryablehttp.Client

	catalog *catalog
	account account
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
	c := &Client{cfg: defaultConfig(), apiKey: apiKey, now: time.Now,
		afterFunc: func(d time.Duration, f func()) stopTimer { return time.AfterFunc(d, f) }}
	for _, o := range opts {
		if err := o(&c.cfg); err != nil && c.cfgErr == nil {
			c.cfgErr = invalid("%v", err)
		}
	}
	c.keyErr = checkKey(apiKey, c.cfg.keyPrefix)
	c.redactor = newRedactor(apiKey)
	c.catalog = newCatalog(c.cfg.catalogTTL)
	c.header = http.Header{"Authorization": {"Bearer " + apiKey}, "User-Agent": {c.cfg.userAgent}}
	if c.cfg.referer != "" {
		c.header["Http-Referer"] = []string{c.cfg.referer}
	}
	if c.cfg.title != "" {
		c.header["X-Openrouter-Title"] = []string{c.cfg.title}
		c.header["X-Title"] = []string{c.cfg.title}
	}
	hc := c.cfg.httpClient
	if hc == nil {
		hc = &http.Client{Transport: defaultTransport()}
	}
	if c.cfg.limiter != nil {
		paced := *hc // the caller's client is never modified
		base := hc.Transport
		if base == nil {
			base = http.DefaultTransport
		}
		paced.Transport = &limitTransport{base: base, lim: c.cfg.limiter}
		hc = &paced
	}
	c.rc = &retryablehttp.Client{
		HTTPClient:   hc,
		RetryWaitMin: c.cfg.minWait,
		RetryWaitMax: c.cfg.maxWait,
		RetryMax:     c.cfg.maxRetries,
		CheckRetry:   c.checkRetry,
		Backoff:      c.backoff,
		ErrorHandler: func(resp *http.Response, err error, _ int) (*http.Response, error) { return resp, err },
	}
	return c
}

// Limiter returns the client's Limiter; nil when pacing is disabled.
func (c *Client) Limiter() Limiter { return c.cfg.limiter }

// NewClientFromEnv returns NewClient(os.Getenv("OPENROUTER_API_KEY"), opts...).
func NewClientFromEnv(opts ...Option) *Client {
	return NewClient(os.Getenv("OPENROUTER_API_KEY"), opts...)
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

// callState follows one call through its attempts. It rides in the
// request's context, where the retry hooks find it.
type callState struct {
	model    string
	attempts int
	last     *APIError // the error of the last attempt that got an answer
}

type stateKey struct{}

// stateCtx carries a callState in one allocation, where
// context.WithValue and a separate state would take two.
type stateCtx struct {
	context.Context
	st *callState
}

func (c *stateCtx) Value(key any) any {
	if key == (stateKey{}) {
		return c.st
	}
	return c.Context.Value(key)
}

func stateOf(ctx context.Context) *callState {
	st, _ := ctx.Value(stateKey{}).(*callState)
	return st
}

// do sends one API call through the retry loop and returns the response
// of a successful attempt (status < 400), whose body the caller closes, or
// the typed error of the last attempt. body is replayed intact on each
// attempt; model names the model for errors. The call's state is returned
// too, for errors found later in the body.
func (c *Client) do(ctx context.Context, method, path string, body []byte, model string, opts []CallOption) (*http.Response, *callState, error) {
	sc := &stateCtx{st: &callState{model: model}}
	if c == nil {
		return nil, sc.st, invalid("nil *Client")
	}
	if _, err := newCallConfig(opts); err != nil {
		return nil, sc.st, err
	}
	resp, err := c.send(ctx, sc, method, path, body)
	return resp, sc.st, err
}

func (c *Client) send(ctx context.Context, sc *stateCtx, method, path string, body []byte) (*http.Response, error) {
	if ctx == nil {
		return nil, invalid("nil context")
	}
	if c.cfgErr != nil {
		return nil, c.cfgErr
	}
	if c.keyErr != nil {
		return nil, c.keyErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sc.Context, ctx = ctx, sc
	st := sc.st
	var raw any
	if body != nil {
		raw = body
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, method, c.cfg.baseURL+path, raw)
	if err != nil {
		return nil, invalid("%s %s: %v", method, path, err)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header["Content-Type"] = jsonContentType
	}

	resp, err := c.rc.Do(req)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			if st.last != nil {
				return nil, fmt.Errorf("openrouter: %w after %d attempt(s); last answer: %v", cerr, st.attempts, st.last)
			}
			return nil, fmt.Errorf("openrouter: %s %s: %w", method, path, cerr)
		}
		return nil, fmt.Errorf("openrouter: %s %s failed after %d attempt(s): %w", method, path, st.attempts, err)
	}
	if resp.StatusCode >= 400 {
		resp.Body.Close()
		e := st.last
		if e == nil { // the retry hook always parses errors; this is a safeguard
			e = parseError(resp.StatusCode, resp.Header, nil, c.now())
		}
		e.Attempts = st.attempts
		return nil, e
	}
	return resp, nil
}

var jsonContentType = []string{"application/json"}

// maxErrorBody bounds how much of an error answer is read.
const maxErrorBody = 1 << 20

// checkRetry is the retry policy, called by go-retryablehttp after every
// attempt: it parses an error answer once (keeping it for the caller) and
// decides from its meaning whether another attempt may succeed.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	st := stateOf(ctx)
	if st != nil {
		st.attempts++
	}
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if isLimiterError(err) {
		return false, err
	}
	if err != nil || resp == nil {
		retry, perr := retryablehttp.DefaultRetryPolicy(ctx, resp, err)
		c.logRetry(ctx, retry, "transport error", err)
		return retry, perr
	}
	if resp.StatusCode < 400 {
		return false, nil
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	e := parseError(resp.StatusCode, resp.Header, b, c.now())
	c.redact(e)
	if st != nil {
		e.Model = st.model
		e.Attempts = st.attempts
		st.last = e
	}
	if e.Is(ErrRateLimited) && (e.RetryAfter > c.cfg.maxWait ||
		e.RateLimit.Remaining == 0 && e.RateLimit.Reset.Sub(c.now()) > c.cfg.maxWait) {
		e.markQuota()
	}
	retry := e.Retryable()
	c.logRetry(ctx, retry, "status", e)
	return retry, nil
}

func (c *Client) logRetry(ctx context.Context, retry bool, what string, err error) {
	if c.cfg.logger == nil {
		return
	}
	if retry {
		c.cfg.logger.DebugContext(ctx, "openrouter: retrying", "reason", what, "error", err)
	} else if err != nil {
		c.cfg.logger.DebugContext(ctx, "openrouter: not retrying", "reason", what, "error", err)
	}
}

// backoff is the wait before a retry: the server's Retry-After when it
// gave one (already checked against the maximum wait), otherwise
// exponential backoff from minWait, doubled per attempt, with jitter.
func (c *Client) backoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	var d time.Duration
	if resp != nil && resp.Request != nil {
		if st := stateOf(resp.Request.Context()); st != nil && st.last != nil {
			d = st.last.RetryAfter
		}
	}
	if d == 0 {
		d = expBackoff(minWait, maxWait, attempt)
	}
	if d > maxWait {
		d = maxWait
	}
	if c.waitHook != nil {
		d = c.waitHook(d)
	}
	return d
}

// getJSON sends a GET and decodes the answer's JSON into out. An error
// object in the 200 answer is returned as that error, as for Chat.
func (c *Client) getJSON(ctx context.Context, path string, out any, opts []CallOption) error {
	resp, st, err := c.do(ctx, http.MethodGet, path, nil, "", opts)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := readBody(resp, c.cfg.limits.JSON)
	if err != nil {
		return fmt.Errorf("openrouter: reading the answer: %w", err)
	}
	var env struct {
		Error json.RawMessage `json:"error"`
	}
	// The catalogue is a megabyte: decode it twice only when it may hold
	// an error member.
	if bytes.Contains(b, []byte(`"error"`)) && json.Unmarshal(b, &env) == nil {
		if e := c.answerError(env.Error); e != nil {
			return st.annotate(e)
		}
	}
	return st.annotate(c.redactErr(decodeJSON(resp, b, out)))
}

// annotate fills in the model and attempt count of an *APIError found in
// a 200 answer, and returns err.
func (st *callState) annotate(err error) error {
	var e *APIError
	if errors.As(err, &e) {
		e.Model, e.Attempts = st.model, st.attempts
	}
	return err
}

// decodeBody reads a 2xx body into out, within the client's JSON bound. A body that is not the JSON
// expected gives an [ErrServer] error with an excerpt, never a bare decode
// error; a body that is an OpenRouter error object gives that error.
func (c *Client) decodeBody(resp *http.Response, out any) error {
	b, err := readBody(resp, c.cfg.limits.JSON)
	if err != nil {
		return fmt.Errorf("openrouter: reading the answer: %w", err)
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
	return nil
}

// Chat sends a chat completion and returns the answer. Errors match the
// sentinels of this package: HTTP failures as *[APIError], an error inside
// a 200 as *APIError with InStream set, and an answer with no content, no
// image and no tool call as *[EmptyContentError] ([ErrEmptyContent]).
func (c *Client) Chat(ctx context.Context, req *ChatRequest) (*ChatResponse, error) {
	r, model, st, err := c.sendChat(ctx, req, c.decodeBody)
	if err != nil {
		return nil, err
	}
	if err := checkAnswer(r, model); err != nil {
		return nil, st.annotate(c.redactErr(err))
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
func (c *Client) sendChat(ctx context.Context, req *ChatRequest, decode func(*http.Response, any) error) (*ChatResponse, string, *callState, error) {
	body, model, err := c.encodeChat(ctx, req, false)
	if err != nil {
		return nil, model, nil, err
	}
	resp, st, err := c.do(ctx, http.MethodPost, "/chat/completions", body, model, nil)
	if err != nil {
		return nil, model, st, c.suggestModels(err, model)
	}
	defer resp.Body.Close()
	var out chatEnvelope
	if err := decode(resp, &out); err != nil {
		return nil, model, st, st.annotate(c.redactErr(err))
	}
	r := &out.ChatResponse
	c.spend(ctx, r.Cost())
	if e := c.answerError(out.Error); e != nil {
		e.RequestID, e.Response = r.ID, r
		return nil, model, st, st.annotate(e)
	}
	return r, model, st, nil
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
	return e
}

// suggestModels attaches the closest catalogue IDs to an unknown-model
// error, when the client has the catalogue (it is not fetched for this).
func (c *Client) suggestModels(err error, model string) error {
	var e *APIError
	if model == "" || !errors.As(err, &e) || !e.Is(ErrModelNotFound) || e.Is(ErrNoEndpoints) {
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
	if req.Model == "" && len(req.Models) == 0 {
		cp := *req
		cp.Model = c.cfg.roles.Standard
		req = &cp
	}
	if c.cfg.modelCheck && ctx != nil {
		for _, m := range append([]string{req.Model}, req.Models...) {
			if m == "" || uncheckable(m) {
				continue
			}
			if _, err := c.Model(ctx, m); err != nil {
				return nil, "", err
			}
		}
	}
	body, err := req.encode(stream)
	if err != nil && !errors.Is(err, ErrInvalidRequest) {
		err = invalid("%v", err)
	}
	if err != nil {
		return nil, "", err
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
