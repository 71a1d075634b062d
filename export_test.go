package openrouter

import (
	"context"
	"sync"
	"time"
)

// SetWaitHook lets tests observe each retry wait and replace it (usually
// by zero), so that retry tests never sleep.
func SetWaitHook(c *Client, f func(time.Duration) time.Duration) { c.waitHook = f }

// SetNow gives a client the clock it reads HTTP-date Retry-After
// headers (and the stream watchdog's elapsed time) by.
func SetNow(c *Client, now func() time.Time) { c.now = now }

// FakeClock is a clock whose Sleep moves Now forward at once, so pacing
// tests run in microseconds. Sleeps records every wait.
type FakeClock struct {
	mu     sync.Mutex
	now    time.Time
	Sleeps []time.Duration
}

func NewFakeClock() *FakeClock { return &FakeClock{now: time.Now()} }

func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *FakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.Sleeps = append(c.Sleeps, d)
	return nil
}

func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// SetClock gives a limiter a clock.
func SetClock(l *AdaptiveLimiter, c *FakeClock) { l.clock = c }

// ManualTimers replaces the stream watchdog's timers: each one created is
// sent on the channel, and the test fires it by calling it.
func ManualTimers(c *Client) <-chan func() {
	ch := make(chan func(), 16)
	c.afterFunc = func(d time.Duration, f func()) stopTimer {
		ch <- f
		return manualTimer{}
	}
	return ch
}

type manualTimer struct{}

func (manualTimer) Stop() bool               { return true }
func (manualTimer) Reset(time.Duration) bool { return true }

// WithBatchSleep replaces Batches.Wait's waits, so that a test can move a
// fake clock instead of sleeping.
func WithBatchSleep(w BatchWait, f func(ctx context.Context, d time.Duration, notify <-chan struct{}) (bool, error)) BatchWait {
	w.sleep = f
	return w
}

// SetCallTimeout replaces how a client bounds a request by its
// CallTimeout (context.WithTimeoutCause), so that a test has the deadline
// pass when it says rather than at a time. Calls of several requests
// (prepareCall) are not affected. f's contexts must end with cause (see
// context.Cause), as context.WithTimeoutCause's do: it names the
// CallTimeout in the error.
func SetCallTimeout(c *Client, f func(ctx context.Context, d time.Duration, cause error) (context.Context, context.CancelFunc)) {
	c.withTimeout = f
}

// SetRecoverSleep replaces the waits between the lookups of a lost
// answer's generation: f sees each wait, and nothing sleeps.
func SetRecoverSleep(c *Client, f func(time.Duration)) {
	c.cfg.recoverSleep = func(ctx context.Context, d time.Duration) error {
		f(d)
		return ctx.Err()
	}
}

// EmbeddingAnswerJSON is an embeddings answer of n vectors of dims
// numbers each, for the benchmarks.
var EmbeddingAnswerJSON = embeddingAnswerJSON
