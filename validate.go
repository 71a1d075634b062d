package openrouter

import (
	"math"
	"strings"
	"unicode/utf8"
)

var validRoles = map[string]bool{"system": true, "developer": true, "user": true, "assistant": true, "tool": true}

// validate checks the request before it is sent; the error names the
// field at fault and matches [ErrInvalidRequest].
func (r *ChatRequest) validate() error {
	if r == nil {
		return invalid("nil *ChatRequest")
	}
	if strings.ContainsAny(r.Model, " \t\r\n") {
		return invalid("model %q contains white space", r.Model)
	}
	for i, m := range r.Models {
		if m == "" || strings.ContainsAny(m, " \t\r\n") {
			return invalid("models[%d] %q is empty or contains white space", i, m)
		}
	}
	if len(r.Messages) == 0 {
		return invalid("no messages")
	}
	for i, m := range r.Modalities {
		if !oneOf(m, "text", "image", "audio") {
			return invalid("modalities[%d] %q is not text, image or audio", i, m)
		}
	}
	for i := range r.Messages {
		if err := r.Messages[i].validate(i); err != nil {
			return err
		}
	}
	if err := r.validateSampling(); err != nil {
		return err
	}
	if len(r.Stop) > 4 {
		return invalid("stop: %d sequences; at most 4", len(r.Stop))
	}
	if f := r.ResponseFormat; f != nil {
		switch f.Type {
		case "json_object", "text":
		case "json_schema":
			if f.JSONSchema == nil || f.JSONSchema.Name == "" || len(f.JSONSchema.Schema) == 0 {
				return invalid("response_format json_schema needs JSONSchema with a Name and a Schema")
			}
		default:
			return invalid("response_format type %q is not json_object, json_schema or text", f.Type)
		}
	}
	for i := range r.Tools {
		if err := r.Tools[i].validate(i); err != nil {
			return err
		}
	}
	if s, ok := r.ToolChoice.(string); ok && !oneOf(s, "auto", "none", "required") {
		return invalid("tool_choice %q is not auto, none or required (or an object naming a tool)", s)
	}
	for i := range r.StopServerToolsWhen {
		if err := r.StopServerToolsWhen[i].validate(i); err != nil {
			return err
		}
	}
	for i, p := range r.Plugins {
		if p.ID == "" {
			return invalid("plugins[%d]: no ID", i)
		}
		if _, ok := p.Options["id"]; ok {
			return invalid("plugins[%d]: Options has an \"id\"; the plugin's id is ID", i)
		}
	}
	if p := r.Provider; p != nil {
		if err := p.validate(); err != nil {
			return err
		}
	}
	if err := r.Reasoning.validate(); err != nil {
		return err
	}
	if p := r.Prediction; p != nil && p.Type != "content" {
		return invalid("prediction.type %q is not \"content\"", p.Type)
	}
	if !oneOf(r.Verbosity, "", "low", "medium", "high") {
		return invalid("verbosity %q is not low, medium or high", r.Verbosity)
	}
	if !oneOf(r.ServiceTier, "", "auto", "default", "fast", "flex", "priority", "scale") {
		return invalid("service_tier %q is not auto, default, fast, flex, priority or scale", r.ServiceTier)
	}
	if c := r.CacheControl; c != nil {
		if err := c.validate("cache_control"); err != nil {
			return err
		}
	}
	if n := utf8.RuneCountInString(r.SessionID); n > 256 {
		return invalid("session_id: %d characters; at most 256", n)
	}
	if len(r.Metadata) > 16 {
		return invalid("metadata: %d pairs; at most 16", len(r.Metadata))
	}
	for k, v := range r.Metadata {
		if len(k) > 64 || len(v) > 512 {
			return invalid("metadata[%q]: keys are at most 64 characters, values 512", k)
		}
	}
	return validateExtra(r.Extra)
}

