package openrouter

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// limitTransport paces every HTTP attempt through a Limiter: Acquire
// before sending, release when the answer's body is closed (the client
// closes every body it does not hand over, on every path, and marks a
// quota 429's Outcome before).
type limitTransport struct {
	base http.RoundTripper
	lim  Limiter
	rate atomic.Uint64 // the learned rate last reported to a LimiterObserver, as float64 bits
	// models holds, by model, the rate learned for it last reported (an
	// *atomic.Uint64 of float64 bits).
	models sync.Map
}

// limiterError is a refusal by the Limiter (a wait past the context's
// deadline, say). It is not retried.
type limiterError struct{ err error }

func (e *limiterError) Error() string { return e.err.Error() }
func (e *limiterError) Unwrap() error { return e.err }

func (t *limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	st, _ := req.Context().Value(stateKey{}).(*callState)
	var lo LimiterObserver
	if st != nil && st.client != nil {
		lo = st.client.cfg.obsExt.limiter
	}
	var start time.Time
	if lo != nil {
		start = st.client.now()
		st.limitParts = LimiterWait{} // filled by an AdaptiveLimiter (waitParts)
	}
	release, err := t.lim.Acquire(req.Context())
	if lo != nil {
		e := st.limitParts
		e.Model, e.Wait, e.Err = st.model, st.client.now().Sub(start), err
		observeWait(req.Context(), lo, e, release)
		if err == nil {
			release = t.observeRate(req, lo, release)
		}
	}
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, &limiterError{err}
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		release(Outcome{})
		return nil, err
	}
	o := Outcome{StatusCode: resp.StatusCode, RetryAfter: parseRetryAfter(headerValue(resp.Header, "Retry-After"), time.Now()), RateLimit: RateLimitInfo{Remaining: -1},
		Model: ModelFromContext(req.Context())}
	if resp.StatusCode == http.StatusTooManyRequests || headerValue(resp.Header, "X-Ratelimit-Remaining") != "" {
		o.RateLimit = parseRateLimit(resp.Header, nil)
	}
	rb := &releaseBody{ReadCloser: resp.Body, release: release, outcome: o}
	if st != nil {
		st.held = rb // the client marks a quota in it before closing
	}
	resp.Body = rb
	return resp, nil
}

// observeWait tells lo of an attempt's wait; should lo panic, the slot
// the attempt got is given back first (see Observer).
func observeWait(ctx context.Context, lo LimiterObserver, e LimiterWait, release func(Outcome)) {
	told := false
	defer func() {
		if !told && release != nil {
			release(Outcome{})
		}
	}()
	lo.LimiterWait(ctx, e)
	told = true
}

// headerValue is h.Get(key) for a key spelled as http.Header stores it
// (canonical): a map lookup, without Get's check and copy of the name.
func headerValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// observeRate returns release, which also tells lo when the limiter's
// learned rate, or the one it learned for the attempt's model, changed
// with the attempt's outcome.
func (t *limitTransport) observeRate(req *http.Request, lo LimiterObserver, release func(Outcome)) func(Outcome) {
	lr, ok := t.lim.(interface{ LearnedRate() float64 })
	mr, _ := t.lim.(interface{ ModelRate(string) float64 })
	if !ok && mr == nil {
		return release
	}
	ctx := req.Context()
	model := ModelFromContext(ctx)
	return func(o Outcome) {
		release(o)
		if ok {
			changed(&t.rate, lr.LearnedRate(), func(now, prev float64) { lo.RateChange(ctx, RateChange{Rate: now, Previous: prev}) })
		}
		if mr != nil && model != "" {
			v, seen := t.models.Load(model)
			if !seen {
				v, _ = t.models.LoadOrStore(model, new(atomic.Uint64))
			}
			changed(v.(*atomic.Uint64), mr.ModelRate(model), func(now, prev float64) {
				lo.RateChange(ctx, RateChange{Model: model, Rate: now, Previous: prev})
			})
		}
	}
}

// changed stores rate in last (float64 bits) and calls report when it
// differs from the rate stored before.
func changed(last *atomic.Uint64, rate float64, report func(now, prev float64)) {
	if prev := math.Float64frombits(last.Swap(math.Float64bits(rate))); prev != rate {
		report(rate, prev)
	}
}

// CloseIdleConnections closes the base transport's idle connections.
func (t *limitTransport) CloseIdleConnections() {
	if ci, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// releaseBody releases the limiter's slot when the body is closed, once.
type releaseBody struct {
	io.ReadCloser
	release func(Outcome)
	outcome Outcome
	closed  atomic.Bool
}

func (b *releaseBody) Close() error {
	err := b.ReadCloser.Close()
	if b.closed.CompareAndSwap(false, true) {
		b.release(b.outcome)
	}
	return err
}

func isLimiterError(err error) bool {
	var le *limiterError
	return errors.As(err, &le)
}

// keepIdle is the client's outermost transport. It hides its base's
// CloseIdleConnections from the retry engine, which closes a client's
// idle connections whenever a call fails: the pool is shared by every
// call of the client (a bulk run's workers), and a failed call says
// nothing of the other connections.
type keepIdle struct{ base http.RoundTripper }

func (t keepIdle) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	st, _ := req.Context().Value(stateKey{}).(*callState)
	if st != nil {
		st.startHop()
	}
	resp, err := base.RoundTrip(req)
	if st != nil && resp != nil {
		st.hopAnswered.Store(true) // a redirect may now rewind the body
	}
	return resp, err
}
