package openrouter

import (
	"encoding/json"
	"math"
	"strconv"
)

// The plain chat request's encoder: the bytes encoding/json would write,
// without its reflection, for a request that sets only scalar fields,
// string lists and plain messages (most requests). Anything else goes
// through json.Marshal (ChatRequest.marshal); TestPlainEncodeMatchesMarshal
// sets every field in turn and holds the two to the same bytes.

// appendPlain appends the body of r to b and reports true, or reports
// false (b unusable) when r sets a field it does not write: then
// json.Marshal encodes the request. The keys come in marshal's order: the
// request's fields as declared, then messages, stream and stream_options.
func (r *ChatRequest) appendPlain(b []byte, stream, streamOpts bool) ([]byte, bool) {
	if !r.plain() {
		return nil, false
	}
	ok := true
	b = append(b, '{')
	b = plainString(b, "model", r.Model)
	b = plainStrings(b, "models", r.Models)
	b, ok = plainFloat(b, "temperature", r.Temperature, ok)
	b, ok = plainFloat(b, "top_p", r.TopP, ok)
	b = plainIntPtr(b, "top_k", r.TopK)
	b, ok = plainFloat(b, "min_p", r.MinP, ok)
	b, ok = plainFloat(b, "top_a", r.TopA, ok)
	b = plainInt(b, "max_tokens", r.MaxTokens)
	b = plainInt(b, "max_completion_tokens", r.MaxCompletionTokens)
	b = plainIntPtr(b, "seed", r.Seed)
	b = plainStrings(b, "stop", r.Stop)
	b, ok = plainFloat(b, "frequency_penalty", r.FrequencyPenalty, ok)
	b, ok = plainFloat(b, "presence_penalty", r.PresencePenalty, ok)
	b, ok = plainFloat(b, "repetition_penalty", r.RepetitionPenalty, ok)
	if r.Logprobs {
		b = append(plainKey(b, "logprobs"), "true"...)
	}
	b = plainInt(b, "top_logprobs", r.TopLogprobs)
	if p := r.ParallelToolCalls; p != nil {
		b = strconv.AppendBool(plainKey(b, "parallel_tool_calls"), *p)
	}
	b = plainString(b, "verbosity", r.Verbosity)
	b = plainString(b, "service_tier", r.ServiceTier)
	b = plainStrings(b, "modalities", r.Modalities)
	b = plainString(b, "prompt_cache_key", r.PromptCacheKey)
	b = plainString(b, "user", r.User)
	b = plainString(b, "session_id", r.SessionID)
	b = append(plainKey(b, "messages"), '[')
	for i := range r.Messages {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendPlainMessage(b, &r.Messages[i])
	}
	b = append(b, ']')
	if stream {
		b = append(plainKey(b, "stream"), "true"...)
	}
	if streamOpts {
		b = append(plainKey(b, "stream_options"), `{"include_usage":true}`...)
	}
	return append(b, '}'), ok
}

// plain reports whether r sets only fields appendPlain writes, and its
// messages only text and names.
func (r *ChatRequest) plain() bool {
	if r.LogitBias != nil || r.Prediction != nil || r.ResponseFormat != nil || r.Tools != nil ||
		r.ToolChoice != nil || r.StopServerToolsWhen != nil || r.Provider != nil || r.Plugins != nil ||
		r.Reasoning != nil || r.ImageConfig != nil || r.CacheControl != nil || r.Usage != nil ||
		r.Metadata != nil || r.Trace != nil || r.Debug != nil {
		return false
	}
	for i := range r.Messages {
		m := &r.Messages[i]
		if m.Parts != nil || m.ToolCalls != nil || m.ReasoningDetails != nil || m.Images != nil {
			return false
		}
	}
	return true
}

// appendPlainMessage writes a message of a plain request as its wire form
// (wireMessage) does: content as a string, always.
func appendPlainMessage(b []byte, m *Message) []byte {
	b = append(b, `{"role":`...)
	b = appendJSONString(b, m.Role)
	b = append(b, `,"content":`...)
	b = appendJSONString(b, m.Content)
	b = plainString(b, "name", m.Name)
	b = plainString(b, "tool_call_id", m.ToolCallID)
	b = plainString(b, "reasoning", m.Reasoning)
	b = plainString(b, "refusal", m.Refusal)
	return append(b, '}')
}

// plainKey writes `"key":`, after a comma unless the object just opened.
func plainKey(b []byte, key string) []byte {
	if b[len(b)-1] != '{' {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

// plainString writes a string field with omitempty.
func plainString(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return appendJSONString(plainKey(b, key), s)
}

// plainStrings writes a string list with omitempty.
func plainStrings(b []byte, key string, list []string) []byte {
	if len(list) == 0 {
		return b
	}
	b = append(plainKey(b, key), '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

// plainInt writes an int field with omitempty.
func plainInt(b []byte, key string, n int) []byte {
	if n == 0 {
		return b
	}
	return strconv.AppendInt(plainKey(b, key), int64(n), 10)
}

// plainIntPtr writes a *int field with omitempty.
func plainIntPtr(b []byte, key string, p *int) []byte {
	if p == nil {
		return b
	}
	return strconv.AppendInt(plainKey(b, key), int64(*p), 10)
}

// plainFloat writes a *float64 field with omitempty as encoding/json
// does, and turns ok false for NaN or an infinity, which JSON cannot
// hold (json.Marshal then gives the error, checkFinite its field).
func plainFloat(b []byte, key string, p *float64, ok bool) ([]byte, bool) {
	if p == nil || !ok {
		return b, ok
	}
	f := *p
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, false
	}
	b = plainKey(b, key)
	// encoding/json's floatEncoder: ES6 number formatting.
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, true
}

// appendJSONString writes s as encoding/json does. Printable ASCII
// other than the characters it escapes is copied; any other string is
// left to json.Marshal, whose escaping (HTML characters, U+2028, invalid
// UTF-8) is then exactly kept.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
