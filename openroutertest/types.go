package openroutertest

import (
	"encoding/json"
	"fmt"
)

// The JSON types of the OpenAPI document's schemas/ChatRequest fields
// that carry no range or enumeration (RULES.md C19): a value of another
// type is refused with a 400, as the API's schema validation does.

// jsonKind is the JSON type of a raw value: "null", "boolean", "number",
// "string", "array" or "object".
func jsonKind(raw json.RawMessage) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	}
	return "object"
}

// fieldTypes are the top-level fields and the kinds they may have.
var fieldTypes = []struct {
	key   string
	kinds []string
}{
	{"logprobs", []string{"boolean", "null"}},             // schemas/ChatRequest.logprobs
	{"parallel_tool_calls", []string{"boolean", "null"}},  // .parallel_tool_calls
	{"user", []string{"string"}},                          // .user
	{"models", []string{"array"}},                         // .models: schemas/ChatModelNames
	{"logit_bias", []string{"object", "null"}},            // .logit_bias
	{"stream_options", []string{"object", "null"}},        // schemas/ChatStreamOptions
	{"image_config", []string{"object"}},                  // schemas/ImageConfig
	{"tools", []string{"array"}},                          // .tools
	{"metadata", []string{"object"}},                      // .metadata
	{"provider", []string{"object", "null"}},              // schemas/ProviderPreferences
	{"plugins", []string{"array"}},                        // .plugins
	{"reasoning", []string{"object"}},                     // .reasoning
	{"response_format", []string{"object"}},               // .response_format
	{"prompt_cache_key", []string{"string", "null"}},      // .prompt_cache_key
	{"seed", []string{"number", "null"}},                  // .seed (integer: params.go)
	{"max_completion_tokens", []string{"number", "null"}}, // (range: params.go)
}

// checkTypes returns why a field of the body has the wrong JSON type, or
// "": the fields of fieldTypes, the items of models (strings), the values
// of logit_bias (numbers from -100 to 100), stream_options.include_usage (a boolean),
// image_config's values (a string, number or array) and a function
// tool's parameters (an object).
func checkTypes(body map[string]json.RawMessage) string {
	for _, f := range fieldTypes {
		raw, ok := body[f.key]
		if !ok {
			continue
		}
		if k := jsonKind(raw); !oneOf(k, f.kinds) {
			return fmt.Sprintf("%s: Expected %s, received %s", f.key, f.kinds[0], k)
		}
	}
	var models []json.RawMessage
	_ = json.Unmarshal(body["models"], &models)
	for i, m := range models {
		if jsonKind(m) != "string" {
			return fmt.Sprintf("models[%d]: Expected string, received %s", i, jsonKind(m))
		}
	}
	var bias map[string]json.RawMessage
	_ = json.Unmarshal(body["logit_bias"], &bias)
	for tok, v := range bias {
		if jsonKind(v) != "number" {
			return fmt.Sprintf("logit_bias[%q]: Expected number, received %s", tok, jsonKind(v))
		}
		// docs api_reference/parameters.mdx, Logit Bias: "an associated
		// bias value from -100 to 100".
		if msg := checkNumber(v, numRange{key: "logit_bias[" + tok + "]", min: -100, max: 100}); msg != "" {
			return msg
		}
	}
	var so map[string]json.RawMessage
	_ = json.Unmarshal(body["stream_options"], &so)
	if raw, ok := so["include_usage"]; ok && jsonKind(raw) != "boolean" {
		return "stream_options.include_usage: Expected boolean, received " + jsonKind(raw)
	}
	var ic map[string]json.RawMessage
	_ = json.Unmarshal(body["image_config"], &ic)
	for k, v := range ic {
		if !oneOf(jsonKind(v), []string{"string", "number", "array"}) {
			return fmt.Sprintf("image_config.%s: Expected string, number or array, received %s", k, jsonKind(v))
		}
	}
	var tools []struct {
		Type     string
		Function map[string]json.RawMessage
	}
	_ = json.Unmarshal(body["tools"], &tools)
	for i, t := range tools {
		if raw, ok := t.Function["parameters"]; ok && t.Type == "function" && jsonKind(raw) != "object" {
			return fmt.Sprintf("tools[%d].function.parameters: Expected object, received %s", i, jsonKind(raw))
		}
	}
	return ""
}

func oneOf(k string, kinds []string) bool {
	for _, x := range kinds {
		if k == x {
			return true
		}
	}
	return false
}
