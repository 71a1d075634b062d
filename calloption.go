package openrouter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// CallOption configures one call of a Client method, without a second
// Client (which would get a limiter and spending total of its own). Every
// method that sends a request takes ...CallOption last; the constructors'
// names start with Call (CallHeader, CallTimeout, CallMaxRetries,
// CallResponseInto, ...), where a Client's options ([Option]) start with
// With.
//
// A CallOption is also a [JSONOption], so that ChatJSON and Rewrite take
// both kinds in one list.
type CallOption interface {
	JSONOption
	applyCall(*callConfig) error
}

// callConfig is what a call's options set; the zero value is the client's
// behaviour.
type callConfig struct {
	header http.Header // added to the request, replacing the client's of the same name
	// sharedHeader: header is a CallHeader's own map, shared by its
	// calls: copied before another header is added.
	sharedHeader bool
	timeout      time.Duration // 0: none
	maxRetries   int           // -1: the client's
	// resendAfterCut bounds the resends of a POST cut after it was
	// written (CallResendAfterCut); -1: the client's.
	resendAfterCut int
	info           *ResponseInfo // filled in after each request, when set
	// infoMu guards info when a call's requests may run at once
	// (Rewrite's sections): prepareCall makes it; a call of one request
	// has none, and allocates none.
	infoMu   *sync.Mutex
	recovery int8 // CallAnswerRecovery: 1 on, -1 off, 0 the client's
}

// record notes a request's outcome in the call's ResponseInfo, if any.
func (c *callConfig) record(st *callState, resp *http.Response, err error) {
	if c.info == nil {
		return
	}
	c.lockInfo()
	defer c.unlockInfo()
	c.info.record(st, resp, err)
}

// lockInfo and unlockInfo guard the call's ResponseInfo when its
// requests may run at once.
func (c *callConfig) lockInfo() {
	if c.infoMu != nil {
		c.infoMu.Lock()
	}
}

func (c *callConfig) unlockInfo() {
	if c.infoMu != nil {
		c.infoMu.Unlock()
	}
}

// lostAnswer counts, in the call's ResponseInfo, an answer lost after
// its headers were recorded.
func (c *callConfig) lostAnswer() {
	if c == nil || c.info == nil {
		return
	}
	c.lockInfo()
	defer c.unlockInfo()
	c.info.MaybeBilled++
}

// answered completes the call's ResponseInfo, if any, from a chat answer.
func (c *callConfig) answered(r *ChatResponse) {
	if c.info == nil {
		return
	}
	c.lockInfo()
	defer c.unlockInfo()
	c.info.answered(r)
}

// callOption is the one implementation of CallOption.
type callOption func(*callConfig) error

func (f callOption) applyCall(c *callConfig) error { return f(c) }

// applyJSON hands the option to each request ChatJSON and Rewrite send.
func (f callOption) applyJSON(c *jsonConfig) { c.call = append(c.call, f) }

// newCallConfig applies opts in order; the first error refuses the call
// before anything is sent. It returns nil when there are no options, so
// that a call without them costs nothing.
func newCallConfig(opts []CallOption) (*callConfig, error) {
	if len(opts) == 0 {
		return nil, nil
	}
	cc := &callConfig{maxRetries: -1, resendAfterCut: -1}
	for _, o := range opts {
		if o == nil {
			return nil, invalid("nil CallOption")
		}
		if err := o.applyCall(cc); err != nil {
			return nil, invalid("%v", err)
		}
	}
	return cc, nil
}

// refusedHeaders are the headers a call may not set: the key, and what
// frames the request.
var refusedHeaders = map[string]bool{
	"Authorization": true, "Proxy-Authorization": true, "Host": true, "Content-Length": true,
	"Content-Type": true, "Transfer-Encoding": true, "Connection": true, "Te": true, "Trailer": true, "Upgrade": true,
}

