package bulk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// itemKeyPrefix starts the journal keys of the item records. It is under
// batchKeyPrefix, which item keys may not start with, and no batch token
// starts with "item:".
const itemKeyPrefix = batchKeyPrefix + "item:"

// The states of an item record.
const (
	// stateStarted: the item's first request was about to be sent. A run
	// that finds it without the item's result knows the item was in
	// flight when an earlier run died: it may have been paid for.
	stateStarted = "started"
	// stateAnswer: the item's batch answer, paid for, whose Result (a
	// repair) failed with an error that may pass: the next try starts
	// from Answer, and does not buy it again. A "started" record written
	// when that repair is tried again keeps Answer.
	stateAnswer = "answer"
	// stateUnread: the item's batch (Batch) ended, expired, failed or
	// cancelled, having finished requests whose results the server does
	// not give: the item's may be among them, paid for.
	stateUnread = "unread"
	// stateTried: the item's last try ended with an error that says it
	// was not paid for: nothing of it is in flight.
	stateTried = "tried"
	// stateDone: written after the item's result, with its cost.
	stateDone = "done"
	// stateFailed: the item failed for good (Runner.JournalFailures), with
	// its error's text and the sentinels it matched: a run with
	// JournalFailures reports it Failed without running it again.
	stateFailed = "failed"
)

// itemRecord is what the journal keeps of an item beside its result,
// under itemKeyPrefix+key; the last record of a key is the item's state.
type itemRecord struct {
	State string `json:"state"`
	// Cost is what the item's requests cost in all runs so far, in USD.
	Cost float64 `json:"cost,omitempty"`
	// Batch is the batch Answer came from.
	Batch string `json:"batch,omitempty"`
	// Answer is the batch answer's body, as the server sent it.
	Answer json.RawMessage `json:"answer,omitempty"`
	// Error and Names are a failed item's error text and the names
	// (openrouter.ErrorName) of the sentinels it matched.
	Error string   `json:"error,omitempty"`
	Names []string `json:"names,omitempty"`
	// Run is the run that wrote the record, in a job shared by several
	// workers (SharedJournal): a "started" record of another run is an
	// attempt that run left in flight (it died, or lost its claim).
	Run string `json:"run,omitempty"`
	// Uncosted counts the item's attempts that may have been billed
	// without their cost in Cost: those other runs left in flight, taken
	// over (shared jobs), carried from record to record and into the
	// item's outcome.
	Uncosted int `json:"uncosted,omitempty"`
}

// loadItemRecords returns the item records of a journal's records, by
// item key.
func loadItemRecords(saved map[string]json.RawMessage) (map[string]itemRecord, error) {
	out := map[string]itemRecord{}
	for k, raw := range saved {
		key, ok := strings.CutPrefix(k, itemKeyPrefix)
		if !ok {
			continue
		}
		var rec itemRecord
		if err := json.Unmarshal(raw, &rec); err != nil {
			return nil, fmt.Errorf("bulk: the journal's item record %q does not decode: %v", k, err)
		}
		out[key] = rec
	}
	return out, nil
}

// recordItemLocked writes an item's record; r.mu is held. The item's
// cost so far (this run's and the earlier runs') goes in it.
func (r *runner[T, R]) recordItemLocked(i int, rec itemRecord) error {
	if r.b.Journal == nil {
		return nil
	}
	res := &r.rep.Results[i]
	rec.Cost = r.prior[i] + res.Cost
	if r.shared != nil {
		rec.Run, rec.Uncosted = r.runID, r.uncosted[i]
	}
	if prev := r.recs[res.Key]; rec.Answer == nil && rec.Batch == "" && rec.State != stateDone && rec.State != stateFailed {
		rec.Answer, rec.Batch = prev.Answer, prev.Batch // a repair restarted keeps its answer
	}
	r.recs[res.Key] = rec
	raw, err := json.Marshal(rec)
	jj, lazy := r.b.Journal.(*JSONLJournal)
	switch {
	case err != nil:
	case r.claims != nil && r.claims[i] != nil:
		err = r.claims[i].Record(context.WithoutCancel(r.items), []ItemRecord{{Key: itemKeyPrefix + res.Key, Value: raw}})
	case lazy && rec.State == stateStarted: // a count's hint: see recordUnsynced
		err = jj.recordUnsynced(itemKeyPrefix+res.Key, raw)
	default:
		err = r.b.Journal.Record(itemKeyPrefix+res.Key, raw)
	}
	if err != nil {
		return fmt.Errorf("bulk: recording item %q (%s) in the journal: %w", res.Key, rec.State, err)
	}
	return nil
}

