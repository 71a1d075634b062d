package openrouter

import (
	"errors"
	"net/http"
)

// ResponseInfo is what a call's HTTP answer said and how the call went,
// filled in by [CallResponseInto] whether the call succeeded or failed.
// The answer fields (StatusCode to CacheStatus) describe the last answer
// received; the counters (Requests, Attempts, MaybeBilled) add up every
// request of the call: ChatJSON's repairs and fallbacks, RunTools'
// rounds. An error the server answered carries the same answer fields
// itself (see [APIError]).
type ResponseInfo struct {
	// StatusCode is the HTTP status of the last answer; 0 when no answer
	// arrived (the server could not be reached, or the answer was lost).
	StatusCode int
	// Header holds the last answer's headers; nil when none arrived.
	Header http.Header
	// RequestID is the generation ID (X-Generation-Id, or the answer's
	// id), for Client.Generation.
	RequestID string
	// Provider is the provider that served the answer ("OpenAI"), when
	// the answer names one.
	Provider string
	// Model is the model that answered, when the answer names one.
	Model string
	// CacheStatus is X-OpenRouter-Cache-Status: "HIT" when the answer came
	// from OpenRouter's response cache (see [CallResponseCache]), "MISS"
	// when it was stored there, "" when caching was off.
	CacheStatus string
	// RateLimit holds the X-RateLimit-* headers of the last answer, when
	// sent (Remaining is -1 when unknown).
	RateLimit RateLimitInfo
	// Requests counts the API requests the call sent: 1 for most
	// methods, 0 when the answer came from the client's own cache
	// (Models, Model, CheckRoles within the catalogue's TTL).
	Requests int
	// Attempts counts the HTTP attempts of all those requests, retries
	// included.
	Attempts int
	// MaybeBilled counts the attempts that reached the server without an
	// answer coming back: each may have been processed and billed.
	MaybeBilled int
	// Recovered reports that an answer of the call was lost on the way
	// and read back from OpenRouter's stored generation instead (see
	// [WithAnswerRecovery]): its cost is counted once, in the answer's
	// Usage, and its attempt is not counted in MaybeBilled. The lookups
	// that read it back are not counted in Requests.
	Recovered bool
}

// record notes one request's outcome in info: the answer fields from the
// last answer the call got (resp when the request succeeded, otherwise
// the last one the retry policy saw), and the counters.
func (info *ResponseInfo) record(st *callState, resp *http.Response, err error) {
	info.Requests++
	info.Attempts += st.attempts
	info.MaybeBilled += st.maybeBilled
	status, header := st.status, st.header
	if resp != nil {
		status, header = resp.StatusCode, resp.Header
	}
	if st.client != nil {
		header = st.client.redactor().Header(header) // a proxy may echo the key
	}
	info.StatusCode, info.Header, info.RequestID, info.Provider, info.Model = status, header, "", "", ""
	info.CacheStatus, info.RateLimit = "", RateLimitInfo{Remaining: -1}
	if header != nil {
		info.RequestID = header.Get("X-Generation-Id")
		info.CacheStatus = header.Get("X-Openrouter-Cache-Status") // the stored spelling: no canonical copy
		info.RateLimit = parseRateLimit(header, nil)
	}
	if err == nil {
		return // e below lives on the heap (errors.As): not for a success
	}
	var e *APIError
	if errors.As(err, &e) {
		if e.RequestID != "" {
			info.RequestID = e.RequestID
		}
		if e.Metadata.ProviderName != "" {
			info.Provider = e.Metadata.ProviderName
		}
		if e.RateLimit.Remaining >= 0 || !e.RateLimit.Reset.IsZero() {
			info.RateLimit = e.RateLimit
		}
	}
}

// answered completes info from a chat answer's body: its ID, provider and
// model.
func (info *ResponseInfo) answered(r *ChatResponse) {
	if info == nil || r == nil {
		return
	}
	if r.ID != "" {
		info.RequestID = r.ID
	}
	if r.Provider != "" {
		info.Provider = r.Provider
	}
	if r.Model != "" {
		info.Model = r.Model
	}
}
