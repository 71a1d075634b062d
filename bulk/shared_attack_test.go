package bulk_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
)

// Attacks on the runner of a shared job (issue 31): a SharedJournal that
// fails or answers nonsense at one step.

// failRelease is a worker's journal whose claims' first Release fails
// without giving the item up (the journal keeps renewing the claim, as a
// claim not released is).
type failRelease struct {
	*bulk.MemWorker
	failed int
}

func (j *failRelease) Claim(ctx context.Context, key string) (bulk.ClaimState, error) {
	st, err := j.MemWorker.Claim(ctx, key)
	if st.Claim != nil {
		st.Claim = &failReleaseClaim{Claim: st.Claim, j: j}
	}
	return st, err
}

type failReleaseClaim struct {
	bulk.Claim
	j *failRelease
}

var errReleaseFailed = errors.New("the journal did not answer the release")

func (c *failReleaseClaim) Release(ctx context.Context) error {
	if c.j.failed == 0 {
		c.j.failed++
		return errReleaseFailed
	}
	return c.Claim.Release(ctx)
}

// A release that fails (the item put back for a later pass after a 5xx)
// stops the run, as any other journal failure does. (Before the fix the
// failure was ignored: the claim, still live and renewed, held the item,
// and the run claimed it again and waited for itself, for ever.)
func TestSharedFailedReleaseStopsTheRun(t *testing.T) {
	job, clk := newJob(3 * time.Second)
	j := &failRelease{MemWorker: job.Worker("a")}
	var c calls
	fn := func(_ context.Context, k string) (string, error) {
		if c.add(k) == 1 {
			return "", fmt.Errorf("upstream: %w", openrouter.ErrServer)
		}
		return strings.ToUpper(k), nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	waits := 0
	sleep := func(ctx context.Context, d time.Duration) error {
		if waits++; waits > 100 { // a run waiting for ever: end it, and fail below
			cancel()
		}
		return clk.sleep(ctx, d)
	}
	rep, err := bulk.WithSleep(sharedRunner(j, clk, 1), sleep).Run(ctx, []string{"x"}, fn)
	if err != nil {
		t.Fatal(err)
	}
	if j.failed != 1 {
		t.Fatalf("the release failed %d times: the schedule did not happen", j.failed)
	}
	if !errors.Is(rep.Stopped, errReleaseFailed) || waits > 100 {
		t.Errorf("stopped %v after %d waits; want the release's error, at once", rep.Stopped, waits)
	}
	if rep.NotAttempted != 1 || c.n["x"] != 1 {
		t.Errorf("not attempted %d, x ran %d times; want 1, 1", rep.NotAttempted, c.n["x"])
	}
}

// A worker whose item succeeded finds its end refused (its lease expired,
// and another worker took the item over and died before writing
// anything): its next claim of the item ends it with the value it holds,
// not paid for again. (Before the fix it ran the item a second time, a
// payment no count flagged: its MaybePaidTwice stayed 0.)
func TestSharedRefusedValueNotPaidAgain(t *testing.T) {
	job, clk := newJob(3 * time.Second)
	paused := job.Worker("a")
	var c calls
	fn := func(_ context.Context, k string) (string, error) {
		if c.add(k) == 1 {
			loseClaimToDeadTaker(t, job, clk, paused, k)
		}
		return strings.ToUpper(k), nil
	}
	j := &firstClaimFrom{SharedJournal: job.Worker("a"), first: paused}
	rep, err := sharedRunner(j, clk, 1).Run(context.Background(), []string{"x"}, fn)
	if err != nil {
		t.Fatal(err)
	}
	if rep.ClaimsLost != 1 || job.TakenOver != 2 {
		t.Fatalf("claims lost %d, taken over %d; want 1, 2: the schedule did not happen", rep.ClaimsLost, job.TakenOver)
	}
	if c.n["x"] != 1 || rep.Done != 1 || rep.Results[0].Value != "X" || rep.MaybePaidTwice != 0 {
		t.Errorf("x ran %d times, done %d with %q, maybe paid twice %d; want 1, 1, X, 0", c.n["x"], rep.Done, rep.Results[0].Value, rep.MaybePaidTwice)
	}
	if o := jobOutcome(t, job, "x"); o.Status != "done" || o.PaidTwice || o.Uncosted != 0 {
		t.Errorf("x's outcome %+v: want done, nothing uncosted", o)
	}
	if got := string(job.Records()["x"]); got != `"X"` {
		t.Errorf("the job's record of x: %s, want \"X\"", got)
	}
}

// The same, the worker that took the item over having died with it in
// flight: the value in hand ends it, and that worker's attempt counts
// (MaybePaidTwice, the outcome's Uncosted).
func TestSharedRefusedValueEndsAfterTakerDied(t *testing.T) {
	job, clk := newJob(3 * time.Second)
	paused := job.Worker("a")
	var c calls
	fn := func(_ context.Context, k string) (string, error) {
		if c.add(k) == 1 {
			paused.StopRenewing()
			clk.advance(4 * time.Second) // a's claim expires
			b := job.Worker("b")
			ctxB, cancelB := context.WithCancel(context.Background())
			defer cancelB()
			if _, err := sharedRunner(b, clk, 1).Run(ctxB, []string{k}, func(context.Context, string) (string, error) {
				c.add("b:" + k)
				b.Kill() // in flight
				cancelB()
				return "lost", nil
			}); err != nil {
				t.Error(err)
			}
			clk.advance(4 * time.Second) // b's expires
		}
		return strings.ToUpper(k), nil
	}
	j := &firstClaimFrom{SharedJournal: job.Worker("a"), first: paused}
	rep, err := sharedRunner(j, clk, 1).Run(context.Background(), []string{"x"}, fn)
	if err != nil {
		t.Fatal(err)
	}
	if c.n["b:x"] != 1 || rep.ClaimsLost != 1 || job.TakenOver != 2 {
		t.Fatalf("b ran x %d times, claims lost %d, taken over %d; want 1, 1, 2: the schedule did not happen", c.n["b:x"], rep.ClaimsLost, job.TakenOver)
	}
	if c.n["x"] != 1 || rep.Done != 1 || rep.Results[0].Value != "X" || rep.MaybePaidTwice != 1 {
		t.Errorf("a ran x %d times, done %d with %q, maybe paid twice %d; want 1, 1, X, 1", c.n["x"], rep.Done, rep.Results[0].Value, rep.MaybePaidTwice)
	}
	if o := jobOutcome(t, job, "x"); o.Status != "done" || !o.PaidTwice || o.Uncosted != 2 {
		t.Errorf("x's outcome %+v: want done, paid twice, 2 uncosted (a's attempt, as b counted it, and b's)", o)
	}
}
