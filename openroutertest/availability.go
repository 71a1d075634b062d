package openroutertest

import (
	"fmt"
	"net/http"
	"time"
)

// Availability is error.availability, as OpenRouter sends it on a
// model-availability error ("Model availability errors" in the
// errors-and-debugging page of OpenRouter's API reference).
type Availability struct {
	Code              string                  `json:"code"`
	Retryable         bool                    `json:"retryable"`
	RetryAfter        *float64                `json:"retry_after,omitempty"`
	RequestedModels   []string                `json:"requested_models"`
	AffectedProviders []string                `json:"affected_providers,omitempty"`
	ExcludedBy        []string                `json:"excluded_by,omitempty"`
	FallbackModels    []string                `json:"fallback_models,omitempty"`
	Constraint        *AvailabilityConstraint `json:"constraint,omitempty"`
	DocsURL           string                  `json:"docs_url"`
}

// AvailabilityConstraint is availability.constraint.
type AvailabilityConstraint struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// availabilityCodes is the documented table of the codes: HTTP status,
// error_type, retryable, and a message in OpenRouter's manner (the
// errors-and-debugging page, "Availability codes").
var availabilityCodes = map[string]struct {
	status    int
	errorType string
	retryable bool
	message   string
}{
	"model_not_found":            {400, "invalid_request", false, "%s is not a valid model ID"},
	"wrong_endpoint":             {400, "invalid_request", false, "%s cannot be used on this endpoint"},
	"no_endpoints":               {404, "not_found", false, "No endpoints found for %s."},
	"model_deprecated":           {404, "not_found", false, "%s has been deprecated."},
	"model_unavailable_upstream": {404, "not_found", false, "Every provider of %s returned 404."},
	"capacity_exhausted":         {429, "rate_limit_exceeded", true, "All providers for %s are at capacity."},
	"temporarily_unavailable":    {503, "provider_overloaded", true, "%s is temporarily unavailable."},
	"region_restricted":          {403, "permission_denied", false, "%s is not available in your region."},
	"privacy_restricted":         {404, "not_found", false, "No endpoints for %s match your data policy."},
	"constraint_filtered":        {404, "not_found", false, "No endpoints for %s match your routing constraints."},
	"free_variant_ended":         {404, "not_found", false, "The free variant of %s has ended."},
}

// AvailabilityCodes lists the documented availability codes.
func AvailabilityCodes() []string {
	return []string{"model_not_found", "wrong_endpoint", "no_endpoints", "model_deprecated",
		"model_unavailable_upstream", "capacity_exhausted", "temporarily_unavailable",
		"region_restricted", "privacy_restricted", "constraint_filtered", "free_variant_ended"}
}

// AvailabilityError is the error object OpenRouter sends for an
// availability code about model: the documented status, error_type and
// retryable, no code (the envelope has none), fallback as
// fallback_models. A code the table does not know answers 404,
// not retryable. Change its fields to script a variant (a retry_after, a
// constraint, excluded_by).
func AvailabilityError(code, model string, fallback ...string) *ErrorBody {
	c, ok := availabilityCodes[code]
	if !ok {
		c.status, c.errorType, c.message = 404, "not_found", "%s cannot be served."
	}
	a := &Availability{Code: code, Retryable: c.retryable, RequestedModels: []string{model},
		FallbackModels: fallback, DocsURL: "https://openrouter.ai/docs/errors#" + code}
	switch code {
	case "privacy_restricted":
		a.ExcludedBy = []string{"data_policy:zdr"}
	case "region_restricted":
		a.ExcludedBy = []string{"geo"}
	case "constraint_filtered":
		a.ExcludedBy = []string{"max_price"}
		a.Constraint = &AvailabilityConstraint{Field: "max_price", Detail: "every endpoint costs more than provider.max_price"}
	case "wrong_endpoint":
		a.Constraint = &AvailabilityConstraint{Field: "endpoint", Detail: "use /embeddings"}
	}
	return &ErrorBody{Message: fmt.Sprintf(c.message, model), ErrorType: c.errorType, HTTPStatus: c.status, Availability: a}
}

