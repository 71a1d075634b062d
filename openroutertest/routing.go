package openroutertest

import (
	"encoding/json"
	"sort"
	"strings"
)

// requestParams maps the body keys that are LLM parameters to the name
// a model's supported_parameters gives them (docs
// api_reference/parameters.mdx; max_completion_tokens is max_tokens).
var requestParams = map[string]string{
	"temperature": "temperature", "top_p": "top_p", "top_k": "top_k", "frequency_penalty": "frequency_penalty",
	"presence_penalty": "presence_penalty", "repetition_penalty": "repetition_penalty", "min_p": "min_p",
	"top_a": "top_a", "seed": "seed", "max_tokens": "max_tokens", "max_completion_tokens": "max_tokens",
	"logit_bias": "logit_bias", "logprobs": "logprobs", "top_logprobs": "top_logprobs",
	"response_format": "response_format", "stop": "stop", "tools": "tools", "tool_choice": "tool_choice",
	"parallel_tool_calls": "parallel_tool_calls", "reasoning": "reasoning", "include_reasoning": "include_reasoning",
	"verbosity": "verbosity", "web_search_options": "web_search_options",
}

// WithRequireParameters(false) makes the server ignore
// provider.require_parameters, which it honours by default as OpenRouter
// does (RULES.md R1): a request that sets it and uses a parameter the
// model's supported_parameters does not list gets OpenRouter's 404
// constraint_filtered instead of an answer (gpt-4o-mini has no top_k, as
// at OpenAI). Turn it off only for a test about something else that
// sends every field at once.
func WithRequireParameters(on bool) Option { return func(s *Server) { s.requireParams = on } }

// unsupportedRequired returns the parameters of the request that model m
// does not list in supported_parameters when the request sets
// provider.require_parameters to true, sorted; nil otherwise. A
// json_schema response_format also needs structured_outputs.
func unsupportedRequired(m Model, req Request) []string {
	var prov struct {
		RequireParameters bool `json:"require_parameters"`
	}
	raw, _ := json.Marshal(req.Body["provider"])
	if json.Unmarshal(raw, &prov) != nil || !prov.RequireParameters {
		return nil
	}
	missing := map[string]bool{}
	for key, param := range requestParams {
		if v, ok := req.Body[key]; ok && v != nil && !m.Supports(param) {
			missing[param] = true
		}
	}
	if req.ResponseFormatType() == "json_schema" && !m.Supports("structured_outputs") {
		missing["structured_outputs"] = true
	}
	out := make([]string, 0, len(missing))
	for p := range missing {
		out = append(out, p)
	}
	sort.Strings(out)
	if len(out) == 0 {
		return nil
	}
	return out
}

// requireParametersError is the 404 of a request whose
// provider.require_parameters leaves no endpoint of the model (RULES.md
// R1: docs guides/routing/provider-selection.mdx, "When you set
// require_parameters to true, the request won't even be routed to that
// provider"; errors-and-debugging, "Availability codes":
// constraint_filtered, 404, "A routing constraint — ...
// require_parameters ... — eliminated every endpoint", with
// excluded_by and constraint.field).
func requireParametersError(m Model, missing []string) ErrorBody {
	e := AvailabilityError("constraint_filtered", m.ID)
	e.Availability.ExcludedBy = []string{"require_parameters"}
	e.Availability.Constraint = &AvailabilityConstraint{Field: "require_parameters",
		Detail: "no endpoint of " + m.ID + " supports " + strings.Join(missing, ", ")}
	e.Code = 404
	return *e
}

// pickModel chooses the model that serves a chat request (RULES.md R2:
// docs guides/routing/model-fallbacks.mdx, "If the first model returns
// an error, OpenRouter will automatically try the next model in the
// list", "any error can trigger the use of a fallback model, including:
// Context length validation errors", and "Requests are priced using the
// model that was ultimately used, which will be returned in the model
// attribute"): model, then the models list, the first that exists and
// fits the prompt; without either, the catalogue's first model. When no
// candidate serves it, the error is the first candidate's: unknown
// model (RULES.md E4, E7) or context length (C18).
func (s *Server) pickModel(req Request) (Model, *ErrorBody) {
	var ids []string
	if req.Model != "" {
		ids = append(ids, req.Model)
	}
	fallbacks, _ := req.Body["models"].([]any)
	for _, f := range fallbacks {
		if id, ok := f.(string); ok && id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		ids = []string{""} // the account's default model
	}
	var first *ErrorBody
	for _, id := range ids {
		m, ok := s.lookup(id)
		var refusal ErrorBody
		switch msg := contextProblem(m, req); {
		case !ok:
			refusal = s.modelRefusal(id, "/chat/completions")
		case msg != "":
			// RULES.md C18: docs errors-and-debugging, "Typed error
			// codes", context_length_exceeded, 400.
			refusal = ErrorBody{Code: 400, Message: msg, Metadata: map[string]any{"error_type": "context_length_exceeded"}}
		default:
			return m, nil
		}
		if first == nil {
			first = &refusal
		}
	}
	if first.Availability != nil && ids[0] != "" {
		// "requested_models: the raw model slugs you sent" (errors page).
		a := *first.Availability
		a.RequestedModels = ids
		first.Availability = &a
	}
	return Model{}, first
}
