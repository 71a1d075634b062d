package bulk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/routerkit/openrouter"
)

// Runner runs one function over many items, at the rate the server
// allows, and accounts for every item: each ends Done, Failed (with its
// error) or NotAttempted, and the three counts add up to the number of
// items. Its zero value runs with the defaults below. See the package
// documentation for an example.
type Runner[T, R any] struct {
	// Workers is how many items run at once; default Limiter's cap on
	// requests in flight when it has one (a MaxConcurrent method), else 5.
	Workers int
	// Limiter, when set, gives Workers its default: pass the client's
	// (Client.Limiter). It paces nothing itself: the client does.
	Limiter openrouter.Limiter
	// Key names an item in the journal and the report; default its index
	// in the input, which is stable only if the input is.
	Key func(T) string
	// Journal, when set, records each item done, and items it already
	// holds are not run again (their result comes from it).
	Journal Journal
	// Progress is called at least every ProgressEvery (default 1s) while
	// the run lasts, and once at the end, when the counts reach the total.
	Progress      func(Progress)
	ProgressEvery time.Duration
	// RetryFor is how long after the start failed items whose error may
	// pass (429, 5xx, timeouts, cut connections) are put back in the
	// queue for another pass, after the client's own retries (default 10
	// minutes; a negative value never puts them back). In a job shared by
	// several workers (SharedJournal), an item whose time ran out ends
	// Failed for the whole job (claimed again to end it), unless another
	// worker ended it since: it then takes that outcome.
	RetryFor time.Duration
	// SpendingCap, in USD, stops the run before an item that would likely
	// pass it, judged from the average cost of the items so far; 0 means
	// no cap.
	SpendingCap float64
	// RequeueMaybeBilled, when set, puts back in the queue the items whose
	// error says they may have been billed (openrouter.ErrMaybeBilled), as
	// RetryFor allows; they may then be paid twice, and Report.MaybePaidTwice
	// counts them. By default such items end Failed, and are not run again.
	RequeueMaybeBilled bool
	// DrainFor bounds how long, once the run stops (its context ended, or
	// an error stopped it), the items in flight may take to finish
	// (default 3 minutes). After it their contexts are cancelled, and those
	// that fail end Failed with an error matching openrouter.ErrMaybeBilled:
	// their requests reached the server and may have been paid for.
	DrainFor time.Duration
	// Bill, when set, estimates the job's cost before it starts, and
	// refuses to start one the account cannot pay when asked (see Bill).
	Bill *Bill[T]
	// WaitForBudgetReset, when positive, makes a run that meets a spent
	// budget (openrouter.ErrBudgetExceeded) whose resets_at is at most
	// this far away pause until then, and go on; it bounds the run's
	// budget waits in all, and a resets_at already past is not waited
	// for. Otherwise the run stops on it, as on a model OpenRouter will
	// not serve (a retired or unknown model, an ended free variant, a
	// region or data-policy restriction).
	WaitForBudgetReset time.Duration
	// FallbackModel, when set, keeps a run going when OpenRouter says its
	// model cannot be served (a retired model, an ended free variant, ...;
	// see openrouter.Availability.Permanent): the items are run again,
	// and the next ones run, with this model, which fn reads with Model.
	// Report.FellBack is the error that switched the run. A fallback that
	// fails the same way stops the run.
	FallbackModel string
	// Recover, when set, is asked first about each item that a killed run
	// left in flight (the journal has its start, not its result): ok true
	// gives the item's value without running it again (read back from the
	// server's record of its generation, say). Otherwise the item runs
	// again, and counts in Report.MaybePaidTwice.
	Recover func(ctx context.Context, item T, f InFlight) (v R, ok bool, err error)
	// JournalFailures, with a Journal, records the items that fail for
	// good (an error of the item's own: unparseable, moderated, too long,
	// a bad request; not one that may pass, may have been billed, or
	// comes from the account, the key or the model), and a run with it
	// set reports such an item Failed (a *FailedBefore matching the same
	// sentinels) without paying for it again. A run without it runs them
	// again.
	JournalFailures bool
	// Observer, when set, sees the items start and end, and the run end,
	// of Run and RunBatch; one that also implements BatchObserver sees
	// RunBatch's batches step by step, and HoldObserver the run's waits
	// between passes.
	Observer Observer

	sleep  func(context.Context, time.Duration) error // tests: the wait between passes
	now    func() time.Time                           // tests: the clock of Elapsed and Progress
	nested bool                                       // a part of a RunBatch: its journal is claimed already
}

// billedState says whether an item's attempt failed with an error saying
// it may have been billed, and whether its run again was counted.
type billedState uint8

const (
	notBilled billedState = iota
	billedOnce
	billedCounted
)

// errDrained is the cause of the item contexts' end when DrainFor runs out.
var errDrained = errors.New("bulk: the run stopped and its items in flight did not finish within DrainFor")

