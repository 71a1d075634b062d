package bulk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
)

// jobOutcome decodes an item's outcome in the job.
func jobOutcome(t *testing.T, job *bulk.MemJob, key string) (o struct {
	Status    string
	PaidTwice bool `json:"paid_twice"`
	Uncosted  int
	Names     []string
}) {
	t.Helper()
	raw, ok := job.Outcomes()[key]
	if !ok {
		t.Fatalf("item %s has no outcome in the job", key)
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatal(err)
	}
	return o
}

// A worker that tried an item itself in an earlier pass (a 5xx), and then
// takes it over from a worker killed while the item was in flight, counts
// the killed worker's attempt: in its MaybePaidTwice, and in the item's
// outcome (Uncosted, PaidTwice), which outlives its own report. (Before
// the fix, a taker whose Attempts > 0 counted nothing: simulation seeds
// 2716, 4046, 8688, 8792.)
func TestSharedTakeoverAfterOwnAttemptCounts(t *testing.T) {
	job, clk := newJob(3 * time.Second)
	a, b := job.Worker("a"), job.Worker("b")
	var c calls
	killedA := false
	sleepB := func(ctx context.Context, d time.Duration) error {
		if !killedA { // between b's passes: a claims x, and dies with it in flight
			killedA = true
			ctxA, cancelA := context.WithCancel(context.Background())
			defer cancelA()
			fnA := func(_ context.Context, k string) (string, error) {
				c.add("a:" + k)
				a.Kill()
				cancelA()
				return "from a", nil
			}
			if _, err := sharedRunner(a, clk, 1).Run(ctxA, []string{"x"}, fnA); err != nil {
				t.Error(err)
			}
			clk.advance(4 * time.Second) // a's lease expires
		}
		return clk.sleep(ctx, d)
	}
	fnB := func(_ context.Context, k string) (string, error) {
		if c.add("b:"+k) == 1 {
			return "", fmt.Errorf("upstream: %w", openrouter.ErrServer)
		}
		return strings.ToUpper(k), nil
	}
	rb := bulk.WithSleep(sharedRunner(b, clk, 1), sleepB)
	rep, err := rb.Run(context.Background(), []string{"x"}, fnB)
	if err != nil {
		t.Fatal(err)
	}
	if !killedA || c.n["a:x"] != 1 || job.TakenOver != 1 {
		t.Fatalf("a ran x %d times (killed %v), taken over %d: the schedule did not happen", c.n["a:x"], killedA, job.TakenOver)
	}
	if rep.Done != 1 || rep.Results[0].Attempts != 2 || rep.MaybePaidTwice != 1 {
		t.Errorf("b: done %d, attempts %d, maybe paid twice %d; want 1, 2, 1", rep.Done, rep.Results[0].Attempts, rep.MaybePaidTwice)
	}
	if o := jobOutcome(t, job, "x"); o.Status != "done" || !o.PaidTwice || o.Uncosted != 1 {
		t.Errorf("x's outcome %+v: want done, paid twice, 1 uncosted", o)
	}
	st, err := bulk.ReadJob(context.Background(), job.Worker("reader"))
	if err != nil || st.Done != 1 || st.MaybePaidTwice != 1 || st.Uncosted != 1 {
		t.Errorf("ReadJob: %+v, %v; want 1 done, 1 maybe paid twice, 1 uncosted", st, err)
	}
}

// A worker's own "started" record, read back when it claims the item
// again (its attempt may have been billed, and the item was put back:
// RequeueMaybeBilled), is not a takeover: the item counts once in
// MaybePaidTwice, not as a crash.
func TestSharedOwnStartedIsNotTakeover(t *testing.T) {
	job, clk := newJob(3 * time.Second)
	var c calls
	fn := func(_ context.Context, k string) (string, error) {
		if c.add(k) == 1 {
			return "", fmt.Errorf("cut: %w", openrouter.ErrMaybeBilled)
		}
		return strings.ToUpper(k), nil
	}
	b := sharedRunner(job.Worker("a"), clk, 1)
	b.RequeueMaybeBilled = true
	rep, err := b.Run(context.Background(), []string{"x"}, fn)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Done != 1 || rep.MaybePaidTwice != 1 || job.TakenOver != 0 {
		t.Errorf("done %d, maybe paid twice %d, taken over %d; want 1, 1, 0", rep.Done, rep.MaybePaidTwice, job.TakenOver)
	}
	if o := jobOutcome(t, job, "x"); !o.PaidTwice || o.Uncosted != 1 {
		t.Errorf("x's outcome %+v: want paid twice, 1 uncosted (the cut attempt)", o)
	}
}

