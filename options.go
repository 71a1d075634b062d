package openrouter

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultBaseURL is OpenRouter's API root.
const DefaultBaseURL = "https://openrouter.ai/api/v1"

// Option configures a Client; its constructors' names start with With.
// Options are applied once, by NewClient; a Client never changes
// afterwards. An option given a bad value makes every call of the client
// fail with [ErrInvalidRequest], before anything is sent.
//
// The package's other options are distinct types, so that one cannot be
// passed where another is meant: [CallOption] (Call...) configures one
// call of a method, [JSONOption] (JSON...) one ChatJSON or Rewrite, and
// [LimiterOption] an [AdaptiveLimiter].
type Option func(*config) error

// config is everything the options set. Defaults live in defaultConfig.
type config struct {
	baseURL    string
	httpClient *http.Client
	referer    string
	title      string
	userAgent  string
	maxRetries int
	// resendAfterCut bounds the resends of a POST cut after it was
	// written (WithResendAfterCut); 0 by default.
	resendAfterCut int
	minWait        time.Duration
	maxWait        time.Duration
	logger         *slog.Logger
	observer       Observer
	obsExt         observers // the observer's extensions (observer.go)
	keyPrefix      string
	limiter        Limiter
	roles          Roles
	catalogTTL     time.Duration
	modelCheck     bool
	lowBalance     float64
	onLowBalance   func(float64)
	firstChunk     time.Duration
	idle           time.Duration
	batchPath      string // the Batch API's path under baseURL; "" is "/batches"
	limits         AnswerLimits
	mgmtKey        string                                     // the management key of the account routes (account.go); never logged
	noRecovery     bool                                       // WithAnswerRecovery(false)
	recoverSleep   func(context.Context, time.Duration) error // tests: the waits between generation lookups
}

func defaultConfig() config {
	return config{
		baseURL:    DefaultBaseURL,
		userAgent:  "routerkit-openrouter-go/" + Version,
		maxRetries: 4,
		minWait:    500 * time.Millisecond,
		maxWait:    60 * time.Second,
		keyPrefix:  "sk-or-",
		limiter:    NewAdaptiveLimiter(),
		roles:      DefaultRoles(),
		catalogTTL: 10 * time.Minute,
		limits:     DefaultAnswerLimits,
	}
}

// Version is this SDK's version, sent in the default User-Agent.
const Version = "0.1.0"

// WithBaseURL sets the API root (default [DefaultBaseURL]); use it to point
// a client at an openroutertest server or a compatible gateway. The URL
// must be absolute http or https, without a query string or fragment
// (each request's path is appended to it); a trailing slash is ignored.
// The error of a refused URL names it with its user information (a
// password, a token) and its query replaced by "xxxxx".
func WithBaseURL(u string) Option {
	return func(c *config) error {
		p, err := url.Parse(u)
		switch {
		case err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "":
			return fmt.Errorf("WithBaseURL(%q): not an absolute http or https URL", redactURL(u))
		case p.RawQuery != "" || p.ForceQuery:
			return fmt.Errorf("WithBaseURL(%q): a base URL may not have a query string (the request paths are appended to it)", redactURL(u))
		case p.Fragment != "" || strings.Contains(u, "#"):
			return fmt.Errorf("WithBaseURL(%q): a base URL may not have a fragment (#...)", redactURL(u))
		}
		c.baseURL = strings.TrimRight(u, "/")
		return nil
	}
}

// redactURL returns u with what may be secret replaced by "xxxxx": the
// user information (user:password@) and the query's values. It works on
// the text, so that a URL that does not parse is redacted too.
func redactURL(u string) string {
	rest := u
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
	}
	start := len(u) - len(rest)
	authority := rest
	if i := strings.IndexAny(authority, "/?#"); i >= 0 {
		authority = authority[:i]
	}
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		u = u[:start] + "xxxxx" + u[start+at:]
	}
	if q := strings.IndexByte(u, '?'); q >= 0 {
		end := len(u)
		if h := strings.IndexByte(u[q:], '#'); h >= 0 {
			end = q + h
		}
		u = u[:q+1] + "xxxxx" + u[end:]
	}
	return u
}

// WithHTTPClient sets the HTTP client the requests go through (default: a
// pooled client with no overall timeout; bound calls with their context).
// The client given is never modified: the client uses a copy, with its own
// redirect policy (same origin and method only, before hc.CheckRedirect)
// and the limiter around hc.Transport.
//
// Mind hc.Timeout: it bounds each attempt, generation included, and a
// generation that outlives it may still be running and billed. Such a
// POST is not sent again: the call fails with [ErrMaybeBilled] (see the
// package doc's Retries section); so does one cut off by the context's
// deadline. Leave Timeout zero and give each call a context deadline long
// enough for its answer: it bounds the whole call, retries included. The client learns
// whether a request was written from net/http/httptrace; a transport not
// built on net/http's Transport is judged by whether it read the whole
// body.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return fmt.Errorf("WithHTTPClient(nil)")
		}
		c.httpClient = hc
		return nil
	}
}

