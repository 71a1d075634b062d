package bulk_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// batchRecorder is a bulkRecorder that also sees the batches, and each
// item's final end.
type batchRecorder struct {
	bulkRecorder
	bmu    sync.Mutex
	events []bulk.BatchEvent
	final  map[string]int // by key: the item's final ends
}

func (r *batchRecorder) BatchEvent(_ context.Context, e bulk.BatchEvent) {
	r.bmu.Lock()
	r.events = append(r.events, e)
	r.bmu.Unlock()
}

func (r *batchRecorder) ItemEnded(ctx context.Context, e bulk.ItemEnded) {
	r.bulkRecorder.ItemEnded(ctx, e)
	if !e.Again {
		r.bmu.Lock()
		if r.final == nil {
			r.final = map[string]int{}
		}
		r.final[e.Key]++
		r.bmu.Unlock()
	}
}

// phases returns the phases of the batch of submission token, each poll
// once however many there were.
func (r *batchRecorder) phases(token string) []string {
	var out []string
	for _, e := range r.events {
		p := string(e.Phase)
		if e.Token == token && (len(out) == 0 || p != out[len(out)-1] || p != string(bulk.BatchPolled)) {
			out = append(out, p)
		}
	}
	return out
}

// A batch run with a lost submission, three batches and two items run
// sync is seen step by step: each batch's phases in order, its polls with
// the batch's status, the requests of each phase adding up to the
// Report's, and each item's end once, adding up to the Report's counts.
func TestRunBatchObserverSeesPhases(t *testing.T) {
	var cnt counter
	srv, c, clock := batchSetup(t, &cnt)
	srv.LoseBatchSubmits(1)
	in := jobs(25, "openai/gpt-4o-mini")
	in = append(in, job{Text: "draw a cat", Model: "openai/gpt-4o-mini", Image: true}, job{Text: "on llama", Model: "meta-llama/llama-3.3-70b-instruct"})
	m := textMode(c, clock)
	m.ChunkSize = 10
	m.Batchable = func(model string) bool { return !strings.HasPrefix(model, "meta-llama/") }
	var polled atomic.Int64
	m.Wait.OnPoll = func(b *openrouter.Batch) { polled.Add(1); clock.Advance(60e9) } // the caller's OnPoll still runs (for the lookup's waits too)
	rec := &batchRecorder{}
	rep, err := bulk.Runner[job, string]{Key: jobKey, Observer: rec, Workers: 1}.RunBatch(context.Background(), in, m)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Done != len(in) || len(rep.Batches) != 3 || rep.Requests.Lookups == 0 {
		t.Fatalf("done %d, batches %v, requests %+v: want all done, in 3 batches, one looked up", rep.Done, rep.Batches, rep.Requests)
	}
	var tokens []string
	sum := map[bulk.BatchPhase]int{}
	polls := 0
	for _, e := range rec.events {
		sum[e.Phase] += e.Requests
		if e.Phase == bulk.BatchPolled {
			polls++
			if e.Status == "" || e.Counts.Total != e.Items {
				t.Errorf("poll of %s: status %q, counts %+v, %d items", e.Batch, e.Status, e.Counts, e.Items)
			}
		}
		if e.Phase == bulk.BatchEnded && (e.Status != openrouter.BatchCompleted || e.Counts.Completed != e.Items) {
			t.Errorf("end of %s: %s %+v", e.Batch, e.Status, e.Counts)
		}
		if !slices.Contains(tokens, e.Token) {
			tokens = append(tokens, e.Token)
		}
	}
	lost := []string{"submitted", "looked_up", "polled", "ended", "collecting", "collected"}
	plain := []string{"submitted", "polled", "ended", "collecting", "collected"}
	nLost := 0
	for _, tok := range tokens {
		got := rec.phases(tok)
		switch {
		case slices.Equal(got, lost):
			nLost++
		case !slices.Equal(got, plain):
			t.Errorf("batch %s: phases %v", tok, got)
		}
	}
	if len(tokens) != 3 || nLost != 1 {
		t.Errorf("%d batches seen, %d of them lost and looked up", len(tokens), nLost)
	}
	r := rep.Requests
	if sum[bulk.BatchSubmitted] != r.Submits || sum[bulk.BatchLookedUp] != r.Lookups || sum[bulk.BatchEnded] != r.Polls ||
		sum[bulk.BatchCollected] != r.ResultPages || polls != r.Polls || polled.Load() < int64(polls) {
		t.Errorf("events' requests %v, %d polls seen (%d by the caller's OnPoll); report %+v", sum, polls, polled.Load(), r)
	}
	if rec.done != rep.Done || rec.failed != rep.Failed || rec.notAtt != rep.NotAttempted || len(rec.final) != len(in) || rec.started != rep.InBatch+rep.InSync+rec.again {
		t.Errorf("items: %d started, %d done, %d failed, %d not attempted, %d again, %d keys ended; report %d done, %d in batch, %d sync",
			rec.started, rec.done, rec.failed, rec.notAtt, rec.again, len(rec.final), rep.Done, rep.InBatch, rep.InSync)
	}
	for k, n := range rec.final {
		if n != 1 {
			t.Errorf("%s ended %d times", k, n)
		}
	}
	if len(rec.runs) != 1 || rec.runs[0].Done != rep.Done || rec.runs[0].Cost != rep.Cost {
		t.Errorf("run ends %+v", rec.runs)
	}
}

