package openrouter

import (
	"sync"
	"testing"
	"time"
)

// recordingTimer counts what the watchdog asks of its timer.
type recordingTimer struct {
	mu     sync.Mutex
	resets []time.Duration
	stops  int
}

func (r *recordingTimer) Stop() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stops++
	return true
}

func (r *recordingTimer) Reset(d time.Duration) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.resets = append(r.resets, d)
	return true
}

// TestWatchdogIdleReset: each chunk with content restarts the idle wait,
// chunks without content (keep-alive, empty deltas) do not. Deleting the
// Reset leaves a stream that sends content steadily to be cut at the
// first idle interval.
func TestWatchdogIdleReset(t *testing.T) {
	t.Parallel()
	c := NewClient(testKey, WithStreamTimeouts(0, 10*time.Second))
	rt := &recordingTimer{}
	created := 0
	c.afterFunc = func(d time.Duration, f func()) stopTimer { created++; return rt }
	wd := c.newWatchdog(func() {})
	wd.sent()
	if created != 0 {
		t.Fatalf("a timer before the first chunk with no first-chunk wait")
	}
	wd.chunk(true)  // the first: starts the idle wait
	wd.chunk(true)  // content: restarts it
	wd.chunk(false) // nothing new: does not
	wd.chunk(true)  // content: restarts it
	if created != 1 || len(rt.resets) != 2 || rt.resets[0] != 10*time.Second {
		t.Errorf("created %d timers, resets %v; want 1 timer reset twice by 10s", created, rt.resets)
	}
	wd.stop()
	if rt.stops != 1 {
		t.Errorf("stop: %d stops", rt.stops)
	}
}

// TestWatchdogFirstChunkStops: the first chunk ends the first-chunk wait
// when there is no idle wait; a retry's new request restarts it.
func TestWatchdogFirstChunkStops(t *testing.T) {
	t.Parallel()
	c := NewClient(testKey, WithStreamTimeouts(time.Minute, 0))
	rt := &recordingTimer{}
	c.afterFunc = func(d time.Duration, f func()) stopTimer { return rt }
	cancelled := false
	wd := c.newWatchdog(func() { cancelled = true })
	wd.sent()
	wd.sent() // a retry: the wait starts again
	if len(rt.resets) != 1 || rt.resets[0] != time.Minute {
		t.Errorf("resets %v, want one of 1m", rt.resets)
	}
	wd.chunk(false)
	if rt.stops != 1 {
		t.Errorf("the first chunk did not stop the first-chunk wait")
	}
	wd.fire()
	if !cancelled || wd.fired() == "" {
		t.Errorf("fire: cancelled %v, reason %q", cancelled, wd.fired())
	}
}
