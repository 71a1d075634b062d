package openrouter_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// slowGeneration is a server whose generations never end on their own:
// each request is counted, then held until the client goes away.
func slowGeneration(t *testing.T) (*httptest.Server, *slowCount) {
	t.Helper()
	sc := &slowCount{started: make(chan struct{}, 16)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		sc.n.Add(1)
		sc.started <- struct{}{}
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return srv, sc
}

// slowCount counts the generations a slowGeneration server started.
type slowCount struct {
	n       atomic.Int32
	started chan struct{}
}

// whenStarted calls f once the server has started a generation (it has
// read the request), unless done is closed first.
func (sc *slowCount) whenStarted(done <-chan struct{}, f func()) {
	select {
	case <-sc.started:
		sc.started <- struct{}{} // put it back for Load
		f()
	case <-done:
	}
}

// deadlineOnSignal is a context whose deadline passes when pass is
// called, not at a time: Err is then context.DeadlineExceeded.
type deadlineOnSignal struct {
	context.Context
	once sync.Once
	done chan struct{}
}

func (c *deadlineOnSignal) pass()                 { c.once.Do(func() { close(c.done) }) }
func (c *deadlineOnSignal) Done() <-chan struct{} { return c.done }
func (c *deadlineOnSignal) Err() error {
	select {
	case <-c.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

// Load returns the count once the server has started a first generation:
// a loaded machine may run the handler after the client gave up.
func (sc *slowCount) Load() int32 {
	select {
	case <-sc.started:
		sc.started <- struct{}{} // put it back for the next Load
	case <-time.After(10 * time.Second):
	}
	return sc.n.Load()
}

// TestClientTimeoutStartsOneGeneration is the case: an
// http.Client with a timeout (1 s: the request is written before it
// fires, even on a loaded machine) and a longer generation. The request
// was written, so the generation may be running and billed: the client
// must not start a second one, and must say so.
func TestClientTimeoutStartsOneGeneration(t *testing.T) {
	t.Parallel()
	srv, n := slowGeneration(t)
	c := openrouter.NewClient(ort.DefaultKey, openrouter.WithBaseURL(srv.URL),
		openrouter.WithHTTPClient(&http.Client{Timeout: time.Second}), openrouter.WithLimiter(nil))
	openrouter.SetWaitHook(c, func(time.Duration) time.Duration { return 0 })
	_, err := c.Chat(context.Background(), hello())
	if got := n.Load(); got != 1 {
		t.Errorf("the server started %d generations, want 1", got)
	}
	if !errors.Is(err, openrouter.ErrMaybeBilled) {
		t.Fatalf("err = %v, want ErrMaybeBilled", err)
	}
	var te *openrouter.TransportError
	if !errors.As(err, &te) || te.Attempts != 1 || te.MaybeBilled != 1 || te.Method != "POST" || te.Path != "/chat/completions" {
		t.Errorf("err = %#v", err)
	}
	if !strings.Contains(err.Error(), "1 may have been billed") {
		t.Errorf("err = %v, want it to say the request may have been billed", err)
	}
	if h := openrouter.Hint(err); !strings.Contains(h, "billed") {
		t.Errorf("Hint = %q", h)
	}
	if errors.Is(err, openrouter.ErrUnreachable) {
		t.Errorf("err = %v matches ErrUnreachable, but the request was sent", err)
	}
}

// TestDeadlineAfterSendingIsNotResent: the context's deadline passes
// while the generation runs (once the server has read the request). The
// error is both the deadline and a maybe billed request.
func TestDeadlineAfterSendingIsNotResent(t *testing.T) {
	t.Parallel()
	srv, n := slowGeneration(t)
	c := openrouter.NewClient(ort.DefaultKey, openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil))
	openrouter.SetWaitHook(c, func(time.Duration) time.Duration { return 0 })
	ctx := &deadlineOnSignal{Context: context.Background(), done: make(chan struct{})}
	defer ctx.pass()
	go n.whenStarted(ctx.done, ctx.pass)
	_, err := c.Chat(ctx, hello())
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, openrouter.ErrMaybeBilled) {
		t.Errorf("err = %v, want context.DeadlineExceeded and ErrMaybeBilled", err)
	}
	if got := n.Load(); got != 1 {
		t.Errorf("the server started %d generations, want 1", got)
	}
}

// TestCutAfterSendingIsCounted: a connection cut after the request was
// written loses the answer; a client allowed to send it again
// (WithResendAfterCut) counts every such attempt as maybe billed, on the
// transport error and on an error answer that follows.
func TestCutAfterSendingIsCounted(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil, openrouter.WithRetry(2, time.Millisecond, time.Millisecond), openrouter.WithResendAfterCut(2))
	srv.Enqueue(ort.Reply{Disconnect: true}.Repeat(3))
	_, err := c.Chat(context.Background(), hello())
	var te *openrouter.TransportError
	if !errors.As(err, &te) || te.Attempts != 3 || te.MaybeBilled != 3 || !errors.Is(err, openrouter.ErrMaybeBilled) {
		t.Errorf("after 3 cuts: err = %#v", err)
	}

	srv.Enqueue(ort.Reply{Disconnect: true}, ort.ErrorReply(500, "boom").Repeat(2))
	_, err = c.Chat(context.Background(), hello())
	var e *openrouter.APIError
	if !errors.As(err, &e) || e.StatusCode != 500 || e.Attempts != 3 || e.MaybeBilled != 1 {
		t.Fatalf("after a cut and two 500s: err = %#v", err)
	}
	if !errors.Is(err, openrouter.ErrMaybeBilled) || !errors.Is(err, openrouter.ErrServer) {
		t.Errorf("err = %v, want ErrMaybeBilled and ErrServer", err)
	}
	if !strings.Contains(err.Error(), "1 may have been billed") {
		t.Errorf("err = %v, want it to say how many attempts may have been billed", err)
	}
	if h := openrouter.Hint(err); !strings.Contains(h, "billed") {
		t.Errorf("Hint = %q, want the maybe-billed hint", h)
	}

	// A success after a cut says the cut attempt may have been billed too,
	// and the log warns of the second send.
	var logs strings.Builder
	srv2, c2, _ := setup(t, nil, openrouter.WithRetry(2, time.Millisecond, time.Millisecond), openrouter.WithResendAfterCut(1),
		openrouter.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	srv2.Enqueue(ort.Reply{Disconnect: true})
	res, err := c2.Chat(context.Background(), hello())
	if err != nil || res.MaybeBilled != 1 {
		t.Errorf("a success after a cut: MaybeBilled %v, err %v; want 1", res, err)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "may have been billed") {
		t.Errorf("no warning of the second send: %q", logs.String())
	}

	// An error inside the 200 that follows a cut says so too.
	srv.Enqueue(ort.Reply{Disconnect: true}, ort.RawReply(200, `{"error":{"code":502,"message":"Provider disconnected"}}`))
	_, err = c.Chat(context.Background(), hello())
	if !errors.As(err, &e) || !e.InStream || e.Attempts != 2 || e.MaybeBilled != 1 || !errors.Is(err, openrouter.ErrMaybeBilled) {
		t.Errorf("after a cut and an error inside a 200: err = %#v", err)
	}
}

// TestGETIsResentAfterTimeout: a GET is idempotent and free: after the
// client's timeout it is sent again.
func TestGETIsResentAfterTimeout(t *testing.T) {
	t.Parallel()
	api := ort.NewServer()
	t.Cleanup(api.Close)
	u, _ := url.Parse(api.URL)
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: u.Scheme, Host: u.Host})
	var n atomic.Int32
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			<-r.Context().Done() // the first answer never comes
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	c := openrouter.NewClient(api.Key, openrouter.WithBaseURL(front.URL+u.Path),
		openrouter.WithHTTPClient(&http.Client{Timeout: 2 * time.Second}), openrouter.WithLimiter(nil))
	openrouter.SetWaitHook(c, func(time.Duration) time.Duration { return 0 })
	if _, err := c.Models(context.Background(), openrouter.ModelFilter{}); err != nil {
		t.Fatal(err)
	}
	if got := n.Load(); got < 2 { // more when a loaded machine also times out the second
		t.Errorf("the server saw %d requests, want a second one", got)
	}
}

