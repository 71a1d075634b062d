package openrouter

import (
	"context"
	"errors"
	"net"
	"net/http"
)

// Whether a request that creates something (a batch, a video job, a
// key) may have been stored when its call failed: the retry loop resends
// such a request only when it surely was not processed (doOnce), and a
// failed submission is looked up only when it may exist.

// maybeStored reports whether a failed submission may have been stored:
// anything but a refusal the server explained (4xx other than 408) or a
// failure before anything was sent.
func maybeStored(err error) bool {
	if errors.Is(err, ErrMaybeBilled) { // whatever earlier answer it carries
		return true
	}
	if errors.Is(err, ErrInvalidRequest) || errors.Is(err, ErrUnreachable) || nothingSent(err) || notBegun(err) {
		return false
	}
	var e *APIError
	if errors.As(err, &e) && e.StatusCode >= 400 && e.StatusCode < 500 && e.StatusCode != http.StatusRequestTimeout {
		return false
	}
	var ke *APIError
	if errors.Is(err, ErrUnauthorized) && !errors.As(err, &ke) { // the key was refused before sending
		return false
	}
	return true
}

// notBegun reports whether err is the caller's context, ended before
// the call began: a bare context error. One that ends a call under way
// comes as a *TransportError (maybe billed once the request was
// written).
func notBegun(err error) bool {
	var te *TransportError
	var e *APIError
	return (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) &&
		!errors.As(err, &te) && !errors.As(err, &e)
}

// nothingSent reports whether a transport error happened before the
// request could reach the server: a refused connection, a DNS failure.
func nothingSent(err error) bool {
	if errors.Is(err, ErrUnreachable) {
		return true
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// unprocessed reports whether the attempt that ended with err surely
// was not processed: it was answered 429, or never written whole.
func (st *callState) unprocessed(err error) bool {
	// This attempt's own answer only: a TransportError carries an earlier
	// attempt's 429 in Last, which says nothing of this one.
	if e, ok := err.(*APIError); ok {
		return e.StatusCode == http.StatusTooManyRequests
	}
	written, _ := st.reached()
	return !written
}