// holdRecorder is a bulkRecorder that also sees the run's waits.
type holdRecorder struct {
	bulkRecorder
	held []bulk.RunHeld
}

func (r *holdRecorder) RunHeld(_ context.Context, e bulk.RunHeld) {
	r.mu.Lock()
	r.held = append(r.held, e)
	r.mu.Unlock()
}

// A run's waits are seen, each with its cause: the pause for a spent
// budget until its reset, then the wait before the pass that retries an
// item whose error may pass; they are the run's sleeps.
func TestRunHeldSeesBudgetAndRetryWaits(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	reset := clock.Now().Add(time.Hour)
	var flaky atomic.Int32
	_, c := setup(t, []ort.Option{ort.WithResponder(func(r ort.Request) ort.Reply {
		switch {
		case r.LastUserText() == "item 000" && clock.Now().Before(reset):
			return ort.BudgetReply(ort.WorkspaceBudget, 500, reset)
		case r.LastUserText() == "item 001" && flaky.Add(1) == 1:
			return ort.Reply{Status: 503, Error: &ort.ErrorBody{Code: 503, Message: "overloaded"}}
		}
		return r.DefaultReply()
	})}, openrouter.WithRetry(0, time.Millisecond, time.Millisecond))
	rec := &holdRecorder{}
	run := bulk.WithSleep(bulk.WithClock(bulk.Runner[string, string]{Workers: 1, WaitForBudgetReset: 2 * time.Hour, RetryFor: 3 * time.Hour, Observer: rec}, clock.Now), clock.Sleep)
	rep, err := run.Run(context.Background(), items(2), chatItem(c))
	if err != nil || rep.Done != 2 {
		t.Fatalf("done %d, err %v, stopped %v, results %+v, held %+v, slept %v", rep.Done, err, rep.Stopped, rep.Results, rec.held, clock.sleeps)
	}
	if len(rec.held) != 2 || rec.held[0].Cause != bulk.HeldForBudget || !rec.held[0].Until.Equal(reset) || rec.held[1].Cause != bulk.HeldForRetry {
		t.Fatalf("held %+v, want the budget's pause then a retry pass's wait", rec.held)
	}
	if len(clock.sleeps) != 2 || clock.sleeps[0] != rec.held[0].Wait || clock.sleeps[1] != rec.held[1].Wait {
		t.Errorf("held %+v, the run slept %v", rec.held, clock.sleeps)
	}
}
