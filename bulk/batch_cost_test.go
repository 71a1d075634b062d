package bulk_test

import (
	"context"
	"testing"

	"github.com/routerkit/openrouter/bulk"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// TestRunBatchCountsTheCostOfEmptyAnswers: a batch answer with no
// content fails its item (ErrEmptyContent), but it was billed; its cost
// was missing from the item and the report.
func TestRunBatchCountsTheCostOfEmptyAnswers(t *testing.T) {
	var cnt counter
	in := jobs(3, "openai/gpt-4o-mini")
	full := cnt.responder(0.01)
	srv, c, clock := batchSetup(t, &cnt, ort.WithResponder(func(r ort.Request) ort.Reply {
		if r.LastUserText() == in[0].Text {
			rep := ort.EmptyReply("length")
			rep.Cost = 0.01
			return rep
		}
		return full(r)
	}))
	rep, err := bulk.Runner[job, string]{Key: jobKey}.RunBatch(context.Background(), in, textMode(c, clock))
	if err != nil {
		t.Fatal(err)
	}
	if srv.BatchStats().Submits < 1 || rep.Results[0].Status == bulk.Done {
		t.Fatalf("submits %d, empty item %v", srv.BatchStats().Submits, rep.Results[0].Status)
	}
	// The fake bills a batch request half its price: 0.005 each; the
	// empty one is billed as many times as it was sent.
	empty := rep.Results[0]
	if !near(empty.Cost, 0.005*float64(empty.Attempts)) || empty.Attempts == 0 {
		t.Errorf("empty answer: cost %v after %d attempts; want 0.005 each", empty.Cost, empty.Attempts)
	}
	if want := 2*0.005 + empty.Cost; !near(rep.BatchCost, want) || !near(rep.Cost, want) {
		t.Errorf("report: batch cost %v, cost %v; want %v", rep.BatchCost, rep.Cost, want)
	}
}
