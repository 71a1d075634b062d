package bulk

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/routerkit/openrouter"
)

// A run whose Journal is a SharedJournal claims each item before running
// it (claimItem), writes the item's records through its claim, ends it
// through its claim (End: done or failed, for the whole job) or releases
// it (tried again later, not attempted), and at the end waits for the
// items other workers hold (awaitHeld), taking over those whose claims
// expire.

// outcome is what a worker's End records of an item, for the other
// workers' reports.
type outcome struct {
	Status string   `json:"status"` // stateDone or stateFailed
	Error  string   `json:"error,omitempty"`
	Names  []string `json:"names,omitempty"`
	Cost   float64  `json:"cost,omitempty"` // what the item cost in all runs
	// PaidTwice: the item was run again after an attempt that may have
	// been billed (the ending worker's Report.MaybePaidTwice counts it).
	PaidTwice bool `json:"paid_twice,omitempty"`
	// Uncosted counts the attempts that may have been billed without
	// their cost in Cost: those left in flight by workers that died or
	// lost their claims, and requests the client sent again after a cut.
	Uncosted int `json:"uncosted,omitempty"`
}

// FailedElsewhere is the error of an item another worker of a shared job
// (SharedJournal) ended Failed: it matches, with errors.Is, the sentinels
// of package openrouter and of this package that the original error
// matched (openrouter.ErrMaybeBilled among them).
type FailedElsewhere struct {
	// Text is the original error's text.
	Text string
	// Names are the names (openrouter.ErrorName) of the sentinels it
	// matched.
	Names []string
}

// Error returns the original error's text, saying where it comes from.
func (e *FailedElsewhere) Error() string {
	return e.Text + " (failed in another worker of the job)"
}

// Is reports whether target is one of the sentinels the original error
// matched.
func (e *FailedElsewhere) Is(target error) bool {
	return slices.Contains(outcomeSentinels(), target) && slices.Contains(e.Names, openrouter.ErrorName(target))
}

// outcomeSentinels are the sentinels an ended item's outcome names.
func outcomeSentinels() []error { return append(slices.Clone(sentinels), notForGood...) }

// failedOutcome is the outcome of an item failed with err.
func failedOutcome(err error, cost float64) outcome {
	o := outcome{Status: stateFailed, Cost: cost}
	if err != nil {
		o.Error = err.Error()
	}
	for _, s := range outcomeSentinels() {
		if err != nil && errors.Is(err, s) {
			o.Names = append(o.Names, openrouter.ErrorName(s))
		}
	}
	return o
}

// JobState is the state of a shared job (ReadJob): what its workers have
// ended so far, and what they hold.
type JobState struct {
	// Done and Failed count the items ended (by any worker); Running
	// those held by a live claim.
	Done, Failed, Running int
	// Cost is what the ended items cost, in USD, in all their runs.
	Cost float64
	// MaybePaidTwice counts the items ended after an attempt that may
	// have been billed (each worker's Report.MaybePaidTwice counts those
	// it ended; this count survives a worker killed after ending them),
	// and MaybeBilled those ended Failed with an error matching
	// openrouter.ErrMaybeBilled.
	MaybePaidTwice, MaybeBilled int
	// Uncosted counts the attempts of the ended items that may have been
	// billed without their cost in Cost: each left in flight by a worker
	// that died or lost its claim (counted by the worker that took the
	// item over, in the item's records), or sent again by the client
	// after a cut. The account may have paid up to Cost plus these
	// requests (and the MaybeBilled items' last).
	Uncosted int
}

// ReadJob reads the state of the whole job of a SharedJournal, for a
// job-wide progress line: any worker, or a program that runs none, can
// call it while the job runs. A worker's Report covers the whole job
// once its run ends: it waits for the items other workers hold.
func ReadJob(ctx context.Context, j SharedJournal) (JobState, error) {
	ended, claimed, err := j.Ended(ctx)
	if err != nil {
		return JobState{}, err
	}
	st := JobState{Running: len(claimed)}
	for k, raw := range ended {
		var o outcome
		if err := json.Unmarshal(raw, &o); err != nil {
			return JobState{}, fmt.Errorf("bulk: the outcome of item %q does not decode: %v", k, err)
		}
		if o.Status == stateDone {
			st.Done++
		} else {
			st.Failed++
			if slices.Contains(o.Names, openrouter.ErrorName(openrouter.ErrMaybeBilled)) {
				st.MaybeBilled++
			}
		}
		if o.PaidTwice {
			st.MaybePaidTwice++
		}
		st.Cost += o.Cost
		st.Uncosted += o.Uncosted
	}
	return st, nil
}

