package openrouter

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// The codes of [Availability]: why OpenRouter cannot serve a model
// (OpenRouter's "Model availability errors", since 2026-08-19). The list
// may grow: an unknown code is classified by its HTTP status, and retried
// as its Retryable field says.
const (
	AvailabilityModelNotFound          = "model_not_found"            // 400: the model ID is unknown
	AvailabilityWrongEndpoint          = "wrong_endpoint"             // 400: the model exists, on another endpoint (Constraint.Detail)
	AvailabilityNoEndpoints            = "no_endpoints"               // 404: nothing may route the model
	AvailabilityModelDeprecated        = "model_deprecated"           // 404: retired; FallbackModels names the successor
	AvailabilityModelUnavailable       = "model_unavailable_upstream" // 404: every provider removed it
	AvailabilityCapacityExhausted      = "capacity_exhausted"         // 429: every provider is at capacity
	AvailabilityTemporarilyUnavailable = "temporarily_unavailable"    // 503: transient upstream failures
	AvailabilityRegionRestricted       = "region_restricted"          // 403: not served in the caller's region
	AvailabilityPrivacyRestricted      = "privacy_restricted"         // 404: the data policy excludes every endpoint
	AvailabilityConstraintFiltered     = "constraint_filtered"        // 404: a routing constraint excludes every endpoint
	AvailabilityFreeVariantEnded       = "free_variant_ended"         // 404: the :free promotion ended
)

// availabilityStatus is the HTTP status of each code, by OpenRouter's
// table: the status of an error in a stream that names none.
var availabilityStatus = map[string]int{
	AvailabilityModelNotFound: 400, AvailabilityWrongEndpoint: 400, AvailabilityNoEndpoints: 404,
	AvailabilityModelDeprecated: 404, AvailabilityModelUnavailable: 404, AvailabilityCapacityExhausted: 429,
	AvailabilityTemporarilyUnavailable: 503, AvailabilityRegionRestricted: 403, AvailabilityPrivacyRestricted: 404,
	AvailabilityConstraintFiltered: 404, AvailabilityFreeVariantEnded: 404,
}

// Availability is error.availability: why a model cannot be served, in a
// form to branch on (Code and Retryable, never the message). It arrives
// the same over HTTP and inside a stream.
type Availability struct {
	// Code is one of the Availability* constants, or a newer one.
	Code string
	// Retryable reports whether the same request may succeed later; the
	// client retries as it says, whatever the status. When the answer
	// has no boolean retryable it is false, and the client retries as
	// the HTTP status says.
	Retryable bool
	// RetryAfter is availability.retry_after; zero when absent.
	RetryAfter time.Duration
	// RequestedModels are the model IDs the request named.
	RequestedModels []string
	// AffectedProviders are the providers tried or excluded.
	AffectedProviders []string
	// ExcludedBy names the routing filters that removed the last
	// endpoints ("geo", "data_policy:zdr", "max_price", ...).
	ExcludedBy []string
	// FallbackModels are OpenRouter's suggested replacements (the paid
	// variant, a successor): hints, to check before switching.
	FallbackModels []string
	// Constraint is the constraint at fault (constraint_filtered,
	// wrong_endpoint); nil when absent.
	Constraint *AvailabilityConstraint
	// DocsURL is the documentation of the code.
	DocsURL string

	retryableSent bool // retryable was a boolean in the answer
}

// AvailabilityConstraint is availability.constraint.
type AvailabilityConstraint struct {
	Field  string // "max_price"
	Detail string // a sentence for people
}

// Permanent reports whether the model cannot be served to any request of
// this account until the caller changes model or settings: the model is
// unknown, deprecated, gone upstream, its free variant ended, or the
// account's region or data policy excludes it. Constraints a single
// request brings (no_endpoints, constraint_filtered) are not permanent.
func (a *Availability) Permanent() bool {
	if a == nil || a.Retryable {
		return false
	}
	switch a.Code {
	case AvailabilityModelNotFound, AvailabilityModelDeprecated, AvailabilityModelUnavailable,
		AvailabilityFreeVariantEnded, AvailabilityPrivacyRestricted, AvailabilityRegionRestricted:
		return true
	}
	return false
}

// redact removes the key from every text of a, in case it was echoed.
func (a *Availability) redact(r *redactor) {
	if a == nil {
		return
	}
	a.Code, a.DocsURL = r.String(a.Code), r.String(a.DocsURL)
	for _, l := range [][]string{a.RequestedModels, a.AffectedProviders, a.ExcludedBy, a.FallbackModels} {
		for i, s := range l {
			l[i] = r.String(s)
		}
	}
	if a.Constraint != nil {
		a.Constraint.Field, a.Constraint.Detail = r.String(a.Constraint.Field), r.String(a.Constraint.Detail)
	}
}

