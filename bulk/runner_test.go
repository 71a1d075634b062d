package bulk_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
	"github.com/routerkit/openrouter/openroutertest"
)

func TestRunRefusesDuplicateKeys(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	in := []string{"a", "b", "c", "b"}
	_, err := bulk.Runner[string, string]{Key: func(s string) string { return s }}.Run(context.Background(), in,
		func(ctx context.Context, s string) (string, error) { calls.Add(1); return s, nil })
	if !errors.Is(err, openrouter.ErrInvalidRequest) || !strings.Contains(err.Error(), `"b"`) || !strings.Contains(err.Error(), "items 1 and 3") {
		t.Errorf("err = %v", err)
	}
	if calls.Load() != 0 {
		t.Errorf("%d items ran", calls.Load())
	}
}

// TestRunRefusesUndecodableJournalRecord: a journaled result that does not
// decode into the result type fails the run at start, instead of running
// (and paying for) the item again.
func TestRunRefusesUndecodableJournalRecord(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j.jsonl")
	rec := `{"key":"a","result":{"title":"A"},"at":"2026-11-25T00:00:00Z"}` + "\n"
	if err := os.WriteFile(path, []byte(rec), 0o644); err != nil {
		t.Fatal(err)
	}
	j, err := bulk.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	var calls atomic.Int32
	rep, err := bulk.Runner[string, string]{Journal: j, Key: func(s string) string { return s }}.Run(context.Background(), []string{"a", "b"},
		func(ctx context.Context, s string) (string, error) { calls.Add(1); return s, nil })
	if err == nil || !strings.Contains(err.Error(), `"a"`) || !strings.Contains(err.Error(), "does not decode") {
		t.Errorf("report %v, err %v", rep, err)
	}
	if calls.Load() != 0 {
		t.Errorf("%d items ran", calls.Load())
	}
}