// validateSampling checks the numeric sampling fields: finite and in
// their ranges.
func (r *ChatRequest) validateSampling() error {
	for _, f := range []struct {
		name     string
		v        *float64
		min, max float64
		openMin  bool
	}{
		{"temperature", r.Temperature, 0, 2, false},
		{"top_p", r.TopP, 0, 1, false},
		{"min_p", r.MinP, 0, 1, false},
		{"top_a", r.TopA, 0, 1, false},
		{"frequency_penalty", r.FrequencyPenalty, -2, 2, false},
		{"presence_penalty", r.PresencePenalty, -2, 2, false},
		{"repetition_penalty", r.RepetitionPenalty, 0, 2, true},
	} {
		if f.v == nil {
			continue
		}
		v := *f.v
		if math.IsNaN(v) || math.IsInf(v, 0) || v < f.min || v > f.max || f.openMin && v == f.min {
			lo := "["
			if f.openMin {
				lo = "("
			}
			return invalid("%s %v is outside %s%v, %v]", f.name, v, lo, f.min, f.max)
		}
	}
	if k := r.TopK; k != nil && *k < 0 {
		return invalid("top_k %d is negative", *k)
	}
	if r.MaxTokens < 0 {
		return invalid("max_tokens %d is negative", r.MaxTokens)
	}
	if r.MaxCompletionTokens < 0 {
		return invalid("max_completion_tokens %d is negative", r.MaxCompletionTokens)
	}
	if r.MaxTokens > 0 && r.MaxCompletionTokens > 0 {
		return invalid("max_tokens and max_completion_tokens are both set; use one (max_completion_tokens)")
	}
	if r.TopLogprobs < 0 || r.TopLogprobs > 20 {
		return invalid("top_logprobs %d is outside 0..20", r.TopLogprobs)
	}
	if r.TopLogprobs > 0 && !r.Logprobs {
		return invalid("top_logprobs is set without logprobs")
	}
	for tok, v := range r.LogitBias {
		if math.IsNaN(v) || v < -100 || v > 100 {
			return invalid("logit_bias[%q] %v is outside -100..100", tok, v)
		}
	}
	return nil
}

// validate checks messages[i].
func (m *Message) validate(i int) error {
	if !validRoles[m.Role] {
		return invalid("messages[%d]: role %q is not system, developer, user, assistant or tool", i, m.Role)
	}
	if m.Content != "" && len(m.Parts) > 0 {
		return invalid("messages[%d]: both Content and Parts are set; use one", i)
	}
	if m.Role == "tool" && m.ToolCallID == "" {
		return invalid("messages[%d]: a tool message needs ToolCallID, the ID of the tool call it answers", i)
	}
	if m.Content == "" && len(m.Parts) == 0 && len(m.ToolCalls) == 0 && !m.answerOnly() && !(m.Role == "tool" && m.ToolCallID != "") {
		return invalid("messages[%d]: no content", i)
	}
	for j := range m.Parts {
		if err := m.Parts[j].validate(i, j, m.Role); err != nil {
			return err
		}
	}
	return nil
}

// answerOnly reports whether m is an assistant's answer carried back in
// the conversation with something other than content: a refusal, images,
// audio or reasoning.
func (m *Message) answerOnly() bool {
	return m.Role == "assistant" && (m.Refusal != "" || len(m.Images) > 0 || m.Audio != nil || m.Reasoning != "" || len(m.ReasoningDetails) > 0)
}

func (r *Reasoning) validate() error {
	if r == nil {
		return nil
	}
	if !oneOf(r.Effort, "", "max", "xhigh", "high", "medium", "low", "minimal", "none") {
		return invalid("reasoning.effort %q is not max, xhigh, high, medium, low, minimal or none", r.Effort)
	}
	if r.MaxTokens < 0 {
		return invalid("reasoning.max_tokens %d is negative", r.MaxTokens)
	}
	if r.Effort != "" && r.MaxTokens > 0 {
		return invalid("reasoning.effort and reasoning.max_tokens are both set; use one")
	}
	if !oneOf(r.Summary, "", "auto", "concise", "detailed") {
		return invalid("reasoning.summary %q is not auto, concise or detailed", r.Summary)
	}
	return nil
}
