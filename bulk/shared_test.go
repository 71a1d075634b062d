package bulk_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
)

// jobClock is the clock of a MemJob's leases, moved by the runs' waits:
// a run that waits for another worker's claim moves time on, so that a
// dead worker's lease expires without the test sleeping.
type jobClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *jobClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *jobClock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// sleep is a run's wait: it moves the clock on and lets the other
// goroutines run.
func (c *jobClock) sleep(ctx context.Context, d time.Duration) error {
	c.advance(d)
	if err := ctx.Err(); err != nil {
		return err
	}
	time.Sleep(time.Millisecond) // a yield, not a timing: any duration is correct
	return nil
}

func newJob(ttl time.Duration) (*bulk.MemJob, *jobClock) {
	c := &jobClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	return bulk.NewMemJob(c.now, ttl), c
}

// calls counts fn's calls by item.
type calls struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *calls) add(k string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[k]++
	return c.n[k]
}

func keys(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("k%03d", i)
	}
	return out
}

func sharedRunner(j bulk.Journal, c *jobClock, workers int) bulk.Runner[string, string] {
	return bulk.WithSleep(bulk.Runner[string, string]{Workers: workers, Key: func(s string) string { return s }, Journal: j}, c.sleep)
}

// Two workers on one job share its items: each item runs once, each
// worker's Report covers the whole job (the items the other ended are
// Resumed, a failure with its sentinels), and ReadJob agrees.
func TestSharedTwoWorkersRunEachItemOnce(t *testing.T) {
	job, clk := newJob(10 * time.Second)
	items := keys(60)
	var c calls
	fn := func(_ context.Context, k string) (string, error) {
		c.add(k)
		if k == "k007" {
			return "", fmt.Errorf("bad item: %w", openrouter.ErrInvalidRequest)
		}
		return strings.ToUpper(k), nil
	}
	reps := runTwoWorkers(t, job, clk, 3, items, fn)
	if t.Failed() {
		return
	}
	own := 0
	for w, rep := range reps {
		if rep.Done != 59 || rep.Failed != 1 || rep.NotAttempted != 0 {
			t.Errorf("worker %d: done %d failed %d not attempted %d; want 59, 1, 0", w, rep.Done, rep.Failed, rep.NotAttempted)
		}
		for _, res := range rep.Results {
			if !res.Resumed {
				own++
			}
			if res.Key != "k007" && res.Value != strings.ToUpper(res.Key) {
				t.Errorf("worker %d: item %s value %q", w, res.Key, res.Value)
			}
		}
		if bad := rep.Results[7]; !errors.Is(bad.Err, openrouter.ErrInvalidRequest) {
			t.Errorf("worker %d: item k007 err %v, want one matching ErrInvalidRequest", w, bad.Err)
		}
	}
	if own != 60 {
		t.Errorf("%d items run by the workers themselves, want 60 (each once)", own)
	}
	for _, k := range items {
		if c.n[k] != 1 {
			t.Errorf("item %s ran %d times", k, c.n[k])
		}
	}
	st, err := bulk.ReadJob(context.Background(), job.Worker("reader"))
	if err != nil || st.Done != 59 || st.Failed != 1 || st.Running != 0 {
		t.Errorf("ReadJob: %+v, %v; want 59 done, 1 failed, none running", st, err)
	}
}

// A worker killed in the middle of an item (its context cancelled, its
// journal's writes stopped dead): the other worker waits for the dead
// one's claim to expire, takes the item over and counts it in
// MaybePaidTwice; every item ends once.
func TestSharedWorkerKilledMidItem(t *testing.T) {
	job, clk := newJob(3 * time.Second)
	items := keys(6)
	var c calls
	a := job.Worker("a")
	ctxA, cancelA := context.WithCancel(context.Background())
	defer cancelA()
	fnA := func(_ context.Context, k string) (string, error) {
		c.add(k)
		if k == "k002" {
			a.Kill()
			cancelA()
		}
		return strings.ToUpper(k), nil
	}
	repA, err := sharedRunner(a, clk, 1).Run(ctxA, items, fnA)
	if err != nil {
		t.Fatal(err)
	}
	if repA.Done != 2 {
		t.Fatalf("worker a: done %d before its death, want 2", repA.Done)
	}
	fnB := func(_ context.Context, k string) (string, error) { c.add(k); return strings.ToUpper(k), nil }
	repB, err := sharedRunner(job.Worker("b"), clk, 2).Run(context.Background(), items, fnB)
	if err != nil {
		t.Fatal(err)
	}
	if repB.Done != 6 || repB.MaybePaidTwice != 1 || job.TakenOver != 1 {
		t.Errorf("worker b: done %d, maybe paid twice %d, taken over %d; want 6, 1, 1", repB.Done, repB.MaybePaidTwice, job.TakenOver)
	}
	for _, k := range items {
		want := 1
		if k == "k002" {
			want = 2 // the dead worker's, and the one that counted
		}
		if c.n[k] != want {
			t.Errorf("item %s ran %d times, want %d", k, c.n[k], want)
		}
	}
	if len(job.Outcomes()) != 6 {
		t.Errorf("%d items ended in the job, want 6", len(job.Outcomes()))
	}
}

// A worker paused past its lease (it stopped renewing) while its item ran
// is fenced: the worker that took the item over ends it, the paused
// one's result is refused (Report.ClaimsLost), and its Report shows the
// other worker's outcome.
func TestSharedClaimLostIsFenced(t *testing.T) {
	job, clk := newJob(3 * time.Second)
	a, b := job.Worker("a"), job.Worker("b")
	var repB *bulk.Report[string, string]
	fnA := func(_ context.Context, k string) (string, error) {
		a.StopRenewing()
		clk.advance(4 * time.Second)
		var err error
		repB, err = sharedRunner(b, clk, 1).Run(context.Background(), []string{k}, func(context.Context, string) (string, error) { return "from b", nil })
		if err != nil {
			t.Error(err)
		}
		return "from a", nil
	}
	repA, err := sharedRunner(a, clk, 1).Run(context.Background(), []string{"x"}, fnA)
	if err != nil {
		t.Fatal(err)
	}
	if repB == nil || repB.Done != 1 || repB.MaybePaidTwice != 1 {
		t.Fatalf("worker b: %+v, want the item done and counted maybe paid twice", repB)
	}
	if repA.Done != 1 || repA.ClaimsLost != 1 || repA.Results[0].Value != "from b" || !repA.Results[0].Resumed {
		t.Errorf("worker a: done %d, claims lost %d, value %q resumed %v; want 1, 1, b's value, resumed",
			repA.Done, repA.ClaimsLost, repA.Results[0].Value, repA.Results[0].Resumed)
	}
	if got := string(job.Records()["x"]); got != `"from b"` {
		t.Errorf("the job's record of x: %s, want b's", got)
	}
}

// runTwoWorkers runs two workers, threads each, on job at once over
// items and returns their reports; a run that cannot start fails t.
func runTwoWorkers(t *testing.T, job *bulk.MemJob, clk *jobClock, threads int, items []string, fn func(context.Context, string) (string, error)) []*bulk.Report[string, string] {
	t.Helper()
	reps := make([]*bulk.Report[string, string], 2)
	var wg sync.WaitGroup
	for w := range reps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := sharedRunner(job.Worker(fmt.Sprint(w)), clk, threads).Run(context.Background(), items, fn)
			if err != nil {
				t.Error(err)
			}
			reps[w] = rep
		}()
	}
	wg.Wait()
	return reps
}
