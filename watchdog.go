package openrouter

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// WithStreamTimeouts sets the stream stall watchdog (default: off): a
// stream with no chunk within firstChunk of the request being written
// (time waiting at the limiter or between retries does not count), or no
// content (keep-alive comments and empty chunks do not count) for idle
// between chunks, is ended with a *StreamError matching [ErrTimeout].
// Zero turns either off.
func WithStreamTimeouts(firstChunk, idle time.Duration) Option {
	return func(c *config) error {
		if firstChunk < 0 || idle < 0 {
			return fmt.Errorf("WithStreamTimeouts(%v, %v): negative", firstChunk, idle)
		}
		c.firstChunk, c.idle = firstChunk, idle
		return nil
	}
}

// watchdog ends a stalled stream by cancelling its request. Its one timer
// runs first from the request's writing to the first chunk (when
// firstChunk is set), then, when idle is set, from each chunk with
// content to the next. The transport's trace calls sent, on its own
// goroutine, hence the mutex.
type watchdog struct {
	c           *Client
	first, idle time.Duration
	mu          sync.Mutex
	timer       stopTimer
	seen        bool
	stopped     bool
	answeredNow bool         // the current attempt's answer has begun
	resumed     bool         // the answer is the stream's: the wait runs again
	wroteNow    bool         // the current attempt's writing was reported
	wroteAt     time.Time    // when the last attempt was written
	reason      atomic.Value // string: why it fired; "" until then
	cancel      context.CancelFunc
}

// stopTimer is what a watchdog needs of a *time.Timer.
type stopTimer interface {
	Stop() bool
	Reset(time.Duration) bool
}

func (c *Client) newWatchdog(cancel context.CancelFunc) *watchdog {
	w := &watchdog{c: c, first: c.cfg.firstChunk, idle: c.cfg.idle, cancel: cancel}
	w.reason.Store("")
	return w
}

// attempt notes that a new attempt begins (before it is written). The
// transport reports an attempt's writing (sent) and its answer
// (answered) on two goroutines, in either order, and may report the
// writing only after the answer has been returned (resume).
func (w *watchdog) attempt() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.answeredNow, w.wroteNow = false, false
}

// sent starts (or, for a retry, restarts) the first-chunk wait: the
// request has just been written. When the attempt's answer has already
// begun, the wait stays paused, unless the answer is the stream's.
func (w *watchdog) sent() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.first <= 0 || w.seen || w.stopped {
		return
	}
	w.wroteAt, w.wroteNow = w.c.now(), true
	if w.answeredNow && !w.resumed {
		return
	}
	w.arm(w.first)
}

// arm starts the timer for d, or restarts it.
func (w *watchdog) arm(d time.Duration) {
	if w.timer == nil {
		w.timer = w.c.afterFunc(d, w.fire)
	} else {
		w.timer.Reset(d)
	}
}

// answered pauses the first-chunk wait: an attempt's answer has begun,
// and may be one that is retried after a wait.
func (w *watchdog) answered() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.answeredNow = true
	if w.first > 0 && !w.seen && w.timer != nil {
		w.timer.Stop()
	}
}

// informational notes a 1xx answer (103 Early Hints): the answer has
// not begun, and the first-chunk wait that its first byte paused runs
// on, for what is left of it since the request was written.
func (w *watchdog) informational() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.answeredNow = false
	if w.first <= 0 || w.seen || w.stopped || !w.wroteNow {
		return
	}
	w.arm(max(w.first-w.c.now().Sub(w.wroteAt), 0))
}

// resume restarts the first-chunk wait once the answer is the stream's,
// for what is left of it since the request was written (all of it when
// the writing is not reported yet).
func (w *watchdog) resume() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.resumed = true
	if w.first <= 0 || w.seen || w.stopped {
		return
	}
	d := w.first
	if w.wroteNow {
		d = max(w.first-w.c.now().Sub(w.wroteAt), 0)
	}
	w.arm(d)
}

func (w *watchdog) fire() {
	w.mu.Lock()
	seen := w.seen
	w.mu.Unlock()
	if seen {
		w.reason.Store(fmt.Sprintf("no content for %v", w.idle))
	} else {
		w.reason.Store(fmt.Sprintf("no chunk within %v", w.first))
	}
	w.cancel()
}

// chunk notes a chunk: the first one ends the first-chunk wait, and one
// with content (or the first) restarts the idle wait.
func (w *watchdog) chunk(progress bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	first := !w.seen
	w.seen = true
	if !first && !progress {
		return
	}
	switch {
	case w.idle == 0:
		if first && w.timer != nil {
			w.timer.Stop()
		}
	case w.timer == nil:
		w.timer = w.c.afterFunc(w.idle, w.fire)
	default:
		w.timer.Reset(w.idle)
	}
}

func (w *watchdog) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	if w.timer != nil {
		w.timer.Stop()
	}
}

func (w *watchdog) fired() string { return w.reason.Load().(string) }