// AvailabilityReply answers with AvailabilityError(code, model,
// fallback...) over HTTP, at its documented status. See Reply.MidStream
// for the same error inside a stream.
func AvailabilityReply(code, model string, fallback ...string) Reply {
	e := AvailabilityError(code, model, fallback...)
	return Reply{Status: e.HTTPStatus, Error: e}
}

// MidStream returns r's error sent after the answer has started: a 200
// whose stream carries some content and then the error event (a
// streaming request), or whose body holds the error (a plain one), as
// OpenRouter does once generation has begun. After a stream's content
// the model ran, so a client must treat the error as maybe billed,
// whatever its code. For the error as a stream's first event, before any
// output, set r.Status to 200 and leave Stream.After at 0.
func (r Reply) MidStream() Reply {
	r.Status = http.StatusOK
	if r.Content == "" {
		r.Content = "Partial answer"
	}
	if r.Stream.After == 0 {
		r.Stream.After = 1
	}
	return r
}

// Budget sources of a 403 budget block (metadata.limit_source).
const (
	WorkspaceBudget = "openrouter_workspace_budget"
	GuardrailBudget = "openrouter_guardrail_budget"
	KeyLimit        = "openrouter_key_limit"
)

// BudgetReply is the 403 of a spent budget: a workspace's monthly budget,
// a guardrail's, or the key's limit (source, one of the constants
// above), of limitUSD. The message is the one OpenRouter's workspace
// budgets guide quotes ("Workspace monthly budget of $500.00 exceeded.
// Contact your org admin."). error.metadata carries limit_source and,
// unless resetsAt is zero, resets_at: the guide does not show them, the
// SDK's issue 25 reports them; a client must cope with their absence.
func BudgetReply(source string, limitUSD float64, resetsAt time.Time) Reply {
	what := map[string]string{WorkspaceBudget: "Workspace monthly budget", GuardrailBudget: "Guardrail budget", KeyLimit: "Key limit"}[source]
	if what == "" {
		what = "Budget"
	}
	md := map[string]any{"limit_source": source, "limit_usd": limitUSD, "error_type": "permission_denied"}
	if !resetsAt.IsZero() {
		md["resets_at"] = resetsAt.UTC().Format(time.RFC3339)
	}
	return Reply{Status: http.StatusForbidden, Error: &ErrorBody{Code: 403,
		Message: fmt.Sprintf("%s of $%.2f exceeded. Contact your org admin.", what, limitUSD), Metadata: md}}
}

// modelRefusal is the 400 for a model an endpoint cannot serve (RULES.md
// E4, E7; docs api_reference/errors-and-debugging.mdx, "Model
// availability errors"): wrong_endpoint when another of the fake's
// endpoints serves it ("an embedding model on /chat/completions"), with
// constraint.detail naming that endpoint, else model_not_found. The
// availability object is additive, so error.code stays (RULES.md E1).
func (s *Server) modelRefusal(id, endpoint string) ErrorBody {
	other := ""
	if _, ok := s.lookup(id); ok && id != "" && endpoint != "/chat/completions" {
		other = "/chat/completions"
	} else if _, ok := s.embeddingModel(id); ok && endpoint != "/embeddings" {
		other = "/embeddings"
	} else if _, ok := s.imageModelByID(id); ok && endpoint != "/images" {
		other = "/images"
	}
	code := "model_not_found"
	if other != "" {
		code = "wrong_endpoint"
	}
	e := AvailabilityError(code, id)
	if other != "" {
		e.Availability.Constraint = &AvailabilityConstraint{Field: "endpoint", Detail: id + " is served on " + other + ", not on " + endpoint}
	}
	e.Code = 400
	return *e
}
