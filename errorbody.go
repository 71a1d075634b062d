package openrouter

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// ErrorMetadata is OpenRouter's error.metadata, with the keys that matter
// decoded and every other key kept as raw JSON.
type ErrorMetadata struct {
	// ProviderName is the upstream provider that failed ("OpenAI").
	ProviderName string
	// Raw is the upstream provider's own error as text: metadata.raw
	// unquoted when it was a JSON string, compact JSON when an object.
	Raw string
	// ProviderMessage is the upstream reason extracted from Raw: the
	// message inside the provider's JSON, or its plain text.
	ProviderMessage string
	// ErrorType is OpenRouter's typed error code ("context_length_exceeded").
	ErrorType string
	// ProviderCode is the upstream provider's error code.
	ProviderCode string
	// Reasons and FlaggedInput explain a moderation block.
	Reasons      []string
	FlaggedInput string
	// LimitSource says which limit a 402 or 429 hit
	// ("openrouter_credits", "openrouter_in_flight_budget",
	// "openrouter_free_tier_daily", ...). Branch on it, not on texts.
	LimitSource string
	// Reason refines LimitSource ("in_flight_budget_exhausted").
	Reason string
	// RemedyHint is OpenRouter's own advice, when it sent one.
	RemedyHint string
	// ResetsAt is when the budget a 403 hit starts again (resets_at);
	// zero when not sent.
	ResetsAt time.Time
	// Extra holds every other metadata key as raw JSON.
	Extra map[string]json.RawMessage
}

// maxExcerpt bounds the text of a body that is not an OpenRouter error.
const maxExcerpt = 200

// parseError builds the error for a failed answer: an HTTP status >= 400,
// or an error object inside a 200 body (status 200, body the error's
// JSON). It accepts any bytes and never panics. now dates HTTP-date
// Retry-After values.
func parseError(status int, header http.Header, body []byte, now time.Time) *APIError {
	e := &APIError{StatusCode: status}
	var env struct {
		Error json.RawMessage `json:"error"`
		ID    string          `json:"id"`
	}
	trimmed := bytes.TrimSpace(body)
	if json.Unmarshal(trimmed, &env) == nil && len(env.Error) > 0 && string(env.Error) != "null" {
		e.fillFrom(env.Error)
		e.RequestID = env.ID
	} else if msg := plainMessage(trimmed); msg != "" {
		e.Message = msg
	} else if len(trimmed) > 0 {
		e.Message = excerpt(trimmed)
	} else {
		e.Message = "empty body"
	}
	if header != nil {
		e.RetryAfter = parseRetryAfter(header.Get("Retry-After"), now)
		if id := header.Get("X-Generation-Id"); id != "" {
			e.RequestID = id
		}
	}
	e.RateLimit = parseRateLimit(header, e.Metadata.Extra["headers"])
	e.classify()
	if e.Is(ErrBudgetExceeded) && e.Metadata.ResetsAt.IsZero() {
		e.Metadata.ResetsAt = budgetReset(e.Message, now)
	}
	return e
}

// errorFromObject builds the error for an error object found inside a 200
// body or a stream chunk.
func errorFromObject(obj json.RawMessage) *APIError {
	e := &APIError{InStream: true}
	e.fillFrom(obj)
	if e.Message == "" {
		e.Message = "the provider failed while answering"
	}
	e.RateLimit = parseRateLimit(nil, e.Metadata.Extra["headers"])
	if e.StatusCode == 0 && e.Availability != nil {
		e.StatusCode = availabilityStatus[e.Availability.Code] // the docs' status of the code
	}
	if e.StatusCode == 0 {
		e.StatusCode = statusForErrorType(e.ErrorType, e.Code)
	}
	e.classify()
	return e
}

