package openrouter_test

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// sentinels lists every sentinel, to check that an error matches exactly
// the ones it should.
var sentinels = map[string]error{
	"ErrUnauthorized": openrouter.ErrUnauthorized, "ErrInsufficientCredits": openrouter.ErrInsufficientCredits,
	"ErrModelNotFound": openrouter.ErrModelNotFound, "ErrNoEndpoints": openrouter.ErrNoEndpoints,
	"ErrNotFound": openrouter.ErrNotFound, "ErrRateLimited": openrouter.ErrRateLimited,
	"ErrQuotaExhausted": openrouter.ErrQuotaExhausted, "ErrBadRequest": openrouter.ErrBadRequest,
	"ErrContextLength": openrouter.ErrContextLength, "ErrModerated": openrouter.ErrModerated,
	"ErrForbidden": openrouter.ErrForbidden, "ErrTimeout": openrouter.ErrTimeout, "ErrServer": openrouter.ErrServer,
	"ErrUnparseable": openrouter.ErrUnparseable, "ErrEmptyContent": openrouter.ErrEmptyContent,
	"ErrNoImage": openrouter.ErrNoImage, "ErrInvalidRequest": openrouter.ErrInvalidRequest,
	"ErrUnreachable": openrouter.ErrUnreachable, "ErrMaybeBilled": openrouter.ErrMaybeBilled,
	"ErrModelDeprecated": openrouter.ErrModelDeprecated, "ErrBudgetExceeded": openrouter.ErrBudgetExceeded,
}

// assertSentinels fails unless err matches exactly the named sentinels.
func assertSentinels(t *testing.T, err error, want ...string) {
	t.Helper()
	var got []string
	for name, s := range sentinels {
		if errors.Is(err, s) {
			got = append(got, name)
		}
	}
	if diff := cmp.Diff(sortedCopy(want), sortedCopy(got)); diff != "" {
		t.Errorf("sentinels matched by %v (-want +got):\n%s", err, diff)
	}
}

func sortedCopy(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// waits records the retry waits a client asked for, without sleeping.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) hook(d time.Duration) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.d = append(w.d, d)
	return 0
}

func (w *waits) all() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.d...)
}

// setup starts a fake server and a client for it whose retries never
// sleep, with pacing off (pacing tests set a limiter with a fake clock);
// both are closed with the test.
func setup(t *testing.T, srvOpts []openroutertest.Option, opts ...openrouter.Option) (*openroutertest.Server, *openrouter.Client, *waits) {
	t.Helper()
	srv := openroutertest.NewServer(srvOpts...)
	t.Cleanup(srv.Close)
	c := srv.Client(append([]openrouter.Option{openrouter.WithRetry(3, time.Millisecond, time.Minute), openrouter.WithLimiter(nil)}, opts...)...)
	w := &waits{}
	openrouter.SetWaitHook(c, w.hook)
	return srv, c, w
}

func hello() *openrouter.ChatRequest {
	return &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", Messages: []openrouter.Message{openrouter.UserMessage("Hello")}}
}

// chatConcurrently sends each client's requests from goroutines:
// goroutines in all, taking the clients in turn, each sending n requests,
// and fails the test on any error.
func chatConcurrently(t *testing.T, clients []*openrouter.Client, goroutines, n int) {
	t.Helper()
	var wg sync.WaitGroup
	for i := 0; i < goroutines; i++ {
		c := clients[i%len(clients)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < n; j++ {
				if _, err := c.Chat(context.Background(), hello()); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
}

// measure runs op in the benchmark loop and returns the allocations and
// bytes allocated per op, from the runtime's counters, for metrics per
// chunk or per image size.
func measure(b *testing.B, op func()) (allocs, bytes float64) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	n := 0
	for b.Loop() {
		op()
		n++
	}
	runtime.ReadMemStats(&after)
	return float64(after.Mallocs-before.Mallocs) / float64(n), float64(after.TotalAlloc-before.TotalAlloc) / float64(n)
}

// goroutines returns the stacks of the running goroutines that belong to
// net/http or this module, by their first line's ID.
func goroutines() map[string]string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	out := map[string]string{}
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "net/http.") || strings.Contains(g, "routerkit/openrouter.") {
			if !strings.Contains(g, "leak_test.go") && !strings.Contains(g, "testing.") {
				id, _, _ := strings.Cut(g, "\n")
				out[id] = g
			}
		}
	}
	return out
}

// noGoroutineLeft fails t when a goroutine of net/http or this module
// that was not running at before (goroutines' answer) is still running.
// Goroutines end asynchronously: it looks again for up to 10 s.
func noGoroutineLeft(t *testing.T, before map[string]string) {
	t.Helper()
	var left []string
	for i := 0; i < 1000; i++ { // goroutines end asynchronously: up to 10 s, for a loaded machine (a pass ends at once)
		left = left[:0]
		for id, g := range goroutines() {
			if _, old := before[id]; !old {
				left = append(left, g)
			}
		}
		if len(left) == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("%d goroutines left behind:\n%s", len(left), strings.Join(left, "\n\n"))
}
