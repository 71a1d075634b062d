package redislimiter

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
)

// Issue 25 item 4, across processes: a 429 scoped to model A, with a long
// Retry-After, seen by one process gates A's requests in every process,
// and no other model's.
func TestModelGateIsShared(t *testing.T) {
	s := startRedis(t)
	a := newLimiter(t, client(t, s.addr()), "mgate")
	b := newLimiter(t, client(t, s.addr()), "mgate")
	b.withTimeout = newTestTimeouts(nil).withTimeout // no fallback, which does not share the gate
	modelA := openrouter.ContextWithModel(context.Background(), "a/busy")
	r, err := a.Acquire(modelA)
	if err != nil {
		t.Fatal(err)
	}
	r(openrouter.Outcome{StatusCode: 429, RetryAfter: 50 * time.Second, ModelScoped: true, Model: "a/busy"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// B's model goes at once, in the other process.
	r, err = b.Acquire(openrouter.ContextWithModel(ctx, "b/free"))
	if err != nil {
		t.Fatalf("another model waited behind model A's 429: %v", err)
	}
	r(openrouter.Outcome{StatusCode: 200})
	// A's gate is 50s away and the deadline 10s: the wait fails at once.
	if _, err := b.Acquire(openrouter.ContextWithModel(ctx, "a/busy")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("model A's Retry-After: 50 in another process did not hold A's request here: %v", err)
	}
	if a.LearnedRate() != 0 {
		t.Errorf("the account's rate is %v/s after a 429 scoped to a model, want none", a.LearnedRate())
	}
}