// fillFrom decodes an OpenRouter error object: {"code", "message",
// "metadata"}, or the 2026 envelope {"message", "error_type",
// "http_status", "availability", "metadata"}. A bare string is taken as
// the message. Inside a 200 the error's own status (code, else
// http_status) is the StatusCode.
func (e *APIError) fillFrom(obj json.RawMessage) {
	var o struct {
		Code         json.RawMessage            `json:"code"`
		HTTPStatus   json.RawMessage            `json:"http_status"`
		ErrorType    json.RawMessage            `json:"error_type"`
		Message      json.RawMessage            `json:"message"`
		Availability json.RawMessage            `json:"availability"`
		Metadata     map[string]json.RawMessage `json:"metadata"`
	}
	if err := json.Unmarshal(obj, &o); err != nil {
		e.Message = textOf(obj)
		return
	}
	e.Code = textOf(o.Code)
	for _, c := range []string{e.Code, textOf(o.HTTPStatus)} {
		if n, err := strconv.Atoi(c); err == nil && e.StatusCode == 0 && n >= 100 && n <= 599 {
			e.StatusCode = n
		}
	}
	e.Message = textOf(o.Message)
	e.Metadata = decodeMetadata(o.Metadata)
	e.ErrorType = textOf(o.ErrorType)
	if e.ErrorType == "" {
		e.ErrorType = e.Metadata.ErrorType
	}
	if e.Availability = decodeAvailability(o.Availability); e.Availability != nil {
		e.Suggestions = e.Availability.FallbackModels
	}
}

func decodeMetadata(m map[string]json.RawMessage) ErrorMetadata {
	var md ErrorMetadata
	for k, v := range m {
		switch k {
		case "provider_name":
			md.ProviderName = textOf(v)
		case "raw":
			md.Raw = textOf(v)
			md.ProviderMessage = upstreamMessage(v, 0)
		case "error_type":
			md.ErrorType = textOf(v)
		case "provider_code":
			md.ProviderCode = textOf(v)
		case "reasons":
			if json.Unmarshal(v, &md.Reasons) != nil {
				md.Reasons = []string{textOf(v)}
			}
		case "flagged_input":
			md.FlaggedInput = textOf(v)
		case "limit_source":
			md.LimitSource = textOf(v)
		case "reason":
			md.Reason = textOf(v)
		case "remedy_hint":
			md.RemedyHint = textOf(v)
		case "resets_at":
			md.ResetsAt = parseResetsAt(v)
		default:
			if md.Extra == nil {
				md.Extra = make(map[string]json.RawMessage)
			}
			md.Extra[k] = v
		}
	}
	return md
}

// textOf returns a JSON value as text: a string unquoted, null as "",
// anything else as its compact JSON.
func textOf(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	if v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	}
	var buf bytes.Buffer
	if json.Compact(&buf, v) == nil {
		return buf.String()
	}
	return excerpt(v)
}

// upstreamMessage digs the provider's own reason out of metadata.raw: a
// JSON string that may hold JSON (pretty-printed or not), a nested object,
// or plain text.
func upstreamMessage(v json.RawMessage, depth int) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || depth > 4 {
		return ""
	}
	switch v[0] {
	case '"':
		var s string
		if json.Unmarshal(v, &s) != nil {
			return ""
		}
		inner := bytes.TrimSpace([]byte(s))
		if len(inner) > 0 && (inner[0] == '{' || inner[0] == '"') && json.Valid(inner) {
			if m := upstreamMessage(inner, depth+1); m != "" {
				return m
			}
		}
		return clip(collapseSpace(s), 300)
	case '{':
		var o map[string]json.RawMessage
		if json.Unmarshal(v, &o) != nil {
			return ""
		}
		for _, k := range []string{"error", "message", "detail", "error_description", "msg", "errors"} {
			if m := upstreamMessage(o[k], depth+1); m != "" {
				return m
			}
		}
		return ""
	case '[':
		var a []json.RawMessage
		if json.Unmarshal(v, &a) != nil || len(a) == 0 {
			return ""
		}
		return upstreamMessage(a[0], depth+1)
	}
	return ""
}

// plainMessage reads the non-OpenRouter JSON error shapes some proxies
// send: {"message": "..."} or {"detail": "..."}.
func plainMessage(body []byte) string {
	if len(body) == 0 || body[0] != '{' {
		return ""
	}
	var o map[string]json.RawMessage
	if json.Unmarshal(body, &o) != nil {
		return ""
	}
	for _, k := range []string{"message", "detail", "error_description"} {
		if s := textOf(o[k]); s != "" {
			return clip(collapseSpace(s), 300)
		}
	}
	return ""
}