// decodeAvailability reads error.availability; nil when absent or not an
// object with a code.
func decodeAvailability(v json.RawMessage) *Availability {
	var w struct {
		Code              json.RawMessage            `json:"code"`
		Retryable         json.RawMessage            `json:"retryable"`
		RetryAfter        json.RawMessage            `json:"retry_after"`
		RequestedModels   json.RawMessage            `json:"requested_models"`
		AffectedProviders json.RawMessage            `json:"affected_providers"`
		ExcludedBy        json.RawMessage            `json:"excluded_by"`
		FallbackModels    json.RawMessage            `json:"fallback_models"`
		Constraint        map[string]json.RawMessage `json:"constraint"`
		DocsURL           json.RawMessage            `json:"docs_url"`
	}
	if len(v) == 0 || json.Unmarshal(v, &w) != nil {
		return nil
	}
	retryable := textOf(w.Retryable)
	a := &Availability{Code: textOf(w.Code), DocsURL: textOf(w.DocsURL), Retryable: retryable == "true",
		retryableSent:   retryable == "true" || retryable == "false",
		RequestedModels: stringList(w.RequestedModels), AffectedProviders: stringList(w.AffectedProviders),
		ExcludedBy: stringList(w.ExcludedBy), FallbackModels: stringList(w.FallbackModels)}
	if a.Code == "" {
		return nil
	}
	if secs, err := strconv.ParseFloat(textOf(w.RetryAfter), 64); err == nil && secs > 0 {
		a.RetryAfter = time.Duration(min(secs, maxRetryAfter.Seconds()) * float64(time.Second))
	}
	if w.Constraint != nil {
		a.Constraint = &AvailabilityConstraint{Field: textOf(w.Constraint["field"]), Detail: textOf(w.Constraint["detail"])}
	}
	return a
}

// stringList reads a JSON array of strings, skipping what is not one.
func stringList(v json.RawMessage) []string {
	var raw []json.RawMessage
	if json.Unmarshal(v, &raw) != nil {
		return nil
	}
	var out []string
	for _, r := range raw {
		var s string
		if json.Unmarshal(r, &s) == nil && s != "" {
			out = append(out, s)
		}
	}
	return out
}

// availabilityKinds returns the sentinels of an availability code, by its
// meaning; nil for a code this version does not know.
func (a *Availability) kinds() []error {
	switch a.Code {
	case AvailabilityModelNotFound:
		return []error{ErrModelNotFound, ErrBadRequest}
	case AvailabilityModelDeprecated:
		return []error{ErrModelDeprecated, ErrModelNotFound}
	case AvailabilityFreeVariantEnded:
		return []error{ErrModelNotFound}
	case AvailabilityModelUnavailable:
		if a.Retryable {
			return []error{ErrServer}
		}
		return []error{ErrModelNotFound}
	case AvailabilityNoEndpoints, AvailabilityRegionRestricted, AvailabilityPrivacyRestricted, AvailabilityConstraintFiltered:
		return []error{ErrNoEndpoints, ErrModelNotFound}
	case AvailabilityWrongEndpoint:
		return []error{ErrBadRequest}
	case AvailabilityCapacityExhausted:
		return []error{ErrRateLimited}
	case AvailabilityTemporarilyUnavailable:
		return []error{ErrServer}
	}
	return nil
}

// availabilityHints are the remediations of the codes whose sentinel's
// hint would say less.
var availabilityHints = map[string]string{
	AvailabilityModelDeprecated:    "The model was retired: move to its successor.",
	AvailabilityFreeVariantEnded:   "The model's free variant ended: use the paid model (normal prices apply) or another free one.",
	AvailabilityModelUnavailable:   "Every provider of this model removed it: pick another model.",
	AvailabilityWrongEndpoint:      "The model exists but not on this endpoint (an embedding model called for chat, say): call the endpoint it belongs to.",
	AvailabilityRegionRestricted:   "The model is not served in this region: change the provider routing, or send the traffic from an allowed region.",
	AvailabilityPrivacyRestricted:  "The account's data policy (zero data retention, training opt-out) excludes every provider of this model: relax it at https://openrouter.ai/settings/privacy, or pick another model.",
	AvailabilityConstraintFiltered: "A routing constraint of the request (max price, context length, require_parameters, quantization, data region) excludes every provider: relax it.",
	AvailabilityCapacityExhausted:  "Every provider of this model is at capacity: retry after the wait OpenRouter gives, or use another model.",
}

// availabilityHint is the remediation of an availability error, with
// OpenRouter's suggested replacements; "" to fall back on the sentinel's.
func (e *APIError) availabilityHint() string {
	a := e.Availability
	if a == nil {
		return ""
	}
	h := availabilityHints[a.Code]
	if a.Constraint != nil && a.Constraint.Detail != "" {
		h = strings.TrimSpace(h + " (" + a.Constraint.Detail + ")")
	}
	if len(a.FallbackModels) > 0 {
		if h == "" {
			h = hintOf(e.kind[0])
		}
		h += " OpenRouter suggests: " + strings.Join(a.FallbackModels, ", ") + "."
	}
	return h
}

// statusForErrorType maps an error inside a 200 to the status it stands
// for, from OpenRouter's error_type or a word code.
func statusForErrorType(errorType, code string) int {
	for _, k := range []string{errorType, code} {
		switch k {
		case "authentication":
			return 401
		case "payment_required":
			return 402
		case "permission_denied", "content_policy_violation", "refusal":
			return 403
		case "not_found", "model_not_found":
			return 404
		case "timeout":
			return 408
		case "rate_limit_exceeded", "rate_limited", "rate_limit_error":
			return 429
		case "invalid_request", "invalid_prompt", "context_length_exceeded", "max_tokens_exceeded",
			"token_limit_exceeded", "string_too_long", "invalid_image", "image_too_large",
			"image_too_small", "unsupported_image_format", "image_not_found", "image_download_failed",
			"invalid_request_error":
			return 400
		case "precondition_failed":
			return 412
		case "payload_too_large":
			return 413
		case "unprocessable":
			return 422
		case "provider_unavailable":
			return 502
		case "provider_overloaded":
			return 503
		}
	}
	return 500
}
