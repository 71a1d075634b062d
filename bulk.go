package openrouter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"
)

// Bulk runs one function over many items through a client, at the rate
// the server allows, and accounts for every item: each ends Done, Failed
// (with its error) or NotAttempted, and the three counts add up to the
// number of items. Its zero value runs with the defaults below.
//
//	report, err := openrouter.Bulk[Article, *openrouter.RewriteResult]{
//		Key:      func(a Article) string { return a.Path },
//		Journal:  journal, // resume after a crash without paying twice
//		Progress: func(p openrouter.Progress) { log.Println(p) },
//	}.Run(ctx, c, articles, func(ctx context.Context, a Article) (*openrouter.RewriteResult, error) {
//		return c.Rewrite(ctx, openrouter.RewriteRequest{Article: a.Text})
//	})
//	// report.Stopped says why the run stopped early (401, 402, a daily
//	// quota, the spending cap, ctx); report.Remaining() are the items to
//	// run again once that is fixed.
type Bulk[T, R any] struct {
	// Workers is how many items run at once; default the client limiter's
	// MaxConcurrent, or 5.
	Workers int
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
	// minutes; a negative value never puts them back).
	RetryFor time.Duration
	// SpendingCap, in USD, stops the run before an item that would likely
	// pass it, judged from the average cost of the items so far; 0 means
	// no cap.
	SpendingCap float64

	sleep func(context.Context, time.Duration) error // tests: the wait between passes
}

// Status is what became of an item.
type Status int

const (
	// NotAttempted: the run stopped before the item started, or the item
	// failed with what stopped the run (a 402, say): run it again.
	NotAttempted Status = iota
	// Done: the item has its value.
	Done
	// Failed: the item has its error, which another try would not fix.
	Failed
)

func (s Status) String() string {
	return [...]string{"not attempted", "done", "failed"}[s]
}

// Result is one item's outcome.
type Result[T, R any] struct {
	Item   T
	Key    string
	Status Status
	Value  R
	// Err is why the item failed, or what stopped it for NotAttempted.
	Err error
	// Attempts counts the passes the item was run in.
	Attempts int
	// Cost is what the item's requests cost, in USD.
	Cost float64
	// Resumed reports whether the value came from the journal.
	Resumed bool
}

// Report is the outcome of a run.
type Report[T, R any] struct {
	// Results are in the order of the input items.
	Results                    []Result[T, R]
	Done, Failed, NotAttempted int
	Cost                       float64 // USD
	Elapsed                    time.Duration
	// Stopped is what stopped the run early (matching ErrUnauthorized,
	// ErrInsufficientCredits, ErrQuotaExhausted, ErrSpendingCap, or a
	// context error); nil when every item was tried.
	Stopped error
}

// Remaining returns the items that were not attempted, in input order: the
// ones to run again once what stopped the run is fixed.
func (r *Report[T, R]) Remaining() []T {
	var out []T
	for _, res := range r.Results {
		if res.Status == NotAttempted {
			out = append(out, res.Item)
		}
	}
	return out
}

// Progress is a run's state, for a progress line.
type Progress struct {
	Done, Failed, NotAttempted, Total int
	// Rate is items finished per second so far; ETA the time the rest
	// would take at that rate (0 when unknown).
	Rate float64
	ETA  time.Duration
	// Cost so far, in USD.
	Cost float64
}

func (p Progress) String() string {
	eta := "?"
	if p.ETA > 0 || p.Done+p.Failed+p.NotAttempted == p.Total {
		eta = p.ETA.Round(time.Second).String()
	}
	return fmt.Sprintf("%d/%d done, %d failed, %d not attempted, %.1f/s, ETA %s, $%.4f",
		p.Done, p.Total, p.Failed, p.NotAttempted, p.Rate, eta, p.Cost)
}

// ErrSpendingCap is what stops a run at its SpendingCap.
var ErrSpendingCap error = &hintedError{"openrouter: spending cap reached",
	"The run stopped at its SpendingCap: raise the cap if the spending so far is expected, or lower the cost per item (a cheaper model, a lower max_tokens); Remaining lists the items not attempted."}

// itemCost collects the cost of one item's requests: the client adds to
// it (see account.spend) when the item's context carries it.
type itemCost struct {
	mu  sync.Mutex
	usd float64
}

type itemCostKey struct{}

func addItemCost(ctx context.Context, usd float64) {
	if ic, ok := ctx.Value(itemCostKey{}).(*itemCost); ok {
		ic.mu.Lock()
		ic.usd += usd
		ic.mu.Unlock()
	}
}

