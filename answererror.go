package openrouter

import "errors"

// answerErr is redactErr for the errors found inside a 200 answer (a
// choice that finished with "error", an empty answer), judged as over
// HTTP (judgeAnswer).
func (c *Client) answerErr(err error) error {
	var e *APIError
	if errors.As(err, &e) {
		c.judgeAnswer(e)
	}
	return c.redactErr(err)
}

// markAnswered marks an error that came inside a 200 answer to a
// generation as maybe billed (see APIError.answered). A
// model-availability error is the exception while no output has come
// (output false): error.availability says that no endpoint could serve
// the request, so it means the same over HTTP and inside a 200. Once the
// model's output began, the generation ran whatever the error says:
// OpenRouter answers 200 only when "the model started processing your
// request" (docs: api-reference/errors-and-debugging).
func (e *APIError) markAnswered(output bool) {
	if e.Availability == nil || output {
		e.answered = true
	}
}

// hasOutput reports whether r holds any of the model's output: text (a
// string or parts), reasoning (its text or its blocks), a refusal, tool
// calls, images or audio; or usage that shows the model ran or the
// request was charged (completion tokens, a cost).
func (r *ChatResponse) hasOutput() bool {
	if r == nil {
		return false
	}
	for i := range r.Choices {
		m := &r.Choices[i].Message
		if m.Content != "" || m.Text() != "" || m.Reasoning != "" || len(m.ReasoningDetails) > 0 || m.Refusal != "" ||
			len(m.ToolCalls) > 0 || len(m.Images) > 0 || m.Audio != nil {
			return true
		}
	}
	return r.Usage.ran()
}

// ran reports whether usage shows that the model generated or that the
// request was charged.
func (u *Usage) ran() bool {
	return u != nil && (u.CompletionTokens > 0 || u.Cost > 0)
}

// hasOutput reports whether a response (a failed one, say) holds any of
// the model's output: an output item, or usage that shows the model ran
// or the request was charged.
func (r *Response) hasOutput() bool {
	return r != nil && (len(r.Output) > 0 || r.Usage.usage().ran())
}

// judgeAnswer completes an error found inside a 200 answer as parseError
// completes one answered over HTTP, so that the same payload means the
// same whatever the transport: a rate limit whose wait passes the
// client's maximum is a quota, and a budget block says when it resets.
func (c *Client) judgeAnswer(e *APIError) {
	if e.Is(ErrRateLimited) && pastMaxWait(e.RetryAfter, e.RateLimit, c.now(), c.cfg.maxWait) {
		e.markQuota()
	}
	if e.Is(ErrBudgetExceeded) && e.Metadata.ResetsAt.IsZero() {
		e.Metadata.ResetsAt = budgetReset(e.Message, c.now())
	}
}
