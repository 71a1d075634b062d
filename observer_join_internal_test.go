package openrouter

import (
	"context"
	"testing"
)

// noExt is an Observer with no extension; withLimiter one with
// LimiterObserver only.
type noExt struct{}

func (noExt) CallStart(ctx context.Context, _ CallStart) context.Context { return ctx }
func (noExt) AttemptStart(context.Context, AttemptStart)                 {}
func (noExt) AttemptEnd(context.Context, AttemptEnd)                     {}
func (noExt) RetryWait(context.Context, RetryWait)                       {}
func (noExt) CallEnd(context.Context, CallEnd)                           {}

type withLimiter struct{ noExt }

func (withLimiter) LimiterWait(context.Context, LimiterWait) {}
func (withLimiter) RateChange(context.Context, RateChange)   {}

// The client sees in a joined observer only the extensions some member
// has: for the others it does no work, as for a single observer. A join
// of joins counts as its members.
func TestJoinObserversExtensionsOnClient(t *testing.T) {
	var c config
	if err := WithObserver(JoinObservers(noExt{}, withLimiter{}))(&c); err != nil {
		t.Fatal(err)
	}
	x := c.obsExt
	if x.limiter == nil || x.stream != nil || x.recovery != nil || x.trace != nil {
		t.Errorf("extensions = %+v, want the limiter's only", x)
	}
	if err := WithObserver(JoinObservers(noExt{}, noExt{}))(&c); err != nil {
		t.Fatal(err)
	}
	if c.obsExt != (observers{}) {
		t.Errorf("extensions = %+v, want none", c.obsExt)
	}
	nested := JoinObservers(JoinObservers(noExt{}, noExt{}), withLimiter{})
	if err := WithObserver(nested)(&c); err != nil {
		t.Fatal(err)
	}
	if x := c.obsExt; x.limiter == nil || x.stream != nil || x.recovery != nil || x.trace != nil || len(nested.(*joinedObservers).all) != 3 {
		t.Errorf("a join of a join: extensions = %+v, want the limiter's only, of 3 members", x)
	}
}
