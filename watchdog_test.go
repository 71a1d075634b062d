package openrouter

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
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

// runningTimer tracks whether the watchdog's timer is running.
type runningTimer struct {
	mu      sync.Mutex
	running bool
}

func (r *runningTimer) set(v bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.running = v
	return true
}
func (r *runningTimer) Stop() bool               { return r.set(false) }
func (r *runningTimer) Reset(time.Duration) bool { return r.set(true) }
func (r *runningTimer) isRunning() bool          { r.mu.Lock(); defer r.mu.Unlock(); return r.running }

// TestStreamFirstChunkTimerPausedDuringRetryWait: while a 429 waits for
// its retry, the first-chunk timer does not run; it runs again once the
// stream's answer has come.
func TestStreamFirstChunkTimerPausedDuringRetryWait(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(429)
			_, _ = io.WriteString(w, `{"error":{"code":429,"message":"Rate limit exceeded"}}`)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, contentChunk+`data: {"id":"g","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`+"\n\n")
	}))
	defer srv.Close()
	c := NewClient(testKey, WithBaseURL(srv.URL), WithRetry(2, time.Millisecond, time.Second), WithLimiter(nil), WithStreamTimeouts(time.Minute, 0))
	rt := &runningTimer{}
	var runningAtWait []bool
	var mu sync.Mutex
	c.afterFunc = func(time.Duration, func()) stopTimer { rt.set(true); return rt }
	c.waitHook = func(time.Duration) time.Duration {
		mu.Lock()
		runningAtWait = append(runningAtWait, rt.isRunning())
		mu.Unlock()
		return 0
	}
	var running bool
	s := c.ChatStream(context.Background(), chatReq())
	for _, err := range s.Chunks() {
		if err != nil {
			t.Fatal(err)
		}
		running = true // the first chunk stops the wait; seen below
	}
	mu.Lock()
	defer mu.Unlock()
	if len(runningAtWait) != 1 || runningAtWait[0] {
		t.Errorf("timer running during the retry waits: %v", runningAtWait)
	}
	if !running || calls.Load() != 2 {
		t.Errorf("chunks %v, calls %d", running, calls.Load())
	}
}

// firingTimer fires its callback as soon as it is armed once the
// answer's first byte has come (headers set by the test's own trace
// hook, which runs after the watchdog's); arming before that only
// records. No outcome depends on which goroutine runs first.
type firingTimer struct {
	headers *atomic.Bool
	f       func()
	once    sync.Once
	armed   atomic.Int32
}

func (t *firingTimer) Stop() bool { return true }
func (t *firingTimer) Reset(time.Duration) bool {
	t.armed.Add(1)
	if t.headers.Load() {
		t.once.Do(func() { go t.f() })
	}
	return true
}

// TestStreamFirstChunkTimerResumes: once the stream's answer has come
// (headers, then nothing), the paused first-chunk wait runs again and
// ends the stalled stream. Without the resume the stream stalls until
// the test's guard and ends with the guard's deadline, not ErrTimeout.
func TestStreamFirstChunkTimerResumes(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		<-r.Context().Done() // stalls until the client gives up
	}))
	defer srv.Close()
	c := NewClient(testKey, WithBaseURL(srv.URL), WithRetry(0, 0, 0), WithLimiter(nil), WithStreamTimeouts(time.Minute, 0))
	var headers atomic.Bool
	ft := &firingTimer{headers: &headers}
	c.afterFunc = func(d time.Duration, f func()) stopTimer {
		ft.f = f
		ft.Reset(d)
		return ft
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // a guard, not an assertion
	defer cancel()
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotFirstResponseByte: func() { headers.Store(true) }})
	err := streamErr2(c.ChatStream(ctx, chatReq()))
	if !errors.Is(err, ErrTimeout) {
		t.Errorf("err = %v, want the first-chunk timeout", err)
	}
}

// steppedTimer tracks whether the watchdog's timer runs, and for how long.
type steppedTimer struct {
	running bool
	last    time.Duration
}

func (s *steppedTimer) Stop() bool { s.running = false; return true }
func (s *steppedTimer) Reset(d time.Duration) bool {
	s.running, s.last = true, d
	return true
}

// TestWatchdogWriteReportedAfterAnswer: the transport reports a
// request's writing and its answer on two goroutines, in either order,
// and may report the writing after the answer was returned. In every
// order the first-chunk wait is paused while an answer that may be
// retried is read, and runs once the answer is the stream's. (Both
// stream tests above failed about one run in twenty when the writing
// came last.)
func TestWatchdogWriteReportedAfterAnswer(t *testing.T) {
	t.Parallel()
	type step func(*watchdog)
	attempt, sent, answered, resume := (*watchdog).attempt, (*watchdog).sent, (*watchdog).answered, (*watchdog).resume
	for _, tc := range []struct {
		name        string
		steps       []step
		wantRunning bool
	}{
		{"written then answered", []step{attempt, sent, answered}, false},
		{"answered then written", []step{attempt, answered, sent}, false},
		{"a retry answered then written", []step{attempt, sent, answered, attempt, answered, sent}, false},
		{"written, answered, resumed", []step{attempt, sent, answered, resume}, true},
		{"answered, written, resumed", []step{attempt, answered, sent, resume}, true},
		{"answered, resumed, then written", []step{attempt, answered, resume, sent}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewClient(testKey, WithStreamTimeouts(time.Minute, 0))
			st := &steppedTimer{}
			c.afterFunc = func(d time.Duration, f func()) stopTimer { st.Reset(d); return st }
			wd := c.newWatchdog(func() {})
			for _, s := range tc.steps {
				s(wd)
			}
			if st.running != tc.wantRunning {
				t.Errorf("timer running %v, want %v", st.running, tc.wantRunning)
			}
			if tc.wantRunning && (st.last <= 0 || st.last > time.Minute) {
				t.Errorf("timer set for %v, want up to 1m", st.last)
			}
		})
	}
}
