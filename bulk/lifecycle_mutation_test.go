package bulk_test

import (
	"context"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/routerkit/openrouter/bulk"
)

// finalProgress runs three items that all succeed, on clock now, and
// returns the last Progress the run reported (its final one).
func finalProgress(t *testing.T, now func() time.Time) bulk.Progress {
	t.Helper()
	var last bulk.Progress
	b := bulk.Runner[string, string]{Workers: 1, ProgressEvery: time.Hour, Progress: func(p bulk.Progress) { last = p }}
	rep, err := bulk.WithClock(b, now).Run(context.Background(), items(3), func(_ context.Context, s string) (string, error) { return s, nil })
	if err != nil || rep.Done != 3 {
		t.Fatalf("run: done %d, err %v", rep.Done, err)
	}
	return last
}

// With no time elapsed the rate is not known: 0, not a division by zero.
func TestProgressRateWithoutElapsedTime(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := finalProgress(t, func() time.Time { return start })
	if p.Rate != 0 || p.ETA != 0 || p.Done != 3 {
		t.Errorf("final progress %+v: want 3 done, rate 0 and no ETA on a clock that does not move", p)
	}
}

// The final progress has every item finished: nothing is left, so the
// ETA is 0 whatever the rate.
func TestProgressFinalETAIsZero(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := finalProgress(t, func() time.Time { mu.Lock(); defer mu.Unlock(); at = at.Add(time.Second); return at })
	if p.Rate <= 0 || math.IsInf(p.Rate, 0) || p.ETA != 0 {
		t.Errorf("final progress %+v: want a positive rate and an ETA of 0 (all finished)", p)
	}
}
