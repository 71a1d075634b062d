package openrouter

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Client calls the OpenRouter API. It is safe for concurrent use; create
// one with [NewClient] and reuse it, so that its connections, pacing and
// spending total are shared. A Client not made by NewClient (a zero
// Client) fails every call with [ErrInvalidRequest].
//
// The everyday calls are its methods: [Client.Chat] and
// [Client.ChatStream], [Client.Embed], [Client.GenerateImage],
// [Client.Rerank], [Client.Models], and for the account
// [Client.CheckKey], [Client.Credits] and [Client.ReadBalance]. The
// API's other families are on its fields: Responses, Audio, Videos,
// Batches and Keys.
type Client struct {
	// Audio holds the speech and transcription calls.
	Audio *AudioService
	// Videos holds the video generation calls.
	Videos *VideosService
	// Responses calls the Responses API (POST /responses).
	Responses *ResponsesService
	// Batches holds the Batch API: chat completions, Responses and
	// Anthropic Messages requests, and embeddings run in the background
	// at about half price.
	Batches *BatchesService
	// Keys manages the account's API keys (it needs a management key).
	Keys *KeysService

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
	// videosCounted holds the IDs of the video jobs whose cost Wait added
	// to the spending total, so that each is added once.
	videosCounted sync.Map
	roles         atomic.Pointer[Roles] // the config's, then SetRoles'; see Client.Roles
	// header holds the headers every request carries. Requests share its
	// one-element value slices: net/http never writes into them, and an
	// Add by a transport appends past their capacity, into a new array.
	header http.Header

	now       func() time.Time
	waitHook  func(time.Duration) time.Duration     // tests: observe and shorten retry waits
	afterFunc func(time.Duration, func()) stopTimer // the stream watchdog's timers; tests replace it
	// withTimeout bounds a request by its CallTimeout
	// (context.WithTimeoutCause, the cause naming it); tests replace it to
	// have the deadline pass when they say.
	withTimeout func(context.Context, time.Duration, error) (context.Context, context.CancelFunc)
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
		afterFunc: func(d time.Duration, f func()) stopTimer { return time.AfterFunc(d, f) }, withTimeout: context.WithTimeoutCause}
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
	c.Batches = &BatchesService{c: c}
	c.Keys = &KeysService{c: c}
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

// unmade stands for the client of a service not made by NewClient (a
// nil service field of a zero Client, or a service built by hand): it
// is a Client without a key, whose every call fails in doCall with
// ErrInvalidRequest before anything is sent. A fresh one each time, so
// that no state is shared.
func unmade(c *Client) *Client {
	if c == nil {
		return &Client{}
	}
	return c
}

func (s *AudioService) client() *Client {
	if s == nil {
		return unmade(nil)
	}
	return unmade(s.c)
}

func (s *VideosService) client() *Client {
	if s == nil {
		return unmade(nil)
	}
	return unmade(s.c)
}

func (s *BatchesService) client() *Client {
	if s == nil {
		return unmade(nil)
	}
	return unmade(s.c)
}

func (s *KeysService) client() *Client {
	if s == nil {
		return unmade(nil)
	}
	return unmade(s.c)
}
