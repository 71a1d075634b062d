package redislimiter

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/routerkit/openrouter"
)

// The tests' control of the limiter's time: its Redis timeouts fire when
// the test says (or when a fake clock reaches them), its renewal ticks
// when the test sends a tick, and its pacing sleeps move a fakeClock
// (algorithm_test.go). A test on a real Redis then hangs on no duration.

// testTimeouts stands in for context.WithTimeout (Limiter.withTimeout): a
// timeout fires when fire is called, or, with a clock, when advance moves
// the clock to its deadline; never by itself.
type testTimeouts struct {
	clk     *fakeClock // nil: fire only
	mu      sync.Mutex
	pending map[*context.CancelFunc]time.Time // cancel -> deadline on clk
}

func newTestTimeouts(clk *fakeClock) *testTimeouts {
	return &testTimeouts{clk: clk, pending: map[*context.CancelFunc]time.Time{}}
}

func (m *testTimeouts) withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	key := &cancel
	var at time.Time
	if m.clk != nil {
		at = m.clk.Now().Add(d)
	}
	m.mu.Lock()
	m.pending[key] = at
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
func (m *testTimeouts) fire() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := len(m.pending)
	for key := range m.pending {
		(*key)()
		delete(m.pending, key)
	}
	return n
}

// advance moves the clock by d and ends the timeouts it reaches.
func (m *testTimeouts) advance(d time.Duration) {
	m.clk.set(m.clk.Now().Add(d))
	now := m.clk.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	for key, at := range m.pending {
		if !now.Before(at) {
			(*key)()
			delete(m.pending, key)
		}
	}
}

// withTicks gives the limiter's renewal the ticks of ch instead of a
// ticker: with a channel the test never sends on, the held leases are
// registered only when an Acquire needs it.
func withTicks(ch <-chan time.Time) Option {
	return func(c *config) error { c.ticks = ch; return nil }
}

// onClock runs l on clk: the scripts' time, the pacing sleeps (a wait
// cancelled before it starts takes no time), and Redis timeouts that
// never fire.
func onClock(l *Limiter, clk *fakeClock) {
	l.now, l.withTimeout = clk.Now, newTestTimeouts(nil).withTimeout
	l.sleep = func(ctx context.Context, d time.Duration) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return clk.Sleep(ctx, d)
	}
}

// toldToWait asks l for a slot and reports whether it was told to wait
// (the wait is then cancelled, and l has left the queue). A slot granted
// is given back.
func toldToWait(l *Limiter) bool {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l.waitHook = func(string) { cancel() }
	r, err := l.Acquire(ctx)
	l.waitHook = nil
	l.calls.Wait()
	if err == nil {
		r(openrouter.Outcome{StatusCode: 200})
	}
	return errors.Is(err, context.Canceled)
}