// InFlight describes an item that a killed run left in flight: its start
// is in the journal, its result is not. See Runner.Recover.
type InFlight struct {
	// Key is the item's key.
	Key string
	// Cost is what the item's requests had cost, as far as the journal
	// knows (the request in flight at the crash is not in it).
	Cost float64
}

// finishRecordedLocked journals item i's value, when there is a
// journal, and ends the item Done. A value that cannot be recorded would
// be paid for again by the next run: the item ends Failed, with its value
// in the Report and an error naming it, and the run stops. It reports
// whether the value is journaled (true without a journal).
func (r *runner[T, R]) finishRecordedLocked(i int, v R) bool {
	res := &r.rep.Results[i]
	res.Value = v
	if r.b.Journal == nil {
		r.finishLocked(i, Done, nil)
		return true
	}
	raw, err := json.Marshal(v)
	if err == nil {
		err = r.recordDoneLocked(i, raw)
	}
	if errors.Is(err, ErrClaimLost) { // another worker runs it again, and ends it
		r.loseClaimLocked(i)
		if r.kept != nil {
			r.kept[i] = v // should it die first, this run's next claim ends the item with v
		}
		return false
	}
	if err != nil {
		err = fmt.Errorf("%w: bulk: item %q is paid for and its value is in the Report, but recording it in the journal failed (%w): a run with this journal may pay for it again",
			ErrNotJournaled, res.Key, err)
		r.stopLocked(err)
		r.finishLocked(i, Failed, err)
		return false
	}
	r.finishLocked(i, Done, nil)
	return true
}

// recordDoneLocked journals item i's result and its "done" state with
// its cost, in one write when the journal is a *JSONLJournal. The state
// is a best effort once the result is recorded: only the cost is in it.
func (r *runner[T, R]) recordDoneLocked(i int, raw json.RawMessage) error {
	res := &r.rep.Results[i]
	rec := itemRecord{State: stateDone, Cost: r.prior[i] + res.Cost}
	if r.shared != nil {
		rec.Run, rec.Uncosted = r.runID, r.uncosted[i]
	}
	state, _ := json.Marshal(rec)
	r.recs[res.Key] = rec
	if r.claims != nil && r.claims[i] != nil { // the value, its state and the item's end, all or none
		return r.endClaimLocked(i, r.doneOutcomeLocked(i, rec.Cost),
			[]ItemRecord{{Key: res.Key, Value: raw}, {Key: itemKeyPrefix + res.Key, Value: state}})
	}
	if jj, ok := r.b.Journal.(*JSONLJournal); ok {
		return jj.recordAll([]string{res.Key, itemKeyPrefix + res.Key}, []json.RawMessage{raw, state})
	}
	if err := r.b.Journal.Record(res.Key, raw); err != nil {
		return err
	}
	_ = r.b.Journal.Record(itemKeyPrefix+res.Key, state)
	return nil
}

// recoverItem asks Runner.Recover for the value of an item a killed run
// left in flight; it reports whether the item is settled.
func (r *runner[T, R]) recoverItem(ctx context.Context, i int) bool {
	if r.b.Recover == nil || !r.crashed[i] {
		return false
	}
	r.crashed[i] = false
	res := &r.rep.Results[i]
	v, ok, err := r.b.Recover(ctx, res.Item, InFlight{Key: res.Key, Cost: r.prior[i]})
	if err != nil || !ok {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inFlight--
	r.billed[i] = billedCounted // recovered: not paid twice
	r.costDone++
	r.finishRecordedLocked(i, v)
	return true
}