// excerpt turns a body that is not JSON (an HTML page from a proxy, a
// truncated body) into a short line: an HTML page's <title>, otherwise the
// text with tags dropped and white space folded.
func excerpt(body []byte) string {
	s := string(body)
	// asciiLower keeps every byte where it is (strings.ToLower would turn
	// each invalid byte into a 3-byte U+FFFD and shift the positions).
	low := asciiLower(s)
	if i := strings.Index(low, "<title>"); i >= 0 {
		if j := strings.Index(low[i:], "</title>"); j > 0 {
			if t := collapseSpace(s[i+len("<title>") : i+j]); t != "" {
				return clip(t, maxExcerpt)
			}
		}
	}
	var b strings.Builder
	inTag := false
	for _, r := range s {
		switch {
		case r == '<':
			inTag = true
		case r == '>' && inTag:
			inTag = false
			b.WriteByte(' ')
		case !inTag:
			b.WriteRune(r)
		}
		if b.Len() > 4*maxExcerpt {
			break
		}
	}
	return clip(collapseSpace(b.String()), maxExcerpt)
}

// asciiLower lower-cases the ASCII letters of s and leaves every other
// byte as it is, so that positions in the result are positions in s.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

func collapseSpace(s string) string {
	return strings.Join(strings.Fields(strings.ToValidUTF8(s, "\uFFFD")), " ")
}

// clip shortens s to at most n runes, marking the cut with "...".
func clip(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos] + "..."
		}
		i++
	}
	return s
}

// normalize lower-cases s and folds punctuation and runs of space into
// single spaces, so that messages match loosely.
func normalize(s string) string {
	var b strings.Builder
	space := true
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			space = false
		} else if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimSpace(b.String())
}

// modelMissingText reports whether a normalized message says the model
// does not exist, in the words of chat ("<id> is not a valid model ID"),
// embeddings ("Model <id> does not exist") and images ("<id> is not a
// valid image model ID").
func modelMissingText(msg string) bool {
	if containsAny(msg, "not a valid model id", "not a valid image model id", "invalid model specified", "model not found", "no such model") {
		return true
	}
	i := strings.Index(msg, "model ")
	return i >= 0 && containsAny(msg[i:], "does not exist", "do not exist")
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// classify sets the sentinels the error matches, from what the answer
// means: an availability code first (the same whatever the transport),
// else the status, refined by the message and metadata.
func (e *APIError) classify() {
	if a := e.Availability; a != nil {
		if e.RetryAfter == 0 {
			e.RetryAfter = a.RetryAfter
		}
		if e.kind = a.kinds(); e.kind != nil {
			e.hint = e.availabilityHint()
			return
		}
		defer func() { e.hint = e.availabilityHint() }()
	}
	msg := normalize(e.Message + " " + e.Metadata.ProviderMessage)
	et := e.ErrorType
	modelMissing := modelMissingText(msg) || et == "model_not_found"
	contextLong := containsAny(et, "context_length_exceeded", "max_tokens_exceeded", "token_limit_exceeded") ||
		containsAny(msg, "maximum context length", "context length exceeded", "context window", "prompt is too long", "too many tokens")
	s := e.StatusCode
	switch {
	case s == 401:
		e.kind = []error{ErrUnauthorized}
	case s == 402:
		e.kind = []error{ErrInsufficientCredits}
	case s == 403:
		if len(e.Metadata.Reasons) > 0 || e.Metadata.FlaggedInput != "" || et == "content_policy_violation" {
			e.kind = []error{ErrModerated}
		} else if budgetSource(e.Metadata.LimitSource) || budgetMessage(msg) {
			e.kind = []error{ErrBudgetExceeded, ErrForbidden}
		} else {
			e.kind = []error{ErrForbidden}
		}
	case s == 404:
		switch {
		case containsAny(msg, "no endpoints found", "no allowed providers"):
			e.kind = []error{ErrNoEndpoints, ErrModelNotFound}
		case modelMissing || strings.Contains(msg, "model"):
			e.kind = []error{ErrModelNotFound}
		default:
			e.kind = []error{ErrNotFound}
		}
	case s == 408:
		e.kind = []error{ErrTimeout}
	case s == 429:
		e.kind = []error{ErrRateLimited}
		if e.dailyQuota() {
			e.kind = []error{ErrQuotaExhausted, ErrRateLimited}
		}
	case s >= 400 && s < 500:
		e.kind = []error{ErrBadRequest}
		if modelMissing {
			e.kind = []error{ErrModelNotFound, ErrBadRequest}
		} else if contextLong {
			e.kind = []error{ErrContextLength, ErrBadRequest}
		}
	default: // 5xx, and anything else a proxy may invent
		e.kind = []error{ErrServer}
	}
}

// dailyQuota reports whether a 429 is a quota that lasts until a reset
// (free-models-per-day and its kin) rather than a short rate limit.
func (e *APIError) dailyQuota() bool {
	return strings.Contains(e.Metadata.LimitSource, "daily") ||
		containsAny(normalize(e.Message), "per day", "models per day", "daily limit", "daily quota")
}

// markQuota records that a 429 must not be retried because its wait is
// longer than the caller allows.
func (e *APIError) markQuota() {
	if e.Is(ErrRateLimited) && !e.Is(ErrQuotaExhausted) {
		e.kind = append([]error{ErrQuotaExhausted}, e.kind...)
	}
}

// parseRetryAfter reads a Retry-After value: decimal seconds (digits,
// with a fraction accepted) or an HTTP date. Anything else (a sign, NaN,
// Inf, an exponent, a hex float) is ignored: 0. Waits past maxRetryAfter
// are cut to it, which still makes them a quota.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if decimalSeconds(v) {
		secs, err := strconv.ParseFloat(v, 64)
		if err != nil || secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, maxRetryAfter.Seconds()) * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, maxRetryAfter)
		}
	}
	return 0
}

