package openrouter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// This file is the retry loop: a retryablehttp.Client per call, whose
// hooks hold the policy (see the package doc's Retries section). The
// loop's values live in the call's stateCtx, so that a call allocates no
// engine of its own; the hooks find the call's state in the request's
// context. The money rule is judgeFailure's (retry.go), applied by
// checkRetry after every attempt.

// send sends one call through the retry loop: the request, then the
// engine. Every response it does not return has its body closed, which
// releases the limiter's slot, on every path. A chat answer lost after
// its headers may be read back from its generation (recover.go); one lost
// before them has no generation ID to look up, and its error says it may
// have been billed.
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
	st := &sc.st
	sc.Context = ctx
	st.trace.WroteRequest = st.wroteRequest
	ctx = httptrace.WithClientTrace(sc, &st.trace) // composed with the caller's, if any
	req, err := http.NewRequestWithContext(ctx, method, c.cfg.baseURL+path, nil)
	if err != nil {
		return nil, invalid("%s %s: %v", method, path, err)
	}
	req.Header["Authorization"] = c.secrets().auth
	if mgmt := c.secrets().mgmtAuth; mgmt != nil && managementPath(path) {
		req.Header["Authorization"] = mgmt // an account route (account.go)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	if st.call != nil {
		for k, v := range st.call.header {
			req.Header[k] = v
		}
	}
	if body != nil {
		req.Header["Content-Type"] = jsonContentType
		st.body = attemptBody{b: body, st: st}
		req.Body, req.ContentLength, req.GetBody = &st.body, int64(len(body)), st.rewindBody
		if c.stdTransport {
			// A body net/http knows to be in memory: it writes the
			// headers and the body in one write.
			st.oneWrite = true
			st.trace.GotConn = st.gotConnHook
			st.reader.Reset(body)
			req.Body = io.NopCloser(&st.reader)
		}
	}
	c.prepareEngine(sc)
	sc.rreq.Request = req
	resp, err := sc.rc.Do(&sc.rreq)
	if err == nil {
		return resp, nil
	}
	if st.waiting { // the context ended during the wait before a retry
		return nil, st.waitFailure(ctx.Err())
	}
	if st.final != nil {
		return nil, st.final
	}
	return nil, st.failure(st.req, err, "the retry loop failed")
}

// prepareEngine sets the call's retryablehttp.Client: the client's HTTP
// client, the call's retry bound, and the hooks. Only Backoff is the
// call's own closure (it alone is not handed the request); the other
// hooks are shared functions that find the call in the request's
// context.
func (c *Client) prepareEngine(sc *stateCtx) {
	rc := &sc.rc
	rc.HTTPClient = c.hc
	rc.Logger = nil // retryablehttp logs to stderr by default; the client logs itself
	rc.RetryMax = c.cfg.maxRetries
	if cc := sc.st.call; cc != nil && cc.maxRetries >= 0 && cc.maxRetries < rc.RetryMax {
		rc.RetryMax = cc.maxRetries
	}
	sc.st.retryMax = rc.RetryMax
	rc.RequestLogHook = startAttempt
	rc.CheckRetry = checkRetryHook
	rc.PrepareRetry = prepareRetry
	rc.ErrorHandler = keepError
	rc.Backoff = func(_, _ time.Duration, _ int, _ *http.Response) time.Duration {
		return c.retryWait(sc)
	}
}

// callOf returns the call's state from a request's context.
func callOf(ctx context.Context) *callState {
	st, _ := ctx.Value(stateKey{}).(*callState)
	return st
}

// startAttempt is the engine's request log hook, called before every
// attempt: it counts the attempt and clears what the last one reached.
func startAttempt(_ retryablehttp.Logger, req *http.Request, _ int) {
	st := callOf(req.Context())
	st.attempts++
	addRequest(req.Context()) // counted by every CostMeter of the call's context
	st.traced.Store(false)
	st.wrote.Store(false)
	st.bodyRead.Store(false)
	st.gotConn.Store(false)
	st.held = nil
	st.req = req
	st.final = nil
	if o := st.client.cfg.observer; o != nil {
		o.AttemptStart(req.Context(), AttemptStart{Attempt: st.attempts, Model: st.model})
	}
}

// checkRetryHook is the engine's CheckRetry: checkRetry's judgement. The
// error it returns is kept as the call's, to be returned as it is.
func checkRetryHook(ctx context.Context, resp *http.Response, err error) (bool, error) {
	st := callOf(ctx)
	if resp != nil {
		st.status, st.header = resp.StatusCode, resp.Header
	}
	status := resp
	_, retry, err := st.client.checkRetry(ctx, st, st.req, resp, err)
	st.final = err
	if retry {
		st.client.planWait(ctx, st)
	}
	if st.client.cfg.observer != nil {
		// A wait refused by the deadline ends the call: no attempt follows.
		st.observeAttemptEnd(ctx, status, retry && st.waitErr == nil, err)
	}
	return retry, err
}

// planWait plans the wait before the next attempt, after the attempt
// whose error is st.final: backoff's wait, unless it would pass the
// context's deadline, which prepareRetry then reports at once instead of
// waiting in vain (st.waitErr). It is planned when the attempt ends, so
// that the attempt's end says whether another follows.
func (c *Client) planWait(ctx context.Context, st *callState) {
	var retryAfter time.Duration
	if e, ok := st.final.(*APIError); ok {
		retryAfter = e.RetryAfter
	}
	d := c.backoff(retryAfter, st.attempts-1)
	st.wait = d
	if dl, ok := ctx.Deadline(); ok && d > 0 && time.Until(dl) < d {
		st.waitErr = fmt.Errorf("the wait of %v before the next attempt would pass the context's deadline: %w", d.Round(time.Millisecond), context.DeadlineExceeded)
		st.wait = 0
	}
}