// CallHeader sends the header name: value with this call, replacing the
// client's header of the same name (User-Agent, X-Title, ...) and an
// earlier CallHeader of that name. Headers that carry the key or frame the
// request (Authorization, Host, Content-Type, Content-Length, ...) are
// refused, as are Idempotency-Key and X-Idempotency-Key (OpenRouter has
// none, and net/http resends a POST carrying one after a cut), names that
// are not HTTP tokens and values with line breaks: the call then fails
// with [ErrInvalidRequest] before sending.
func CallHeader(name, value string) CallOption {
	key := http.CanonicalHeaderKey(name)
	var err error
	switch {
	case !isToken(name):
		err = fmt.Errorf("CallHeader(%q): not a valid header name", name)
	case refusedHeaders[key]:
		err = fmt.Errorf("CallHeader(%q): this header is set by the client and cannot be replaced", name)
	case key == "Idempotency-Key" || key == "X-Idempotency-Key":
		// net/http would itself send such a POST again after a cut on a
		// reused connection, and OpenRouter would bill both.
		err = fmt.Errorf("CallHeader(%q): OpenRouter has no idempotency key, and with this header net/http would send a POST again after a cut, billed twice", name)
	case strings.ContainsAny(value, "\r\n\x00"):
		err = fmt.Errorf("CallHeader(%q): the value contains a line break or NUL", name)
	}
	// Checked and built once: a call given the option allocates nothing
	// for it. The one-header map is shared by the calls, which only read
	// it, until a second header copies it (sharedHeader).
	alone := http.Header{key: {value}}
	return callOption(func(c *callConfig) error {
		switch {
		case err != nil:
			return err
		case c.header == nil:
			c.header, c.sharedHeader = alone, true
			return nil
		case c.sharedHeader:
			c.header, c.sharedHeader = c.header.Clone(), false
		}
		c.header[key] = alone[key]
		return nil
	})
}

// isToken reports whether s is a non-empty HTTP token (RFC 9110).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		ok := 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0
		if !ok {
			return false
		}
	}
	return true
}

// CallResponseCache turns on OpenRouter's response cache for this call
// (header X-OpenRouter-Cache: true): an identical request within ttl is
// answered from the cache, at no cost, with usage reported as zero. ttl
// is whole seconds from 1s to 24h; 0 keeps OpenRouter's default (5
// minutes). [ResponseInfo].CacheStatus tells whether the answer was a HIT
// or a MISS.
func CallResponseCache(ttl time.Duration) CallOption {
	return callOption(func(c *callConfig) error {
		if ttl != 0 && (ttl < time.Second || ttl > 24*time.Hour || ttl%time.Second != 0) {
			return fmt.Errorf("CallResponseCache(%v): the TTL is whole seconds from 1s to 24h", ttl)
		}
		if err := CallHeader("X-OpenRouter-Cache", "true").applyCall(c); err != nil {
			return err
		}
		if ttl > 0 {
			return CallHeader("X-OpenRouter-Cache-TTL", strconv.Itoa(int(ttl/time.Second))).applyCall(c)
		}
		return nil
	})
}

// CallProviderMetadata asks OpenRouter to describe how the request was
// routed (header X-OpenRouter-Metadata: enabled): the answer then carries
// an openrouter_metadata object naming the provider that served it.
func CallProviderMetadata() CallOption { return CallHeader("X-OpenRouter-Metadata", "enabled") }

// CallCategories sends the app's marketplace categories with this call
// (header X-OpenRouter-Categories, comma-separated). A category may not be
// empty or contain a comma.
func CallCategories(categories ...string) CallOption {
	return callOption(func(c *callConfig) error {
		if len(categories) == 0 {
			return fmt.Errorf("CallCategories(): no category")
		}
		for _, s := range categories {
			if strings.TrimSpace(s) == "" || strings.Contains(s, ",") {
				return fmt.Errorf("CallCategories: %q is empty or contains a comma", s)
			}
		}
		return CallHeader("X-OpenRouter-Categories", strings.Join(categories, ",")).applyCall(c)
	})
}

// CallTimeout bounds the whole call, retries and the reading of the
// answer included (a stream's too), as a context deadline would. When it
// passes, the error wraps [context.DeadlineExceeded] and names the
// timeout. For ChatJSON, Rewrite and RunTools it bounds all their
// requests together. d must be positive.
func CallTimeout(d time.Duration) CallOption {
	return callOption(func(c *callConfig) error {
		if d <= 0 {
			return fmt.Errorf("CallTimeout(%v): not positive", d)
		}
		c.timeout = d
		return nil
	})
}

// CallMaxRetries lowers the number of retries for this call to n (0: no
// retry), under the client's maximum set by [WithRetry]; the rules of
// which answers are retried stay the client's. n above the client's
// maximum fails the call with [ErrInvalidRequest], as does a negative n.
func CallMaxRetries(n int) CallOption {
	return callOption(func(c *callConfig) error {
		if n < 0 {
			return fmt.Errorf("CallMaxRetries(%d): negative", n)
		}
		c.maxRetries = n
		return nil
	})
}

// CallResendAfterCut lets this call send its POST again up to n times
// after the connection was cut once the request had been written, in
// place of the client's [WithResendAfterCut] (0: never, the default).
// Each such resend may pay for the generation twice: it is counted in
// MaybeBilled (of the answer, the error and [ResponseInfo]) and logged as
// a warning. A POST whose answer did not come before a timeout or the
// context's end is never sent again: its generation may still be running.
// n must not be negative. Resends count against the call's retries.
func CallResendAfterCut(n int) CallOption {
	return callOption(func(c *callConfig) error {
		if n < 0 {
			return fmt.Errorf("CallResendAfterCut(%d): negative", n)
		}
		c.resendAfterCut = n
		return nil
	})
}