// TestCancelDuringRetryWaitKeepsLastAnswer: the context ends during the
// wait before a retry; the error is the context's and the last answer's,
// both reachable.
func TestCancelDuringRetryWaitKeepsLastAnswer(t *testing.T) {
	t.Parallel()
	srv := ort.NewServer()
	t.Cleanup(srv.Close)
	c := srv.Client(openrouter.WithRetry(10, time.Hour, time.Hour), openrouter.WithLimiter(nil))
	ctx, cancel := context.WithCancel(context.Background())
	openrouter.SetWaitHook(c, func(d time.Duration) time.Duration { cancel(); return d })
	srv.Enqueue(ort.ErrorReply(503, "Service temporarily unavailable").Repeat(10))
	_, err := c.Chat(ctx, hello())
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	var e *openrouter.APIError
	if !errors.As(err, &e) || e.StatusCode != 503 {
		t.Fatalf("err = %v: the last answer is not reachable with errors.As", err)
	}
	if h := openrouter.Hint(err); h == "" || h != openrouter.Hint(openrouter.ErrServer) {
		t.Errorf("Hint = %q, want the 503's", h)
	}
}

// TestRetryWaitPastDeadlineFailsAtOnce: a Retry-After longer than what is
// left of the context fails at once, with the deadline and the answer.
func TestRetryWaitPastDeadlineFailsAtOnce(t *testing.T) {
	t.Parallel()
	srv := ort.NewServer()
	t.Cleanup(srv.Close)
	c := srv.Client(openrouter.WithRetry(3, time.Millisecond, time.Hour), openrouter.WithLimiter(nil))
	srv.Enqueue(ort.ErrorReply(429, "Rate limit exceeded").WithRetryAfter("600"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := c.Chat(ctx, hello())
	var e *openrouter.APIError
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &e) || e.StatusCode != 429 {
		t.Errorf("err = %v, want the deadline and the 429", err)
	}
	if !strings.Contains(err.Error(), "would pass the context's deadline") {
		t.Errorf("err = %v, want it to say the wait was not begun", err)
	}
	if n := srv.Stats().Requests; n != 1 {
		t.Errorf("server saw %d requests, want 1", n)
	}
}

// TestCallerTraceIsKept: a caller's own httptrace hooks still run, and
// the client still knows the request was written.
func TestCallerTraceIsKept(t *testing.T) {
	t.Parallel()
	srv, n := slowGeneration(t)
	c := openrouter.NewClient(ort.DefaultKey, openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil))
	var wrote atomic.Int32
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Add(1) },
	})
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go n.whenStarted(ctx.Done(), cancel) // the caller gives up once the server has read the request
	_, err := c.Chat(ctx, hello())
	if !errors.Is(err, openrouter.ErrMaybeBilled) || n.Load() != 1 {
		t.Errorf("err = %v after %d generations, want ErrMaybeBilled after 1", err, n.Load())
	}
	if wrote.Load() != 1 {
		t.Errorf("the caller's WroteRequest hook ran %d times, want 1", wrote.Load())
	}
}

