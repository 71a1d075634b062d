package openrouter

import (
	"errors"
	"fmt"
	"strings"
)

// TransportError is a call that ended without a usable HTTP answer: the
// server could not be reached, the connection was cut, no answer came
// before a timeout or the context's end, the server redirected the
// request where the client does not follow, or a POST's 2xx answer could
// not be used (past the client's bound, cut after its headers, not the
// JSON expected: Err is then the ErrTooLarge error, the read's error or
// the *APIError that says so). It matches [ErrUnreachable]
// when nothing of the call reached the server, [ErrMaybeBilled] when at
// least one attempt was sent and its answer lost (such a POST is not sent
// again unless [WithResendAfterCut] or [CallResendAfterCut] allow it),
// and [ErrTimeout] when it ended at a deadline or timeout. It unwraps to its
// cause (context.Canceled, context.DeadlineExceeded, a net error) and to
// Last, the last error answer of an earlier attempt, so that [errors.As]
// and [Hint] find it.
type TransportError struct {
	// Method and Path name the call ("POST", "/chat/completions"); Path
	// carries no query.
	Method, Path string
	// Attempts is how many HTTP attempts were made, retries included.
	Attempts int
	// MaybeBilled is how many of those attempts were sent in full and
	// lost their answer: each may have been processed and billed.
	MaybeBilled int
	// Err is why the last attempt failed.
	Err error
	// Last is the last error answer the server gave an earlier attempt
	// (a 503 before the context ended, say); nil when there was none.
	Last *APIError
	// GenerationID is the generation of an answer lost after its headers
	// (X-Generation-Id), for Client.Generation and
	// Client.GenerationContent; "" when none is known. Generation is its
	// record when the client looked it up (see [WithAnswerRecovery]) and
	// found it: whether it finished, and what it cost.
	GenerationID string
	Generation   *Generation
	notRecovered string // why the lost answer was not read back

	what        string // what went wrong, in words, for Error
	unreachable bool   // the last attempt got no connection and nothing may have been billed
	hint        string // a remediation more precise than the sentinels', when known
}

// Error returns one line: "openrouter: <method> <path>: <what>: <cause>
// (after N attempt(s), M may have been billed); last answer: ...".
// It never contains the API key.
func (e *TransportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "openrouter: %s %s: %s", e.Method, e.Path, e.what)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(strings.TrimPrefix(e.Err.Error(), "openrouter: "))
	}
	fmt.Fprintf(&b, " (after %d attempt(s)", e.Attempts)
	if e.MaybeBilled > 0 {
		fmt.Fprintf(&b, ", %d may have been billed", e.MaybeBilled)
	}
	b.WriteByte(')')
	if e.Last != nil {
		b.WriteString("; last answer: ")
		b.WriteString(strings.TrimPrefix(e.Last.Error(), "openrouter: "))
	}
	b.WriteString(lostGeneration{e.GenerationID, e.Generation, e.notRecovered}.note())
	return b.String()
}

// Is reports whether target is [ErrUnreachable] (nothing of the call
// reached the server), [ErrMaybeBilled] (an attempt was sent and its
// answer lost) or [ErrTimeout] (the call ended at a deadline or timeout:
// the context's, CallTimeout's, the http.Client's).
func (e *TransportError) Is(target error) bool {
	switch target {
	case ErrUnreachable:
		return e.unreachable
	case ErrMaybeBilled:
		return e.MaybeBilled > 0
	case ErrTimeout:
		return isTimeout(e.Err)
	}
	return false
}

// Unwrap returns the cause and the last error answer, when there was one.
func (e *TransportError) Unwrap() []error {
	if e.Last != nil {
		return []error{e.Err, e.Last}
	}
	return []error{e.Err}
}

// transportHint is the remediation for a TransportError in err, which
// comes before that of the answer it carries; "" when there is none.
func transportHint(err error) string {
	var te *TransportError
	if !errors.As(err, &te) {
		return ""
	}
	switch {
	case te.hint != "":
		return te.hint
	case te.MaybeBilled > 0:
		return hintOf(ErrMaybeBilled)
	case te.unreachable:
		return hintOf(ErrUnreachable)
	}
	return ""
}

func hintOf(sentinel error) string {
	for _, h := range hints {
		if h.sentinel == sentinel {
			return h.text
		}
	}
	return ""
}