// stops reports whether err will fail every item: the run stops on it.
func stops(err error) bool {
	return errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrInsufficientCredits) || errors.Is(err, ErrQuotaExhausted) ||
		errors.Is(err, ErrSpendingCap)
}

// passes reports whether err may pass if the item is tried again later.
func passes(err error) bool {
	var ne net.Error
	var se *StreamError
	return (errors.Is(err, ErrRateLimited) && !errors.Is(err, ErrQuotaExhausted)) || errors.Is(err, ErrServer) ||
		errors.Is(err, ErrTimeout) || errors.As(err, &se) || errors.As(err, &ne)
}

// Run runs fn over items. fn's requests through c are paced by c's
// limiter and their cost is counted for the item. When ctx ends or an
// error stops the run, no new item starts, and the items in flight finish
// (their context is not cancelled): their work is paid for, so it is kept
// and recorded rather than lost and paid for again on resume. The error is
// for a run that cannot start (nil fn, a journal that cannot be read); how
// the run went is in the Report.
func (b Bulk[T, R]) Run(ctx context.Context, c *Client, items []T, fn func(ctx context.Context, item T) (R, error)) (*Report[T, R], error) {
	if fn == nil || c == nil || ctx == nil {
		return nil, invalid("Bulk.Run needs a context, a client and a function")
	}
	r := &runner[T, R]{b: b, c: c, fn: fn, start: time.Now(), rep: &Report[T, R]{Results: make([]Result[T, R], len(items))}}
	r.setDefaults()
	if err := r.load(items); err != nil {
		return nil, err
	}
	r.stopCh = make(chan struct{})
	stopTicker := r.startProgress()
	queue := r.pending()
	for pass := 0; len(queue) > 0; pass++ {
		if pass > 0 {
			if r.stopped() != nil || r.b.RetryFor < 0 || time.Since(r.start) > r.b.RetryFor {
				break
			}
			if err := r.b.sleep(ctx, min(time.Duration(pass)*5*time.Second, time.Minute)); err != nil {
				r.stop(ctx.Err())
				break
			}
		}
		queue = r.pass(ctx, queue)
	}
	for _, i := range queue { // still failing: the run stopped, or the retry time ran out
		if r.stopped() != nil {
			r.finish(i, NotAttempted, r.rep.Results[i].Err)
		} else {
			r.finish(i, Failed, r.rep.Results[i].Err)
		}
	}
	stopTicker()
	r.rep.Elapsed = time.Since(r.start)
	r.rep.Stopped = r.stopped()
	if r.b.Progress != nil {
		r.b.Progress(r.progress())
	}
	return r.rep, nil
}

// runner is one run's state.
type runner[T, R any] struct {
	b      Bulk[T, R]
	c      *Client
	fn     func(context.Context, T) (R, error)
	start  time.Time
	stopCh chan struct{} // closed when the run stops

	mu       sync.Mutex
	rep      *Report[T, R]
	finished int // items done, failed or not attempted
	costDone int // items whose cost is known (done or failed)
	inFlight int
	stopErr  error
}

