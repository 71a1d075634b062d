package openrouter

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors. Check them with [errors.Is]; use [errors.As] with
// *[APIError] for the details of an HTTP failure and [Hint] for the
// remediation to show a user. An error matches only the sentinels listed for
// it here: a 429 never matches [ErrServer], a 402 never matches
// [ErrBadRequest].
var (
	// ErrUnauthorized: HTTP 401, or a key refused before sending (empty,
	// surrounded by white space, or without the sk-or- prefix).
	ErrUnauthorized = errors.New("openrouter: unauthorized")
	// ErrInsufficientCredits: HTTP 402, the balance or the key's limit
	// cannot pay for the request.
	ErrInsufficientCredits = errors.New("openrouter: insufficient credits")
	// ErrModelNotFound: the model ID does not exist (OpenRouter answers 400
	// "<id> is not a valid model ID"), or nothing may serve it
	// ([ErrNoEndpoints] matches it too).
	ErrModelNotFound = errors.New("openrouter: model not found")
	// ErrModelDeprecated: the model was retired (availability code
	// model_deprecated); APIError.Suggestions names its successor when
	// OpenRouter gave one. It also matches [ErrModelNotFound].
	ErrModelDeprecated = errors.New("openrouter: model deprecated")
	// ErrNoEndpoints: HTTP 404 "No endpoints found ..." or "No allowed
	// providers ...", or the availability codes no_endpoints,
	// region_restricted, privacy_restricted and constraint_filtered: the
	// model exists, but the account's data policy,
	// provider settings or the request's features (tools, tool_choice,
	// cache control) exclude every provider. It also matches
	// [ErrModelNotFound], since the fix is the same kind: pick another model
	// or change the settings. It is not retried, unless OpenRouter marks
	// the occurrence retryable (Availability.Retryable).
	ErrNoEndpoints = errors.New("openrouter: no endpoints for this model and request")
	// ErrNotFound: HTTP 404 for something that is not a model (an unknown
	// generation ID, say).
	ErrNotFound = errors.New("openrouter: not found")
	// ErrRateLimited: HTTP 429, or a rate-limit error inside a 200 or a
	// stream. Returned after the client's own retries.
	ErrRateLimited = errors.New("openrouter: rate limited")
	// ErrQuotaExhausted: a 429 that will not clear soon (a daily quota such
	// as free-models-per-day, or a Retry-After longer than the client's
	// maximum wait). It also matches [ErrRateLimited]; it is not retried,
	// and a bulk run stops on it.
	ErrQuotaExhausted = errors.New("openrouter: rate quota exhausted")
	// ErrBadRequest: HTTP 400 and the other 4xx answers about the request
	// itself (412, 413, 422).
	ErrBadRequest = errors.New("openrouter: bad request")
	// ErrContextLength: the prompt (plus max_tokens) does not fit the
	// model's context window. It also matches [ErrBadRequest].
	ErrContextLength = errors.New("openrouter: context length exceeded")
	// ErrModerated: HTTP 403 with moderation metadata (reasons, flagged
	// input).
	ErrModerated = errors.New("openrouter: input flagged by moderation")
	// ErrForbidden: every other 403: a guardrail block, a route that needs
	// a management key, a budget block.
	ErrForbidden = errors.New("openrouter: forbidden")
	// ErrBudgetExceeded: a 403 from a budget: a workspace's, a
	// guardrail's, or the key's own limit (metadata.limit_source says
	// which, Metadata.ResetsAt until when). It also matches
	// [ErrForbidden]. Every request fails until the reset: a bulk run
	// stops on it.
	ErrBudgetExceeded = errors.New("openrouter: budget exceeded")
	// ErrTimeout: HTTP 408, or a stream that stalled (see the stream
	// options).
	ErrTimeout = errors.New("openrouter: timed out")
	// ErrServer: HTTP 5xx (500, 502, 503, 504, 52x from a proxy), or a
	// provider failure reported inside a 200.
	ErrServer = errors.New("openrouter: server error")
	// ErrUnparseable: the model's answer is not the JSON that was asked
	// for.
	ErrUnparseable = errors.New("openrouter: unparseable answer")
	// ErrEmptyContent: a 200 whose choices carry no content, no image and
	// no tool call.
	ErrEmptyContent = errors.New("openrouter: empty content")
	// ErrNoImage: an image was asked for and the answer has none.
	ErrNoImage = errors.New("openrouter: no image in the answer")
	// ErrInvalidRequest: refused before anything was sent, for a request
	// or option the caller built wrong (no messages, a temperature out of
	// range, an Extra key that names a typed field, ...).
	ErrInvalidRequest = errors.New("openrouter: invalid request")
	// ErrModelUnsuitable: the model exists but cannot do what its role
	// needs (image output, structured outputs, a large context).
	ErrModelUnsuitable = errors.New("openrouter: model unsuitable for its role")
	// ErrUnreachable: OpenRouter could not be reached at all (DNS failure,
	// connection refused, network down, TLS handshake failure): nothing
	// was sent, so nothing was billed.
	ErrUnreachable = errors.New("openrouter: cannot reach the server")
	// ErrMaybeBilled: the request reached the server and its answer was
	// lost (a timeout, a deadline, a connection cut after the request was
	// written), or a generation's 200 answer could not be used (past a
	// bound, cut, not the JSON promised) or carried an error (OpenRouter
	// answers 200 once the model began): it may have been processed and
	// billed. The SDK does not send it again on its own; retrying is the
	// caller's decision.
	ErrMaybeBilled = errors.New("openrouter: request may have been processed and billed")
	// ErrTooLarge: an answer, an SSE line or event, or a decompressed body
	// passed the client's size bounds (see WithAnswerLimits).
	ErrTooLarge = errors.New("openrouter: answer too large")
)

