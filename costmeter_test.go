package openrouter_test

import (
	"context"
	"math"
	"testing"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

func TestTrackCostNested(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.Reply{Content: "a", Cost: 0.25}, ort.Reply{Content: "b", Cost: 0.5})
	job, jobMeter := openrouter.TrackCost(context.Background())
	item, itemMeter := openrouter.TrackCost(job)
	if _, err := c.Chat(item, hello()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Chat(job, hello()); err != nil {
		t.Fatal(err)
	}
	if math.Abs(itemMeter.USD()-0.25) > 1e-12 || math.Abs(jobMeter.USD()-0.75) > 1e-12 {
		t.Errorf("item meter %v (want 0.25), job meter %v (want 0.75)", itemMeter.USD(), jobMeter.USD())
	}
}

// TestTrackCostCountsMaybeBilled: an attempt cut after its request was
// written is counted in the context's meters when the call, allowed to
// resend it, then succeeds.
func TestTrackCostCountsMaybeBilled(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.Reply{Disconnect: true}, ort.TextReply("second send"))
	ctx, meter := openrouter.TrackCost(context.Background())
	res, err := c.Chat(ctx, hello(), openrouter.CallResendAfterCut(1))
	if err != nil || res.MaybeBilled != 1 || meter.MaybeBilled() != 1 {
		t.Errorf("after a cut and a success: err %v, meter %d, want 1", err, meter.MaybeBilled())
	}
}