func (r *runner[T, R]) setDefaults() {
	if r.b.Workers <= 0 {
		r.b.Workers = 5
		if l, ok := r.c.Limiter().(interface{ MaxConcurrent() int }); ok && l.MaxConcurrent() > 0 {
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
		r.b.sleep = realClock{}.Sleep
	}
}

// load fills in the items, and those the journal already holds as done.
func (r *runner[T, R]) load(items []T) error {
	var saved map[string]json.RawMessage
	if r.b.Journal != nil {
		var err error
		if saved, err = r.b.Journal.Load(); err != nil {
			return fmt.Errorf("openrouter: reading the bulk journal: %w", err)
		}
	}
	for i, it := range items {
		key := strconv.Itoa(i)
		if r.b.Key != nil {
			key = r.b.Key(it)
		}
		res := &r.rep.Results[i]
		res.Item, res.Key = it, key
		if raw, ok := saved[key]; ok {
			if err := json.Unmarshal(raw, &res.Value); err == nil {
				res.Status, res.Resumed = Done, true
				r.rep.Done++
				r.finished++
			}
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

// pass runs the queued items with the workers and returns those to try
// again in a later pass.
func (r *runner[T, R]) pass(parent context.Context, queue []int) []int {
	work := make(chan int)
	var later []int
	var lmu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < r.b.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				r.mu.Lock()
				stopped := r.stopErr
				if stopped != nil { // the stop came while the item was being handed over
					r.inFlight--
					r.finishLocked(i, NotAttempted, stopped)
				}
				r.mu.Unlock()
				if stopped != nil {
					continue
				}
				if r.runItem(parent, i) {
					lmu.Lock()
					later = append(later, i)
					lmu.Unlock()
				}
			}
		}()
	}
	handed := 0
	for _, i := range queue {
		if err := r.admit(parent); err != nil {
			r.stop(err)
			break
		}
		sent := false
		select {
		case work <- i:
			handed++
			sent = true
		case <-r.stopCh:
		case <-parent.Done():
			r.stop(parent.Err())
		}
		if !sent {
			r.mu.Lock()
			r.inFlight-- // admitted, but never handed out
			r.mu.Unlock()
			break
		}
	}
	close(work)
	wg.Wait()
	// The items never handed out end as not attempted (the feeder gives
	// them out in order, so they are the tail of the queue).
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, i := range queue[handed:] {
		r.finishLocked(i, NotAttempted, r.stopErr)
	}
	return later
}

// admit checks, before an item is handed out, that the run goes on and
// the spending cap leaves room for it; it counts the item in flight.
func (r *runner[T, R]) admit(parent context.Context) error {
	if err := parent.Err(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopErr != nil {
		return r.stopErr
	}
	if cap := r.b.SpendingCap; cap > 0 && r.costDone > 0 {
		avg := r.rep.Cost / float64(r.costDone)
		if r.rep.Cost+avg*float64(r.inFlight+1) > cap {
			return fmt.Errorf("%w: $%.4f spent, about $%.4f an item, cap $%.4f", ErrSpendingCap, r.rep.Cost, avg, cap)
		}
	}
	r.inFlight++
	return nil
}

// runItem runs one item and reports whether to try it again later. The
// item's context keeps the caller's values but not its cancellation: see
// Run.
func (r *runner[T, R]) runItem(parent context.Context, i int) (again bool) {
	ic := &itemCost{}
	v, err := r.fn(context.WithValue(context.WithoutCancel(parent), itemCostKey{}, ic), r.rep.Results[i].Item)
	ic.mu.Lock()
	cost := ic.usd
	ic.mu.Unlock()

	r.mu.Lock()
	defer r.mu.Unlock()
	r.inFlight--
	res := &r.rep.Results[i]
	res.Attempts++
	res.Cost += cost
	r.rep.Cost += cost
	switch {
	case err == nil:
		res.Value = v
		r.costDone++
		if r.b.Journal != nil {
			raw, jerr := json.Marshal(v)
			if jerr == nil {
				jerr = r.b.Journal.Record(res.Key, raw)
			}
			if jerr != nil {
				// Not recorded means it could be paid for again: stop.
				r.stopLocked(fmt.Errorf("openrouter: recording %q in the bulk journal: %w", res.Key, jerr))
			}
		}
		r.finishLocked(i, Done, nil)
	case stops(err):
		r.stopLocked(err)
		r.finishLocked(i, NotAttempted, err)
	case passes(err):
		r.costDone++
		res.Err = err
		return true
	default:
		r.costDone++
		r.finishLocked(i, Failed, err)
	}
	return false
}

func (r *runner[T, R]) finish(i int, s Status, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.finishLocked(i, s, err)
}

func (r *runner[T, R]) finishLocked(i int, s Status, err error) {
	res := &r.rep.Results[i]
	res.Status, res.Err = s, err
	switch s {
	case Done:
		r.rep.Done++
	case Failed:
		r.rep.Failed++
	case NotAttempted:
		r.rep.NotAttempted++
	}
	r.finished++
}

func (r *runner[T, R]) stop(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopLocked(err)
}

// stopLocked records the first reason to stop, and stops the feeding of
// new items.
func (r *runner[T, R]) stopLocked(err error) {
	if r.stopErr == nil && err != nil {
		r.stopErr = err
		close(r.stopCh)
	}
}

func (r *runner[T, R]) stopped() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stopErr
}

func (r *runner[T, R]) progress() Progress {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := Progress{Done: r.rep.Done, Failed: r.rep.Failed, NotAttempted: r.rep.NotAttempted, Total: len(r.rep.Results), Cost: r.rep.Cost}
	if el := time.Since(r.start).Seconds(); el > 0 {
		p.Rate = float64(p.Done+p.Failed) / el
	}
	if p.Rate > 0 {
		p.ETA = time.Duration(float64(p.Total-r.finished) / p.Rate * float64(time.Second))
	}
	return p
}

// startProgress calls Progress every ProgressEvery until the returned
// function is called; it never reports the final state (Run does, once).
func (r *runner[T, R]) startProgress() func() {
	if r.b.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(r.b.ProgressEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if p := r.progress(); p.Done+p.Failed+p.NotAttempted < p.Total {
					r.b.Progress(p)
				}
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}