// retryWait is the engine's Backoff for one call: the wait planWait
// planned (0 when the deadline refused it).
func (c *Client) retryWait(sc *stateCtx) time.Duration {
	st := &sc.st
	st.waiting = true
	if st.waitErr != nil {
		return 0
	}
	if o := c.cfg.observer; o != nil {
		o.RetryWait(sc, RetryWait{Attempt: st.attempts, Wait: st.wait, Reason: st.final})
	}
	return st.wait
}

// prepareRetry is the engine's prepare-retry hook, called after the wait with a
// copy of the request (the transport may still hold the last one, and
// read its body, after an error): it gives the copy a fresh body.
func prepareRetry(req *http.Request) error {
	st := callOf(req.Context())
	st.waiting = false
	if st.waitErr != nil {
		st.final = st.waitFailure(st.waitErr)
		return st.final
	}
	if req.Body != nil {
		req.Body, _ = st.newBody()
	}
	return nil
}

// waitFailure is the error of a call whose wait before a retry ended (or
// would have passed the context's deadline) after the last attempt
// failed.
func (st *callState) waitFailure(err error) *TransportError {
	te := st.failure(st.req, err, "the context ended while waiting to retry")
	te.unreachable = errors.Is(st.final, ErrUnreachable)
	return te
}

// keepError is the engine's ErrorHandler: the error the hooks chose is
// the call's, returned as it is (every body was closed already).
func keepError(_ *http.Response, err error, _ int) (*http.Response, error) {
	return nil, err
}

var jsonContentType = []string{"application/json"}

// maxErrorBody bounds how much of an error answer is read.
const maxErrorBody = 1 << 20

// checkRetry is the retry policy, applied after every attempt. It returns
// the response to hand to the caller (a 2xx), whether another attempt may
// be made, and the error this attempt would end the call with. An error
// answer is parsed once and kept in st; every body it does not return is
// closed.
func (c *Client) checkRetry(ctx context.Context, st *callState, req *http.Request, resp *http.Response, err error) (*http.Response, bool, error) {
	if err != nil {
		if resp != nil { // a refused redirect: net/http closed its body already
			resp.Body.Close()
		}
		te, retry := c.judgeFailure(ctx, st, req, err)
		retry = retry && st.mayRetry(te) && st.retryLeft()
		c.logRetry(ctx, retry, "transport error", te)
		return nil, retry, te
	}
	if resp.StatusCode < 300 {
		return resp, false, nil
	}
	if resp.StatusCode < 400 { // a redirect net/http did not follow (no Location, say)
		resp.Body.Close()
		te := st.failure(req, &redirectError{status: resp.StatusCode, why: "a redirect the client cannot follow"}, "redirect not followed")
		te.hint = redirectHint
		return nil, false, te
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := parseError(resp.StatusCode, resp.Header, b, c.now())
	c.redact(e)
	e.Model, e.Attempts, e.MaybeBilled = st.model, st.attempts, st.maybeBilled
	if e.Is(ErrRateLimited) && pastMaxWait(e.RetryAfter, e.RateLimit, c.now(), c.cfg.maxWait) {
		e.markQuota()
	}
	if st.held != nil && e.Is(ErrQuotaExhausted) {
		st.held.outcome.Quota = true // the limiter must not learn from it
	}
	if st.held != nil {
		st.held.outcome.ModelScoped = modelScoped(e) // it slows only this model's requests
	}
	resp.Body.Close()
	st.last = e
	retry := e.Retryable() && st.mayRetry(e) && st.retryLeft()
	c.logRetry(ctx, retry, "status", e)
	return nil, retry, e
}

// mayRetry applies the rule of calls that must not be sent twice (a
// batch submission, a key's creation) to an attempt that ended with err:
// they are sent again only when that attempt surely was not processed.
func (st *callState) mayRetry(err error) bool {
	return !st.noResend || st.unprocessed(err)
}

// retryLeft reports whether the call's retry bound allows another
// attempt after the current one (the engine stops after attempt
// retryMax+1 whatever the hooks say): a retry that will not happen is
// neither counted nor logged.
func (st *callState) retryLeft() bool { return st.attempts <= st.retryMax }

func (c *Client) logRetry(ctx context.Context, retry bool, what string, err error) {
	if c.cfg.logger == nil {
		return
	}
	if retry && errors.Is(err, ErrMaybeBilled) {
		c.cfg.logger.WarnContext(ctx, "openrouter: sending again a request that may have been billed (its answer was lost after it was sent)", "reason", what, "error", err)
	} else if retry {
		c.cfg.logger.DebugContext(ctx, "openrouter: retrying", "reason", what, "error", err)
	} else if err != nil {
		c.cfg.logger.DebugContext(ctx, "openrouter: not retrying", "reason", what, "error", err)
	}
}

// backoff is the wait before retry number attempt+1: the server's
// Retry-After when it gave one (a longer one than the maximum wait made
// the answer a quota, not retried), otherwise exponential backoff from
// minWait, doubled per attempt, with jitter.
func (c *Client) backoff(retryAfter time.Duration, attempt int) time.Duration {
	d := retryAfter
	if d == 0 {
		d = expBackoff(c.cfg.minWait, c.cfg.maxWait, attempt)
	}
	if d > c.cfg.maxWait {
		d = c.cfg.maxWait
	}
	if c.waitHook != nil {
		d = c.waitHook(d)
	}
	return d
}
