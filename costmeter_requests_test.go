package openrouter_test

import (
	"context"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// CostMeter.Requests counts each HTTP attempt sent with the context, a
// retry included, in the meter and the meters it nests in.
func TestCostMeterCountsRequests(t *testing.T) {
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	c := srv.Client(openrouter.WithRetry(2, time.Millisecond, time.Millisecond), openrouter.WithLimiter(nil))
	openrouter.SetWaitHook(c, func(time.Duration) time.Duration { return 0 })
	outer, job := openrouter.TrackCost(context.Background())
	ctx, item := openrouter.TrackCost(outer)
	srv.Enqueue(openroutertest.Reply{Status: 503, Error: &openroutertest.ErrorBody{Code: 503, Message: "overloaded"}})
	if _, err := c.Chat(ctx, &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", Messages: []openrouter.Message{openrouter.UserMessage("hi")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Models(outer, openrouter.ModelFilter{}); err != nil {
		t.Fatal(err)
	}
	if item.Requests() != 2 || job.Requests() != 3 {
		t.Errorf("item meter %d, job meter %d; want 2 (a 503, then the answer) and 3 (with the catalogue)", item.Requests(), job.Requests())
	}
}
