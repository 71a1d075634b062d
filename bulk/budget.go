package bulk

import (
	"context"
	"errors"
	"time"

	"github.com/routerkit/openrouter"
)

// permanentForModel reports whether err says the model cannot be served
// to any item (retired, unknown, gone upstream, its free variant ended,
// the account's region or data policy excludes it), or a budget is spent:
// every other item would fail the same way, one request each.
func permanentForModel(err error) bool {
	var ae *openrouter.APIError
	return errors.Is(err, openrouter.ErrBudgetExceeded) || errors.As(err, &ae) && ae.Availability.Permanent()
}

// availabilityRetryable reports, for an error carrying OpenRouter's
// availability object, whether it may pass later (its retryable flag,
// else its status: APIError.Retryable); known is false for other errors.
// A retryable code whose wait passed the client's maximum (so the call
// ended with ErrQuotaExhausted: capacity_exhausted with a long
// retry_after) may pass in a later pass: it is not a daily quota.
func availabilityRetryable(err error) (retryable, known bool) {
	var ae *openrouter.APIError
	if !errors.As(err, &ae) || ae.Availability == nil {
		return false, false
	}
	if errors.Is(err, openrouter.ErrQuotaExhausted) {
		return ae.Availability.Retryable, true
	}
	return ae.Retryable(), true
}

// pauseForBudget, with r.mu held, decides whether a budget block is waited
// out (WaitForBudgetReset allows the wait to its resets_at, counting the
// run's earlier budget waits): then the run pauses until the reset, no
// new item starts before it, and the item is tried again after it.
func (r *runner[T, R]) pauseForBudget(err error) bool {
	var ae *openrouter.APIError
	if r.b.WaitForBudgetReset <= 0 || !errors.Is(err, openrouter.ErrBudgetExceeded) || !errors.As(err, &ae) {
		return false
	}
	until, now := ae.Metadata.ResetsAt, r.b.now()
	if until.IsZero() || !until.After(now) || r.budgetWaited+until.Sub(now) > r.b.WaitForBudgetReset || !until.After(r.waitedUntil) {
		// Unknown, already past (the server still refuses: no time to
		// wait for), too far, or already waited for: the run stops.
		return false
	}
	if until.After(r.resumeAt) {
		r.resumeAt = until
	}
	if !r.paused {
		r.paused = true
		close(r.pauseCh)
	}
	return true
}

// isPaused reports whether a budget pause stops the feeding of this pass.
func (r *runner[T, R]) isPaused() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.paused
}

// waitBudget waits, between passes, until the budget a pause waits for
// resets; waited is false when no pause is pending, or the run stopped
// meanwhile (nothing is left to wait for).
func (r *runner[T, R]) waitBudget(ctx context.Context) (waited bool, err error) {
	r.mu.Lock()
	until, paused := r.resumeAt, r.paused && r.stopErr == nil
	r.resumeAt, r.paused, r.pauseCh = time.Time{}, false, make(chan struct{})
	if paused {
		r.waitedUntil = until
	}
	r.mu.Unlock()
	if !paused {
		return false, nil
	}
	d := max(until.Sub(r.b.now()), 0)
	r.mu.Lock()
	r.budgetWaited += d
	r.mu.Unlock()
	r.observeHeld(ctx, RunHeld{Cause: HeldForBudget, Wait: d, Until: until})
	return true, r.b.sleep(ctx, d)
}
