package bulk_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// counter counts, per item text, the answers the fake server gave (a
// request refused with 402 or 429 is not counted: it was not paid for).
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) responder(cost float64) func(ort.Request) ort.Reply {
	return func(r ort.Request) ort.Reply {
		c.mu.Lock()
		if c.n == nil {
			c.n = map[string]int{}
		}
		c.n[r.LastUserText()]++
		c.mu.Unlock()
		rep := r.DefaultReply()
		rep.Cost = cost
		return rep
	}
}

func (c *counter) get(k string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[k]
}

func items(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("item %03d", i)
	}
	return out
}

func chatItem(c *openrouter.Client) func(context.Context, string) (string, error) {
	return func(ctx context.Context, it string) (string, error) {
		res, err := c.Chat(ctx, &openrouter.ChatRequest{Messages: []openrouter.Message{openrouter.UserMessage(it)}})
		if err != nil {
			return "", err
		}
		return res.Content(), nil
	}
}

func checkCounts[T, R any](t *testing.T, rep *bulk.Report[T, R], total int) {
	t.Helper()
	if rep.Done+rep.Failed+rep.NotAttempted != total || len(rep.Results) != total {
		t.Errorf("done %d + failed %d + not attempted %d != %d", rep.Done, rep.Failed, rep.NotAttempted, total)
	}
	counts := map[bulk.Status]int{}
	for _, r := range rep.Results {
		counts[r.Status]++
	}
	if counts[bulk.Done] != rep.Done || counts[bulk.Failed] != rep.Failed || counts[bulk.NotAttempted] != rep.NotAttempted {
		t.Errorf("statuses %v disagree with the counts", counts)
	}
}

func TestBulkRun(t *testing.T) {
	t.Parallel()
	var cnt counter
	_, c := setup(t, []ort.Option{ort.WithResponder(cnt.responder(0.01))})
	in := items(40)
	rep, err := bulk.Runner[string, string]{}.Run(context.Background(), in, chatItem(c))
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, rep, 40)
	if rep.Done != 40 || rep.Stopped != nil || math.Abs(rep.Cost-0.40) > 1e-9 || math.Abs(c.Spent()-0.40) > 1e-9 {
		t.Errorf("report: done %d, stopped %v, cost %v (client spent %v)", rep.Done, rep.Stopped, rep.Cost, c.Spent())
	}
	for i, r := range rep.Results {
		if r.Item != in[i] || r.Value != "You said: "+in[i] || r.Key != fmt.Sprint(i) || r.Cost != 0.01 || r.Attempts != 1 {
			t.Errorf("result %d = %+v", i, r)
		}
		if cnt.get(in[i]) != 1 {
			t.Errorf("%s answered %d times", in[i], cnt.get(in[i]))
		}
	}
}

func TestBulkStopsOn402AndResumes(t *testing.T) {
	t.Parallel()
	var cnt counter
	srv, c := setup(t, []ort.Option{ort.WithCredits(0.2), ort.WithResponder(cnt.responder(0.01))})
	in := items(40)
	b := bulk.Runner[string, string]{Workers: 1}
	rep, err := b.Run(context.Background(), in, chatItem(c))
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, rep, 40)
	if !errors.Is(rep.Stopped, openrouter.ErrInsufficientCredits) || rep.Done != 20 || rep.Failed != 0 || rep.NotAttempted != 20 {
		t.Fatalf("report: done %d failed %d not attempted %d, stopped %v", rep.Done, rep.Failed, rep.NotAttempted, rep.Stopped)
	}
	left := rep.Remaining()
	if len(left) != 20 || left[0] != "item 020" {
		t.Fatalf("remaining = %v", left)
	}
	srv.AddCredits(1) // the user tops up, then resumes with the remaining items
	rep2, err := b.Run(context.Background(), left, chatItem(c))
	if err != nil || rep2.Done != 20 || rep2.Stopped != nil {
		t.Fatalf("resume: %+v, %v", rep2, err)
	}
	for _, it := range in {
		if n := cnt.get(it); n != 1 {
			t.Errorf("%s answered %d times", it, n)
		}
	}
}

