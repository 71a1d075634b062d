package bulk

import (
	"context"
	"time"
)

// WithSleep replaces a run's waits between passes (a budget's reset
// among them), so that a test moves a fake clock instead of sleeping.
func WithSleep[T, R any](b Runner[T, R], sleep func(ctx context.Context, d time.Duration) error) Runner[T, R] {
	b.sleep = sleep
	return b
}
