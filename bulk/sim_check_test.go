package bulk_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
)

// invariant names one property the simulation checks after every seed.
type invariant string

const (
	invOnce    invariant = "every item ends exactly once"
	invOwn     invariant = "every answer is its item's own"
	invChunk   invariant = "no chunk is submitted twice"
	invBilled  invariant = "every billed generation is in Cost or flagged"
	invJournal invariant = "the journal always loads"
)

type violation struct {
	inv invariant
	msg string
}

// check verifies the invariants over the reports of the runs that did
// not crash (a crashed run's report is lost with it), the fake's truth,
// and the journal.
func (s *sim) check(reps []*bulk.Report[simItem, string]) []violation {
	var bad []violation
	add := func(inv invariant, format string, a ...any) {
		bad = append(bad, violation{inv, fmt.Sprintf(format, a...)})
	}
	final := reps[len(reps)-1]

	// Exactly once: the final report accounts for each item once, and no
	// item finished with its own work (not from the journal) in two runs,
	// nor ended Done and then otherwise.
	if final.Done+final.Failed+final.NotAttempted != s.cfg.n || len(final.Results) != s.cfg.n {
		add(invOnce, "final counts %d+%d+%d for %d items", final.Done, final.Failed, final.NotAttempted, s.cfg.n)
	}
	doneIn := map[string]int{}
	for run, rep := range reps {
		for i, res := range rep.Results {
			if res.Key != s.items()[i].Key || res.Status < bulk.NotAttempted || res.Status > bulk.Failed {
				add(invOnce, "run %d: result %d is %q, %v", run, i, res.Key, res.Status)
			}
			if res.Status == bulk.Done && !res.Resumed {
				if prev, twice := doneIn[res.Key]; twice {
					add(invOnce, "%s done in run %d and again in run %d", res.Key, prev, run)
				}
				doneIn[res.Key] = run
			}
		}
	}
	for i, res := range final.Results {
		if _, done := doneIn[res.Key]; done && res.Status != bulk.Done {
			add(invOnce, "%s was done, and ends %v (%v)", final.Results[i].Key, res.Status, res.Err)
		}
	}

	// Its own answer, in every report and in the journal.
	for run, rep := range reps {
		for _, res := range rep.Results {
			if res.Status == bulk.Done && res.Value != answerFor(res.Key) {
				add(invOwn, "run %d: %s ended with %q", run, res.Key, res.Value)
			}
		}
	}
	// A batch the job did not store (another job's) never gives it answers.
	s.ft.mu.Lock()
	ours := map[string]bool{}
	for _, st := range s.ft.stored {
		ours[st.id] = true
	}
	s.ft.mu.Unlock()
	for run, rep := range reps {
		for _, res := range rep.Results {
			if res.Batch != "" && !ours[res.Batch] {
				add(invOwn, "run %d: %s took its result from batch %s, which the job did not submit", run, res.Key, res.Batch)
			}
		}
	}
	saved, err := loadJournal(s.path)
	if err != nil {
		add(invJournal, "after the last run: %v", err)
	}
	for key, raw := range saved {
		var v string
		if strings.HasPrefix(key, "#batch:") {
			var rec struct{ ID string }
			if json.Unmarshal(raw, &rec) == nil && rec.ID != "" && !ours[rec.ID] {
				add(invOwn, "the journal ties the job's items to batch %s, which the job did not submit (another job's)", rec.ID)
			}
			continue
		}
		if json.Unmarshal(raw, &v) != nil || v != answerFor(key) {
			add(invOwn, "the journal holds %s for %s", raw, key)
		}
	}

	// An item a crashed run journaled was paid for in the report lost
	// with that run: its generation counts as accounted for.
	journaled := 0
	for _, res := range final.Results {
		if _, done := doneIn[res.Key]; !done && res.Resumed {
			journaled++
		}
	}
	bad = append(bad, s.checkChunks()...)
	return append(bad, s.checkBilled(reps, journaled)...)
}