// TestRunDrainIsBounded: the server never answers the item in flight when
// the run is cancelled; after DrainFor the item's context is cancelled and
// the item ends Failed with an error saying it may have been billed.
func TestRunDrainIsBounded(t *testing.T) {
	t.Parallel()
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		select { // never answers
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	c := openrouter.NewClient("sk-or-test", openrouter.WithBaseURL(srv.URL), openrouter.WithRetry(0, 0, 0), openrouter.WithLimiter(nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { <-arrived; cancel() }()
	rep, err := bulk.Runner[string, string]{Workers: 1, DrainFor: time.Millisecond}.Run(ctx, []string{"a", "b"}, chatItem(c))
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, rep, 2)
	r0 := rep.Results[0]
	if r0.Status != bulk.Failed || !errors.Is(r0.Err, openrouter.ErrMaybeBilled) || rep.MaybeBilled != 1 {
		t.Errorf("item in flight: %+v; report MaybeBilled %d", r0, rep.MaybeBilled)
	}
	if rep.Results[1].Status != bulk.NotAttempted || !errors.Is(rep.Stopped, context.Canceled) {
		t.Errorf("item 1 %v, stopped %v", rep.Results[1].Status, rep.Stopped)
	}
}

// TestRunItemContextKeepsADeadline: items run past the caller's
// cancellation, but not without a deadline.
func TestRunItemContextKeepsADeadline(t *testing.T) {
	t.Parallel()
	dl := time.Now().Add(time.Hour)
	ctx, cancel := context.WithDeadline(context.Background(), dl)
	defer cancel()
	var got time.Time
	_, err := bulk.Runner[string, string]{DrainFor: time.Minute}.Run(ctx, []string{"a"}, func(ctx context.Context, s string) (string, error) {
		got, _ = ctx.Deadline()
		return s, nil
	})
	if err != nil || !got.Equal(dl.Add(time.Minute)) {
		t.Errorf("item deadline %v, want %v (%v)", got, dl.Add(time.Minute), err)
	}
}

func maybeBilledOnce() (func(context.Context, string) (string, error), *sync.Map) {
	var calls sync.Map
	return func(ctx context.Context, s string) (string, error) {
		n, _ := calls.LoadOrStore(s, new(atomic.Int32))
		if n.(*atomic.Int32).Add(1) == 1 && s == "b" {
			return "", fmt.Errorf("reading the answer: %w (%w)", openrouter.ErrTimeout, openrouter.ErrMaybeBilled)
		}
		return s, nil
	}, &calls
}

func callsOf(m *sync.Map, k string) int32 {
	n, ok := m.Load(k)
	if !ok {
		return 0
	}
	return n.(*atomic.Int32).Load()
}

// TestRunDoesNotRequeueMaybeBilled: an item that may have been billed is
// not run again unless the caller opts in, and then the report counts it.
func TestRunDoesNotRequeueMaybeBilled(t *testing.T) {
	t.Parallel()
	fn, calls := maybeBilledOnce()
	rep, err := bulk.NoPassWait(bulk.Runner[string, string]{Workers: 1}).Run(context.Background(), []string{"a", "b", "c"}, fn)
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, rep, 3)
	if r := rep.Results[1]; r.Status != bulk.Failed || !errors.Is(r.Err, openrouter.ErrMaybeBilled) || callsOf(calls, "b") != 1 {
		t.Errorf("item b: %+v, run %d times", r, callsOf(calls, "b"))
	}
	if rep.Done != 2 || rep.MaybeBilled != 1 || rep.MaybePaidTwice != 0 {
		t.Errorf("done %d, maybe billed %d, maybe paid twice %d", rep.Done, rep.MaybeBilled, rep.MaybePaidTwice)
	}

	fn, calls = maybeBilledOnce()
	rep, err = bulk.NoPassWait(bulk.Runner[string, string]{Workers: 1, RequeueMaybeBilled: true}).Run(context.Background(), []string{"a", "b", "c"}, fn)
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Results[1]; r.Status != bulk.Done || r.Attempts != 2 || callsOf(calls, "b") != 2 {
		t.Errorf("item b, opted in: %+v, run %d times", r, callsOf(calls, "b"))
	}
	if rep.Done != 3 || rep.MaybeBilled != 0 || rep.MaybePaidTwice != 1 {
		t.Errorf("opted in: done %d, maybe billed %d, maybe paid twice %d", rep.Done, rep.MaybeBilled, rep.MaybePaidTwice)
	}
}

// TestProgressRateCountsThisRunOnly: 30 of 40 items come from the journal;
// the 10 run take a second each on the test's clock: 1 item/s, not 4.
func TestProgressRateCountsThisRunOnly(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j, err := bulk.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	in := items(40)
	for _, it := range in[:30] {
		if err := j.Record(it, []byte(`"x"`)); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	now := time.Unix(1e9, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	var last bulk.Progress
	b := bulk.WithClock(bulk.Runner[string, string]{Workers: 1, Journal: j, Key: func(s string) string { return s },
		ProgressEvery: time.Hour, Progress: func(p bulk.Progress) { last = p }}, clock)
	rep, err := b.Run(context.Background(), in, func(ctx context.Context, s string) (string, error) {
		mu.Lock()
		now = now.Add(time.Second)
		mu.Unlock()
		return s, nil
	})
	if err != nil || rep.Done != 40 {
		t.Fatalf("done %d, %v", rep.Done, err)
	}
	if last.Rate != 1 || rep.Elapsed != 10*time.Second {
		t.Errorf("rate %v/s (want 1), elapsed %v", last.Rate, rep.Elapsed)
	}
}

// TestRunLeavesNoGoroutine: the progress ticker and the drain watcher end
// with the run, however it ends.
func TestRunLeavesNoGoroutine(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	b := bulk.Runner[string, string]{Workers: 2, ProgressEvery: time.Millisecond, Progress: func(bulk.Progress) {}}
	if _, err := b.Run(context.Background(), items(5), func(ctx context.Context, s string) (string, error) { return s, nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Run(ctx, items(5), func(ctx context.Context, s string) (string, error) { cancel(); return s, nil }); err != nil {
		t.Fatal(err)
	}
	// A goroutine that has signalled its end may still be on its way out:
	// look again for up to 10 s (a loaded machine; a pass ends at once).
	var buf []byte
	for range 1000 {
		buf = make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		if !strings.Contains(string(buf), "openrouter/bulk.(*runner") {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("a runner goroutine is left:\n%s", buf)
}

// TestRunCountsClientResendsAsMaybePaidTwice: an item whose request the
// client was allowed to send again after a cut (WithResendAfterCut)
// counts as maybe paid twice, though it is done.
func TestRunCountsClientResendsAsMaybePaidTwice(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	c := srv.Client(openrouter.WithRetry(2, 0, 0), openrouter.WithResendAfterCut(1))
	srv.Enqueue(openroutertest.Reply{Disconnect: true}, openroutertest.TextReply("a"))
	rep, err := bulk.Runner[string, string]{Workers: 1}.Run(context.Background(), []string{"a"}, func(ctx context.Context, s string) (string, error) {
		res, err := c.Chat(ctx, &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", Messages: []openrouter.Message{openrouter.UserMessage(s)}})
		if err != nil {
			return "", err
		}
		return res.Content(), nil
	})
	if err != nil || rep.Done != 1 || rep.MaybePaidTwice != 1 || rep.MaybeBilled != 0 {
		t.Errorf("err %v, done %d, maybe paid twice %d, maybe billed %d; want 1, 1, 0", err, rep.Done, rep.MaybePaidTwice, rep.MaybeBilled)
	}
}
