package bulk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/routerkit/openrouter/bulk"
)

// The seeded simulation of a shared job (TestSimulationShared): several
// workers run one sync job at once on one shared journal (bulk.MemJob,
// the reference SharedJournal), against the fake through the same fault
// transport as TestSimulation, while the seed's schedule kills workers at
// a journal step (the write made or not: a kill -9), pauses others past
// their lease (they stop renewing and keep running: their claims expire
// and are taken over, their later writes fenced), and loses the journal
// (Redis restarted empty: every later call fails, as
// redislimiter.ErrJournalLost does; a person then starts the job afresh).
// Rounds follow while the job has items left: the dead workers are
// started again. The schedule replays from the seed; the interleaving of
// the workers is the scheduler's, and the invariants must hold for any.

// sharedConfig is a shared seed's schedule of workers.
type sharedConfig struct {
	workers  int           // runners at once on the job
	threads  []int         // each runner's Workers
	killAt   []int         // the journal step each worker dies at; 0: none
	after    []bool        // it dies after that step's write
	pauseAt  []int         // the journal step each worker stops renewing at; 0: none
	lossAt   int           // the job's journal step at which Redis loses the job; 0: none
	ttl      time.Duration // the claims' lease
	sabotage string        // breaks one thing on purpose (TestSimSharedCatchesBreakage)
}

// sharedKnownBroken lists the worker faults that break an invariant on
// today's code, with the reason: the default seeds do not draw them
// (SIM_ALL=1 does). Empty since the fixes of a worker paused past its
// lease ("pause") and killed while requests are retried ("kill+retry"):
// a takeover counted only when the taker had not tried the item itself
// (claimItem now tells the runs apart by itemRecord.Run), and an item
// ended Failed by RetryFor in one report with no claim while another
// worker ended it Done (giveUp). Their seeds are sharedRegressionSeeds.
var sharedKnownBroken = map[string]string{}

// sharedRegressionSeeds run with the default seeds: each failed, 1 run in
// 4 to 1 in 200 (the interleaving is the scheduler's), before a fix.
var sharedRegressionSeeds = []uint64{
	2716, 4046, 8688, 8792, // a takeover by a worker that had tried the item: paid twice uncounted
	4415, 8643, 1023, // RetryFor's end: Failed in one report, Done in the job
	264, 638, 1927, // an item taken over twice: its reports count it once (checkBilled reads the outcomes' Uncosted)
	4689, // an attempt counted by a taker killed in turn: only the item's outcome has it
	9971, // an item failed maybe billed by a killed worker, then the journal lost: in no surviving report
}

// retryFaults are the request faults of "kill+retry".
var retryFaults = []faultKind{f429, f5xx, fCutBefore, fCutDuring, fCutAfter, fCutBody}

func newSharedConfig(seed uint64, all bool) sharedConfig {
	r := rand.New(rand.NewPCG(seed, 0x5a4ed))
	c := sharedConfig{workers: 2 + r.IntN(3), ttl: time.Duration(1+r.IntN(10)) * time.Second}
	for range c.workers {
		c.threads = append(c.threads, 1+r.IntN(3))
		kill, after, pause := 0, r.IntN(2) == 1, 0
		if r.Float64() < 0.4 {
			kill = 1 + r.IntN(12)
		}
		if r.Float64() < 0.3 {
			pause = 1 + r.IntN(12)
		}
		c.killAt, c.after, c.pauseAt = append(c.killAt, kill), append(c.after, after), append(c.pauseAt, pause)
	}
	if r.Float64() < 0.15 {
		c.lossAt = 1 + r.IntN(30)
	}
	if _, broken := sharedKnownBroken["pause"]; broken && !all {
		clear(c.pauseAt) // drawn all the same: the seed's other faults do not change
	}
	return c
}

// errSimLost is what a lost journal answers from the loss on, as
// redislimiter.ErrJournalLost.
var errSimLost = errors.New("sim: the journal was lost (Redis restarted empty)")

