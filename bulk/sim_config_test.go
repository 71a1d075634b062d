package bulk_test

import (
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// knownBroken lists the fault classes that break an invariant on today's
// code, with the reason: the default seeds do not draw them (SIM_ALL=1,
// and the 10,000-seed command, do). Empty it as the fixes land.
var knownBroken = map[faultKind]string{
	// Empty: the classes listed here when the simulation was written
	// (a POST resent after a cut, a crash before or after a journal
	// write, another job's batch adopted, an item run sync after its
	// batch result failed and lost in a crash) pass since the fixes of
	// the money-rules and batch issues; 10,000 seeds with SIM_ALL=1 found
	// two more, kept in TestSimRegressionSeeds.
}

// simConfig is a seed's schedule.
type simConfig struct {
	batch      bool
	n          int
	faults     map[faultKind]float64 // per-request probabilities, and the other kinds when present
	crashAt    int                   // the journal step the first run dies at; 0: none
	crashAfter bool                  // it dies after the step's write
	skew       time.Duration         // the server's clock minus the client's
	cancelPoll int                   // the poll of the first batch after which it is cancelled
	otherJobs  int                   // batches of another job on the account: before the first run, and before the second
	forced     map[string]faultKind  // faults by request key ("POST /chat/completions k2 #0"), for targeted tests
}

// newConfig draws a schedule from the seed. A kind named in skip is
// not used, nor the last kind of a combination named there ("a+b": b is
// dropped when a is drawn); the draws are the same either way, so a
// seed's other faults do not change.
func newConfig(seed uint64, skip map[faultKind]string) simConfig {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	c := simConfig{batch: r.IntN(2) == 1, n: 2 + r.IntN(10), faults: map[faultKind]float64{}}
	on := func(k faultKind, p float64) bool {
		u, rate := r.Float64(), 0.05+0.15*r.Float64()
		if u < p {
			c.faults[k] = rate
		}
		return u < p
	}
	for _, k := range requestFaults[:7] {
		on(k, 0.35)
	}
	before, after := fCrashBefore, fCrashAfter
	if c.batch {
		before, after = fBCrashBefore, fBCrashAfter
	}
	crashAt := 1 + r.IntN(c.n+3)
	if !on(before, 0.3) {
		on(after, 0.3)
	}
	skew := time.Duration(r.IntN(9)-4) * time.Minute // within the 5 minutes the client allows for
	on(fSkew, 0.3)
	cancelPoll := 1 + r.IntN(6)
	if c.batch {
		on(fLostSubmit, 0.3)
		on(fItemFail, 0.3)
		on(fExpire, 0.2)
		on(fOtherJob, 0.3)
		on(fCancel, 0.2)
		on(fBatchFail, 0.2)
	}
	otherJobs := 1 + r.IntN(2)
	on(fCutDuring, 0.35)
	for combo := range skip {
		kinds := strings.Split(string(combo), "+")
		all := true
		for _, k := range kinds {
			_, in := c.faults[faultKind(k)]
			all = all && in
		}
		if all {
			delete(c.faults, faultKind(kinds[len(kinds)-1]))
		}
	}
	if _, ok := c.faults[before]; ok {
		c.crashAt = crashAt
	} else if _, ok := c.faults[after]; ok {
		c.crashAt, c.crashAfter = crashAt, true
	}
	if _, ok := c.faults[fSkew]; ok {
		c.skew = skew
	}
	if _, ok := c.faults[fCancel]; ok {
		c.cancelPoll = cancelPoll
	}
	if _, ok := c.faults[fOtherJob]; ok {
		c.otherJobs = otherJobs
	}
	return c
}

// simSeeds is the seed list of a run: SIM_SEED replays one, SIM_SEEDS
// sets how many (default n).
func simSeeds(t *testing.T, n int) []uint64 {
	if v := os.Getenv("SIM_SEED"); v != "" {
		seed, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("SIM_SEED=%q: %v", v, err)
		}
		return []uint64{seed}
	}
	if v := os.Getenv("SIM_SEEDS"); v != "" {
		if k, err := strconv.Atoi(v); err == nil && k > 0 {
			n = k
		}
	}
	seeds := make([]uint64, n)
	for i := range seeds {
		seeds[i] = uint64(i + 1)
	}
	return seeds
}

// brokenClasses names the known-broken classes the seed's schedule drew
// ("none known" when a failure has no known cause).
func (s *sim) brokenClasses() string {
	var out []string
	for combo := range knownBroken {
		all := true
		for _, k := range strings.Split(string(combo), "+") {
			_, in := s.cfg.faults[faultKind(k)]
			all = all && in
		}
		if all {
			out = append(out, string(combo))
		}
	}
	if len(out) == 0 {
		return "none known"
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}
