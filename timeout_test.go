package openrouter_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
)

// stalledStream is a server that sends one chunk of a stream, then nothing
// more until the client goes away; a chat request gets nothing at all.
// It calls read once it has read a request (for a stream, once it has
// sent the chunk), before anything more.
func stalledStream(t *testing.T, read func()) *openrouter.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if len(b) > 0 && !contains(b, `"stream":true`) {
			read()
			<-r.Context().Done()
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, `data: {"id":"gen-1","model":"m/x","choices":[{"index":0,"delta":{"content":"hi"}}]}`+"\n\n")
		w.(http.Flusher).Flush()
		read()
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return openrouter.NewClient("sk-or-v1-test", openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil))
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }

// TestCallTimeoutEndsAStreamAsADeadline: a CallTimeout that ends a stream
// mid-way gives the error a context deadline gives (ErrTimeout, and
// context.DeadlineExceeded), not ErrServer's "temporary trouble"; so does
// one that ends a chat call before its answer (ErrMaybeBilled too: the
// request was written). The deadlines' clocks start once the server has
// the request (startedDeadline): with timers started with the call, a
// loaded machine passed the Chat's 100 ms before the request was written
// (5 runs in 50 beside 4 CPU burners under -race), which is not maybe
// billed. The outcome does not depend on when the timeout comes after
// that: the server never finishes.
func TestCallTimeoutEndsAStreamAsADeadline(t *testing.T) {
	t.Parallel()
	next := make(chan *startedDeadline, 4) // the deadlines to start, in the order of the requests
	c := stalledStream(t, func() { (<-next).start() })
	startedCallTimeouts(c, next)
	req := &openrouter.ChatRequest{Model: "m/x", Messages: []openrouter.Message{openrouter.UserMessage("hi")}}
	streamErr := func(ctx context.Context, opts ...openrouter.CallOption) error {
		var err error
		for _, e := range c.ChatStream(ctx, req, opts...).Chunks() {
			if e != nil {
				err = e
			}
		}
		return err
	}
	cases := map[string]error{}
	ctx := newStartedDeadline(context.Background(), 200*time.Millisecond)
	next <- ctx
	cases["stream, context deadline"] = streamErr(ctx)
	ctx.cancel()
	cases["stream, CallTimeout"] = streamErr(context.Background(), openrouter.CallTimeout(200*time.Millisecond))
	for name, err := range cases {
		if !errors.Is(err, openrouter.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, openrouter.ErrServer) {
			t.Errorf("%s: %v; want ErrTimeout and context.DeadlineExceeded, not ErrServer", name, err)
		}
	}
	_, err := c.Chat(context.Background(), req, openrouter.CallTimeout(100*time.Millisecond))
	assertSentinels(t, err, "ErrMaybeBilled", "ErrTimeout")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Chat past its CallTimeout: %v; want context.DeadlineExceeded", err)
	}
}

// startedDeadline is a deadline whose clock starts when start is called
// (by the server, once it has read the request), not when the call begins: on a loaded machine a timer started
// with the call may pass before the request is written, which is
// another outcome (not maybe billed). After start it passes d later, as
// context.WithTimeoutCause would (with cause, if any: a CallTimeout's),
// the tests' outcomes do not depend on when. It ends early with its
// parent.
type startedDeadline struct {
	parent context.Context
	d      time.Duration
	cause  error
	once   sync.Once
	mu     sync.Mutex
	inner  context.Context // the real deadline, from start on: its Value answers context.Cause
	stop   context.CancelFunc
	err    error
	done   chan struct{}
}

func newStartedDeadline(parent context.Context, d time.Duration) *startedDeadline {
	return newStartedDeadlineCause(parent, d, nil)
}

func newStartedDeadlineCause(parent context.Context, d time.Duration, cause error) *startedDeadline {
	c := &startedDeadline{parent: parent, d: d, cause: cause, done: make(chan struct{})}
	context.AfterFunc(parent, func() { c.end(parent.Err()) })
	return c
}

// start starts the clock (again: a no-op).
func (c *startedDeadline) start() {
	c.once.Do(func() {
		inner, stop := context.WithTimeoutCause(c.parent, c.d, c.cause)
		c.mu.Lock()
		c.inner, c.stop = inner, stop
		c.mu.Unlock()
		context.AfterFunc(inner, func() { c.end(inner.Err()) })
	})
}

func (c *startedDeadline) end(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
		close(c.done)
	}
}

func (c *startedDeadline) cancel() {
	c.end(context.Canceled)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stop != nil {
		c.stop()
	}
}

func (c *startedDeadline) Deadline() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inner == nil {
		return time.Time{}, false
	}
	return c.inner.Deadline()
}
func (c *startedDeadline) Done() <-chan struct{} { return c.done }
func (c *startedDeadline) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}
func (c *startedDeadline) Value(key any) any {
	c.mu.Lock()
	inner := c.inner
	c.mu.Unlock()
	if inner != nil {
		return inner.Value(key)
	}
	return c.parent.Value(key)
}

// startedCallTimeouts makes c's CallTimeouts startedDeadlines, sent on
// made as they are made (before their request is sent), for the test to
// start.
func startedCallTimeouts(c *openrouter.Client, made chan<- *startedDeadline) {
	openrouter.SetCallTimeout(c, func(ctx context.Context, d time.Duration, cause error) (context.Context, context.CancelFunc) {
		dl := newStartedDeadlineCause(ctx, d, cause)
		made <- dl
		return dl, dl.cancel
	})
}
