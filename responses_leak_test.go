package openrouter_test

import (
	"context"
	"strings"
	"testing"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// TestResponseStreamsLeaveNoGoroutine runs response streams that end
// every way (to the end, left early, cancelled while stalled, cut) and
// checks that, once the server is closed, no goroutine they started is
// left. Not parallel, as TestStreamsLeaveNoGoroutine.
func TestResponseStreamsLeaveNoGoroutine(t *testing.T) {
	before := goroutines()
	srv := ort.NewServer()
	c := srv.Client()
	srv.Enqueue(
		ort.Reply{Content: "to the end"},
		ort.Reply{Content: strings.Repeat("x", 200)},
		ort.Reply{Content: "cancelled while stalled", Stream: ort.StreamScript{After: 1, Stall: true}},
		ort.Reply{Content: "cut", Stream: ort.StreamScript{After: 1, Cut: true}},
	)
	req := func() *openrouter.ResponseRequest {
		return &openrouter.ResponseRequest{Model: "openai/gpt-4o-mini", Input: openrouter.ResponseText("Hi")}
	}
	if _, _, err := collectEvents(c.Responses.Stream(context.Background(), req())); err != nil {
		t.Fatal(err)
	}
	for range c.Responses.Stream(context.Background(), req()).Events() {
		break
	}
	ctx, cancel := context.WithCancel(context.Background())
	for ev := range c.Responses.Stream(ctx, req()).Events() {
		if ev.Type == openrouter.EventOutputTextDelta {
			cancel()
		}
	}
	cancel()
	_, _, _ = collectEvents(c.Responses.Stream(context.Background(), req()))
	srv.Close()

	noGoroutineLeft(t, before)
}
