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
// generation as maybe billed (see APIError.answered), unless it is a
// model-availability error: error.availability says that no endpoint
// could serve the request (the model cannot be served), so it means the
// same over HTTP and inside a 200.
func (e *APIError) markAnswered() {
	if e.Availability == nil {
		e.answered = true
	}
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
