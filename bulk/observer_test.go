package bulk_test

import (
	"context"
	"sync"
	"testing"

	"github.com/routerkit/openrouter/bulk"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// bulkRecorder counts a run's events.
type bulkRecorder struct {
	mu                            sync.Mutex
	started, done, failed, notAtt int
	again                         int
	runs                          []bulk.RunEnded
}

func (r *bulkRecorder) ItemStarted(context.Context, bulk.ItemStarted) {
	r.mu.Lock()
	r.started++
	r.mu.Unlock()
}

func (r *bulkRecorder) ItemEnded(_ context.Context, e bulk.ItemEnded) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case e.Again:
		r.again++
	case e.Status == bulk.Done:
		r.done++
	case e.Status == bulk.Failed:
		r.failed++
	default:
		r.notAtt++
	}
}

func (r *bulkRecorder) RunEnded(_ context.Context, e bulk.RunEnded) {
	r.mu.Lock()
	r.runs = append(r.runs, e)
	r.mu.Unlock()
}

// The observer's item events add up to the Report's counts, for a run
// stopped by a 402 part way.
func TestBulkObserverAddsUpToReport(t *testing.T) {
	t.Parallel()
	var cnt counter
	_, c := setup(t, []ort.Option{ort.WithCredits(0.2), ort.WithResponder(cnt.responder(0.01))})
	rec := &bulkRecorder{}
	rep, err := bulk.Runner[string, string]{Workers: 1, Observer: rec}.Run(context.Background(), items(40), chatItem(c))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Done == 0 || rep.Stopped == nil {
		t.Fatalf("report: done %d, stopped %v: want a run stopped part way", rep.Done, rep.Stopped)
	}
	if rec.done != rep.Done || rec.failed != rep.Failed || rec.notAtt != rep.NotAttempted || rec.started != rep.InSync+rec.again {
		t.Errorf("events: %d started, %d done, %d failed, %d not attempted, %d again; report %d done, %d failed",
			rec.started, rec.done, rec.failed, rec.notAtt, rec.again, rep.Done, rep.Failed)
	}
	if len(rec.runs) != 1 || rec.runs[0].Done != rep.Done || rec.runs[0].NotAttempted != rep.NotAttempted || rec.runs[0].Cost != rep.Cost || rec.runs[0].Stopped == nil {
		t.Errorf("run ends = %+v, report %+v", rec.runs, rep)
	}
}