// roundTripFunc is a transport that is not net/http's: it reports
// nothing through httptrace.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestTransportWithoutTraceIsJudgedByItsBody: with a transport that does
// not report httptrace events, a request whose body was read whole counts
// as sent (not sent again after a timeout); one whose body was not read
// was not sent, and is sent again.
func TestTransportWithoutTraceIsJudgedByItsBody(t *testing.T) {
	t.Parallel()
	timeout := &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
	for _, tc := range []struct {
		name     string
		readBody bool
		attempts int32
		billed   bool
	}{
		{"body read", true, 1, true},
		{"body not read", false, 4, false},
	} {
		var n atomic.Int32
		hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			n.Add(1)
			if tc.readBody {
				_, _ = io.Copy(io.Discard, r.Body)
			}
			return nil, timeout
		})}
		c := openrouter.NewClient(ort.DefaultKey, openrouter.WithHTTPClient(hc), openrouter.WithLimiter(nil),
			openrouter.WithRetry(3, 0, 0))
		_, err := c.Chat(context.Background(), hello())
		if got := n.Load(); got != tc.attempts {
			t.Errorf("%s: %d attempts, want %d", tc.name, got, tc.attempts)
		}
		if errors.Is(err, openrouter.ErrMaybeBilled) != tc.billed {
			t.Errorf("%s: err = %v, want ErrMaybeBilled %v", tc.name, err, tc.billed)
		}
	}
}
