package bulk_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/routerkit/openrouter/bulk"
)

// fullJournal fails to record item results once `room` of them are
// recorded, as a full disk would; its other records go through.
type fullJournal struct {
	bulk.Journal
	mu   sync.Mutex
	room int
}

func (j *fullJournal) Record(key string, result json.RawMessage) error {
	if !strings.HasPrefix(key, "#batch:") {
		j.mu.Lock()
		defer j.mu.Unlock()
		if j.room == 0 {
			return syscall.ENOSPC
		}
		j.room--
	}
	return j.Journal.Record(key, result)
}

func checkNotJournaled[T, R any](t *testing.T, rep *bulk.Report[T, R], want []int) {
	t.Helper()
	for _, i := range want {
		r := rep.Results[i]
		if r.Status != bulk.Failed || !errors.Is(r.Err, bulk.ErrNotJournaled) || !errors.Is(r.Err, syscall.ENOSPC) || !strings.Contains(r.Err.Error(), r.Key) {
			t.Errorf("%s: %v %v; want Failed, not journaled, naming it", r.Key, r.Status, r.Err)
		}
	}
	if !errors.Is(rep.Stopped, bulk.ErrNotJournaled) {
		t.Errorf("stopped %v; want the journal failure", rep.Stopped)
	}
}

// An item whose result cannot be journaled is not Done: it ends Failed,
// named in its error, with its value in the Report, and the run stops.
func TestRunJournalFailureIsNotDone(t *testing.T) {
	_, c := setup(t, nil)
	j := &fullJournal{Journal: openJournal(t), room: 2}
	rep, err := bulk.Runner[string, string]{Workers: 1, Journal: j, Key: func(s string) string { return s }}.Run(context.Background(), items(5), chatItem(c))
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, rep, 5)
	if rep.Done != 2 || rep.Results[2].Value == "" || rep.NotAttempted != 2 {
		t.Fatalf("done %d, not attempted %d, item 002's value %q; want 2 done, 2 left", rep.Done, rep.NotAttempted, rep.Results[2].Value)
	}
	checkNotJournaled(t, rep, []int{2})
}

// In batch mode each item whose result cannot be journaled is named.
func TestRunBatchJournalFailureNamesEachItem(t *testing.T) {
	var cnt counter
	_, c, clock := batchSetup(t, &cnt)
	j := &fullJournal{Journal: openJournal(t)}
	rep, err := bulk.Runner[job, string]{Key: jobKey, Journal: j}.RunBatch(context.Background(), jobs(4, ""), textMode(c, clock))
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, rep, 4)
	if rep.Done != 0 {
		t.Errorf("done %d; want none: none is journaled", rep.Done)
	}
	checkNotJournaled(t, rep, []int{0, 1, 2, 3})
}
