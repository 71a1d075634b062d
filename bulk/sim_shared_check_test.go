package bulk_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
)

// invLoss: a lost journal stops every run that meets it, and held no
// item ended Done without its result.
const invLoss invariant = "a lost journal stops the run, with nothing done without its result"

// checkShared verifies the invariants over the runs of a shared job: the
// reports of the workers that were not killed (a killed worker's report
// dies with it), the fake's truth, and the jobs' journals.
func (w *sharedWorld) check(runs []sharedRun, lost *lostJob) []violation {
	var bad []violation
	add := func(inv invariant, format string, a ...any) {
		bad = append(bad, violation{inv, fmt.Sprintf(format, a...)})
	}
	n := w.s.cfg.n
	for _, r := range runs {
		if r.rep == nil && !r.crashed && !r.sawLoss {
			add(invJournal, "job %d round %d worker %d could not start: %v", r.epoch, r.round, r.worker, r.err)
		}
		// The run stops on the loss, unless something stopped it before.
		if r.sawLoss && !r.crashed && r.rep != nil && r.rep.Stopped == nil {
			add(invLoss, "job %d worker %d met the lost journal and did not stop", r.epoch, r.worker)
		}
	}
	if lost != nil {
		bad = append(bad, checkJobRecords(invLoss, lost.records, lost.outcomes)...)
	}
	bad = append(bad, checkJobRecords(invOwn, w.job.Records(), w.job.Outcomes())...)

	// Exactly once: in each job, no item done with its own work by two
	// workers; each last report accounts for every item once; an item
	// done in a job ends Done in its complete reports.
	doneBy := map[[2]string]string{} // job, key -> the run that did it
	last := runs[len(runs)-1].round
	for _, r := range runs {
		if r.rep == nil || r.crashed {
			continue
		}
		who := fmt.Sprintf("job %d round %d worker %d", r.epoch, r.round, r.worker)
		rep := r.rep
		if rep.Done+rep.Failed+rep.NotAttempted != n || len(rep.Results) != n {
			add(invOnce, "%s: counts %d+%d+%d for %d items", who, rep.Done, rep.Failed, rep.NotAttempted, n)
		}
		for i, res := range rep.Results {
			if i < n && res.Key != w.s.items()[i].Key {
				add(invOnce, "%s: result %d is %q", who, i, res.Key)
			}
			if res.Status == bulk.Done && res.Value != answerFor(res.Key) {
				add(invOwn, "%s: %s ended with %q", who, res.Key, res.Value)
			}
			if res.Status == bulk.Done && !res.Resumed {
				k := [2]string{fmt.Sprint(r.epoch), res.Key}
				if prev, twice := doneBy[k]; twice {
					add(invOnce, "%s done by %s and again by %s", res.Key, prev, who)
				}
				doneBy[k] = who
			}
		}
	}
	outcomes := w.job.Outcomes()
	for _, r := range runs {
		if r.rep == nil || r.crashed || r.epoch != w.epoch || r.round != last || r.rep.NotAttempted > 0 {
			continue
		}
		for _, res := range r.rep.Results {
			var o struct{ Status string }
			_ = json.Unmarshal(outcomes[res.Key], &o)
			if want := o.Status == "done"; want != (res.Status == bulk.Done) {
				add(invOnce, "worker %d's last report has %s %v, the job's outcome %s", r.worker, res.Key, res.Status, outcomes[res.Key])
			}
		}
	}
	return append(bad, w.checkBilled(runs, lost, doneBy)...)
}

// checkJobRecords: every record of an item holds its own answer, and
// every item ended done has its result.
func checkJobRecords(inv invariant, records, outcomes map[string]json.RawMessage) []violation {
	var bad []violation
	for key, raw := range records {
		if strings.HasPrefix(key, "#batch:") {
			continue
		}
		var v string
		if json.Unmarshal(raw, &v) != nil || v != answerFor(key) {
			bad = append(bad, violation{inv, fmt.Sprintf("the journal holds %s for %s", raw, key)})
		}
	}
	for key, raw := range outcomes {
		var o struct{ Status string }
		if err := json.Unmarshal(raw, &o); err != nil {
			bad = append(bad, violation{inv, fmt.Sprintf("the outcome of %s does not decode: %s", key, raw)})
			continue
		}
		if _, ok := records[key]; o.Status == "done" && !ok {
			bad = append(bad, violation{inv, fmt.Sprintf("%s ended done without its result in the journal", key)})
		}
	}
	return bad
}

