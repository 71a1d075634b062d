package bulk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// failing runs items: "bad" fails with err, the others are done; it
// counts the calls of each.
func failing(err error, calls map[string]*atomic.Int32) func(context.Context, string) (string, error) {
	return func(_ context.Context, it string) (string, error) {
		calls[it].Add(1)
		if it == "bad" {
			return "", err
		}
		return "ok " + it, nil
	}
}

func newCalls(keys ...string) map[string]*atomic.Int32 {
	m := map[string]*atomic.Int32{}
	for _, k := range keys {
		m[k] = new(atomic.Int32)
	}
	return m
}

// An item that failed for good is journaled with JournalFailures: a
// resume with it reports the item Failed, matching the same sentinels,
// without running it; a resume without it runs it again.
func TestJournalFailuresResumeDoesNotPayAgain(t *testing.T) {
	j := openJournal(t)
	keys := []string{"good", "bad", "also good"}
	cause := fmt.Errorf("article 7: %w: %w", openrouter.ErrContextLength, openrouter.ErrBadRequest)
	b := bulk.Runner[string, string]{Key: func(s string) string { return s }, Journal: j, JournalFailures: true}
	calls := newCalls(keys...)
	rep, err := b.Run(context.Background(), keys, failing(cause, calls))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Done != 2 || rep.Failed != 1 || rep.Results[1].Err != cause {
		t.Fatalf("first run: done %d, failed %d, %v", rep.Done, rep.Failed, rep.Results[1].Err)
	}

	calls = newCalls(keys...)
	rep, err = b.Run(context.Background(), keys, failing(cause, calls))
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, rep, 3)
	r := rep.Results[1]
	if n := calls["bad"].Load(); n != 0 || r.Status != bulk.Failed || !r.Resumed || rep.Failed != 1 || rep.Done != 2 {
		t.Fatalf("resume: bad ran %d times, %v resumed %v, done %d failed %d; want Failed from the journal, not run", n, r.Status, r.Resumed, rep.Done, rep.Failed)
	}
	var fb *bulk.FailedBefore
	if !errors.Is(r.Err, openrouter.ErrContextLength) || !errors.Is(r.Err, openrouter.ErrBadRequest) || errors.Is(r.Err, openrouter.ErrRateLimited) || errors.Is(r.Err, fmt.Errorf("x: %w", openrouter.ErrBadRequest)) ||
		!errors.As(r.Err, &fb) || !strings.Contains(r.Err.Error(), "article 7") {
		t.Errorf("resumed error %q; want the original's text, matching its sentinels only", r.Err)
	}
	if got := openrouter.ErrorName(r.Err); got != "ErrContextLength" {
		t.Errorf("ErrorName %q; want ErrContextLength", got)
	}

	calls = newCalls(keys...)
	rep, err = bulk.Runner[string, string]{Key: func(s string) string { return s }, Journal: j}.Run(context.Background(), keys, failing(cause, calls))
	if err != nil {
		t.Fatal(err)
	}
	if n := calls["bad"].Load(); n != 1 || rep.Results[1].Err != cause || rep.Results[1].Resumed {
		t.Errorf("without JournalFailures: bad ran %d times (%v); want once more", n, rep.Results[1].Err)
	}
}

// Errors that may pass, may have been billed, or come from the account,
// the key or the model are not journaled as failures: a resume runs the
// item again. So are failures of a run without JournalFailures.
func TestJournalFailuresKeepsWhatMayPass(t *testing.T) {
	notForGood := []error{
		openrouter.ErrRateLimited, openrouter.ErrServer, openrouter.ErrTimeout, openrouter.ErrUnreachable,
		context.Canceled, context.DeadlineExceeded, openrouter.ErrMaybeBilled, openrouter.ErrUnauthorized,
		openrouter.ErrInsufficientCredits, openrouter.ErrQuotaExhausted, openrouter.ErrBudgetExceeded,
		openrouter.ErrForbidden, openrouter.ErrModelNotFound, openrouter.ErrModelUnsuitable,
		&openrouter.APIError{StatusCode: 404, Message: "gone", Availability: &openrouter.Availability{Code: "model_not_found"}},
	}
	for _, cause := range notForGood {
		t.Run(openrouter.ErrorName(cause), func(t *testing.T) {
			j := openJournal(t)
			b := bulk.Runner[string, string]{Key: func(s string) string { return s }, Journal: j, JournalFailures: true, RetryFor: -1}
			calls := newCalls("bad")
			if _, err := b.Run(context.Background(), []string{"bad"}, failing(fmt.Errorf("x: %w", cause), calls)); err != nil {
				t.Fatal(err)
			}
			if _, err := b.Run(context.Background(), []string{"bad"}, failing(fmt.Errorf("x: %w", cause), calls)); err != nil {
				t.Fatal(err)
			}
			if n := calls["bad"].Load(); n != 2 {
				t.Errorf("%v: ran %d times in two runs; want the resume to run it again", cause, n)
			}
		})
	}
	t.Run("without JournalFailures", func(t *testing.T) {
		j := openJournal(t)
		calls := newCalls("bad")
		for _, jf := range []bool{false, true} {
			b := bulk.Runner[string, string]{Key: func(s string) string { return s }, Journal: j, JournalFailures: jf}
			if _, err := b.Run(context.Background(), []string{"bad"}, failing(openrouter.ErrUnparseable, calls)); err != nil {
				t.Fatal(err)
			}
		}
		if n := calls["bad"].Load(); n != 2 {
			t.Errorf("ran %d times; a failure recorded without JournalFailures is run again", n)
		}
	})
}

