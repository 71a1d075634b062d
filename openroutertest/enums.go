package openroutertest

import (
	"encoding/json"
	"fmt"
)

// The enumerations of the OpenAPI document's schemas/ChatRequest
// (RULES.md C14-C17): values outside them are refused with a 400.

var (
	// serviceTiers: schemas/ChatRequest.service_tier.
	serviceTiers = map[string]bool{"auto": true, "default": true, "fast": true, "flex": true, "priority": true, "scale": true}
	// efforts: schemas/ChatRequest.reasoning.effort and reasoning_effort.
	efforts = map[string]bool{"max": true, "xhigh": true, "high": true, "medium": true, "low": true, "minimal": true, "none": true}
	// summaries: schemas/ChatReasoningSummaryVerbosityEnum.
	summaries = map[string]bool{"auto": true, "concise": true, "detailed": true}
	// toolChoices: the string forms of schemas/ChatToolChoice.
	toolChoices = map[string]bool{"none": true, "auto": true, "required": true}
	// pluginIDs: the discriminator of schemas/ChatRequest.plugins.
	pluginIDs = map[string]bool{"auto-beta-router": true, "auto-router": true, "context-compression": true, "file-parser": true,
		"fusion": true, "moderation": true, "pareto-router": true, "response-healing": true, "web": true, "web-fetch": true}
	// sorts: schemas/ProviderSort.
	sorts = map[string]bool{"price": true, "throughput": true, "latency": true, "exacto": true}
	// quantizations: schemas/Quantization.
	quantizations = map[string]bool{"int4": true, "int8": true, "fp4": true, "mxfp4": true, "nvfp4": true, "fp6": true,
		"fp8": true, "mxfp8": true, "fp16": true, "bf16": true, "fp32": true, "unknown": true}
)

// checkEnums returns why one of the body's enumerated fields is refused,
// or "".
func checkEnums(body map[string]json.RawMessage) string {
	for _, check := range []func(map[string]json.RawMessage) string{checkTierAndReasoning, checkToolChoice, checkPlugins, checkProviderEnums} {
		if msg := check(body); msg != "" {
			return msg
		}
	}
	return ""
}

// enumValue checks one optional string field against its values.
func enumValue(key string, raw json.RawMessage, values map[string]bool) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var v string
	if json.Unmarshal(raw, &v) != nil || !values[v] {
		return fmt.Sprintf("%s: Invalid enum value %s", key, raw)
	}
	return ""
}

// checkTierAndReasoning: service_tier, reasoning_effort, reasoning.effort
// and reasoning.summary take their listed values, and reasoning_effort
// may not differ from reasoning.effort (RULES.md C14: schemas/ChatRequest
// reasoning_effort, "Cannot be used simultaneously with reasoning.effort
// if they differ").
func checkTierAndReasoning(body map[string]json.RawMessage) string {
	var r map[string]json.RawMessage
	_ = json.Unmarshal(body["reasoning"], &r)
	for _, c := range []struct {
		key    string
		raw    json.RawMessage
		values map[string]bool
	}{
		{"service_tier", body["service_tier"], serviceTiers},
		{"reasoning_effort", body["reasoning_effort"], efforts},
		{"reasoning.effort", r["effort"], efforts},
		{"reasoning.summary", r["summary"], summaries},
	} {
		if msg := enumValue(c.key, c.raw, c.values); msg != "" {
			return msg
		}
	}
	if jsonKind(r["effort"]) == "string" && jsonKind(r["max_tokens"]) == "number" {
		// RULES.md C21: docs guides/best-practices/reasoning-tokens.mdx,
		// reasoning takes effort or max_tokens, "One of the following
		// (not both)".
		return "reasoning: set effort or max_tokens, not both"
	}
	var short, long string
	_ = json.Unmarshal(body["reasoning_effort"], &short)
	_ = json.Unmarshal(r["effort"], &long)
	if short != "" && long != "" && short != long {
		return fmt.Sprintf("reasoning_effort %q cannot be used with a different reasoning.effort %q", short, long)
	}
	return ""
}

// checkToolChoice: "none", "auto", "required", or an object naming its
// type (RULES.md C15: schemas/ChatToolChoice); a function choice names
// its function (schemas/ChatNamedToolChoice).
func checkToolChoice(body map[string]json.RawMessage) string {
	raw := body["tool_choice"]
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return enumValue("tool_choice", raw, toolChoices)
	}
	var c struct {
		Type     string
		Function *struct{ Name string }
	}
	if json.Unmarshal(raw, &c) != nil || c.Type == "" {
		return "tool_choice: Expected 'none' | 'auto' | 'required' or an object with a type"
	}
	if c.Type == "function" && (c.Function == nil || c.Function.Name == "") {
		return "tool_choice.function.name: Required"
	}
	return ""
}

// checkPlugins: each plugin's id is one the document lists (RULES.md
// C16: the discriminator of schemas/ChatRequest.plugins).
func checkPlugins(body map[string]json.RawMessage) string {
	raw := body["plugins"]
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var plugins []struct{ ID string }
	if json.Unmarshal(raw, &plugins) != nil {
		return "plugins: Expected array of plugin objects"
	}
	for i, p := range plugins {
		if !pluginIDs[p.ID] {
			return fmt.Sprintf("plugins[%d].id: Invalid discriminator value %q", i, p.ID)
		}
	}
	return ""
}

// checkProviderEnums: provider.sort, provider.data_collection and
// provider.quantizations take their listed values (RULES.md C17:
// schemas/ProviderPreferences).
func checkProviderEnums(body map[string]json.RawMessage) string {
	var p map[string]json.RawMessage
	if json.Unmarshal(body["provider"], &p) != nil || p == nil {
		return ""
	}
	if msg := enumValue("provider.data_collection", p["data_collection"], map[string]bool{"allow": true, "deny": true}); msg != "" {
		return msg
	}
	if raw := p["sort"]; len(raw) > 0 && string(raw) != "null" {
		var by struct{ By *string }
		var s string
		switch {
		case json.Unmarshal(raw, &s) == nil:
			if msg := enumValue("provider.sort", raw, sorts); msg != "" {
				return msg
			}
		case json.Unmarshal(raw, &by) != nil:
			return "provider.sort: Expected a sort name or {by, partition}"
		case by.By != nil && !sorts[*by.By]:
			return fmt.Sprintf("provider.sort.by: Invalid enum value %q", *by.By)
		}
	}
	var qs []string
	if raw := p["quantizations"]; len(raw) > 0 && string(raw) != "null" {
		if json.Unmarshal(raw, &qs) != nil {
			return "provider.quantizations: Expected array of strings"
		}
	}
	for i, q := range qs {
		if !quantizations[q] {
			return fmt.Sprintf("provider.quantizations[%d]: Invalid enum value %q", i, q)
		}
	}
	return ""
}