// An item whose retries ran out (RetryFor) ends Failed for the whole
// job, through a new claim: another worker then reports it Failed too,
// rather than running it and ending it Done while the first reports it
// Failed. (Before the fix it ended Failed in the report only: seeds
// 4415, 8643, 1023.)
func TestSharedRetryForEndsFailedForTheJob(t *testing.T) {
	job, clk := newJob(3 * time.Second)
	tick := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	fnA := func(context.Context, string) (string, error) {
		return "", fmt.Errorf("upstream: %w", openrouter.ErrServer)
	}
	a := bulk.WithClock(sharedRunner(job.Worker("a"), clk, 1), func() time.Time { tick = tick.Add(time.Minute); return tick })
	a.RetryFor = time.Minute
	repA, err := a.Run(context.Background(), []string{"x"}, fnA)
	if err != nil {
		t.Fatal(err)
	}
	if repA.Failed != 1 {
		t.Fatalf("a: failed %d, want 1", repA.Failed)
	}
	if o := jobOutcome(t, job, "x"); o.Status != "failed" || !slices.Contains(o.Names, openrouter.ErrorName(openrouter.ErrServer)) {
		t.Errorf("x's outcome %+v: want failed, matching ErrServer", o)
	}
	var ran calls
	repB, err := sharedRunner(job.Worker("b"), clk, 1).Run(context.Background(), []string{"x"}, func(_ context.Context, k string) (string, error) {
		ran.add(k)
		return "done", nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if repB.Failed != 1 || ran.n["x"] != 0 {
		t.Errorf("b: failed %d, ran x %d times; want the job's outcome: failed, not run", repB.Failed, ran.n["x"])
	}
}

// Two workers killed in turn with the same item in flight: the third
// ends it, and the item's outcome counts both attempts (Uncosted 2), the
// second counted by a taker whose report died with it: the count lives
// in the item's records, not in a report.
func TestSharedPaidTwiceSurvivesKilledTaker(t *testing.T) {
	job, clk := newJob(3 * time.Second)
	var c calls
	die := func(name string) {
		w := job.Worker(name)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		fn := func(_ context.Context, k string) (string, error) {
			c.add(k)
			w.Kill()
			cancel()
			return "lost", nil
		}
		if _, err := sharedRunner(w, clk, 1).Run(ctx, []string{"x"}, fn); err != nil {
			t.Fatal(err)
		}
		clk.advance(4 * time.Second) // its lease expires
	}
	die("a")
	die("b")
	rep, err := sharedRunner(job.Worker("c"), clk, 1).Run(context.Background(), []string{"x"}, func(_ context.Context, k string) (string, error) {
		c.add(k)
		return "X", nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.n["x"] != 3 || job.TakenOver != 2 || rep.Done != 1 || rep.MaybePaidTwice != 1 {
		t.Fatalf("x ran %d times, taken over %d, c done %d paid twice %d; want 3, 2, 1, 1", c.n["x"], job.TakenOver, rep.Done, rep.MaybePaidTwice)
	}
	st, err := bulk.ReadJob(context.Background(), job.Worker("reader"))
	if err != nil || st.Done != 1 || st.MaybePaidTwice != 1 || st.Uncosted != 2 {
		t.Errorf("ReadJob: %+v, %v; want 1 done, 1 maybe paid twice, 2 uncosted (a's and b's attempts)", st, err)
	}
}

// A worker paused past its lease, its item taken over and ended by
// another, resumes: its result is refused (ClaimsLost), it sends nothing
// more of the item, and the job's outcome counts its attempt (Uncosted),
// whatever becomes of its own report.
func TestSharedPausedWorkerCountedInOutcome(t *testing.T) {
	job, clk := newJob(3 * time.Second)
	a, b := job.Worker("a"), job.Worker("b")
	var c calls
	fnA := func(_ context.Context, k string) (string, error) {
		c.add("a:" + k)
		if k == "x" {
			a.StopRenewing()
			clk.advance(4 * time.Second)
			if _, err := sharedRunner(b, clk, 1).Run(context.Background(), []string{"x", "y"}, func(_ context.Context, k string) (string, error) {
				c.add("b:" + k)
				return "from b", nil
			}); err != nil {
				t.Error(err)
			}
		}
		return "from a", nil
	}
	repA, err := sharedRunner(a, clk, 1).Run(context.Background(), []string{"x", "y"}, fnA)
	if err != nil {
		t.Fatal(err)
	}
	if repA.ClaimsLost != 1 || repA.Done != 2 || c.n["a:x"] != 1 || c.n["a:y"] != 0 || c.n["b:y"] != 1 {
		t.Errorf("a: claims lost %d, done %d; runs %v; want 1, 2, x run by both, y by b alone", repA.ClaimsLost, repA.Done, c.n)
	}
	if o := jobOutcome(t, job, "x"); !o.PaidTwice || o.Uncosted != 1 {
		t.Errorf("x's outcome %+v: want paid twice, 1 uncosted (a's attempt)", o)
	}
	if o := jobOutcome(t, job, "y"); o.PaidTwice || o.Uncosted != 0 {
		t.Errorf("y's outcome %+v: want nothing uncosted", o)
	}
}

// A late joiner, started once every item ended, runs nothing and reports
// the whole job: the values others recorded, and an item another worker
// failed billed without an answer as Failed matching ErrMaybeBilled;
// ReadJob counts that item in MaybeBilled.
func TestSharedLateJoinerReportsTheJob(t *testing.T) {
	job, clk := newJob(3 * time.Second)
	items := keys(3)
	fn := func(_ context.Context, k string) (string, error) {
		if k == "k001" {
			return "", fmt.Errorf("cut after the write: %w", openrouter.ErrMaybeBilled)
		}
		return strings.ToUpper(k), nil
	}
	if _, err := sharedRunner(job.Worker("a"), clk, 2).Run(context.Background(), items, fn); err != nil {
		t.Fatal(err)
	}
	var ran calls
	rep, err := sharedRunner(job.Worker("late"), clk, 2).Run(context.Background(), items, func(_ context.Context, k string) (string, error) {
		ran.add(k)
		return "late", nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ran.n) != 0 || rep.Done != 2 || rep.Failed != 1 || rep.Cost != 0 {
		t.Errorf("late: ran %v, done %d failed %d cost %v; want nothing run, 2 done, 1 failed, no cost", ran.n, rep.Done, rep.Failed, rep.Cost)
	}
	if res := rep.Results[1]; !res.Resumed || !errors.Is(res.Err, openrouter.ErrMaybeBilled) {
		t.Errorf("late: k001 resumed %v err %v; want the job's failure, matching ErrMaybeBilled", res.Resumed, res.Err)
	}
	if rep.Results[0].Value != "K000" || rep.Results[2].Value != "K002" {
		t.Errorf("late: values %q %q, want the job's", rep.Results[0].Value, rep.Results[2].Value)
	}
	st, err := bulk.ReadJob(context.Background(), job.Worker("reader"))
	if err != nil || st.Done != 2 || st.Failed != 1 || st.MaybeBilled != 1 || st.Running != 0 {
		t.Errorf("ReadJob: %+v, %v; want 2 done, 1 failed maybe billed, none running", st, err)
	}
}

// An item taken over from a killed worker, then run again and failing
// until RetryFor runs out, ends Failed with its own error: the takeover
// was counted once (MaybePaidTwice), and does not make the final error
// claim that the item may have been billed.
func TestSharedGiveUpAfterTakeoverKeepsItsError(t *testing.T) {
	job, clk := newJob(3 * time.Second)
	a := job.Worker("a")
	ctxA, cancelA := context.WithCancel(context.Background())
	defer cancelA()
	if _, err := sharedRunner(a, clk, 1).Run(ctxA, []string{"x"}, func(context.Context, string) (string, error) {
		a.Kill()
		cancelA()
		return "lost", nil
	}); err != nil {
		t.Fatal(err)
	}
	clk.advance(4 * time.Second)
	tick := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := bulk.WithClock(sharedRunner(job.Worker("b"), clk, 1), func() time.Time { tick = tick.Add(time.Minute); return tick })
	b.RetryFor = 2 * time.Minute
	rep, err := b.Run(context.Background(), []string{"x"}, func(context.Context, string) (string, error) {
		return "", fmt.Errorf("upstream: %w", openrouter.ErrServer)
	})
	if err != nil {
		t.Fatal(err)
	}
	res := rep.Results[0]
	if rep.Failed != 1 || res.Attempts < 1 || rep.MaybePaidTwice != 1 || !errors.Is(res.Err, openrouter.ErrServer) || errors.Is(res.Err, openrouter.ErrMaybeBilled) {
		t.Errorf("b: failed %d, attempts %d, paid twice %d, err %v; want failed with its own 5xx, counted paid twice once", rep.Failed, res.Attempts, rep.MaybePaidTwice, res.Err)
	}
	if o := jobOutcome(t, job, "x"); o.Status != "failed" || o.Uncosted != 1 || !o.PaidTwice {
		t.Errorf("x's outcome %+v: want failed, paid twice, 1 uncosted (a's attempt)", o)
	}
}

// firstClaimFrom takes its first claim through another worker's journal
// (a process paused past its lease), the later ones through its own: one
// run whose first claim expires and whose next ones live.
type firstClaimFrom struct {
	bulk.SharedJournal
	first bulk.SharedJournal
	used  bool
}

func (j *firstClaimFrom) Claim(ctx context.Context, key string) (bulk.ClaimState, error) {
	if !j.used {
		j.used = true
		return j.first.Claim(ctx, key)
	}
	return j.SharedJournal.Claim(ctx, key)
}

// A worker whose attempt may have been billed finds its end refused (its
// lease expired, and another worker took the item over and died before
// writing anything), claims the item again, and runs it: the job's
// outcome counts the first attempt in Uncosted. (Before the fix it
// counted nothing: its own "started" record read as an attempt already
// counted; simulation seed 638, 1 run in 100.)
func TestSharedRefusedMaybeBilledEndCounted(t *testing.T) {
	job, clk := newJob(3 * time.Second)
	paused := job.Worker("a")
	var c calls
	fn := func(_ context.Context, k string) (string, error) {
		if c.add(k) > 1 {
			return strings.ToUpper(k), nil
		}
		loseClaimToDeadTaker(t, job, clk, paused, k)
		return "", fmt.Errorf("cut: %w", openrouter.ErrMaybeBilled)
	}
	j := &firstClaimFrom{SharedJournal: job.Worker("a"), first: paused}
	rep, err := sharedRunner(j, clk, 1).Run(context.Background(), []string{"x"}, fn)
	if err != nil {
		t.Fatal(err)
	}
	if c.n["x"] != 2 || rep.Done != 1 || rep.ClaimsLost != 1 || job.TakenOver != 2 {
		t.Fatalf("x ran %d times, done %d, claims lost %d, taken over %d; want 2, 1, 1, 2: the schedule did not happen", c.n["x"], rep.Done, rep.ClaimsLost, job.TakenOver)
	}
	if o := jobOutcome(t, job, "x"); o.Status != "done" || !o.PaidTwice || o.Uncosted != 1 {
		t.Errorf("x's outcome %+v: want done, paid twice, 1 uncosted (the refused attempt)", o)
	}
}

// loseClaimToDeadTaker lets paused's claim of item k expire, a new worker
// take the item over and die before writing anything, and that worker's
// claim expire in turn.
func loseClaimToDeadTaker(t *testing.T, job *bulk.MemJob, clk *jobClock, paused *bulk.MemWorker, k string) {
	t.Helper()
	paused.StopRenewing()
	clk.advance(4 * time.Second) // paused's claim expires
	b := job.Worker("b")
	if st, err := b.Claim(context.Background(), k); err != nil || st.Status != bulk.ClaimGranted {
		t.Errorf("b's claim: %+v, %v", st, err) // not Fatal: called from a run's worker goroutine
	}
	b.Kill()
	clk.advance(4 * time.Second) // b's expires
}
