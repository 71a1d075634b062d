package bulk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/routerkit/openrouter"
)

// waitAll waits for the batches at once and records their results; it
// returns the items to run again (their result, or their Result, failed
// with an error that may pass).
func (br *batchRun[T, R]) waitAll(ctx context.Context, chunks []*chunk) []int {
	var mu sync.Mutex
	var retry []int
	var wg sync.WaitGroup
	for _, ch := range chunks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			again := br.collect(ctx, ch)
			mu.Lock()
			retry = append(retry, again...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(retry)
	return retry
}

// collect waits for one batch, then settles each of its items from the
// result under the custom ID journaled for it.
func (br *batchRun[T, R]) collect(ctx context.Context, ch *chunk) (retry []int) {
	r := br.r
	c := br.m.Client
	defer func() { br.observeEnded(ctx, ch.items, setOf(retry)) }()
	var b *openrouter.Batch
	var err error
	wait := br.observePolls(ctx, ch, br.m.Wait)
	sent := br.count(ctx, &r.rep.Requests.Polls, func(ctx context.Context) { b, err = c.Batches.Wait(ctx, ch.rec.ID, wait) })
	br.observeWait(ctx, ch, b, sent, err)
	var results map[string]*openrouter.BatchResult
	if err == nil {
		br.observeBatch(ctx, ch, BatchEvent{Phase: BatchCollecting, Status: b.Status, Counts: b.RequestCounts})
		sent = br.count(ctx, &r.rep.Requests.ResultPages, func(ctx context.Context) { results, err = c.Batches.ResultMap(ctx, ch.rec.ID) })
		if br.batchObserver() != nil {
			e := BatchEvent{Phase: BatchCollected, Status: b.Status, Counts: b.RequestCounts, Requests: sent, Results: len(results), Err: err}
			e.Cost, e.InputTokens, e.OutputTokens = resultsUsage(ch, results)
			br.observeBatch(ctx, ch, e)
		}
		if err != nil && b.Err() != nil && errors.Is(err, openrouter.ErrNotFound) {
			// The inline shape gives no results for a batch that did not
			// complete: its items have none to read.
			results, err = map[string]*openrouter.BatchResult{}, nil
		}
	}
	if err != nil {
		// The batch runs on, and is billed: a run with the same journal
		// collects it; running its items otherwise would pay them twice.
		err = fmt.Errorf("%w: bulk: batch %s not collected (%w): run again with the same journal to collect its results without submitting it again",
			openrouter.ErrMaybeBilled, ch.rec.ID, err)
		if ctx.Err() != nil {
			r.stop(ctx.Err())
		}
		br.settleAll(ch, Failed, err)
		return nil
	}
	// Requests finished without a result to read: any item without one may
	// be among them, and paid for. A completed batch ran every request,
	// whatever its counts say; counts below the results given are wrong,
	// and say nothing of the requests without one.
	unread := b.RequestCounts.Completed + b.RequestCounts.Failed - len(results)
	if unread < 0 {
		unread = 0
		for _, id := range ch.cids {
			if results[id] == nil {
				unread++ // each may have run
			}
		}
	}
	journaled := true // every item's outcome that must outlive this run is in the journal
	for k, i := range ch.items {
		res := results[ch.cids[k]]
		switch {
		case res != nil:
			again, ok := br.settle(ctx, i, b.ID, res)
			if again {
				retry = append(retry, i)
			}
			journaled = journaled && ok
		case b.Err() == nil || unread > 0:
			why := fmt.Errorf("%w: batch %s %s without a result for this item", openrouter.ErrServer, b.ID, b.Status)
			if b.Err() != nil {
				why = fmt.Errorf("%w; %d of its finished requests have no result to read", b.Err(), unread)
			}
			err := fmt.Errorf("%w: bulk: %w, and this item may have been run: look in batch %s before running it again",
				openrouter.ErrMaybeBilled, why, b.ID)
			r.mu.Lock()
			if jerr := r.recordItemLocked(i, itemRecord{State: stateUnread, Batch: b.ID}); jerr != nil {
				r.stopLocked(jerr)
				journaled = false
			}
			r.finishLocked(i, Failed, err)
			r.mu.Unlock()
		default:
			r.finish(i, NotAttempted, fmt.Errorf("bulk: not done: %w", b.Err()))
		}
	}
	if !journaled {
		// Left open: the next run collects the batch again, rather than
		// buying again what the journal could not keep.
		return retry
	}
	ch.rec.Closed = true
	if err := br.record(ch.rec); err != nil {
		r.stop(err)
	}
	return retry
}

// settle records one item's batch result; it reports whether to run the
// item again: its result failed with an error that may pass, or its
// Result did with an error that may pass or stops the run (then its
// answer is kept in br.answers, and journaled, so that only Result is
// tried again). journaled is false when what the journal had to keep of
// the item could not be written.
func (br *batchRun[T, R]) settle(ctx context.Context, i int, batchID string, res *openrouter.BatchResult) (again, journaled bool) {
	r := br.r
	item := r.rep.Results[i].Item
	ans, err := res.Chat()
	// The batch result's cost, whatever its answer (an empty one is
	// billed too), and that of the requests Result sent.
	cost, syncCost := res.Cost(), 0.0
	var v R
	resultErr, sent, cut := false, 0, 0
	if err == nil {
		// Result may send requests (repairs): journaled as started first,
		// a run killed while they are in flight counts the item in the
		// next run's MaybePaidTwice. Not journaled, it does not run: the
		// batch stays open, to be collected again.
		r.mu.Lock()
		jerr := r.recordItemLocked(i, itemRecord{State: stateStarted, Batch: batchID})
		if jerr != nil {
			r.stopLocked(jerr)
			r.finishLocked(i, NotAttempted, jerr)
		}
		r.mu.Unlock()
		if jerr != nil {
			return false, false
		}
		mctx, meter := openrouter.TrackCost(ctx)
		v, err = br.m.Result(mctx, item, ans)
		syncCost, resultErr, sent, cut = meter.USD(), err != nil, meter.Requests(), meter.MaybeBilled()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rep.Requests.Sync += sent
	out := &r.rep.Results[i]
	out.Attempts++
	out.Batch = batchID
	out.Cost += cost + syncCost
	r.rep.Cost += cost + syncCost
	r.rep.BatchCost += cost
	r.rep.SyncCost += syncCost
	r.costDone++
	var ae *openrouter.APIError
	switch {
	case err == nil:
		// In flight when a run died, before it went in this batch (or its
		// Result ran); or a request of its Result sent again after a cut.
		if r.billed[i] == billedOnce || cut > 0 && r.billed[i] != billedCounted {
			r.billed[i] = billedCounted
			r.rep.MaybePaidTwice++
		}
		return false, r.finishRecordedLocked(i, v)
	case resultErr && (passes(err) || stops(err)):
		// The answer is paid for: keep it, and try its Result again (in a
		// later run when err stops this one: a 402 of a repair, say).
		if stops(err) {
			r.stopLocked(err)
		}
		br.answers[i] = ans
		journaled = true
		if jerr := r.recordItemLocked(i, itemRecord{State: stateAnswer, Batch: batchID, Answer: res.Response.Body}); jerr != nil {
			r.stopLocked(jerr)
			journaled = false
		}
		out.Err = err
		return true, journaled
	case stops(err): // a 402, say: the next items would fail the same way
		r.stopLocked(err)
		r.finishLocked(i, NotAttempted, err)
	case !resultErr && errors.As(err, &ae) && ae.Retryable():
		out.Err = err
		return true, true
	default:
		r.failLocked(i, err)
	}
	return false, true
}

// resumeAnswers returns the items whose batch answer an earlier run
// journaled for their Result to be tried again, with the answers in
// br.answers; and settles the items a batch finished without a result
// to read, as Failed maybe billed unless RequeueMaybeBilled.
func (br *batchRun[T, R]) resumeAnswers(taken map[int]bool) []int {
	r := br.r
	var out []int
	for i, res := range r.rep.Results {
		rec := r.recs[res.Key]
		if res.Resumed || taken[i] {
			continue
		}
		switch {
		case rec.Answer != nil && rec.State != stateDone:
			ans, err := (&openrouter.BatchResult{Response: &openrouter.BatchResponse{StatusCode: 200, Body: rec.Answer}}).Chat()
			if err != nil {
				continue // not an answer after all: the item runs again
			}
			br.answers[i] = ans
			r.rep.Results[i].Batch = rec.Batch
			taken[i] = true
			out = append(out, i)
		case rec.State == stateUnread:
			if r.b.RequeueMaybeBilled {
				r.billed[i] = billedOnce // runs again: counted in MaybePaidTwice
				continue
			}
			taken[i] = true
			r.finish(i, Failed, fmt.Errorf("%w: bulk: batch %s finished requests without results to read, and this item may be one: look there before running it again (or set RequeueMaybeBilled)",
				openrouter.ErrMaybeBilled, rec.Batch))
		}
	}
	return out
}

// runRepairs tries Result again on the answers kept in br.answers, with
// a Runner of the same settings: the answers are not bought again.
func (br *batchRun[T, R]) runRepairs(ctx context.Context, idx []int) {
	br.observeBatch(ctx, nil, BatchEvent{Phase: BatchRepairs, Items: len(idx)})
	items := br.r.rep.Results
	br.subRun(ctx, idx, false, func(ctx context.Context, i int) (R, error) { return br.m.Result(ctx, items[i].Item, br.answers[i]) })
}

// runSync runs items through m.Sync with a Runner of the same settings.
func (br *batchRun[T, R]) runSync(ctx context.Context, idx []int) {
	items := br.r.rep.Results
	br.subRun(ctx, idx, true, func(ctx context.Context, i int) (R, error) { return br.m.Sync(ctx, items[i].Item) })
}

// subRun runs fn over items with a Runner of the same settings, and
// merges its results into the report. When the run has stopped, the
// items are left NotAttempted with their own errors.
func (br *batchRun[T, R]) subRun(ctx context.Context, idx []int, syncPath bool, fn func(context.Context, int) (R, error)) {
	r := br.r
	if err := r.stopped(); err != nil {
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, i := range idx {
			own := r.rep.Results[i].Err
			if own == nil {
				own = err
			} else {
				own = fmt.Errorf("%w (not run again: the run stopped: %v)", own, err)
			}
			r.finishLocked(i, NotAttempted, own)
		}
		return
	}
	sub := Runner[int, R]{
		Workers: r.b.Workers, Limiter: r.b.Limiter, Journal: r.b.Journal, RetryFor: r.b.RetryFor,
		RequeueMaybeBilled: r.b.RequeueMaybeBilled, JournalFailures: r.b.JournalFailures, DrainFor: r.b.DrainFor, ProgressEvery: r.b.ProgressEvery,
		Key:   func(i int) string { return r.rep.Results[i].Key },
		sleep: r.b.sleep, now: r.b.now, nested: true,
	}
	if r.b.Observer != nil {
		sub.Observer = subObserver[T, R]{br}
	}
	if r.b.Recover != nil && syncPath {
		sub.Recover = func(ctx context.Context, i int, f InFlight) (R, bool, error) {
			return r.b.Recover(ctx, r.rep.Results[i].Item, f)
		}
	}
	if limit := r.b.SpendingCap; limit > 0 {
		r.mu.Lock()
		sub.SpendingCap = max(limit-r.rep.Cost-br.est, 1e-12)
		r.mu.Unlock()
	}
	rep, err := sub.Run(ctx, idx, fn)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		for _, i := range idx {
			r.finishLocked(i, Failed, err)
		}
		return
	}
	for k, s := range rep.Results {
		i := idx[k]
		out := &r.rep.Results[i]
		out.Attempts += s.Attempts
		out.Cost += s.Cost
		out.Value, out.Resumed = s.Value, s.Resumed
		if syncPath {
			out.Batch = ""
		}
		r.rep.Cost += s.Cost
		r.rep.SyncCost += s.Cost
		if s.Status != NotAttempted {
			r.costDone++
		}
		r.finishLocked(i, s.Status, s.Err)
	}
	r.rep.MaybePaidTwice += rep.MaybePaidTwice
	r.rep.Requests.Sync += rep.Requests.Sync
	if rep.Stopped != nil {
		r.stopLocked(rep.Stopped)
	}
}
