package redislimiter

import (
	"context"
	"sync"
	"time"
)

// The tests' control of the limiter's time: the Redis timeout fires when
// the test says, and the renewal ticks when it sends a tick. With
// fakeClock (algorithm_test.go) for the scripts' time and the pacing
// sleeps, a test on a real Redis hangs on no duration.

// manualTimeouts stands in for context.WithTimeout (Limiter.withTimeout):
// a timeout fires only when fire is called, never by itself.
type manualTimeouts struct {
	mu      sync.Mutex
	pending map[*context.CancelFunc]bool
}

func newManualTimeouts() *manualTimeouts {
	return &manualTimeouts{pending: map[*context.CancelFunc]bool{}}
}

func (m *manualTimeouts) withTimeout(ctx context.Context, _ time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	key := &cancel
	m.mu.Lock()
	m.pending[key] = true
	m.mu.Unlock()
	return ctx, func() {
		m.mu.Lock()
		delete(m.pending, key)
		m.mu.Unlock()
		cancel()
	}
}

// fire ends every timeout under way, as if its time had passed, and
// returns how many there were.
func (m *manualTimeouts) fire() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := len(m.pending)
	for key := range m.pending {
		(*key)()
		delete(m.pending, key)
	}
	return n
}

// withTicks gives the limiter's renewal the ticks of ch instead of a
// ticker: with a channel the test never sends on, the held leases are
// registered only when an Acquire needs it.
func withTicks(ch <-chan time.Time) Option {
	return func(c *config) error { c.ticks = ch; return nil }
}
