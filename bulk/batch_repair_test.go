package bulk_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// A ChatJSON repair that fails with a 5xx (past the client's retries) is
// tried again as a repair, from the batch answer already paid for: the
// item's request is not sent again sync, and its answer is not bought
// twice.
func TestRunBatchRepairFailingTransientlyIsRetriedNotRebought(t *testing.T) {
	clock := ort.NewClock(time.Now().UTC().Truncate(time.Second))
	var asked, repairFails atomic.Int32
	srv, c := setup(t, []ort.Option{ort.WithClock(clock.Now), ort.WithResponder(func(r ort.Request) ort.Reply {
		rep := r.DefaultReply()
		switch {
		case r.LastUserText() == "bad one":
			asked.Add(1)
			rep.Content = `{"title":7}`
		case r.LastUserText() == "good one":
			rep.Content = `{"title":"ok"}`
		case repairFails.Add(1) <= 4: // the repair: its last user text is the repair prompt
			return ort.Reply{Status: 503, Error: &ort.ErrorBody{Code: 503, Message: "overloaded"}}
		default:
			rep.Content = `{"title":"ok"}`
		}
		return rep
	})})
	m := bulk.ChatJSONMode[string, answer](c, func(s string) (*openrouter.ChatRequest, error) {
		return &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", MaxTokens: 50, Messages: []openrouter.Message{openrouter.UserMessage(s)}}, nil
	}, openrouter.JSONRepair(1))
	m.Wait = pollAdvancing(clock)
	j := openJournal(t)
	rep, err := bulk.NoPassWait(bulk.Runner[string, answer]{Key: func(s string) string { return s }, Journal: j}).
		RunBatch(context.Background(), []string{"good one", "bad one"}, m)
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Results[1]
	if r.Status != bulk.Done || r.Value.Title != "ok" {
		t.Fatalf("bad one: %v %v %+v", r.Status, r.Err, r.Value)
	}
	if n := asked.Load(); n != 1 || srv.BatchStats().Submits != 1 || rep.MaybePaidTwice != 0 {
		t.Errorf("the item's request was answered %d times (submits %d, maybe paid twice %d); want once, in the batch", n, srv.BatchStats().Submits, rep.MaybePaidTwice)
	}
	if r.Batch == "" {
		t.Errorf("bad one: no batch named")
	}
}

// A repair still failing when the run ends leaves the answer in the
// journal: the next run repairs it from there, without a batch or a sync
// request for the item.
func TestRunBatchKeptAnswerIsRepairedByTheNextRun(t *testing.T) {
	clock := ort.NewClock(time.Now().UTC().Truncate(time.Second))
	var asked atomic.Int32
	var down atomic.Bool
	down.Store(true)
	srv, c := setup(t, []ort.Option{ort.WithClock(clock.Now), ort.WithResponder(func(r ort.Request) ort.Reply {
		rep := r.DefaultReply()
		switch {
		case r.LastUserText() == "bad one":
			asked.Add(1)
			rep.Content = `{"title":7}`
		case down.Load():
			return ort.Reply{Status: 503, Error: &ort.ErrorBody{Code: 503, Message: "overloaded"}}
		default:
			rep.Content = `{"title":"ok"}`
		}
		return rep
	})})
	m := bulk.ChatJSONMode[string, answer](c, func(s string) (*openrouter.ChatRequest, error) {
		return &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", MaxTokens: 50, Messages: []openrouter.Message{openrouter.UserMessage(s)}}, nil
	}, openrouter.JSONRepair(1))
	m.Wait = pollAdvancing(clock)
	j := openJournal(t)
	b := bulk.Runner[string, answer]{Key: func(s string) string { return s }, Journal: j, RetryFor: -1}
	rep, err := b.RunBatch(context.Background(), []string{"bad one"}, m)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Results[0].Status == bulk.Done {
		t.Fatal("the repair succeeded while the server was down")
	}
	down.Store(false)
	rep, err = b.RunBatch(context.Background(), []string{"bad one"}, m)
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Results[0]; r.Status != bulk.Done || r.Value.Title != "ok" || asked.Load() != 1 || srv.BatchStats().Submits != 1 {
		t.Fatalf("second run: %v %v %+v; the item's request answered %d times, submits %d; want done from the kept answer", r.Status, r.Err, r.Value, asked.Load(), srv.BatchStats().Submits)
	}
}