// sharedWorld is one job's journal and its workers' faults.
type sharedWorld struct {
	s     *sim
	cfg   sharedConfig
	job   *bulk.MemJob
	clock *simJobClock
	epoch int // jobs started: a loss starts another
	gen   int // the job's generation: a loss the journal ignores (a sabotage) empties it

	mu       sync.Mutex
	step     int  // the job's journal steps, all workers
	lost     bool // the job's journal is lost
	snapshot lostJob
}

// lostJob is what the journal held when it was lost.
type lostJob struct {
	records, outcomes map[string]json.RawMessage
}

// simJobClock is the clock of the job's leases, moved by the runs' waits.
type simJobClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *simJobClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *simJobClock) sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	runtime.Gosched() // a yield to the other workers
	return nil
}

// simWorker is one worker's journal: the MemJob's, with the schedule's
// kill, pause and loss at its steps.
type simWorker struct {
	name    string
	mw      *bulk.MemWorker // of the job generation gen
	gen     int
	w       *sharedWorld
	cancel  context.CancelFunc
	killAt  int
	after   bool
	pauseAt int

	mu       sync.Mutex
	step     int
	dead     bool
	sawLoss  bool // a call of it failed for the loss
	lostNext bool
}

var errSimKilled = errors.New("sim: the worker was killed (SIGKILL)")

// gate runs one journal step of the worker: the loss, the kill, the
// pause fall on their steps. write is the step's write; it reports its
// error or the fault's.
func (j *simWorker) gate(write func() error) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.dead {
		return errSimKilled
	}
	w := j.w
	w.mu.Lock()
	w.step++
	if w.cfg.lossAt > 0 && w.step == w.cfg.lossAt && !w.lost {
		if w.cfg.sabotage == "loss-ignored" { // Redis restarted empty, and the journal goes on as if the job were new
			w.job, w.gen = bulk.NewMemJob(w.clock.now, w.cfg.ttl), w.gen+1
		} else {
			w.lost = true
			w.snapshot = lostJob{w.job.Records(), w.job.Outcomes()}
		}
	}
	lost := w.lost
	if j.gen != w.gen {
		j.mw, j.gen = w.job.Worker(j.name), w.gen
	}
	w.mu.Unlock()
	if lost {
		j.sawLoss = true
		return errSimLost
	}
	j.step++
	if j.step == j.pauseAt {
		j.mw.StopRenewing()
	}
	if j.step == j.killAt {
		if j.after {
			_ = write()
		}
		j.dead = true
		j.mw.Kill()
		j.cancel()
		return errSimKilled
	}
	return write()
}

func (j *simWorker) crashed() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.dead
}

func (j *simWorker) Load() (map[string]json.RawMessage, error) {
	var out map[string]json.RawMessage
	err := j.gate(func() (err error) { out, err = j.mw.Load(); return err })
	return out, err
}

func (j *simWorker) Record(key string, v json.RawMessage) error {
	return j.gate(func() error { return j.mw.Record(key, v) })
}

func (j *simWorker) Claim(ctx context.Context, key string) (bulk.ClaimState, error) {
	var st bulk.ClaimState
	err := j.gate(func() (err error) { st, err = j.mw.Claim(ctx, key); return err })
	if err == nil && st.Claim != nil {
		st.Claim = &simClaim{Claim: st.Claim, j: j}
	}
	return st, err
}

func (j *simWorker) Ended(ctx context.Context) (map[string]json.RawMessage, map[string]time.Time, error) {
	var ended map[string]json.RawMessage
	var claimed map[string]time.Time
	err := j.gate(func() (err error) { ended, claimed, err = j.mw.Ended(ctx); return err })
	return ended, claimed, err
}

// simClaim is a claim whose writes are the worker's journal steps.
type simClaim struct {
	bulk.Claim
	j *simWorker
}

func (c *simClaim) Record(ctx context.Context, recs []bulk.ItemRecord) error {
	return c.j.gate(func() error { return c.Claim.Record(ctx, recs) })
}

