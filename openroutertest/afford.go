package openroutertest

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
)

// WithAffordabilityCheck makes the server refuse, before any work, a chat
// completion whose largest possible cost is more than what is left of
// the account's credits (WithCredits) or of the key's limit
// (WithKeyLimit), as OpenRouter does (RULES.md B7): 402 "This request
// requires more credits, or fewer max_tokens. You requested up to N
// tokens, but can only afford M." The output counted is
// max_completion_tokens, else max_tokens, else the model's
// top_provider.max_completion_tokens. It is on by default; turn it off
// to have a request refused only once the credits are spent, so that a
// test can spend a small balance without max_tokens.
func WithAffordabilityCheck(on bool) Option { return func(s *Server) { s.affordCheck = on } }

// requestedOutput is the output a request may produce: what it asks
// for, else the model's largest output.
func requestedOutput(m Model, req Request) int {
	for _, key := range []string{"max_completion_tokens", "max_tokens"} {
		if f, ok := req.Body[key].(float64); ok && f > 0 {
			return int(f)
		}
	}
	if m.TopProvider.MaxCompletionTokens > 0 {
		return m.TopProvider.MaxCompletionTokens
	}
	prompt, _ := promptTokens(req)
	return max(m.ContextLength-prompt, 0)
}

// unaffordable answers the 402 of a request that the credits, or the
// key's limit, cannot pay at its largest output, and reports whether it
// did (RULES.md B7: digest §4.5, the 402 messages seen verbatim, "the
// check uses the model's default max output when max_tokens is
// omitted"; docs api_reference/limits.mdx, "Credit limits", 402 for the
// account's balance and for a per-key credit limit).
func (s *Server) unaffordable(w http.ResponseWriter, m Model, req Request) bool {
	if !s.affordCheck {
		return false
	}
	s.mu.Lock()
	left, source := s.credits-s.usage, "openrouter_credits"
	if s.keyLimit != nil && *s.keyLimit-s.usage < left {
		left, source = *s.keyLimit-s.usage, KeyLimit
	}
	s.mu.Unlock()
	if math.IsInf(left, 1) {
		return false
	}
	prompt, images := promptTokens(req)
	fixed := m.cost(prompt, 0, images, 0)
	perToken, _ := strconv.ParseFloat(m.Pricing.Completion, 64)
	want := requestedOutput(m, req)
	if perToken <= 0 || fixed+float64(want)*perToken <= left {
		return false
	}
	afford := max(int((left-fixed)/perToken), 0)
	where := "https://openrouter.ai/settings/credits and upgrade to a paid account"
	if source == KeyLimit {
		where = "https://openrouter.ai/settings/keys and create a key with a higher monthly limit"
	}
	writeError(w, http.StatusPaymentRequired, ErrorBody{Code: 402,
		Message:  fmt.Sprintf("This request requires more credits, or fewer max_tokens. You requested up to %d tokens, but can only afford %d. To increase, visit %s", want, afford, where),
		Metadata: map[string]any{"limit_source": source, "error_type": "payment_required"}})
	return true
}
