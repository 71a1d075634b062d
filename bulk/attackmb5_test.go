package bulk_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// TestAttackMB5RequeuedMaybeBilledCountsTwice: with RequeueMaybeBilled
// and a FallbackModel, an item whose stream failed with a permanent
// availability error after output (maybe billed: the model ran) is run
// again with the fallback; done, it counts in MaybePaidTwice, as any
// item run again after a maybe-billed attempt does.
func TestAttackMB5RequeuedMaybeBilledCountsTwice(t *testing.T) {
	t.Parallel()
	const total = 6
	var failed atomic.Int32
	_, c := setup(t, []ort.Option{ort.WithResponder(func(r ort.Request) ort.Reply {
		if r.Model == "openai/gpt-4o-mini" {
			failed.Add(1)
			return ort.AvailabilityReply("model_deprecated", "openai/gpt-4o-mini").MidStream()
		}
		return r.DefaultReply()
	})})
	fn := func(ctx context.Context, it string) (string, error) {
		s := c.ChatStream(ctx, &openrouter.ChatRequest{Model: bulk.Model(ctx, "openai/gpt-4o-mini"), Messages: []openrouter.Message{openrouter.UserMessage(it)}})
		for _, err := range s.Chunks() {
			if err != nil {
				return "", err
			}
		}
		return s.Response().Content(), nil
	}
	rep, err := bulk.NoPassWait(bulk.Runner[string, string]{Workers: 1, RequeueMaybeBilled: true, FallbackModel: "anthropic/claude-sonnet-4.5"}).Run(context.Background(), items(total), fn)
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, rep, total)
	if rep.Done != total || rep.FellBack == nil {
		t.Fatalf("done %d, fell back %v, stopped %v; want all done on the fallback", rep.Done, rep.FellBack, rep.Stopped)
	}
	if want := int(failed.Load()); rep.MaybePaidTwice != want {
		t.Errorf("MaybePaidTwice = %d, want %d: each item run again after a maybe-billed attempt", rep.MaybePaidTwice, want)
	}
}
