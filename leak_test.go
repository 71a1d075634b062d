package openrouter_test

import (
	"context"
	"strings"
	"testing"
	"time"

	ort "github.com/routerkit/openrouter/openroutertest"
)

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

	noGoroutineLeft(t, before)
}