// APIError is an error answered by OpenRouter: a non-2xx status, or an
// error object inside a 200 body or a stream. It matches the sentinel for
// its meaning through [errors.Is] (see [APIError.Is]).
type APIError struct {
	// StatusCode is the HTTP status, or the error's own code when the
	// error came inside a 200 body or a stream.
	StatusCode int
	// Code is OpenRouter's error.code as sent: usually the status as
	// text ("429"), sometimes a word ("server_error").
	Code string
	// Message is OpenRouter's error.message ("Provider returned error").
	Message string
	// Metadata is error.metadata, decoded.
	Metadata ErrorMetadata
	// ErrorType is OpenRouter's typed error code: error.error_type, or
	// error.metadata.error_type ("rate_limit_exceeded", "not_found").
	ErrorType string
	// Availability is error.availability: why the model cannot be served
	// (its Code is one of the Availability* constants); nil when absent.
	// It decides the sentinels and the retries, over HTTP and in streams
	// alike.
	Availability *Availability
	// RetryAfter is the server's Retry-After, zero when absent.
	RetryAfter time.Duration
	// RateLimit holds the X-RateLimit-* values of a 429, when sent.
	RateLimit RateLimitInfo
	// RequestID is the generation ID (X-Generation-Id or the body's id)
	// when the server gave one.
	RequestID string
	// Header holds the headers of the HTTP answer the error came from;
	// nil for an error that came inside a 200 body or a stream (the
	// call's ResponseInfo has that answer's headers).
	Header http.Header
	// Model is the model the request asked for.
	Model string
	// Attempts is how many HTTP attempts were made, retries included.
	Attempts int
	// MaybeBilled is how many earlier attempts were sent in full and lost
	// their answer (a connection cut): each may have been processed and
	// billed. When it is not zero the error also matches [ErrMaybeBilled].
	MaybeBilled int
	// Suggestions holds OpenRouter's fallback_models when it sent some,
	// else the closest existing model IDs when the model was not found
	// and the client knows the catalogue.
	Suggestions []string
	// InStream reports whether the error arrived inside a 200 answer (a
	// body or a stream) rather than as an HTTP status.
	InStream bool
	// Response is what arrived before the error when it came inside a 200
	// answer: partial content, usage and cost. Nil otherwise.
	Response *ChatResponse

	kind []error // sentinels this error matches, most specific first
	hint string  // a remediation more precise than the sentinel's, when known
	// answered: the error came inside a 2xx answer to a request that is
	// not idempotent (a generation). OpenRouter answers 200 only once the
	// model began processing the request (its errors page: the status
	// "will be an error code unless the model started processing your
	// request"), so it may have been billed: the error matches
	// [ErrMaybeBilled].
	answered bool
	// unusable: a 2xx answer that is not JSON, or not the JSON expected
	// (callState.annotate makes it a lost answer for a POST); shape: one
	// whose JSON does not hold what the API promises (answered for a
	// POST).
	unusable, shape bool
}

// RateLimitInfo is what a 429 says about the limit through its
// X-RateLimit-* headers (or their copy in error.metadata.headers).
type RateLimitInfo struct {
	Limit     int       // requests allowed in the window; 0 when unknown
	Remaining int       // requests left in the window; -1 when unknown
	Reset     time.Time // when the window resets; zero when unknown
}