// WithAppInfo sets the attribution headers OpenRouter uses for app rankings:
// HTTP-Referer (your app's URL) and the app's title, sent both as
// X-OpenRouter-Title and as the older X-Title. Empty values are not sent.
func WithAppInfo(referer, title string) Option {
	return func(c *config) error {
		if strings.ContainsAny(referer+title, "\r\n") {
			return fmt.Errorf("WithAppInfo: values must not contain line breaks")
		}
		c.referer, c.title = referer, title
		return nil
	}
}

// WithUserAgent sets the User-Agent header (default
// "routerkit-openrouter-go/<Version>").
func WithUserAgent(ua string) Option {
	return func(c *config) error {
		if strings.ContainsAny(ua, "\r\n") {
			return fmt.Errorf("WithUserAgent: value must not contain line breaks")
		}
		c.userAgent = ua
		return nil
	}
}

// WithRetry sets the retry policy: at most maxRetries retries after the
// first attempt (default 4; 0 disables retries), waiting between minWait
// (default 500ms) and maxWait (default 60s) with exponential backoff and
// jitter. A server's Retry-After is honoured up to maxWait; a 429 whose
// Retry-After (or X-RateLimit-Reset with nothing remaining) is further
// away is a quota: it is not retried, matches [ErrQuotaExhausted], and
// does not slow the client's other requests. maxWait is also how long the
// client's own limiter may hold every request after a 429. Requests that
// may have been billed are not retried at all (see the package doc).
func WithRetry(maxRetries int, minWait, maxWait time.Duration) Option {
	return func(c *config) error {
		if maxRetries < 0 || minWait < 0 || maxWait < minWait {
			return fmt.Errorf("WithRetry(%d, %v, %v): need maxRetries >= 0 and 0 <= minWait <= maxWait", maxRetries, minWait, maxWait)
		}
		c.maxRetries, c.minWait, c.maxWait = maxRetries, minWait, maxWait
		return nil
	}
}

// WithResendAfterCut lets each call send its POST again up to n times
// after the connection was cut once the request had been written (default
// 0: never; the call fails with [ErrMaybeBilled]). The server may have
// received and billed the request before the cut, so each resend may pay
// for the same generation twice: it is counted in MaybeBilled (of the
// answer, the error and [ResponseInfo]) and logged as a warning. A POST
// whose answer did not come before a timeout or the context's end is
// never sent again, whatever n: its generation may still be running.
// Requests that must not be stored twice (a batch submission, a key's
// creation) are never resent after a cut. GETs, and requests that surely
// never reached the server, are retried freely within [WithRetry]. n
// must not be negative; [CallResendAfterCut] sets it for one call.
func WithResendAfterCut(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("WithResendAfterCut(%d): negative", n)
		}
		c.resendAfterCut = n
		return nil
	}
}

// WithLogger sets the logger for retries and warnings (default: none).
// Nothing logged contains the API key.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		c.logger = l
		return nil
	}
}

// WithKeyPrefix sets the prefix an API key must have (default "sk-or-");
// "" accepts any key, for compatible gateways and tests.
func WithKeyPrefix(prefix string) Option {
	return func(c *config) error {
		c.keyPrefix = prefix
		return nil
	}
}

// WithCatalogTTL sets how long the model catalogue is cached (default
// 10 minutes); 0 fetches it on every call, still once for callers that
// ask at the same time.
func WithCatalogTTL(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("WithCatalogTTL(%v): negative", d)
		}
		c.catalogTTL = d
		return nil
	}
}

// WithModelCheck makes every chat request's model (and fallback models)
// checked against the catalogue before it is sent: an unknown one fails
// with [ErrModelNotFound] and suggestions, and nothing is spent. The
// catalogue is fetched (and cached) when needed.
func WithModelCheck() Option {
	return func(c *config) error {
		c.modelCheck = true
		return nil
	}
}

// WithLimiter sets the Limiter that paces every HTTP attempt (default: an
// [AdaptiveLimiter] with 5 requests in flight and adaptive pacing). Give
// one limiter to several clients that share a key, so they pace together;
// nil disables pacing.
func WithLimiter(l Limiter) Option {
	return func(c *config) error {
		c.limiter = l
		return nil
	}
}
