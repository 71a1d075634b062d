package openrouter

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"strings"
	"time"
)

// judgeFailure decides, after an attempt that got no answer, whether the
// call may be sent again, and returns the error it ends with otherwise.
// The rule is money's: a POST that may have reached the server is counted
// as maybe billed and not sent again: never while its generation may
// still be running (a timeout, the context's end), and after a connection
// cut only within the caller's WithResendAfterCut or CallResendAfterCut
// allowance. What provably never reached the server, and every
// idempotent request (GET), may be sent again freely.
func (c *Client) judgeFailure(ctx context.Context, st *callState, req *http.Request, err error) (*TransportError, bool) {
	cause := err
	var ue *url.Error
	if errors.As(err, &ue) {
		cause = ue.Err // its text repeats the URL
	}
	var re *redirectError
	if errors.As(cause, &re) {
		te := st.failure(req, re, "redirect not followed")
		te.hint = redirectHint
		return te, false
	}
	if isLimiterError(cause) {
		return st.failure(req, cause, "not sent"), false
	}
	written, connected := st.reached()
	billable := !idempotent(req.Method)
	if written && billable {
		st.countMaybeBilled(ctx)
	}
	switch {
	case ctx.Err() != nil:
		if written && billable {
			return st.failure(req, ctx.Err(), "the context ended after the request was sent, before its answer"), false
		}
		return st.failure(req, ctx.Err(), "the context ended"), false
	case written && billable && isTimeout(cause):
		// The generation may still be running: a second one would be
		// billed too.
		return st.failure(req, cause, "no answer before the timeout, after the request was sent: it may still be running, so it was not sent again"), false
	case written && billable:
		if st.noResend {
			return st.failure(req, cause, "the connection was cut after the request was sent, before its answer: it was not sent again"), false
		}
		if !st.retryLeft() {
			return st.failure(req, cause, "the connection was cut after the request was sent, before its answer: it was not sent again (no retry left)"), false
		}
		if !st.mayResendAfterCut(c.cfg.resendAfterCut) {
			return st.failure(req, cause, "the connection was cut after the request was sent, before its answer: it was not sent again (WithResendAfterCut allows it)"), false
		}
		st.cutResends++
		return st.failure(req, cause, "the connection was cut after the request was sent"), true
	case !connected:
		te := st.failure(req, cause, "cannot reach the server")
		te.unreachable = st.maybeBilled == 0
		var badCert *tls.CertificateVerificationError
		return te, !errors.As(cause, &badCert) // a certificate does not mend by itself
	case written:
		return st.failure(req, cause, "no answer"), true
	}
	return st.failure(req, cause, "the connection failed before the request was sent"), true
}

// mayResendAfterCut reports whether the call may send again a POST whose
// connection was cut after it was written: the call's CallResendAfterCut,
// else the client's WithResendAfterCut, bounds how many such resends the
// call makes (none by default).
func (st *callState) mayResendAfterCut(clientMax int) bool {
	n := clientMax
	if st.call != nil && st.call.resendAfterCut >= 0 {
		n = st.call.resendAfterCut
	}
	return st.cutResends < n
}

// idempotent reports whether sending a request of this method twice has
// the effect of sending it once (RFC 9110): such requests are resent
// freely. POST (a generation) and PATCH are not.
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// countMaybeBilled counts an attempt that reached the server and lost its
// answer, in the call's state and in every CostMeter of its context.
func (st *callState) countMaybeBilled(ctx context.Context) {
	st.maybeBilled++
	addMaybeBilled(ctx, 1)
}

// failure is the error that ends the call after its last attempt.
func (st *callState) failure(req *http.Request, err error, what string) *TransportError {
	return &TransportError{Method: req.Method, Path: apiPath(req.URL.Path), Attempts: st.attempts,
		MaybeBilled: st.maybeBilled, Err: err, Last: st.last, what: what}
}

// apiPath is the part of a request path after the base URL's "/v1", so
// that errors say "/chat/completions" whatever the base URL.
func apiPath(p string) string {
	if i := strings.LastIndex(p, "/v1/"); i >= 0 {
		return p[i+3:]
	}
	return p
}

