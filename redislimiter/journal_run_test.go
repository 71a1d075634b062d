package redislimiter

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/routerkit/openrouter/bulk"
)

var words = strings.Fields("a b c d e f g h i j")

func byWord(w string) string { return w }

// A job resumed from another holder (another machine) runs only the items
// the first one did not record, and takes the others' results from Redis.
func TestJournalRunResumedElsewhere(t *testing.T) {
	r := startRedis(t)
	rdb := client(t, r.addr())
	var calls atomic.Int32
	fn := func(_ context.Context, w string) (string, error) { calls.Add(1); return strings.ToUpper(w), nil }

	first := openJ(t, rdb, "job")
	rep, err := bulk.Runner[string, string]{Workers: 2, Key: byWord, Journal: first}.Run(context.Background(), words[:6], fn)
	if err != nil || rep.Done != 6 {
		t.Fatalf("first run: done %d, err %v", rep.Done, err)
	}
	first.Close()

	calls.Store(0)
	second := openJ(t, client(t, r.addr()), "job")
	rep, err = bulk.Runner[string, string]{Workers: 2, Key: byWord, Journal: second}.Run(context.Background(), words, fn)
	if err != nil {
		t.Fatal(err)
	}
	resumed := 0
	for _, res := range rep.Results {
		if res.Resumed {
			resumed++
		}
		if res.Value != strings.ToUpper(res.Item) {
			t.Errorf("item %s: value %q", res.Item, res.Value)
		}
	}
	if rep.Done != 10 || resumed != 6 || calls.Load() != 4 {
		t.Errorf("second run: done %d, resumed %d, calls %d; want 10, 6, 4", rep.Done, resumed, calls.Load())
	}
}

// Redis restarted empty in the middle of a run: the item whose result
// cannot be recorded is not Done (its value stays in the report), the run
// stops, and no later item runs.
func TestJournalRunRedisRestartedEmpty(t *testing.T) {
	r := startRedis(t)
	rdb := journalClient(t, r.addr())
	j := openJ(t, rdb, "job")
	var calls atomic.Int32
	fn := func(_ context.Context, w string) (string, error) {
		if calls.Add(1) == 4 {
			r.stop()
			r.start()
		}
		return strings.ToUpper(w), nil
	}
	rep, err := bulk.Runner[string, string]{Workers: 1, Key: byWord, Journal: j}.Run(context.Background(), words, fn)
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(rep.Stopped, ErrJournalLost) {
		t.Errorf("Stopped = %v, want ErrJournalLost", rep.Stopped)
	}
	if rep.Done != 3 || calls.Load() != 4 {
		t.Errorf("done %d after %d calls, want 3 after 4", rep.Done, calls.Load())
	}
	d := rep.Results[3]
	if d.Status == bulk.Done || d.Value != "D" || !errors.Is(d.Err, ErrJournalLost) {
		t.Errorf("item d: status %v value %q err %v; want not Done, its value kept, ErrJournalLost", d.Status, d.Value, d.Err)
	}
	if rep.Done+rep.Failed+rep.NotAttempted != len(words) {
		t.Errorf("counts %d+%d+%d do not add up to %d", rep.Done, rep.Failed, rep.NotAttempted, len(words))
	}
}
