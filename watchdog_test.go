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

// signalTimer reports each Reset on a channel.
type signalTimer struct{ resets chan struct{} }

func (s *signalTimer) Stop() bool { return true }
func (s *signalTimer) Reset(time.Duration) bool {
	s.resets <- struct{}{}
	return true
}

// TestStreamFirstChunkTimerResumes: once the stream's answer has come
// (headers, then nothing), the paused first-chunk wait runs again and
// ends the stalled stream.
func TestStreamFirstChunkTimerResumes(t *testing.T) {
	t.Parallel()
	// The answer waits until the client has seen its request written:
	// an answer that came first would find no wait to resume (the
	// watchdog's wait then starts when the write is reported, unpaused).
	// The caller's trace hook runs after the stream's own.
	wrote := make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-wrote:
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		<-r.Context().Done() // stalls until the client gives up
	}))
	defer srv.Close()
	c := NewClient(testKey, WithBaseURL(srv.URL), WithRetry(0, 0, 0), WithLimiter(nil), WithStreamTimeouts(time.Minute, 0))
	st := &signalTimer{resets: make(chan struct{}, 4)}
	fires := make(chan func(), 1)
	c.afterFunc = func(_ time.Duration, f func()) stopTimer { fires <- f; return st }
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // a guard, not an assertion
	defer cancel()
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { once.Do(func() { close(wrote) }) }})
	done := make(chan error, 1)
	s := c.ChatStream(ctx, chatReq())
	go func() { done <- streamErr2(s) }()
	fire := <-fires
	select {
	case <-st.resets: // resumed after the headers
		fire()
	case err := <-done:
		t.Fatalf("the stream ended before the timer resumed: %v", err)
	}
	if err := <-done; !errors.Is(err, ErrTimeout) {
		t.Errorf("err = %v, want the first-chunk timeout", err)
	}
}