// checkBilled: what the fake billed for the items is no more than the
// reports' Cost, the items a killed worker ended done (their cost died
// with its report), and what is flagged: maybe paid twice, maybe billed,
// or left started in a journal that was lost (the loss's error says the
// records are gone), or counted in an outcome only (the attempts a killed
// taker had counted, an item a killed worker failed maybe billed). When
// the journal was not lost, the job's outcomes alone must account for it
// too (checkJobBilled).
func (w *sharedWorld) checkBilled(runs []sharedRun, lost *lostJob, doneBy map[[2]string]string) []violation {
	s := w.s
	s.mu.Lock()
	billed, gens, perItem := 0.0, 0, map[string]int{}
	for key, k := range s.answered {
		if !strings.HasPrefix(key, "fail:") && key != "?" {
			billed += float64(k) * simPrice
			gens += k
			perItem[key] = k
		}
	}
	s.mu.Unlock()
	accounted, flagged := 0.0, 0
	maybe := map[[2]string]bool{}
	for _, r := range runs {
		if r.rep == nil || r.crashed {
			continue
		}
		accounted += r.rep.Cost
		flagged += r.rep.MaybePaidTwice
		for _, res := range r.rep.Results {
			if res.Status != bulk.Done && errors.Is(res.Err, openrouter.ErrMaybeBilled) {
				maybe[[2]string{fmt.Sprint(r.epoch), res.Key}] = true
			}
		}
	}
	flagged += len(maybe)
	journaled := 0
	count := func(epoch int, records, outcomes map[string]json.RawMessage, wasLost bool) {
		for key, raw := range outcomes {
			var o struct {
				Status   string
				Uncosted int
				Names    []string
			}
			_ = json.Unmarshal(raw, &o)
			_, own := doneBy[[2]string{fmt.Sprint(epoch), key}]
			if o.Status != "done" && !maybe[[2]string{fmt.Sprint(epoch), key}] &&
				slices.Contains(o.Names, openrouter.ErrorName(openrouter.ErrMaybeBilled)) {
				flagged++ // failed billed without an answer by a killed worker, in no surviving report
			}
			// The attempts left in flight that the item's outcome counts: a
			// surviving report counts the item once in MaybePaidTwice (an
			// item count, however many takeovers), a killed taker's report
			// is lost with what it counted.
			if own {
				flagged += max(o.Uncosted-1, 0)
			} else {
				flagged += o.Uncosted
			}
			if o.Status == "done" && !own {
				journaled++
			}
		}
		if !wasLost {
			return
		}
		for key, raw := range records {
			item, ok := strings.CutPrefix(key, bulk.ItemStateKey(""))
			var st struct{ State string }
			if ok && outcomes[item] == nil && json.Unmarshal(raw, &st) == nil && st.State != "done" {
				flagged++ // started when the journal was lost
			}
		}
	}
	if lost != nil {
		count(1, lost.records, lost.outcomes, true)
	}
	count(w.epoch, w.job.Records(), w.job.Outcomes(), false)
	if lost == nil {
		if v := checkJobBilled(billed, gens, perItem, w.job.Outcomes()); v != nil {
			return []violation{*v}
		}
	}
	if billed > accounted+float64(journaled+flagged)*simPrice+1e-9 {
		return []violation{{invBilled, fmt.Sprintf("the fake billed $%.4f (%d generations); the reports account for $%.4f, killed workers ended %d, and %d are flagged",
			billed, gens, accounted, journaled, flagged)}}
	}
	if math.IsNaN(accounted) {
		return []violation{{invBilled, "Cost is NaN"}}
	}
	return nil
}

// newSharedSim is a seed's shared job: the fake and faults of the seed's
// TestSimulation schedule (sync, no crash of its own: the workers' kills
// replace it), and the workers' schedule.
func newSharedSim(t testing.TB, seed uint64, all bool) *sharedWorld {
	s := newSim(t, seed, knownBroken)
	s.cfg.batch, s.cfg.crashAt = false, 0
	cfg := newSharedConfig(seed, all)
	if _, broken := sharedKnownBroken["kill+retry"]; broken && !all && slices.ContainsFunc(cfg.killAt, func(k int) bool { return k > 0 }) {
		for _, k := range retryFaults {
			delete(s.cfg.faults, k)
		}
	}
	s.cfg.n = 4 + int(seed%13) // enough items for the workers to contend
	return &sharedWorld{s: s, cfg: cfg}
}

// TestSimulationShared runs the default seeds (300; SIM_SEEDS for more;
// SIM_SEED=<seed> replays one's schedule) of a job shared by 2 to 4
// workers, with kills, pauses past the lease and journal losses.
func TestSimulationShared(t *testing.T) {
	failed := map[invariant][]uint64{}
	var st sharedStats
	all, replay := os.Getenv("SIM_ALL") == "1", ""
	if all {
		replay = "SIM_ALL=1 "
	}
	seeds := simSeeds(t, 300)
	if os.Getenv("SIM_SEED") == "" {
		seeds = append(seeds, sharedRegressionSeeds...)
	}
	for _, seed := range seeds {
		w := newSharedSim(t, seed, all)
		runs, lost := w.play()
		bad := w.check(runs, lost)
		w.s.close()
		st.add(w, runs, lost)
		for _, v := range bad {
			if len(failed[v.inv]) < 5 {
				t.Errorf("seed %d (replay: %sSIM_SEED=%d go test -v -run 'TestSimulationShared$' ./bulk): %s: %s\n  faults %v, n %d, workers %+v\n  %v",
					seed, replay, seed, v.inv, v.msg, w.s.cfg.faults, w.s.cfg.n, w.cfg, w.s.log)
			}
			if !slices.Contains(failed[v.inv], seed) {
				failed[v.inv] = append(failed[v.inv], seed)
			}
		}
	}
	for inv, seeds := range failed {
		t.Logf("%s: %d seeds, first %v", inv, len(seeds), seeds[:min(len(seeds), 10)])
	}
	t.Logf("%+v", st)
	// The faults happened: a schedule that drew none would check little.
	_, pausesBroken := sharedKnownBroken["pause"]
	if st.Seeds >= 100 && (st.Killed == 0 || st.TakenOver == 0 || st.Losses == 0 || st.PaidTwice == 0 || st.ClaimsLost == 0 && (all || !pausesBroken)) {
		t.Errorf("the seeds drew too few faults: %+v", st)
	}
}

