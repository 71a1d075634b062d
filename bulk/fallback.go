package bulk

import (
	"context"
	"errors"

	"github.com/routerkit/openrouter"
)

// modelKey is the context key of the model a run switched its items to.
type modelKey struct{}

// Model returns the model an item should ask for: the run's FallbackModel
// once OpenRouter said the run's model cannot be served, else model. fn
// calls it with its usual model:
//
//	req.Model = bulk.Model(ctx, "openai/gpt-4o-mini")
func Model(ctx context.Context, model string) string {
	if m, ok := ctx.Value(modelKey{}).(string); ok && m != "" {
		return m
	}
	return model
}

// withModel gives an item's context the fallback model once the run has
// switched to it, and reports whether it did.
func (r *runner[T, R]) withModel(ctx context.Context) (context.Context, bool) {
	r.mu.Lock()
	on := r.fellBack
	r.mu.Unlock()
	if !on {
		return ctx, false
	}
	return context.WithValue(ctx, modelKey{}, r.b.FallbackModel), true
}

// fallBack, with r.mu held, switches the run to FallbackModel on a
// permanent availability error of an item that did not use it yet: the
// item runs again, and every item after it gets the fallback model
// through Model. A fallback model that fails the same way stops the run.
func (r *runner[T, R]) fallBack(err error, usedFallback bool) bool {
	var ae *openrouter.APIError
	if r.b.FallbackModel == "" || usedFallback || !errors.As(err, &ae) || !ae.Availability.Permanent() {
		return false
	}
	if !r.fellBack {
		r.fellBack = true
		r.rep.FellBack = err
	}
	r.rerun = true
	return true
}

// fallbackPass reports, once, whether the last pass put items back to run
// with FallbackModel: the next pass then starts at once, whatever
// RetryFor says (it bounds the retries of errors that may pass, not the
// switch to another model), unless the run stopped.
func (r *runner[T, R]) fallbackPass() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	rerun := r.rerun && r.stopErr == nil
	r.rerun = false
	return rerun
}