// Error returns one line: "openrouter: <status> <text>: <message>
// (<provider>: <upstream reason>)". It never contains the API key.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("openrouter: ")
	if e.StatusCode != 0 {
		b.WriteString(strconv.Itoa(e.StatusCode))
		b.WriteByte(' ')
	}
	b.WriteString(e.category())
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if up := e.Metadata.ProviderMessage; up != "" && !strings.Contains(e.Message, up) {
		b.WriteString(" (")
		if p := e.Metadata.ProviderName; p != "" {
			b.WriteString(p)
			b.WriteString(": ")
		}
		b.WriteString(up)
		b.WriteByte(')')
	}
	if e.Availability != nil {
		b.WriteString(" [")
		b.WriteString(e.Availability.Code)
		b.WriteByte(']')
	}
	if e.Is(ErrBudgetExceeded) {
		var parts []string
		if e.Metadata.LimitSource != "" {
			parts = append(parts, e.Metadata.LimitSource)
		}
		if !e.Metadata.ResetsAt.IsZero() {
			parts = append(parts, "resets at "+e.Metadata.ResetsAt.UTC().Format(time.RFC3339))
		}
		if len(parts) > 0 {
			b.WriteString(" [" + strings.Join(parts, ", ") + "]")
		}
	}
	if len(e.Metadata.Reasons) > 0 {
		b.WriteString(" [reasons: ")
		b.WriteString(strings.Join(e.Metadata.Reasons, ", "))
		b.WriteByte(']')
	}
	if len(e.Suggestions) > 0 {
		b.WriteString("; did you mean ")
		b.WriteString(strings.Join(e.Suggestions, " or "))
		b.WriteByte('?')
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts", e.Attempts)
		if e.MaybeBilled > 0 {
			fmt.Fprintf(&b, ", %d may have been billed", e.MaybeBilled)
		}
		b.WriteByte(')')
	}
	if e.answered {
		b.WriteString("; answered inside a 200, after the model began: the request may have been billed")
		if e.RequestID != "" {
			b.WriteString(" (generation ")
			b.WriteString(e.RequestID)
			b.WriteByte(')')
		}
	}
	return b.String()
}

// category is the lower-case name of what went wrong, for Error.
func (e *APIError) category() string {
	if len(e.kind) > 0 {
		return strings.TrimPrefix(e.kind[0].Error(), "openrouter: ")
	}
	if t := http.StatusText(e.StatusCode); t != "" {
		return strings.ToLower(t)
	}
	return "error"
}

// Is reports whether target is one of the sentinels this error stands for:
// a 401 is [ErrUnauthorized], a 400 "is not a valid model ID" is
// [ErrModelNotFound] and [ErrBadRequest], a 429 is [ErrRateLimited], and
// so on; it is [ErrMaybeBilled] too when MaybeBilled is not zero, or
// when it came inside a 200 answer to a generation (OpenRouter answers
// 200 once the model began: the request may have been billed). It is
// false for every other sentinel.
func (e *APIError) Is(target error) bool {
	if target == ErrMaybeBilled {
		return e.MaybeBilled > 0 || e.answered
	}
	for _, k := range e.kind {
		if k == target {
			return true
		}
	}
	return false
}

// Retryable reports whether sending the same request again may succeed:
// as error.availability's retryable says when it was sent (a boolean);
// else 408, 429 (unless the quota is exhausted), 5xx, and a 402 that
// carries Retry-After (the in-flight budget).
func (e *APIError) Retryable() bool {
	switch {
	case e.Is(ErrQuotaExhausted):
		return false
	case e.Availability != nil && e.Availability.retryableSent:
		return e.Availability.Retryable
	case e.StatusCode == http.StatusPaymentRequired:
		return e.RetryAfter > 0 && e.Metadata.Reason != "weight_exceeds_budget"
	case e.Is(ErrRateLimited), e.Is(ErrServer), e.Is(ErrTimeout):
		return true
	}
	return false
}

// Hint returns what the program should tell its user to do about err, or
// "" when err is nil or not an OpenRouter error. It works on every
// sentinel of this package and its subpackages, wrapped or not: an error
// in err's chain with a method Hint() string gives its own hint (that is
// how a sentinel defined elsewhere brings one).
func Hint(err error) string {
	if err == nil {
		return ""
	}
	if h := transportHint(err); h != "" {
		return h
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		if apiErr.MaybeBilled > 0 {
			return hintOf(ErrMaybeBilled)
		}
		if apiErr.hint != "" {
			return apiErr.hint
		}
		if apiErr.Is(ErrBudgetExceeded) {
			return budgetHint(apiErr)
		}
		if apiErr.Metadata.LimitSource == "openrouter_key_limit" {
			return "This key has reached its spending limit: raise the key's limit in the OpenRouter settings, or use another key."
		}
	}
	var h interface{ Hint() string }
	if errors.As(err, &h) {
		if s := h.Hint(); s != "" {
			return s
		}
	}
	for _, h := range hints {
		if errors.Is(err, h.sentinel) {
			return h.text
		}
	}
	return ""
}

