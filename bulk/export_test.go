package bulk

import (
	"context"
	"time"
)

// NoPassWait makes a run start its later passes at once.
func NoPassWait[T, R any](b Runner[T, R]) Runner[T, R] {
	b.sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() }
	return b
}

// WithClock gives a run a clock for Elapsed and Progress.
func WithClock[T, R any](b Runner[T, R], now func() time.Time) Runner[T, R] {
	b.now = now
	return b
}