// stops reports whether err will fail every item: the run stops on it.
// A retryable availability error past the maximum wait is not a quota
// that lasts (see availabilityRetryable).
func stops(err error) bool {
	retryable, _ := availabilityRetryable(err)
	return errors.Is(err, openrouter.ErrUnauthorized) || errors.Is(err, openrouter.ErrInsufficientCredits) ||
		errors.Is(err, openrouter.ErrQuotaExhausted) && !retryable || errors.Is(err, ErrSpendingCap) || permanentForModel(err)
}

// passes reports whether err may pass if the item is tried again later.
func passes(err error) bool {
	if retryable, known := availabilityRetryable(err); known {
		return retryable
	}
	var ne net.Error
	var se *openrouter.StreamError
	return (errors.Is(err, openrouter.ErrRateLimited) && !errors.Is(err, openrouter.ErrQuotaExhausted)) || errors.Is(err, openrouter.ErrServer) ||
		errors.Is(err, openrouter.ErrTimeout) || errors.As(err, &se) || errors.As(err, &ne)
}

// Run runs fn over items. The cost of each item's requests is counted
// by an openrouter.CostMeter in the item's context. When ctx ends or an
// error stops the run, no new item starts, and the items in flight finish
// (their context is not cancelled at once, but after DrainFor, and its
// deadline is ctx's plus DrainFor): their work is paid for, so it is kept
// and recorded rather than lost and paid for again on resume. fn must
// return soon after its context ends. The error is for a run that cannot
// start (nil fn, two items with the same key, a journal that cannot be
// read or holds a result that does not decode into R); how the run went
// is in the Report.
func (b Runner[T, R]) Run(ctx context.Context, items []T, fn func(ctx context.Context, item T) (R, error)) (*Report[T, R], error) {
	if fn == nil || ctx == nil {
		return nil, fmt.Errorf("%w: bulk.Runner.Run needs a context and a function", openrouter.ErrInvalidRequest)
	}
	if !b.nested {
		release, err := claimJournal(b.Journal)
		if err != nil {
			return nil, err
		}
		defer release()
	}
	r := &runner[T, R]{b: b, fn: fn, rep: &Report[T, R]{Results: make([]Result[T, R], len(items))}, billed: make([]billedState, len(items))}
	r.setDefaults()
	r.start = r.b.now()
	if r.shared = sharedJournal(b.Journal); r.shared != nil {
		if b.nested {
			return nil, fmt.Errorf("%w: bulk: RunBatch does not take a SharedJournal", openrouter.ErrInvalidRequest)
		}
		r.claims = make([]Claim, len(items))
		r.runID, r.uncosted, r.kept = newRunID(), make([]int, len(items)), map[int]R{}
	}
	if err := r.load(items); err != nil {
		return nil, err
	}
	if err := r.checkBill(ctx, items, nil); err != nil {
		return nil, err
	}
	r.stopCh, r.pauseCh = make(chan struct{}), make(chan struct{})
	stopDrain := r.startDrain(ctx)
	defer stopDrain()
	stopTicker := r.startProgress()
	queue := r.pending()
	for pass := 0; ; pass++ {
		if len(queue) == 0 { // what other workers hold, once this run's own items are through
			var wait time.Duration
			if queue, wait = r.takeHeld(); len(queue) == 0 || r.stopped() != nil {
				break
			}
			if err := r.b.sleep(ctx, wait); err != nil {
				r.stop(ctx.Err())
				break
			}
		} else if waited, err := r.waitBudget(ctx); waited && r.stopped() == nil {
			if err != nil {
				r.stop(ctx.Err())
				break
			}
		} else if pass > 0 && !r.fallbackPass() {
			if r.stopped() != nil || r.b.RetryFor < 0 || r.b.now().Sub(r.start) > r.b.RetryFor {
				if r.shared == nil || r.stopped() != nil {
					break
				}
				r.giveUp(queue) // ended for the whole job, or left to the worker that holds them
				queue = nil
				continue
			}
			wait := min(time.Duration(pass)*5*time.Second, time.Minute)
			r.observeHeld(ctx, RunHeld{Cause: HeldForRetry, Wait: wait})
			if err := r.b.sleep(ctx, wait); err != nil {
				r.stop(ctx.Err())
				break
			}
		}
		queue = r.pass(ctx, queue)
	}
	held, _ := r.takeHeld()
	for _, i := range held {
		r.finish(i, NotAttempted, errHeldElsewhere)
	}
	for _, i := range queue { // still failing: the run stopped, or the retry time ran out
		if r.rep.Results[i].Err == nil && r.shared != nil {
			r.finish(i, NotAttempted, errHeldElsewhere) // set aside, the run stopped
		} else if r.stopped() != nil {
			r.finish(i, NotAttempted, r.rep.Results[i].Err)
		} else {
			r.finish(i, Failed, r.rep.Results[i].Err)
		}
		if r.b.Observer != nil {
			r.observeEnd(ctx, i, false)
		}
	}
	stopTicker()
	for _, res := range r.rep.Results {
		if res.Attempts > 0 {
			r.rep.InSync++
		}
	}
	r.rep.Elapsed = r.b.now().Sub(r.start)
	r.rep.Stopped = r.stopped()
	r.rep.JobCost += r.rep.Cost
	if r.b.Progress != nil {
		r.b.Progress(r.progress())
	}
	if r.b.Observer != nil {
		r.observeRun(ctx)
	}
	return r.rep, nil
}