// CallResponseInto fills *info with what the HTTP answer said (status,
// headers, generation ID, rate limits, provider, cache status) and how
// the call went (attempts, attempts that may have been billed), after the
// call, whether it succeeded or failed. *info is reset when the call
// starts. info must not be nil.
//
//	var info openrouter.ResponseInfo
//	res, err := c.Chat(ctx, req, openrouter.CallResponseInto(&info))
//	log.Println(info.RequestID, info.Attempts, info.Header.Get("X-OpenRouter-Cache-Status"))
func CallResponseInto(info *ResponseInfo) CallOption {
	return callOption(func(c *callConfig) error {
		if info == nil {
			return errors.New("CallResponseInto(nil)")
		}
		*info = ResponseInfo{}
		c.info = info
		return nil
	})
}

// prepared is a call's options already applied, handed to each request
// of a call that sends several (ChatJSON, Rewrite, RunTools): ResponseInfo
// is reset once, for the whole call, and the timeout is applied once, by
// the call.
type prepared struct{ cc *callConfig }

func (p prepared) applyCall(c *callConfig) error {
	*c = *p.cc
	c.timeout = 0
	return nil
}

func (p prepared) applyJSON(c *jsonConfig) { c.call = append(c.call, p) }

// prepareCall applies opts once for a call that sends several requests:
// it returns the context bounded by the call's timeout (cancel releases
// it) and the options to pass to each request. Errors are the options'.
func prepareCall(ctx context.Context, opts []CallOption) (context.Context, context.CancelFunc, []CallOption, error) {
	cc, err := newCallConfig(opts)
	if err != nil || cc == nil {
		return ctx, func() {}, nil, err
	}
	if cc.info != nil && cc.infoMu == nil {
		// Its requests may run at once. An outer call's mutex (Article's,
		// whose sections each run ChatJSON) is kept: one for the call.
		cc.infoMu = new(sync.Mutex)
	}
	cancel := context.CancelFunc(func() {})
	if cc.timeout > 0 && ctx != nil {
		ctx, cancel = withCallTimeout(ctx, cc.timeout)
	}
	return ctx, cancel, []CallOption{prepared{cc}}, nil
}

// callTimeoutKey marks a context whose deadline is a CallTimeout's.
type callTimeoutKey struct{}

// withCallTimeout is context.WithTimeout, remembering d for the error.
func withCallTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeoutCause(ctx, d, errCallTimeout)
	return context.WithValue(ctx, callTimeoutKey{}, d), cancel
}

// errCallTimeout is the cause of a context ended by its CallTimeout, so
// that a deadline of the caller's passing first is not named as it.
var errCallTimeout = errors.New("openrouter: the call's timeout passed")

// timeoutError names the CallTimeout when it is why err happened, for a
// context made by withCallTimeout.
func timeoutError(ctx context.Context, err error) error {
	if ctx == nil || err == nil {
		return err
	}
	d, _ := ctx.Value(callTimeoutKey{}).(time.Duration)
	return timeoutAfter(ctx, d, err)
}

// timeoutAfter names CallTimeout(d) when it is why err happened: ctx,
// bounded by it, ended at its deadline. d <= 0 (no CallTimeout) leaves
// err as it is. A call of one request knows d and needs no context value
// (one allocation less).
func timeoutAfter(ctx context.Context, d time.Duration, err error) error {
	if ctx == nil || err == nil || d <= 0 || !errors.Is(ctx.Err(), context.DeadlineExceeded) || context.Cause(ctx) != errCallTimeout {
		return err // no CallTimeout, or a deadline of the caller's passed first
	}
	return &callTimeoutError{d: d, err: err}
}

// callTimedOut reports whether the call's CallTimeout has passed: its
// requests' context ended at its deadline.
func (st *callState) callTimedOut() bool {
	return st.call != nil && st.call.timeout > 0 && st.req != nil &&
		errors.Is(st.req.Context().Err(), context.DeadlineExceeded) && context.Cause(st.req.Context()) == errCallTimeout
}

// callTimeoutError is a call ended by its CallTimeout. It wraps the
// error the call failed with, which matches [context.DeadlineExceeded].
type callTimeoutError struct {
	d   time.Duration
	err error
}

func (e *callTimeoutError) Error() string {
	return fmt.Sprintf("openrouter: the call's timeout (CallTimeout(%v)) passed: %v", e.d, e.err)
}

func (e *callTimeoutError) Unwrap() error { return e.err }

// Is makes the error match context.DeadlineExceeded even when the error
// it wraps does not say so.
func (e *callTimeoutError) Is(target error) bool { return target == context.DeadlineExceeded }
