package openrouter_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// cancelAfterHeaders is a transport that ends the call's context just
// after the answer's headers arrive, before anyone reads the body.
type cancelAfterHeaders struct {
	base   http.RoundTripper
	cancel context.CancelFunc
}

func (t cancelAfterHeaders) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	t.cancel()
	return resp, err
}

// TestContextEndingAfterHeadersReleasesTheSlot checks the Limiter
// contract (release exactly once, on every path) where it used to break:
// the context ends just after the headers of a 200, a 429 and a stream.
// A leaked slot would leave InFlight at 1 and block the next call of a
// limiter with one slot.
func TestContextEndingAfterHeadersReleasesTheSlot(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		reply ort.Reply
		call  func(*openrouter.Client, context.Context) error
	}{
		{"200", ort.Reply{Content: "hi"}, chatErr},
		{"429", ort.ErrorReply(429, "Rate limit exceeded").WithRetryAfter("1"), chatErr},
		{"stream", ort.Reply{Content: "a long streamed answer"}, func(c *openrouter.Client, ctx context.Context) error {
			_, err := collect(c.ChatStream(ctx, hello()))
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := ort.NewServer()
			t.Cleanup(srv.Close)
			lim := openrouter.NewAdaptiveLimiter(openrouter.LimitInFlight(1), openrouter.LimitAdaptive(false))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			hc := &http.Client{Transport: cancelAfterHeaders{base: http.DefaultTransport, cancel: cancel}}
			c := srv.Client(openrouter.WithHTTPClient(hc), openrouter.WithLimiter(lim))
			openrouter.SetWaitHook(c, func(time.Duration) time.Duration { return 0 })
			srv.Enqueue(tc.reply)
			_ = tc.call(c, ctx) // the context ended: its result is not the point
			if n := lim.InFlight(); n != 0 {
				t.Fatalf("InFlight = %d after the call, want 0: the slot leaked", n)
			}
			// The next call of another client sharing the limiter gets the
			// one slot. The deadline only bounds a failure.
			next, stop := context.WithTimeout(context.Background(), 10*time.Second)
			defer stop()
			if _, err := srv.Client(openrouter.WithLimiter(lim)).Chat(next, hello()); err != nil {
				t.Fatalf("the next call: %v", err)
			}
			if n := lim.InFlight(); n != 0 {
				t.Errorf("InFlight = %d after the next call, want 0", n)
			}
		})
	}
}

func chatErr(c *openrouter.Client, ctx context.Context) error {
	_, err := c.Chat(ctx, hello())
	return err
}

// TestTightDeadlinesLeakNoSlot sends calls and streams whose deadlines
// end at every point of their life (before sending, during the answer's
// headers, while reading), and checks that every slot came back.
func TestTightDeadlinesLeakNoSlot(t *testing.T) {
	t.Parallel()
	srv := ort.NewServer(ort.WithLatency(time.Millisecond), ort.WithoutRecording())
	t.Cleanup(srv.Close)
	lim := openrouter.NewAdaptiveLimiter(openrouter.LimitAdaptive(false))
	c := srv.Client(openrouter.WithLimiter(lim))
	openrouter.SetWaitHook(c, func(time.Duration) time.Duration { return 0 })
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 40; i++ {
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%8)*300*time.Microsecond)
				if i%2 == 0 {
					_, _ = c.Chat(ctx, hello())
				} else {
					_, _ = collect(c.ChatStream(ctx, hello()))
				}
				cancel()
			}
		}()
	}
	wg.Wait()
	if n := lim.InFlight(); n != 0 {
		t.Errorf("InFlight = %d after every call returned: slots leaked", n)
	}
}