func (c *simClaim) End(ctx context.Context, outcome json.RawMessage, recs []bulk.ItemRecord) error {
	if c.j.w.cfg.sabotage == "end-without-result" { // the outcome written, the value lost
		var kept []bulk.ItemRecord
		for _, r := range recs {
			if strings.HasPrefix(r.Key, bulk.ItemStateKey("")) {
				kept = append(kept, r)
			}
		}
		recs = kept
	}
	return c.j.gate(func() error { return c.Claim.End(ctx, outcome, recs) })
}

func (c *simClaim) Release(ctx context.Context) error {
	return c.j.gate(func() error { return c.Claim.Release(ctx) })
}

// sharedRun is one worker's run of a round: its report, unless it died.
type sharedRun struct {
	epoch, round, worker int
	rep                  *bulk.Report[simItem, string]
	crashed, sawLoss     bool
	err                  error
}

// newJob starts the job afresh (the first, or after a loss).
func (w *sharedWorld) newJob() {
	w.epoch++
	w.clock = &simJobClock{t: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	w.mu.Lock()
	w.job, w.gen = bulk.NewMemJob(w.clock.now, w.cfg.ttl), w.gen+1
	w.lost = false
	w.mu.Unlock()
}

// round runs the given workers at once on the job; faulty gives them the
// schedule's faults.
func (w *sharedWorld) round(round int, workers []int, faulty bool) []sharedRun {
	out := make([]sharedRun, len(workers))
	var wg sync.WaitGroup
	for k, i := range workers {
		ctx, cancel := context.WithCancel(context.Background())
		name := fmt.Sprintf("w%d.%d", i, round)
		w.mu.Lock() // a worker started before this one may already be replacing the job (loss-ignored)
		j := &simWorker{name: name, mw: w.job.Worker(name), gen: w.gen, w: w, cancel: cancel}
		w.mu.Unlock()
		if faulty {
			j.killAt, j.after, j.pauseAt = w.cfg.killAt[i], w.cfg.after[i], w.cfg.pauseAt[i]
		}
		var tmu sync.Mutex
		tick := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		b := bulk.Runner[simItem, string]{Key: simKey, Journal: j, Workers: w.cfg.threads[i], DrainFor: time.Hour}
		b = bulk.WithSleep(b, w.clock.sleep)
		b = bulk.WithClock(b, func() time.Time { tmu.Lock(); defer tmu.Unlock(); tick = tick.Add(30 * time.Second); return tick })
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer cancel()
			rep, err := b.Run(ctx, w.s.items(), w.s.syncItem)
			j.mu.Lock()
			out[k] = sharedRun{epoch: w.epoch, round: round, worker: i, rep: rep, crashed: j.dead, sawLoss: j.sawLoss, err: err}
			j.mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

// playShared runs the seed's shared job to its end and returns the runs
// and, when the journal was lost, what it held then.
func (w *sharedWorld) play() (runs []sharedRun, lost *lostJob) {
	w.newJob()
	all := make([]int, w.cfg.workers)
	for i := range all {
		all[i] = i
	}
	next := all
	for round := range simRuns {
		rs := w.round(round, next, round == 0)
		runs = append(runs, rs...)
		for _, r := range rs {
			w.s.log = append(w.s.log, describeShared(r))
			w.s.tracef("%s", describeShared(r))
		}
		w.mu.Lock()
		wasLost := w.lost
		w.mu.Unlock()
		if wasLost && lost == nil {
			snap := w.snapshot
			lost = &snap
			w.newJob() // a person starts the job afresh
			next = all
			continue
		}
		complete := false
		for _, r := range rs {
			complete = complete || (!r.crashed && r.rep != nil && r.rep.NotAttempted == 0)
		}
		if complete {
			break
		}
		w.clock.sleep(context.Background(), 20*time.Minute) // the restart takes a while
		next = all
	}
	return runs, lost
}

func describeShared(r sharedRun) string {
	head := fmt.Sprintf("job %d round %d worker %d: ", r.epoch, r.round, r.worker)
	switch {
	case r.crashed:
		return head + "killed"
	case r.rep == nil:
		return head + fmt.Sprintf("no report: %v", r.err)
	}
	return head + describe(r.round, r.rep, false) + fmt.Sprintf(", claims lost %d, saw the loss %v", r.rep.ClaimsLost, r.sawLoss)
}
