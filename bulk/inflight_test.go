package bulk_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// startedRecord journals that an item's request was about to be sent, as
// a run killed while the item was in flight leaves the journal.
func startedRecord(t *testing.T, j bulk.Journal, key string, cost float64) {
	t.Helper()
	raw, _ := json.Marshal(map[string]any{"state": "started", "cost": cost})
	if err := j.Record("#batch:item:"+key, raw); err != nil {
		t.Fatal(err)
	}
}

// An item a killed run left in flight is run again by the resume and
// counted in MaybePaidTwice; an item that ended with an error the
// server answered is not.
func TestRunCountsItemsInFlightAtACrash(t *testing.T) {
	var cnt counter
	srv, c := setup(t, []ort.Option{ort.WithResponder(cnt.responder(0.01))})
	j := openJournal(t)
	startedRecord(t, j, "item 001", 0.02)
	srv.Enqueue(ort.Reply{Status: 400, Error: &ort.ErrorBody{Code: 400, Message: "bad"}})
	b := bulk.Runner[string, string]{Workers: 1, Journal: j, Key: func(s string) string { return s }}
	rep, err := b.Run(context.Background(), items(3), chatItem(c))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Done != 2 || rep.MaybePaidTwice != 1 || rep.Results[1].Status != bulk.Done {
		t.Fatalf("done %d, maybe paid twice %d (item 001: %v); want item 001 run again and counted, item 000 failed", rep.Done, rep.MaybePaidTwice, rep.Results[1].Status)
	}
	// The job's cost counts what the journal knew item 001 had cost.
	if !near(rep.JobCost, rep.Cost+0.02) {
		t.Errorf("job cost %v, this run's %v; want 0.02 more", rep.JobCost, rep.Cost)
	}
	// Item 000 failed on a 400: nothing of it was in flight.
	rep, err = b.Run(context.Background(), items(3), chatItem(c))
	if err != nil || rep.MaybePaidTwice != 0 || rep.Done != 3 {
		t.Fatalf("next run: %v, maybe paid twice %d, done %d; want 0 and 3", err, rep.MaybePaidTwice, rep.Done)
	}
	if !near(rep.JobCost, 0.02+3*0.01) {
		t.Errorf("job cost %v across runs; want %v", rep.JobCost, 0.02+3*0.01)
	}
}

// Runner.Recover settles an item left in flight without running it again.
func TestRunRecoverSettlesAnItemInFlight(t *testing.T) {
	var cnt counter
	_, c := setup(t, []ort.Option{ort.WithResponder(cnt.responder(0.01))})
	j := openJournal(t)
	startedRecord(t, j, "item 001", 0)
	var asked []string
	b := bulk.Runner[string, string]{Journal: j, Key: func(s string) string { return s },
		Recover: func(_ context.Context, it string, f bulk.InFlight) (string, bool, error) {
			asked = append(asked, f.Key)
			return "recovered", true, nil
		}}
	rep, err := b.Run(context.Background(), items(3), chatItem(c))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Done != 3 || rep.Results[1].Value != "recovered" || cnt.get("item 001") != 0 || rep.MaybePaidTwice != 0 || len(asked) != 1 || asked[0] != "item 001" {
		t.Fatalf("done %d, item 001 %q answered %d times, maybe paid twice %d, asked %v", rep.Done, rep.Results[1].Value, cnt.get("item 001"), rep.MaybePaidTwice, asked)
	}
}

var _ = openrouter.ErrMaybeBilled

// In batch mode, an item of the sync path left in flight is given to
// Runner.Recover too.
func TestRunBatchRecoverSettlesASyncItemInFlight(t *testing.T) {
	var cnt counter
	_, c, clock := batchSetup(t, &cnt)
	j := openJournal(t)
	startedRecord(t, j, "draw a cat", 0)
	in := append(jobs(2, ""), job{Text: "draw a cat", Image: true})
	b := bulk.Runner[job, string]{Key: jobKey, Journal: j,
		Recover: func(context.Context, job, bulk.InFlight) (string, bool, error) { return "recovered", true, nil }}
	rep, err := b.RunBatch(context.Background(), in, textMode(c, clock))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Done != 3 || rep.Results[2].Value != "recovered" || cnt.get("draw a cat") != 0 || rep.MaybePaidTwice != 0 {
		t.Fatalf("done %d, %q, answered %d times, maybe paid twice %d", rep.Done, rep.Results[2].Value, cnt.get("draw a cat"), rep.MaybePaidTwice)
	}
}
