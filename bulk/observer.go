package bulk

import (
	"context"
	"time"
)

// Observer sees a run while it lasts: each item's start and end, and the
// run's end. Set one as Runner.Observer; the OpenTelemetry module
// (github.com/routerkit/openrouter/otel) is one. It is called from the
// workers' goroutines at once, never under the runner's lock: it must be
// safe for concurrent use and return quickly.
type Observer interface {
	// ItemStarted is called before fn runs for an item (once per pass).
	ItemStarted(ctx context.Context, e ItemStarted)
	// ItemEnded is called after each run of an item, for an item whose
	// last pass left it to be tried again when the run ends, and at the
	// run's end for each item that did not run (its result came from the
	// journal, or the run stopped before it): the final statuses add up
	// to the Report's counts.
	ItemEnded(ctx context.Context, e ItemEnded)
	// RunEnded is called once, with the report's counts.
	RunEnded(ctx context.Context, e RunEnded)
}

// ItemStarted describes an item about to run.
type ItemStarted struct {
	Key     string
	Attempt int // 1 for the item's first pass
}

// ItemEnded describes the end of one run of an item.
type ItemEnded struct {
	Key string
	// Status is the item's status; meaningless when Again is set.
	Status Status
	// Again reports that the item is put back in the queue for another
	// pass (an error that may pass, a budget's reset, a fallback model).
	Again bool
	Err   error
	// Cost is what the item's requests cost so far, in USD.
	Cost float64
}

// RunEnded describes a run's end: the Report's counts.
type RunEnded struct {
	Done, Failed, NotAttempted, MaybeBilled, MaybePaidTwice int
	Cost                                                    float64
	Elapsed                                                 time.Duration
	// Stopped is what stopped the run early; nil when it ran to its end.
	Stopped error
}

// observeStart tells the observer that item i starts.
func (r *runner[T, R]) observeStart(ctx context.Context, i int) {
	r.mu.Lock()
	e := ItemStarted{Key: r.rep.Results[i].Key, Attempt: r.rep.Results[i].Attempts + 1}
	r.mu.Unlock()
	r.b.Observer.ItemStarted(ctx, e)
}

// observeEnd tells the observer how item i's run ended.
func (r *runner[T, R]) observeEnd(ctx context.Context, i int, again bool) {
	r.mu.Lock()
	res := &r.rep.Results[i]
	e := ItemEnded{Key: res.Key, Status: res.Status, Again: again, Err: res.Err, Cost: res.Cost}
	r.mu.Unlock()
	r.b.Observer.ItemEnded(ctx, e)
}

// observeRun tells the observer that the run ended, after the items that
// did not run in it.
func (r *runner[T, R]) observeRun(ctx context.Context) {
	rep := r.rep
	for i := range rep.Results {
		if res := &rep.Results[i]; res.Attempts == 0 {
			r.b.Observer.ItemEnded(ctx, ItemEnded{Key: res.Key, Status: res.Status, Err: res.Err, Cost: res.Cost})
		}
	}
	r.b.Observer.RunEnded(ctx, RunEnded{Done: rep.Done, Failed: rep.Failed, NotAttempted: rep.NotAttempted, MaybeBilled: rep.MaybeBilled,
		MaybePaidTwice: rep.MaybePaidTwice, Cost: rep.Cost, Elapsed: rep.Elapsed, Stopped: rep.Stopped})
}

// HoldObserver is an [Observer] that also sees what holds a run back,
// apart from the client's limiter (whose waits, gates included, the
// client's openrouter.LimiterObserver sees): the runner finds it by a
// type assertion on Runner.Observer.
type HoldObserver interface {
	// RunHeld is called before the run waits between passes.
	RunHeld(ctx context.Context, e RunHeld)
}

// The causes of a RunHeld.
const (
	// HeldForBudget: a budget is spent; the run waits for its reset
	// (WaitForBudgetReset) before it sends anything more.
	HeldForBudget = "budget"
	// HeldForRetry: items failed with errors that may pass; the run
	// waits before the pass that tries them again (RetryFor).
	HeldForRetry = "retry_pass"
)

// RunHeld describes a wait of the whole run.
type RunHeld struct {
	Cause string // HeldForBudget or HeldForRetry
	Wait  time.Duration
	// Until is the budget's reset, for HeldForBudget.
	Until time.Time
}

// observeHeld tells the HoldObserver, if any, of a wait of the run.
func (r *runner[T, R]) observeHeld(ctx context.Context, e RunHeld) {
	if ho, ok := r.b.Observer.(HoldObserver); ok {
		ho.RunHeld(ctx, e)
	}
}
