package bulk_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// A resume that only has to collect a batch an earlier run submitted
// (and paid for) is not refused for funds: its estimate leaves out what
// that batch holds.
func TestBillResumeThatOnlyCollectsIsNotRefused(t *testing.T) {
	var cnt counter
	// Credits cover what the batch really costs, not the estimate's upper bound.
	srv, c, clock := batchSetup(t, &cnt, ort.WithCredits(0.0002), ort.WithResponder(cnt.responder(1e-7)))
	j := openJournal(t)
	ctx, cancel := context.WithCancel(context.Background())
	m := textMode(c, clock)
	m.Wait.OnPoll = func(*openrouter.Batch) { cancel() } // the first run stops waiting
	if _, err := (bulk.Runner[job, string]{Key: jobKey, Journal: j}).RunBatch(ctx, jobs(20, "openai/gpt-4o-mini"), m); err != nil {
		t.Fatal(err)
	}
	b := bulk.Runner[job, string]{Key: jobKey, Journal: j, Bill: &bulk.Bill[job]{Client: c, RequireFunds: true}}
	rep, err := b.RunBatch(context.Background(), jobs(20, "openai/gpt-4o-mini"), textMode(c, clock))
	if err != nil {
		t.Fatalf("the resume was refused: %v", err)
	}
	if rep.Done != 20 || srv.BatchStats().Submits != 1 || rep.Estimate == nil || rep.Estimate.Requests != 0 {
		t.Fatalf("done %d, submits %d, estimate %+v; want 20 collected, an estimate of nothing left to buy", rep.Done, srv.BatchStats().Submits, rep.Estimate)
	}
}

// A submission journaled without a batch ID may not have been stored:
// its items may be bought in this run (once its lookup finds nothing),
// so a funds check counts them, and refuses a job the account cannot pay.
func TestBillCountsTheItemsOfALostSubmission(t *testing.T) {
	var cnt counter
	srv, c, clock := batchSetup(t, &cnt, ort.WithCredits(0.0002), ort.WithKeyLimit(0.0002), ort.WithResponder(cnt.responder(1e-7)))
	j := openJournal(t)
	in := jobs(20, "openai/gpt-4o-mini")
	breq := &openrouter.BatchRequest{Model: "openai/gpt-4o-mini", Requests: make([]openrouter.BatchItem, len(in))}
	marker, err := c.Batches.Marker(breq)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, it := range in {
		keys = append(keys, it.Text)
	}
	writeMarker(t, j, marker, keys) // never stored
	m := bulk.WithBatchClock(textMode(c, clock), func() time.Time { return marker.NotBefore.Add(time.Hour) })
	b := bulk.Runner[job, string]{Key: jobKey, Journal: j, Bill: &bulk.Bill[job]{Client: c, RequireFunds: true}}
	rep, err := b.RunBatch(context.Background(), in, m)
	if !errors.Is(err, openrouter.ErrInsufficientCredits) || srv.BatchStats().Submits != 0 {
		t.Fatalf("done %v, %v, submits %d; want the job refused for funds, nothing submitted", rep != nil && rep.Done > 0, err, srv.BatchStats().Submits)
	}
}