// reached reports what the current attempt got to: written, the whole
// request was written to a connection (httptrace's WroteRequest, or, for
// a transport that does not report it, the body read to its end);
// connected, a connection was obtained.
func (st *callState) reached() (written, connected bool) {
	if st.traced.Load() {
		return st.wrote.Load(), true
	}
	if st.oneWrite {
		// net/http obtained a connection but had not reported the write
		// when the attempt ended: it may have been written whole.
		c := st.gotConn.Load()
		return c, c
	}
	w := st.bodyRead.Load()
	return w, w
}

// wroteRequest is the call's httptrace hook. It fires once a connection
// was obtained and the request written to it, or the write failed.
func (st *callState) wroteRequest(info httptrace.WroteRequestInfo) {
	st.traced.Store(true)
	if info.Err == nil {
		st.wrote.Store(true)
	}
}

// gotConnHook is the call's httptrace GotConn hook (oneWrite only).
func (st *callState) gotConnHook(httptrace.GotConnInfo) { st.gotConn.Store(true) }

// newBody returns a fresh body for another attempt of the retry loop, or
// for a followed 307/308 (see rewindBody). The last attempt's body may
// still be read by the transport, so it is never reused.
func (st *callState) newBody() (io.ReadCloser, error) {
	if st.oneWrite {
		return io.NopCloser(bytes.NewReader(st.body.b)), nil
	}
	return &attemptBody{b: st.body.b, st: st}, nil
}

// errRewindRefused is what net/http gets when it asks to send again, by
// itself, a request already written whose answer did not come.
var errRewindRefused = errors.New("the connection was lost after the request was written, and net/http's own resend of it was refused (it may have been processed)")

// rewindBody is the request's body rewinder: a fresh body for a followed
// 307/308 (its answer came: not processed), or for net/http's own resend
// of a request whose connection failed before it was written. net/http
// also resends by itself a request written and then cut (a POST with an
// Idempotency-Key header on a reused connection, an HTTP/2 stream reset
// with PROTOCOL_ERROR): that one may have been processed and billed, so
// it is refused, and the retry policy judges the attempt.
func (st *callState) rewindBody() (io.ReadCloser, error) {
	if written, _ := st.reached(); written && !st.hopAnswered.Load() && !idempotent(st.req.Method) {
		return nil, errRewindRefused
	}
	return st.newBody()
}

// startHop notes that the client hands a request to the transport: an
// attempt's first, or one following a redirect (whose answer proved the
// request before it unprocessed). Run by the client's outermost
// transport.
func (st *callState) startHop() {
	st.traced.Store(false)
	st.wrote.Store(false)
	st.bodyRead.Store(false)
	st.gotConn.Store(false)
	st.hopAnswered.Store(false)
}

// attemptBody is one attempt's request body. Read to its end, it records
// that the request was handed whole to a connection: a backstop for
// transports that do not report httptrace's WroteRequest.
type attemptBody struct {
	b   []byte
	off int
	st  *callState
}

func (r *attemptBody) Read(p []byte) (int, error) {
	if r.off >= len(r.b) {
		r.st.bodyRead.Store(true)
		return 0, io.EOF
	}
	n := copy(p, r.b[r.off:])
	r.off += n
	if r.off == len(r.b) {
		// Handed over whole, even to a reader that stops at the
		// request's length without asking for the EOF.
		r.st.bodyRead.Store(true)
	}
	return n, nil
}

func (r *attemptBody) Close() error { return nil }

// isTimeout reports whether err is a timeout: the http.Client's, a
// deadline, a connection's read deadline.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.As(err, &ne) && ne.Timeout()
}

// pastMaxWait reports whether an answer says to wait longer than maxWait
// (a Retry-After, or nothing remaining until a reset): such a 429 is a
// quota, returned at once, and the limiter learns nothing from it. It is
// the one threshold between a rate limit and a quota.
func pastMaxWait(retryAfter time.Duration, rl RateLimitInfo, now time.Time, maxWait time.Duration) bool {
	return retryAfter > maxWait || rl.Remaining == 0 && !rl.Reset.IsZero() && rl.Reset.Sub(now) > maxWait
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