// claimItem claims item i, counted in flight, before it runs; it
// reports whether the item is this worker's to run. Otherwise it is
// settled (ended by another worker, or by an earlier run), set aside
// (another worker holds it), or not attempted (the claim failed: the run
// stops), and no longer in flight.
func (r *runner[T, R]) claimItem(i int) bool {
	res := &r.rep.Results[i]
	st, err := r.shared.Claim(context.WithoutCancel(r.items), res.Key)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.inFlight--
		err = fmt.Errorf("bulk: claiming item %q in the shared journal: %w", res.Key, err)
		r.stopLocked(err)
		r.finishLocked(i, NotAttempted, err)
		return false
	}
	switch st.Status {
	case ClaimEnded:
		r.inFlight--
		r.settleEndedLocked(i, st.Outcome, st.Records[res.Key])
		return false
	case ClaimHeld:
		r.inFlight--
		r.holdLocked(i, st.Until)
		return false
	case ClaimGranted:
	default:
		r.inFlight--
		err = fmt.Errorf("bulk: claiming item %q: the shared journal answered status %d", res.Key, st.Status)
		r.stopLocked(err)
		r.finishLocked(i, NotAttempted, err)
		return false
	}
	r.claims[i] = st.Claim
	r.crashed[i] = false // until its records say another run left it in flight
	var rec itemRecord
	if raw, ok := st.Records[ItemStateKey(res.Key)]; ok {
		if err := json.Unmarshal(raw, &rec); err == nil {
			r.recs[res.Key] = rec
			r.prior[i] = rec.Cost
			if rec.Run != r.runID { // what this run wrote of it, it knows better
				r.uncosted[i] = rec.Uncosted
			}
		}
	}
	if raw, ok := st.Records[res.Key]; ok { // recorded by a run that did not end it (not shared)
		r.inFlight--
		r.settleEndedLocked(i, nil, raw)
		if res.Status == Done {
			r.endClaimLocked(i, r.doneOutcomeLocked(i, r.prior[i]), nil)
		}
		return false
	}
	if rec.State == stateStarted && rec.Run != r.runID {
		// In flight in another worker that died or lost its claim (even
		// when this run tried the item in an earlier pass), or in an
		// earlier run: it may have been paid for. This run's own
		// "started" record is an attempt it counted itself (billed).
		r.crashed[i] = true
		r.uncosted[i]++
		if r.billed[i] == notBilled {
			r.billed[i] = billedOnce
		}
	}
	if v, ok := r.kept[i]; ok {
		// Its value is in hand (its end was refused, and the worker that
		// took it over ended nothing): it ends with it, not paid again.
		delete(r.kept, i)
		if r.billed[i] == billedOnce { // that worker's attempt may have been billed too
			r.billed[i] = billedCounted
			r.rep.MaybePaidTwice++
		}
		r.inFlight--
		r.finishRecordedLocked(i, v)
		return false
	}
	return true
}

// doneOutcomeLocked is the outcome of item i done, having cost cost in
// all runs.
func (r *runner[T, R]) doneOutcomeLocked(i int, cost float64) outcome {
	return outcome{Status: stateDone, Cost: cost, PaidTwice: r.billed[i] == billedCounted, Uncosted: r.uncosted[i]}
}

// giveUp ends Failed, for the whole job, the items of a shared job whose
// retries ran out (RetryFor): each is claimed again (its claim was
// released for the next pass), so that no other worker ends it Done
// while this one reports it Failed. An item another worker ended since
// takes that outcome; one another worker holds is set aside (the run
// waits for it, as for the other items held); one another worker left
// in flight (it died, or lost its claim) ends Failed with an error
// matching openrouter.ErrMaybeBilled.
func (r *runner[T, R]) giveUp(queue []int) {
	for _, i := range queue {
		r.mu.Lock()
		r.inFlight++ // claimItem's count
		r.mu.Unlock()
		if r.claimItem(i) {
			r.mu.Lock()
			r.inFlight--
			err := r.rep.Results[i].Err
			if r.crashed[i] {
				err = fmt.Errorf("%w: %w (and another worker of the job left it in flight: it may have been paid for)", openrouter.ErrMaybeBilled, err)
			}
			r.finishLocked(i, Failed, err) // through its claim: set aside if lost
			r.mu.Unlock()
		}
		r.mu.Lock()
		ended := !slices.Contains(r.held, i)
		r.mu.Unlock()
		if ended && r.b.Observer != nil {
			r.observeEnd(r.items, i, false)
		}
	}
}