// maxRetryAfter bounds a Retry-After, far past any client's maximum wait.
const maxRetryAfter = 1000 * time.Hour

// decimalSeconds reports whether v is digits, with at most one dot among
// or after them ("30", "1.5"), as delta-seconds are.
func decimalSeconds(v string) bool {
	digits, dots := 0, 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && digits > 0:
			dots++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1
}

// parseRateLimit reads X-RateLimit-Limit, -Remaining and -Reset from the
// headers, or from their copy in error.metadata.headers. Reset is Unix
// milliseconds on OpenRouter; seconds are accepted too.
func parseRateLimit(h http.Header, metaHeaders json.RawMessage) RateLimitInfo {
	// The names are spelled as http.Header stores them, so that Get
	// makes no canonical copy; get stays nil when no header says a limit.
	var get func(string) string
	if h != nil && h.Get("X-Ratelimit-Limit")+h.Get("X-Ratelimit-Remaining")+h.Get("X-Ratelimit-Reset") != "" {
		get = h.Get
	} else if len(metaHeaders) > 0 {
		var m map[string]json.RawMessage
		if json.Unmarshal(metaHeaders, &m) == nil {
			canon := make(http.Header, len(m))
			for k, v := range m {
				canon.Set(k, textOf(v))
			}
			get = canon.Get
		}
	}
	info := RateLimitInfo{Remaining: -1}
	if get == nil {
		return info
	}
	if n, err := strconv.Atoi(strings.TrimSpace(get("X-Ratelimit-Limit"))); err == nil && n >= 0 {
		info.Limit = n
	}
	if n, err := strconv.Atoi(strings.TrimSpace(get("X-Ratelimit-Remaining"))); err == nil && n >= 0 {
		info.Remaining = n
	}
	if n, err := strconv.ParseInt(strings.TrimSpace(get("X-Ratelimit-Reset")), 10, 64); err == nil && n > 0 {
		switch {
		case n > 1e14: // microseconds or worse: not a time we understand
		case n > 1e11:
			info.Reset = time.UnixMilli(n)
		default:
			info.Reset = time.Unix(n, 0)
		}
	}
	return info
}