func TestBulkCancelledAndResumedWithJournal(t *testing.T) {
	t.Parallel()
	var cnt counter
	_, c := setup(t, []ort.Option{ort.WithResponder(cnt.responder(0.01))})
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	j, err := bulk.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	in := items(30)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	fn := func(ctx context.Context, it string) (string, error) {
		if it == "item 012" {
			once.Do(cancel) // the user interrupts the run here
		}
		return chatItem(c)(ctx, it)
	}
	b := bulk.Runner[string, string]{Workers: 3, Journal: j, Key: func(s string) string { return s }}
	rep, err := b.Run(ctx, in, fn)
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, rep, 30)
	if !errors.Is(rep.Stopped, context.Canceled) || rep.NotAttempted == 0 || rep.Failed != 0 {
		t.Fatalf("report: done %d failed %d not attempted %d, stopped %v", rep.Done, rep.Failed, rep.NotAttempted, rep.Stopped)
	}
	j.Close()
	j, _ = bulk.OpenJournal(path)
	defer j.Close()
	b.Journal = j
	rep2, err := b.Run(context.Background(), in, chatItem(c))
	if err != nil || rep2.Done != 30 {
		t.Fatalf("resume: done %d, %v", rep2.Done, err)
	}
	resumed := 0
	for _, r := range rep2.Results {
		if r.Resumed {
			resumed++
		}
		if r.Value != "You said: "+r.Item {
			t.Errorf("%s = %q", r.Item, r.Value)
		}
	}
	if resumed != rep.Done {
		t.Errorf("%d results came from the journal, %d were done before", resumed, rep.Done)
	}
	for _, it := range in {
		if n := cnt.get(it); n > 1 {
			t.Errorf("%s answered %d times", it, n)
		}
	}
}

func TestBulkSpendingCap(t *testing.T) {
	t.Parallel()
	var cnt counter
	_, c := setup(t, []ort.Option{ort.WithResponder(cnt.responder(0.01))})
	rep, err := bulk.Runner[string, string]{Workers: 2, SpendingCap: 0.095}.Run(context.Background(), items(30), chatItem(c))
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, rep, 30)
	if !errors.Is(rep.Stopped, bulk.ErrSpendingCap) || rep.Cost > 0.095 || rep.Done < 7 || rep.NotAttempted != 30-rep.Done {
		t.Errorf("report: done %d, cost %v, stopped %v", rep.Done, rep.Cost, rep.Stopped)
	}
}

func TestBulkProgressReaches100PercentOnce(t *testing.T) {
	t.Parallel()
	_, c := setup(t, []ort.Option{ort.WithLatency(2 * time.Millisecond)})
	var mu sync.Mutex
	var calls []bulk.Progress
	rep, err := bulk.Runner[string, string]{Workers: 2, ProgressEvery: time.Millisecond, Progress: func(p bulk.Progress) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, p)
	}}.Run(context.Background(), items(40), chatItem(c))
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	full := 0
	for _, p := range calls {
		if p.Done+p.Failed+p.NotAttempted == p.Total {
			full++
		}
		if p.Total != 40 {
			t.Errorf("progress total %d", p.Total)
		}
	}
	last := calls[len(calls)-1]
	if full != 1 || last.Done != 40 || last.Cost != rep.Cost || len(calls) < 2 || !strings.Contains(last.String(), "40/40 done") {
		t.Errorf("%d calls, %d at 100%%, last %v", len(calls), full, last)
	}
}

func TestBulkRequeuesRetryableFailures(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, nil, openrouter.WithRetry(1, time.Millisecond, time.Millisecond))
	srv.Enqueue(ort.ErrorReply(503, "Service temporarily unavailable").Repeat(2), ort.ErrorReply(400, "Bad thing"))
	rep, err := bulk.NoPassWait(bulk.Runner[string, string]{Workers: 1}).Run(context.Background(), items(3), chatItem(c))
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, rep, 3)
	r0 := rep.Results[0]
	if r0.Status != bulk.Done || r0.Attempts != 2 {
		t.Errorf("item 0 (503 twice, then fine on the next pass) = %+v", r0)
	}
	if r1 := rep.Results[1]; r1.Status != bulk.Failed || !errors.Is(r1.Err, openrouter.ErrBadRequest) {
		t.Errorf("item 1 (400) = %+v", r1)
	}
	if rep.Done != 2 || rep.Failed != 1 {
		t.Errorf("done %d failed %d", rep.Done, rep.Failed)
	}
}

func TestBulkRetryTimeRunsOut(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, nil, openrouter.WithRetry(0, 0, 0))
	srv.Enqueue(ort.ErrorReply(503, "down").Repeat(100))
	rep, _ := bulk.Runner[string, string]{Workers: 1, RetryFor: -1}.Run(context.Background(), items(2), chatItem(c))
	if rep.Failed != 2 || !errors.Is(rep.Results[0].Err, openrouter.ErrServer) {
		t.Errorf("failed %d, err %v", rep.Failed, rep.Results[0].Err)
	}
}

func TestSpendingCapHint(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("%w: $1 spent", bulk.ErrSpendingCap)
	if h := openrouter.Hint(err); !strings.Contains(h, "SpendingCap") {
		t.Errorf("Hint(%v) = %q", err, h)
	}
}
