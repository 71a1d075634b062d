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
