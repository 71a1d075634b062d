package openroutertest

import (
	"strings"
)

// Fingerprint is the system_fingerprint of the server's chat answers.
const Fingerprint = "fp_openroutertest"

// WantsLogprobs reports whether the request asked for log probabilities,
// and for how many alternatives per token.
func (r Request) WantsLogprobs() (bool, int) {
	on, _ := r.Body["logprobs"].(bool)
	n, _ := r.Body["top_logprobs"].(float64)
	return on, int(n)
}

// WantsWebSearch reports whether the request enabled web search: the
// "web" plugin or a web search server tool.
func (r Request) WantsWebSearch() bool {
	plugins, _ := r.Body["plugins"].([]any)
	for _, p := range plugins {
		if m, _ := p.(map[string]any); m["id"] == "web" && m["enabled"] != false {
			return true
		}
	}
	tools, _ := r.Body["tools"].([]any)
	for _, t := range tools {
		m, _ := t.(map[string]any)
		if typ, _ := m["type"].(string); typ == "openrouter:web_search" || strings.HasPrefix(typ, "web_search") {
			return true
		}
	}
	m, _ := r.Body["model"].(string)
	return strings.HasSuffix(m, ":online")
}

// WantsReasoning reports whether the answer carries reasoning: the
// request has a reasoning object (or reasoning_effort) that neither turns
// it off nor excludes it.
func (r Request) WantsReasoning() bool {
	if e, _ := r.Body["reasoning_effort"].(string); e != "" && e != "none" {
		return true
	}
	m, ok := r.Body["reasoning"].(map[string]any)
	return ok && m["effort"] != "none" && m["enabled"] != false && m["exclude"] != true
}

// WantsMetadata reports whether the request asked for openrouter_metadata.
func (r Request) WantsMetadata() bool {
	return strings.EqualFold(r.Header.Get("X-OpenRouter-Metadata"), "enabled") ||
		strings.EqualFold(r.Header.Get("X-OpenRouter-Experimental-Metadata"), "enabled")
}

// addAnswerFields adds what the request asked for to a completion's
// message and choice: reasoning, citations, log probabilities.
func addAnswerFields(req Request, text string, msg, choice map[string]any) {
	if req.WantsReasoning() {
		msg["reasoning"], msg["reasoning_details"] = fakeReasoning, reasoningDetails()
	}
	if req.WantsWebSearch() {
		msg["annotations"] = citations(text)
	}
	if on, n := req.WantsLogprobs(); on {
		choice["logprobs"] = map[string]any{"content": logprobs(text, n), "refusal": nil}
	}
}

// fakeReasoning is the reasoning text of the server's answers.
const fakeReasoning = "The user wrote something; I will answer it."

// reasoningDetails is message.reasoning_details for fakeReasoning.
func reasoningDetails() []any {
	return []any{map[string]any{"type": "reasoning.text", "text": fakeReasoning, "format": "unknown", "index": 0}}
}

// citations is message.annotations: one web search result citing text.
func citations(text string) []any {
	return []any{map[string]any{"type": "url_citation", "url_citation": map[string]any{
		"url": "https://example.com/openroutertest", "title": "openroutertest result",
		"content": "A search result of the fake server.", "start_index": 0, "end_index": len(text)}}}
}

// logprobs gives each word of text (with its leading space) a log
// probability, and n alternatives.
func logprobs(text string, n int) []any {
	out := []any{}
	for i, w := range strings.Fields(text) {
		if i > 0 {
			w = " " + w
		}
		top := []any{}
		for k := 0; k < n; k++ {
			tok := w
			if k > 0 {
				tok = w + strings.Repeat("~", k)
			}
			top = append(top, map[string]any{"token": tok, "logprob": -0.25 * float64(k+1), "bytes": bytesOf(tok)})
		}
		out = append(out, map[string]any{"token": w, "logprob": -0.25, "bytes": bytesOf(w), "top_logprobs": top})
	}
	return out
}

func bytesOf(s string) []int {
	b := make([]int, len(s))
	for i := 0; i < len(s); i++ {
		b[i] = int(s[i])
	}
	return b
}

// routerMetadata is the openrouter_metadata of an answer.
func routerMetadata(model string) map[string]any {
	return map[string]any{"requested": model, "strategy": "direct", "region": "iad", "attempt": 1, "is_byok": false,
		"summary":   "available=1, selected=OpenRouterTest",
		"endpoints": map[string]any{"total": 1, "available": []any{map[string]any{"model": model, "provider": "OpenRouterTest", "selected": true}}}}
}
