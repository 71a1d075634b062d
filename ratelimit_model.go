package openrouter

import (
	"context"
	"net/http"
	"strings"
)

// maxModels bounds the models whose rate an AdaptiveLimiter keeps apart.
// Past it, a model that never met a 429 of its own is forgotten first; a
// request for a model that finds no room is paced by the account's rate
// only.
const maxModels = 256

type modelKey struct{}

// ContextWithModel returns a copy of ctx that names model as the model of
// the request about to be sent, for a Limiter: the client names it
// itself for its own calls; this is for code that calls a Limiter's
// Acquire directly.
func ContextWithModel(ctx context.Context, model string) context.Context {
	return context.WithValue(ctx, modelKey{}, model)
}

// ModelFromContext returns the model of the request a Limiter's Acquire
// is called for: the model of the client's call it is sent for (whatever
// the caller's context named), else what ContextWithModel set; "" when
// the request names none (a listing, a key's management).
func ModelFromContext(ctx context.Context) string {
	if st, ok := ctx.Value(stateKey{}).(*callState); ok {
		return st.model // the client's own call: the model it sends
	}
	m, _ := ctx.Value(modelKey{}).(string)
	return m
}

// pacerFor returns model's pacer, created at its first request; nil for
// no model, or when maxModels are kept and none can be forgotten. The
// caller holds l.mu.
func (l *AdaptiveLimiter) pacerFor(model string) *pacer {
	if model == "" {
		return nil
	}
	if p := l.models[model]; p != nil {
		return p
	}
	if len(l.models) >= maxModels && !l.forgetModel() {
		return nil
	}
	p := newPacer()
	l.models[model] = p
	return p
}

// forgetModel drops an idle model's pacer, one that learned nothing
// first. It reports whether one was dropped.
func (l *AdaptiveLimiter) forgetModel() bool {
	var idle string
	for m, p := range l.models {
		if p.refs > 0 {
			continue
		}
		if p.learned == 0 && p.gateUntil.IsZero() {
			delete(l.models, m)
			return true
		}
		idle = m
	}
	if idle == "" {
		return false
	}
	delete(l.models, idle)
	return true
}

// modelScoped reports whether a 429 concerns only the request's model: one
// of its upstream providers (or all of them) is at capacity, which says
// nothing about the account's rate. A platform 429 (the account's, with
// X-RateLimit-* headers, or an OpenRouter limit named in
// metadata.limit_source) is not.
func modelScoped(e *APIError) bool {
	if e == nil || e.StatusCode != http.StatusTooManyRequests {
		return false
	}
	if e.Availability != nil && e.Availability.Code == AvailabilityCapacityExhausted {
		return true // every provider of the model is full (errors-and-debugging, "Model availability errors")
	}
	if e.RateLimit.Limit > 0 || e.RateLimit.Remaining >= 0 || strings.HasPrefix(e.Metadata.LimitSource, "openrouter") {
		return false // the platform's own limit: the account's
	}
	return e.Metadata.ProviderName != ""
}
