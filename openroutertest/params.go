package openroutertest

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// The parameter rules of the OpenAPI document's schemas/ChatRequest and of the
// docs' parameters page (RULES.md C8-C12). null is always allowed: the
// document types these fields "number | null".

// numRange is the range a numeric parameter must fall in.
type numRange struct {
	key      string
	min, max float64
	integer  bool
}

// paramRanges are the documented ranges (RULES.md C8: docs
// api_reference/parameters.mdx, OpenAPI schemas/ChatRequest descriptions).
var paramRanges = []numRange{
	{key: "temperature", min: 0, max: 2},
	{key: "top_p", min: 0, max: 1},
	{key: "top_k", min: 0, max: 1e18, integer: true},
	{key: "frequency_penalty", min: -2, max: 2},
	{key: "presence_penalty", min: -2, max: 2},
	{key: "repetition_penalty", min: 0, max: 2},
	{key: "min_p", min: 0, max: 1},
	{key: "top_a", min: 0, max: 1},
	{key: "top_logprobs", min: 0, max: 20, integer: true},
	{key: "max_tokens", min: 1, max: 1e18, integer: true},
	{key: "max_completion_tokens", min: 1, max: 1e18, integer: true},
	{key: "seed", min: -1e18, max: 1e18, integer: true},
}

// responseFormats are the response_format types (RULES.md C11, OpenAPI
// schemas/ChatRequest.response_format discriminator).
var responseFormats = map[string]bool{"text": true, "json_object": true, "json_schema": true, "grammar": true, "python": true}

// outputModalities are the values modalities may hold (RULES.md C10).
var outputModalities = map[string]bool{"text": true, "image": true, "audio": true}

// checkParams returns why the API would refuse one of the body's
// parameters, or "".
func checkParams(body map[string]json.RawMessage) string {
	for _, r := range paramRanges {
		if msg := checkNumber(body[r.key], r); msg != "" {
			return msg
		}
	}
	for _, check := range []func(map[string]json.RawMessage) string{checkLogprobs, checkStop, checkModalities, checkResponseFormat, checkSession, checkEnums} {
		if msg := check(body); msg != "" {
			return msg
		}
	}
	return ""
}

// checkNumber checks one numeric parameter against its range.
func checkNumber(raw json.RawMessage, r numRange) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var f float64
	if json.Unmarshal(raw, &f) != nil {
		return fmt.Sprintf("%s: Expected number, received %s", r.key, raw)
	}
	if r.integer && f != float64(int64(f)) {
		return fmt.Sprintf("%s: Expected integer, received %s", r.key, raw)
	}
	if f < r.min || f > r.max {
		return fmt.Sprintf("%s: %s is outside the range %g to %g", r.key, raw, r.min, r.max)
	}
	return ""
}

// checkStop: a string, or at most 4 strings (RULES.md C9, OpenAPI
// schemas/ChatRequest.stop maxItems 4).
func checkStop(body map[string]json.RawMessage) string {
	raw := body["stop"]
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return ""
	}
	var many []string
	if json.Unmarshal(raw, &many) != nil {
		return "stop: Expected string or array of strings"
	}
	if len(many) > 4 {
		return fmt.Sprintf("stop: Array must contain at most 4 element(s), got %d", len(many))
	}
	return ""
}

// checkModalities: items are text, image or audio (RULES.md C10).
func checkModalities(body map[string]json.RawMessage) string {
	raw := body["modalities"]
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var mods []string
	if json.Unmarshal(raw, &mods) != nil {
		return "modalities: Expected array of strings"
	}
	for i, m := range mods {
		if !outputModalities[m] {
			return fmt.Sprintf("modalities[%d]: Invalid enum value %q. Expected 'text' | 'image' | 'audio'", i, m)
		}
	}
	return ""
}

// checkResponseFormat: a known type, and a json_schema object with a
// name for json_schema (RULES.md C11).
func checkResponseFormat(body map[string]json.RawMessage) string {
	raw := body["response_format"]
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var f struct {
		Type       string          `json:"type"`
		JSONSchema json.RawMessage `json:"json_schema"`
	}
	if json.Unmarshal(raw, &f) != nil {
		return "response_format: Expected object"
	}
	if !responseFormats[f.Type] {
		return fmt.Sprintf("response_format.type: Invalid discriminator value %q. Expected 'text' | 'json_object' | 'json_schema' | 'grammar' | 'python'", f.Type)
	}
	if f.Type == "json_schema" {
		var js map[string]json.RawMessage
		if json.Unmarshal(f.JSONSchema, &js) != nil || js == nil {
			return "response_format.json_schema: Required"
		}
		if _, ok := js["name"]; !ok {
			return "response_format.json_schema.name: Required"
		}
	}
	return ""
}

// checkSession: session_id at most 256 characters, metadata at most 16
// string pairs (RULES.md C12, OpenAPI schemas/ChatRequest.session_id, metadata).
func checkSession(body map[string]json.RawMessage) string {
	if raw := body["session_id"]; len(raw) > 0 && string(raw) != "null" {
		var id string
		if json.Unmarshal(raw, &id) != nil {
			return "session_id: Expected string"
		}
		if utf8.RuneCountInString(id) > 256 {
			return "session_id: String must contain at most 256 character(s)"
		}
	}
	if raw := body["metadata"]; len(raw) > 0 && string(raw) != "null" {
		var md map[string]string
		if json.Unmarshal(raw, &md) != nil {
			return "metadata: Expected an object of strings"
		}
		if len(md) > 16 {
			return fmt.Sprintf("metadata: at most 16 pairs, got %d", len(md))
		}
		for k, v := range md {
			// "max 16 pairs, 64 char keys, 512 char values"
			if utf8.RuneCountInString(k) > 64 || utf8.RuneCountInString(v) > 512 {
				return fmt.Sprintf("metadata[%q]: keys are at most 64 characters, values 512", k)
			}
		}
	}
	return ""
}

// checkLogprobs: top_logprobs needs logprobs true (RULES.md C8, docs
// api_reference/parameters.mdx "logprobs must be set to true if this
// parameter is used").
func checkLogprobs(body map[string]json.RawMessage) string {
	raw := body["top_logprobs"]
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var on bool
	if json.Unmarshal(body["logprobs"], &on) != nil || !on {
		return "top_logprobs: logprobs must be set to true if top_logprobs is used"
	}
	return ""
}