// A journal written before failures were journaled (its item states
// "started", "tried", "done") loads, and its items run as before.
func TestJournalFailuresLoadsOlderJournals(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.jsonl")
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Format(time.RFC3339)
	old := `{"key":"#batch:item:a","result":{"state":"started"},"at":"` + at + `"}
{"key":"a","result":"ok a","at":"` + at + `"}
{"key":"#batch:item:a","result":{"state":"done","cost":0.01},"at":"` + at + `"}
{"key":"#batch:item:bad","result":{"state":"tried"},"at":"` + at + `"}
`
	if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	j, err := bulk.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	calls := newCalls("a", "bad")
	rep, err := bulk.Runner[string, string]{Key: func(s string) string { return s }, Journal: j, JournalFailures: true}.
		Run(context.Background(), []string{"a", "bad"}, failing(openrouter.ErrUnparseable, calls))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Results[0].Resumed || rep.Results[0].Value != "ok a" || calls["a"].Load() != 0 || calls["bad"].Load() != 1 || rep.Results[1].Status != bulk.Failed {
		t.Errorf("a: %+v; bad ran %d times: %v", rep.Results[0], calls["bad"].Load(), rep.Results[1].Err)
	}
}

// In batch mode, an item whose batch answer cannot be repaired is
// journaled as failed: the resume neither submits it again nor repairs
// it.
func TestJournalFailuresRunBatch(t *testing.T) {
	clock := ort.NewClock(time.Now().UTC().Truncate(time.Second))
	var asked atomic.Int32
	srv, c := setup(t, []ort.Option{ort.WithClock(clock.Now), ort.WithResponder(func(r ort.Request) ort.Reply {
		rep := r.DefaultReply()
		if r.Mentions("bad one") {
			asked.Add(1)
			rep.Content = `{"title":7}`
		} else {
			rep.Content = `{"title":"ok"}`
		}
		return rep
	})})
	m := bulk.ChatJSONMode[string, answer](c, func(s string) (*openrouter.ChatRequest, error) {
		return &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", MaxTokens: 50, Messages: []openrouter.Message{openrouter.UserMessage(s)}}, nil
	}, openrouter.JSONRepair(1))
	m.Wait = pollAdvancing(clock)
	b := bulk.Runner[string, answer]{Key: func(s string) string { return s }, Journal: openJournal(t), JournalFailures: true, RetryFor: -1}
	keys := []string{"good one", "bad one"}
	rep, err := b.RunBatch(context.Background(), keys, m)
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Results[1]; r.Status != bulk.Failed || !errors.Is(r.Err, openrouter.ErrUnparseable) {
		t.Fatalf("first run: %v %v; want Failed, unparseable", r.Status, r.Err)
	}
	before, submits := asked.Load(), srv.BatchStats().Submits
	rep, err = b.RunBatch(context.Background(), keys, m)
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Results[1]
	if r.Status != bulk.Failed || !r.Resumed || !errors.Is(r.Err, openrouter.ErrUnparseable) || rep.Done != 1 {
		t.Errorf("resume: %v resumed %v %v, done %d; want Failed from the journal", r.Status, r.Resumed, r.Err, rep.Done)
	}
	if asked.Load() != before || srv.BatchStats().Submits != submits || rep.Cost != 0 {
		t.Errorf("resume: the item was asked %d more times, %d more submits, cost $%g; want nothing sent", asked.Load()-before, srv.BatchStats().Submits-submits, rep.Cost)
	}
}

// refusesFailures is a journal that cannot record a failure, as a full
// disk would; its other records go through.
type refusesFailures struct{ bulk.Journal }

func (j refusesFailures) Record(key string, result json.RawMessage) error {
	if strings.Contains(string(result), `"failed"`) {
		return syscall.ENOSPC
	}
	return j.Journal.Record(key, result)
}

// A failure that cannot be journaled stops the run (the journal keeps
// nothing more), and the item still ends Failed with its own error.
func TestJournalFailuresUnrecordedStopsTheRun(t *testing.T) {
	keys := []string{"bad", "after"}
	calls := newCalls(keys...)
	rep, err := bulk.Runner[string, string]{Workers: 1, Key: func(s string) string { return s }, Journal: refusesFailures{openJournal(t)}, JournalFailures: true}.
		Run(context.Background(), keys, failing(openrouter.ErrModerated, calls))
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, rep, 2)
	if r := rep.Results[0]; r.Status != bulk.Failed || !errors.Is(r.Err, openrouter.ErrModerated) {
		t.Errorf("bad: %v %v; want Failed with its own error", r.Status, r.Err)
	}
	if !errors.Is(rep.Stopped, syscall.ENOSPC) || calls["after"].Load() != 0 || rep.Results[1].Status != bulk.NotAttempted {
		t.Errorf("stopped %v, the next item ran %d times (%v); want the run stopped by the journal", rep.Stopped, calls["after"].Load(), rep.Results[1].Status)
	}
}