// settleEndedLocked ends item i as a worker ended it: Done with the value
// recorded (raw), or Failed with a *FailedElsewhere. A nil outcome is a
// value recorded without one.
func (r *runner[T, R]) settleEndedLocked(i int, out json.RawMessage, raw json.RawMessage) {
	res := &r.rep.Results[i]
	var o outcome
	if out != nil {
		if err := json.Unmarshal(out, &o); err != nil {
			o = outcome{Status: stateFailed, Error: fmt.Sprintf("bulk: the outcome of item %q does not decode: %v", res.Key, err)}
		}
	} else {
		o.Status = stateDone
	}
	res.Resumed = true
	r.resumed++
	if o.Status == stateDone {
		if err := json.Unmarshal(raw, &res.Value); err != nil {
			r.finishLocked(i, Failed, fmt.Errorf("bulk: the journal's result for item %q does not decode into %T (%v)", res.Key, res.Value, err))
			return
		}
		r.finishLocked(i, Done, nil)
		return
	}
	r.finishLocked(i, Failed, &FailedElsewhere{Text: o.Error, Names: o.Names})
}

// holdLocked sets item i aside: another worker holds it until until.
func (r *runner[T, R]) holdLocked(i int, until time.Time) {
	r.held = append(r.held, i)
	if r.heldUntil.IsZero() || until.Before(r.heldUntil) {
		r.heldUntil = until
	}
}

// loseClaimLocked gives item i up to the worker that took its claim over:
// its requests may have been paid twice (the other worker counts it in
// MaybePaidTwice, this one in ClaimsLost), and its outcome comes from
// that worker's End.
func (r *runner[T, R]) loseClaimLocked(i int) {
	r.claims[i] = nil
	r.rep.ClaimsLost++
	r.holdLocked(i, time.Time{})
}

// endClaimLocked ends item i for the whole job with o and records recs,
// all or none, through its claim, which is then gone.
func (r *runner[T, R]) endClaimLocked(i int, o outcome, recs []ItemRecord) error {
	c := r.claims[i]
	r.claims[i] = nil
	raw, err := json.Marshal(o)
	if err == nil {
		err = c.End(context.WithoutCancel(r.items), raw, recs)
	}
	return err
}

// endFailedLocked ends item i's claim Failed with err, when it has one;
// it reports whether the claim was lost (the item is then set aside, not
// finished).
func (r *runner[T, R]) endFailedLocked(i int, err error) (lost bool) {
	if r.claims[i] == nil {
		return false
	}
	res := &r.rep.Results[i]
	o := failedOutcome(err, r.prior[i]+res.Cost)
	o.PaidTwice, o.Uncosted = r.billed[i] == billedCounted, r.uncosted[i]
	if jerr := r.endClaimLocked(i, o, nil); jerr != nil {
		if errors.Is(jerr, ErrClaimLost) {
			r.loseClaimLocked(i)
			return true
		}
		r.stopLocked(fmt.Errorf("bulk: recording the end of item %q in the shared journal: %w", res.Key, jerr))
	}
	return false
}

// releaseClaim gives item i's claim back, when it still has one (the
// item waits for a later pass, or was not attempted). A release that
// fails stops the run, as any journal failure does: the claim may still
// hold the item (the journal may renew it until it is closed), and a run
// that went on would claim the item again and wait for itself.
func (r *runner[T, R]) releaseClaim(i int) {
	r.mu.Lock()
	c := r.claims[i]
	r.claims[i] = nil
	r.mu.Unlock()
	if c == nil {
		return
	}
	if err := c.Release(context.WithoutCancel(r.items)); err != nil && !errors.Is(err, ErrClaimLost) {
		r.stop(fmt.Errorf("bulk: releasing the claim of item %q in the shared journal: %w", r.rep.Results[i].Key, err))
	}
}

// takeHeld returns the items set aside, and how long to wait before
// claiming them again: until the first of their holders' leases would
// expire, between 50 ms and 1 s (a holder may end its item sooner).
func (r *runner[T, R]) takeHeld() ([]int, time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	held, until := r.held, r.heldUntil
	r.held, r.heldUntil = nil, time.Time{}
	slices.Sort(held)
	return held, min(max(until.Sub(r.b.now()), 50*time.Millisecond), time.Second)
}

// errHeldElsewhere ends the items another worker still held when this
// run stopped.
var errHeldElsewhere = errors.New("bulk: another worker of the job held the item when this run stopped")

// newRunID returns a run's mark on its item records (itemRecord.Run).
func newRunID() string { return rand.Text()[:16] }

// sharedJournal returns the run's journal when several workers share it.
func sharedJournal(j Journal) SharedJournal {
	s, _ := j.(SharedJournal)
	return s
}