// runner is one run's state.
type runner[T, R any] struct {
	b      Runner[T, R]
	fn     func(context.Context, T) (R, error)
	start  time.Time
	stopCh chan struct{} // closed when the run stops

	items   context.Context // the base of the item contexts: ctx without its cancellation, until the drain ends
	billed  []billedState   // by item
	prior   []float64       // by item: what earlier runs journaled it cost
	recs    map[string]itemRecord
	crashed []bool // by item: a killed run left it in flight
	paid    []bool // by item (RunBatch): an earlier run's batch holds it, or its answer: left out of the bill

	shared    SharedJournal // the journal, when several workers share it (claims.go)
	claims    []Claim       // by item: the claim it runs under
	runID     string        // this run's mark on its item records
	uncosted  []int         // by item: attempts that may be billed without their cost (outcome.Uncosted)
	held      []int         // items another worker holds: claimed again later
	kept      map[int]R     // by item: a value whose end was refused (its claim lost)
	heldUntil time.Time     // when the first of their leases expires

	mu       sync.Mutex
	rep      *Report[T, R]
	finished int // items done, failed or not attempted
	resumed  int // items whose result came from the journal
	costDone int // items whose cost is known (done or failed)
	inFlight int
	stopErr  error

	pauseCh      chan struct{} // closed when a budget pause begins (budget.go)
	paused       bool
	resumeAt     time.Time     // the reset the pause waits for
	waitedUntil  time.Time     // the last reset waited for
	budgetWaited time.Duration // the run's budget waits so far, bounded by WaitForBudgetReset
	fellBack     bool          // the items run with FallbackModel (fallback.go)
	rerun        bool          // items were put back to run with FallbackModel: the next pass starts at once
}

func (r *runner[T, R]) setDefaults() {
	if r.b.Workers <= 0 {
		r.b.Workers = 5
		if l, ok := r.b.Limiter.(interface{ MaxConcurrent() int }); ok && l.MaxConcurrent() > 0 {
			r.b.Workers = l.MaxConcurrent()
		}
	}
	if r.b.ProgressEvery <= 0 {
		r.b.ProgressEvery = time.Second
	}
	if r.b.RetryFor == 0 {
		r.b.RetryFor = 10 * time.Minute
	}
	if r.b.sleep == nil {
		r.b.sleep = sleep
	}
	if r.b.now == nil {
		r.b.now = time.Now
	}
	if r.b.DrainFor <= 0 {
		r.b.DrainFor = 3 * time.Minute
	}
}

// load fills in the items, and those the journal already holds as done.
func (r *runner[T, R]) load(items []T) error {
	var saved map[string]json.RawMessage
	if r.b.Journal != nil {
		var err error
		if saved, err = r.b.Journal.Load(); err != nil {
			return fmt.Errorf("bulk: reading the journal: %w", err)
		}
	}
	recs, err := loadItemRecords(saved)
	if err != nil {
		return err
	}
	r.recs = recs
	r.prior = make([]float64, len(items))
	r.crashed = make([]bool, len(items))
	seen := make(map[string]int, len(items))
	for i, it := range items {
		key := strconv.Itoa(i)
		if r.b.Key != nil {
			key = r.b.Key(it)
		}
		if strings.HasPrefix(key, batchKeyPrefix) {
			return fmt.Errorf("%w: bulk: item %d's key %q starts with %q, which the journal keeps for its own records", openrouter.ErrInvalidRequest, i, key, batchKeyPrefix)
		}
		rec := recs[key]
		r.prior[i] = rec.Cost
		r.rep.JobCost += rec.Cost
		if first, dup := seen[key]; dup {
			return fmt.Errorf("%w: bulk: items %d and %d have the same key %q: each item needs its own, or they take each other's results from the journal",
				openrouter.ErrInvalidRequest, first, i, key)
		}
		seen[key] = i
		res := &r.rep.Results[i]
		res.Item, res.Key = it, key
		if raw, ok := saved[key]; ok {
			if err := json.Unmarshal(raw, &res.Value); err != nil {
				// It was paid for: running it again must be the caller's choice.
				return fmt.Errorf("bulk: the journal's result for item %d (key %q) does not decode into %T (%v): was the result type changed? "+
					"Use the type it was recorded with, or another journal to run the items again (and pay for them again)", i, key, res.Value, err)
			}
			res.Status, res.Resumed = Done, true
			r.rep.Done++
			r.finished++
			r.resumed++
		} else if r.resumeFailed(i, rec) {
			continue
		} else if rec.State == stateStarted && r.shared == nil { // shared: decided at the claim
			// In flight when a run died: it may have been paid for, so running
			// it again counts in MaybePaidTwice.
			r.crashed[i] = true
			r.billed[i] = billedOnce
		}
	}
	return nil
}

func (r *runner[T, R]) pending() []int {
	var q []int
	for i, res := range r.rep.Results {
		if !res.Resumed {
			q = append(q, i)
		}
	}
	return q
}