// hints is the remediation catalogue, most specific sentinel first.
var hints = []struct {
	sentinel error
	text     string
}{
	{ErrUnauthorized, "The API key is missing, malformed or revoked: check that it has no leading or trailing spaces and starts with sk-or-, test it, or create a new one at https://openrouter.ai/settings/keys."},
	{ErrInsufficientCredits, "The balance is too low for this request (OpenRouter checks credits against max_tokens, or the model's maximum output when max_tokens is unset): top up at https://openrouter.ai/settings/credits, or lower max_tokens."},
	{ErrNoEndpoints, "No provider may serve this model for this request: the account's data policy or provider settings exclude every provider, or none supports a feature the request uses (tools, tool_choice, cache control). Change the privacy or provider settings, drop the feature, or pick another model."},
	{ErrModelDeprecated, "The model was retired: move to its successor (APIError.Suggestions when OpenRouter named one)."},
	{ErrModelNotFound, "The model ID does not exist (a typo, or a retired model): pick one from the live catalogue (Client.Models)."},
	{ErrNotFound, "The server has no such resource: check the ID, and the base URL (WithBaseURL) when the server is not OpenRouter."},
	{ErrModerated, "The input was flagged by moderation (the reasons and flagged excerpt say why): reword it, or use another model."},
	{ErrBudgetExceeded, "A budget was reached (the workspace's, a guardrail's or the key's limit): wait for its reset, or raise it in the OpenRouter settings."},
	{ErrForbidden, "The request was refused: a guardrail blocked it, a budget limit was reached, or the route needs a management key."},
	{ErrQuotaExhausted, "A rate quota is exhausted (for example the daily limit on free models): wait until it resets, add credits to raise the free-model quota, or use a paid model."},
	{ErrRateLimited, "Too many requests: wait about 30 seconds, lower the concurrency, or switch to a less loaded model."},
	{ErrContextLength, "The prompt does not fit the model's context window: use a larger-context model, lower max_tokens, or split the text."},
	{ErrTimeout, "The request timed out: retry it, or lower max_tokens; check https://status.openrouter.ai if it keeps happening."},
	{ErrServer, "Temporary trouble at OpenRouter or the upstream provider: retry in 1 to 5 minutes; check https://status.openrouter.ai if it lasts over 30 minutes."},
	{ErrBadRequest, "The request was rejected as invalid: read the message (and the provider's reason) and fix the request."},
	{ErrUnparseable, "The model did not return the JSON asked for: use a model that follows JSON reliably, avoid :online variants for rewriting, and avoid tiny context windows."},
	{ErrEmptyContent, "The model returned nothing: moderation, or a prompt too long for the context window (or, on reasoning models, max_tokens spent on reasoning). Use a larger-context model, raise max_tokens, or split the text."},
	{ErrModelUnsuitable, "The model cannot do this job: pick one whose catalogue entry has the capability (Client.Models with a ModelFilter)."},
	{ErrInvalidRequest, "The request was refused before anything was sent: the error names the field or option to fix."},
	{ErrUnreachable, "OpenRouter could not be reached: check the network connection, any proxy (HTTPS_PROXY) and the base URL; see https://status.openrouter.ai for outages."},
	{ErrMaybeBilled, "The request reached OpenRouter but its answer was lost, so it may have been processed and billed: check the activity or generation records before sending it again, or give the call more time."},
	{ErrTooLarge, "The answer was larger than the client's bounds: raise them with WithAnswerLimits if the answer is expected to be that large, or lower max_tokens."},
	{ErrNoImage, "The model returned no image: use a model whose output modalities include image (Client.Models with image output)."},
}

// budgetHint names the budget a 403 hit and when it resets.
func budgetHint(e *APIError) string {
	what := map[string]string{
		"openrouter_workspace_budget": "The workspace's budget",
		"openrouter_guardrail_budget": "A guardrail's budget",
		"openrouter_key_limit":        "This key's spending limit",
	}[e.Metadata.LimitSource]
	if what == "" {
		what = "A budget"
	}
	h := what + " is spent: "
	if !e.Metadata.ResetsAt.IsZero() {
		h += "it resets at " + e.Metadata.ResetsAt.UTC().Format(time.RFC3339) + "; wait until then, or "
	}
	return h + "raise it in the OpenRouter settings (a workspace or guardrail budget needs its administrator)."
}