// checkChunks: no item of the job was stored in a batch after an
// earlier batch ran it (its result is a 200) or may still run it (it has
// not ended). A batch's items whose results failed may go in another.
func (s *sim) checkChunks() []violation {
	s.ft.mu.Lock()
	stored := slices.Clone(s.ft.stored)
	s.ft.mu.Unlock()
	var bad []violation
	ran := map[string]string{} // item -> the batch that ran it, or may
	for _, st := range stored {
		for _, id := range st.ids {
			if prev, twice := ran[id]; twice {
				bad = append(bad, violation{invChunk, fmt.Sprintf("%s stored in %s, which ran it or may, and again in %s (items %v)", id, prev, st.id, st.ids)})
			}
		}
		b, err := s.side.Batches.Get(context.Background(), st.id)
		if err != nil {
			bad = append(bad, violation{invChunk, fmt.Sprintf("reading batch %s: %v", st.id, err)})
			continue
		}
		if !slices.Contains([]string{"completed", "expired", "cancelled", "failed"}, string(b.Status)) {
			for _, id := range st.ids {
				ran[id] = st.id
			}
			continue
		}
		for res, err := range s.side.Batches.Results(context.Background(), st.id) {
			if err != nil {
				bad = append(bad, violation{invChunk, fmt.Sprintf("reading the results of %s: %v", st.id, err)})
				break
			}
			if res.Response != nil && res.Response.StatusCode == 200 {
				ran[res.CustomID] = st.id
			}
		}
	}
	return bad
}

// resubmit stores the job's first chunk once more (a sabotage).
func (s *sim) resubmit() {
	s.ft.mu.Lock()
	ids := slices.Clone(s.ft.stored[0].ids)
	s.ft.mu.Unlock()
	req := &openrouter.BatchRequest{Model: "openai/gpt-4o-mini"}
	for _, id := range ids {
		req.Requests = append(req.Requests, openrouter.BatchItem{CustomID: id, Body: request(simItem{Key: id})})
	}
	_, _ = s.c.Batches.Submit(context.Background(), req)
}

// checkBilled: what the fake billed for the job's items is no more than
// the reports' Cost and the generations they flagged as maybe billed or
// maybe paid twice, and those journaled by a crashed run (at the sync
// price, the higher).
func (s *sim) checkBilled(reps []*bulk.Report[simItem, string], journaled int) []violation {
	s.mu.Lock()
	s.ft.mu.Lock()
	billed, gens := 0.0, 0
	for key, n := range s.answered {
		if strings.HasPrefix(key, "fail:") || strings.HasPrefix(key, "other-") || key == "?" {
			continue
		}
		sync := s.ft.synced[key]
		billed += float64(sync)*simPrice + float64(n-sync)*simPrice/2
		gens += n
	}
	s.ft.mu.Unlock()
	s.mu.Unlock()
	accounted, flagged := 0.0, journaled
	for _, rep := range reps {
		accounted += rep.Cost
		flagged += rep.MaybePaidTwice + rep.MaybeBilled
	}
	if billed > accounted+float64(flagged)*simPrice+1e-9 {
		return []violation{{invBilled, fmt.Sprintf("the fake billed $%.4f (%d generations); the reports account for $%.4f and flag or journaled %d",
			billed, gens, accounted, flagged)}}
	}
	if math.IsNaN(accounted) {
		return []violation{{invBilled, "Cost is NaN"}}
	}
	return nil
}

// loadJournal opens the journal file once more and loads it.
func loadJournal(path string) (map[string]json.RawMessage, error) {
	j, err := bulk.OpenJournal(path)
	if err != nil {
		return nil, err
	}
	defer j.Close()
	return j.Load()
}

// TestSimInvariantsCatchBreakage breaks one thing at a time on purpose
// and checks that the invariant that guards it fails: the simulation
// cannot pass by checking nothing.
func TestSimInvariantsCatchBreakage(t *testing.T) {
	for _, tc := range []struct {
		sabotage string
		want     invariant
	}{
		{"swap-answers", invOwn},     // item k1 ends with k0's answer
		{"pay-twice", invBilled},     // each item pays a second generation, unreported
		{"drop-records", invOnce},    // the journal loses records: items done twice across runs
		{"tear-journal", invJournal}, // a damaged line in the middle of the journal
		{"resubmit", invChunk},       // the job's chunk stored a second time
	} {
		t.Run(tc.sabotage, func(t *testing.T) {
			play := func(sabotage string) []violation {
				s := newSim(t, 1, nil)
				defer s.close()
				s.cfg = simConfig{n: 4, faults: map[faultKind]float64{}, crashAt: 3, crashAfter: true, batch: tc.sabotage == "resubmit"}
				if tc.sabotage == "drop-records" { // a 402 stops the first run; the second resumes it
					s.cfg.crashAt = 0
					s.cfg.forced = map[string]faultKind{"POST /chat/completions k2 #0": f402}
				}
				s.sabotage = sabotage
				bad := s.play()
				if sabotage == "resubmit" {
					s.resubmit()
					bad = s.checkChunks()
				}
				return bad
			}
			// The same schedule without the sabotage keeps every invariant.
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
