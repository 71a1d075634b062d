package openrouter_test

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	ort "github.com/routerkit/openrouter/openroutertest"
)

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

// TestStreamsLeaveNoGoroutine runs streams that end every way (to the
// end, broken off, cancelled, cut) and checks that, once the server is
// closed, no goroutine they started is left. It is not parallel, so that
// other tests' goroutines do not blur the count.
func TestStreamsLeaveNoGoroutine(t *testing.T) {
	before := goroutines()
	srv := ort.NewServer()
	c := srv.Client()
	srv.Enqueue(
		ort.Reply{Content: "to the end"},
		ort.Reply{Content: strings.Repeat("x", 200), Stream: ort.StreamScript{Delay: time.Millisecond}},
		ort.Reply{Content: "cancelled while stalled", Stream: ort.StreamScript{After: 1, Stall: true}},
		ort.Reply{Content: "cut", Stream: ort.StreamScript{After: 1, Cut: true}},
	)
	if _, err := collect(c.ChatStream(context.Background(), hello())); err != nil {
		t.Fatal(err)
	}
	for range c.ChatStream(context.Background(), hello()).Chunks() {
		break
	}
	ctx, cancel := context.WithCancel(context.Background())
	for range c.ChatStream(ctx, hello()).Chunks() {
		cancel()
	}
	cancel()
	_, _ = collect(c.ChatStream(context.Background(), hello()))
	srv.Close()

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