// sharedStats counts what the seeds' runs went through.
type sharedStats struct {
	Seeds, Runs, Killed, Losses, TakenOver, ClaimsLost, PaidTwice, MaybeBilled int
}

func (st *sharedStats) add(w *sharedWorld, runs []sharedRun, lost *lostJob) {
	st.Seeds++
	if lost != nil {
		st.Losses++
	}
	st.TakenOver += w.job.TakenOver
	for _, r := range runs {
		st.Runs++
		if r.crashed {
			st.Killed++
			continue
		}
		if r.rep != nil {
			st.ClaimsLost += r.rep.ClaimsLost
			st.PaidTwice += r.rep.MaybePaidTwice
			st.MaybeBilled += r.rep.MaybeBilled
		}
	}
}

// TestSimSharedCatchesBreakage breaks one thing at a time on purpose and
// checks that the shared simulation's invariants see it.
func TestSimSharedCatchesBreakage(t *testing.T) {
	for _, tc := range []struct {
		sabotage string
		want     invariant
	}{
		{"swap-answers", invOwn},       // item k1 ends with k0's answer
		{"pay-unreported", invBilled},  // each item pays a second generation outside its context
		{"end-without-result", invOwn}, // an item's end written without its value
		{"loss-ignored", invOnce},      // Redis restarted empty and the journal goes on as if the job were new: items done twice
	} {
		t.Run(tc.sabotage, func(t *testing.T) {
			play := func(sabotage string) []violation {
				w := newSharedSim(t, 1, true)
				defer w.s.close()
				w.s.cfg.faults = map[faultKind]float64{}
				w.s.cfg.n = 8
				w.cfg = sharedConfig{workers: 2, threads: []int{2, 1}, killAt: []int{0, 0}, after: []bool{false, false}, pauseAt: []int{0, 0}, ttl: 2 * time.Second}
				if tc.sabotage == "loss-ignored" {
					w.cfg.lossAt = 12
				}
				w.cfg.sabotage, w.s.sabotage = sabotage, sabotage
				runs, lost := w.play()
				return w.check(runs, lost)
			}
			if bad := play(""); len(bad) > 0 {
				t.Fatalf("the schedule alone breaks %v", bad)
			}
			bad := play(tc.sabotage)
			found := false
			for _, v := range bad {
				found = found || v.inv == tc.want
			}
			if !found {
				t.Errorf("%s broken on purpose, but %q holds (violations: %v)", tc.sabotage, tc.want, bad)
			}
		})
	}
}

// checkJobBilled: the job's record alone (its items' outcomes, as
// bulk.ReadJob sums them) accounts for every generation the fake billed:
// the items' Cost, their uncosted attempts (left in flight by workers
// killed or fenced, sent again after a cut), and one for each item ended
// failed with an error that may have been billed. No report is needed:
// a killed worker's dies with it. Item by item too (perItem: the
// generations billed for each): an item's outcome accounts for its
// generations (its Cost, its uncosted attempts, a failure that may have
// been billed), and an item billed more than once is flagged: paid twice,
// or failed maybe billed, or with attempts uncosted (a result in hand
// run again was none of these).
func checkJobBilled(billed float64, gens int, perItem map[string]int, outcomes map[string]json.RawMessage) *violation {
	cost, extra := 0.0, 0
	for key, raw := range outcomes {
		var o struct {
			Status    string
			Cost      float64
			Uncosted  int
			Names     []string
			PaidTwice bool `json:"paid_twice"`
		}
		_ = json.Unmarshal(raw, &o)
		cost += o.Cost
		extra += o.Uncosted
		limit, maybe := int(math.Round(o.Cost/simPrice))+o.Uncosted, false
		if o.Status != "done" && slices.Contains(o.Names, openrouter.ErrorName(openrouter.ErrMaybeBilled)) {
			extra++
			limit++
			maybe = true
		}
		if perItem[key] > limit || perItem[key] > 1 && !o.PaidTwice && o.Uncosted == 0 && !maybe {
			return &violation{invBilled, fmt.Sprintf("item %s was billed %d generations; its outcome %s accounts for %d", key, perItem[key], raw, limit)}
		}
	}
	if billed > cost+float64(extra)*simPrice+1e-9 {
		return &violation{invBilled, fmt.Sprintf("the fake billed $%.4f (%d generations); the job's outcomes account for $%.4f and %d uncosted", billed, gens, cost, extra)}
	}
	return nil
}
