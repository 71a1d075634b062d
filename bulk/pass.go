package bulk

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/routerkit/openrouter"
)

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
					r.endNotRunLocked(i)
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
		if r.isPaused() {
			break
		}
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
		case <-r.pauseCh:
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
	if r.paused && r.stopErr == nil { // they start after the budget's reset
		return append(later, queue[handed:]...)
	}
	for _, i := range queue[handed:] {
		r.endNotRunLocked(i)
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
	if r.shared != nil {
		if !r.claimItem(i) {
			return false
		}
		defer r.releaseClaim(i) // when it was not ended (after the unlock below)
	}
	ctx, meter := openrouter.TrackCost(r.items)
	if r.recoverItem(ctx, i) {
		return false
	}
	ctx, usedFallback := r.withModel(ctx)
	r.mu.Lock()
	if err := r.recordItemLocked(i, itemRecord{State: stateStarted}); err != nil {
		r.inFlight--
		if errors.Is(err, ErrClaimLost) { // another worker took it over: not sent here
			r.loseClaimLocked(i)
			r.mu.Unlock()
			return false
		}
		r.stopLocked(err)
		r.finishLocked(i, NotAttempted, err) // not sent: nothing to pay twice
		r.mu.Unlock()
		return false
	}
	if r.billed[i] == billedOnce {
		r.billed[i] = billedCounted
		r.rep.MaybePaidTwice++ // run again after an attempt that may have been billed
	}
	r.mu.Unlock()
	if r.b.Observer != nil {
		r.observeStart(ctx, i)
		defer func() { r.observeEnd(ctx, i, again) }() // after the unlock below
	}
	v, err := r.fn(ctx, r.rep.Results[i].Item)
	cost, cut, sent := meter.USD(), meter.MaybeBilled(), meter.Requests()
	drained := err != nil && ctx.Err() != nil // only the drain's end cancels the item contexts
	if drained && !errors.Is(err, openrouter.ErrMaybeBilled) {
		err = fmt.Errorf("%w: %w (its context was cancelled %v after the run stopped, with requests perhaps in flight)", openrouter.ErrMaybeBilled, err, r.b.DrainFor)
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	r.inFlight--
	res := &r.rep.Results[i]
	res.Attempts++
	res.Cost += cost
	r.rep.Cost += cost
	r.rep.SyncCost += cost
	r.rep.Requests.Sync += sent
	if err != nil && !errors.Is(err, openrouter.ErrMaybeBilled) {
		// Answered with an error: nothing of it is in flight any more.
		if jerr := r.recordItemLocked(i, itemRecord{State: stateTried}); errors.Is(jerr, ErrClaimLost) {
			r.costDone++
			r.loseClaimLocked(i)
			return false
		} else if jerr != nil {
			r.stopLocked(jerr)
		}
	}
	switch {
	case err == nil:
		if cut > 0 && r.billed[i] != billedCounted {
			r.billed[i] = billedCounted
			r.rep.MaybePaidTwice++ // the client sent a request again after a cut
		}
		if r.uncosted != nil {
			r.uncosted[i] += cut // the cut requests' cost is not in the meter's
		}
		res.Value = v
		r.costDone++
		r.finishRecordedLocked(i, v)
	case drained, errors.Is(err, openrouter.ErrMaybeBilled) && !r.b.RequeueMaybeBilled:
		// Never run again silently: it may have been paid for.
		r.costDone++
		if stops(err) && !r.pauseForBudget(err) && !r.fallBack(err, usedFallback) {
			// A key, credits or a model that fail every item: an error
			// after output (a 402 mid-stream). A budget waited out, or a
			// model with a fallback, pauses the run or switches it as
			// the same error before output does; this item, maybe
			// billed, is not run again.
			r.stopLocked(err)
		}
		if !r.finishLocked(i, Failed, err) {
			// Its end refused: another worker took the item over. Should
			// that one die before its first record and this run claim the
			// item again, this attempt is in no one's count but this one.
			r.countMaybeBilledLocked(i)
		}
	case r.pauseForBudget(err), r.fallBack(err, usedFallback):
		if errors.Is(err, openrouter.ErrMaybeBilled) {
			r.countMaybeBilledLocked(i) // run again after an attempt that may have been billed (RequeueMaybeBilled)
		}
		res.Err = err
		return true
	case stops(err):
		r.stopLocked(err)
		r.finishLocked(i, NotAttempted, err)
	case errors.Is(err, openrouter.ErrMaybeBilled), passes(err):
		if errors.Is(err, openrouter.ErrMaybeBilled) {
			r.countMaybeBilledLocked(i) // run again
		}
		r.costDone++
		res.Err = err
		return true
	default:
		r.costDone++
		r.failLocked(i, err)
	}
	return false
}

// countMaybeBilledLocked counts an attempt of item i that may have been
// billed, with its cost unknown, before the item runs again: the next
// attempt counts the item in MaybePaidTwice, and the item's outcome
// counts this attempt in Uncosted (shared jobs).
func (r *runner[T, R]) countMaybeBilledLocked(i int) {
	if r.billed[i] == notBilled {
		r.billed[i] = billedOnce
	}
	if r.uncosted != nil {
		r.uncosted[i]++
	}
}
