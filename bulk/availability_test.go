package bulk_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// streamItem runs an item as a stream, whose errors come inside the 200.
func streamItem(c *openrouter.Client) func(context.Context, string) (string, error) {
	return func(ctx context.Context, it string) (string, error) {
		s := c.ChatStream(ctx, &openrouter.ChatRequest{Messages: []openrouter.Message{openrouter.UserMessage(it)}})
		for _, err := range s.Chunks() {
			if err != nil {
				return "", err
			}
		}
		return s.Response().Content(), nil
	}
}

// TestBulkStopsOnPermanentAvailability checks that a run stops on a model
// OpenRouter will not serve (retired, free variant ended, privacy or
// region restricted), over HTTP and mid-stream alike, after at most its
// worker count of requests, with Report.Stopped naming the code; a
// retryable code (capacity_exhausted) does not stop it.
func TestBulkStopsOnPermanentAvailability(t *testing.T) {
	t.Parallel()
	const workers, total = 3, 60
	for _, code := range []string{"model_deprecated", "free_variant_ended", "privacy_restricted", "region_restricted"} {
		for _, midStream := range []bool{false, true} {
			var sent atomic.Int32
			reply := ort.AvailabilityReply(code, "openai/gpt-4o-mini", "openai/gpt-4.1-mini")
			if midStream {
				reply = reply.MidStream()
			}
			srv, c := setup(t, []ort.Option{ort.WithResponder(func(ort.Request) ort.Reply { sent.Add(1); return reply })})
			fn := chatItem(c)
			if midStream {
				fn = streamItem(c)
			}
			rep, err := bulk.NoPassWait(bulk.Runner[string, string]{Workers: workers}).Run(context.Background(), items(total), fn)
			if err != nil {
				t.Fatal(err)
			}
			var ae *openrouter.APIError
			if !errors.As(rep.Stopped, &ae) || ae.Availability == nil || ae.Availability.Code != code || !strings.Contains(rep.Stopped.Error(), code) {
				t.Fatalf("%s (mid-stream %v): Stopped = %v, want the availability error naming its code", code, midStream, rep.Stopped)
			}
			if n := int(sent.Load()); n > workers || srv.Stats().Completions != 0 {
				t.Errorf("%s (mid-stream %v): %d requests sent, want at most %d", code, midStream, n, workers)
			}
			if rep.NotAttempted < total-workers {
				t.Errorf("%s (mid-stream %v): %d not attempted, want at least %d", code, midStream, rep.NotAttempted, total-workers)
			}
			checkCounts(t, rep, total)
		}
	}

	// A retryable code before any output passes on a later pass; after
	// some output the model ran: the item fails, maybe billed, and is not
	// run again.
	for _, afterOutput := range []bool{false, true} {
		var busy atomic.Int32
		_, c := setup(t, []ort.Option{ort.WithResponder(func(r ort.Request) ort.Reply {
			if busy.Add(1) <= 2 {
				reply := ort.AvailabilityReply("capacity_exhausted", "openai/gpt-4o-mini")
				if afterOutput {
					return reply.MidStream()
				}
				reply.Status = 200 // the stream's first event
				return reply
			}
			return r.DefaultReply()
		})})
		rep, err := bulk.NoPassWait(bulk.Runner[string, string]{Workers: 2}).Run(context.Background(), items(10), streamItem(c))
		want := 10
		if afterOutput {
			want = 8
		}
		if err != nil || rep.Stopped != nil || rep.Done != want || rep.MaybeBilled != 10-want {
			t.Errorf("capacity_exhausted (after output %v): done %d, maybe billed %d, stopped %v (err %v), want %d done", afterOutput, rep.Done, rep.MaybeBilled, rep.Stopped, err, want)
		}
		if n := int(busy.Load()); n != 10+want-8 {
			t.Errorf("capacity_exhausted (after output %v): %d requests, want %d", afterOutput, n, 10+want-8)
		}
	}
}

// fakeClock is a clock a run's waits move forward.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	f.sleeps = append(f.sleeps, d)
	return ctx.Err()
}

// TestBulkBudget checks that a spent budget (403, resets_at) stops a run
// after at most its worker count of requests, and that with
// WaitForBudgetReset the run instead waits until resets_at (on an
// injected clock) and then finishes every item; a reset beyond
// WaitForBudgetReset stops it.
func TestBulkBudget(t *testing.T) {
	t.Parallel()
	const workers, total = 4, 40
	clock := &fakeClock{now: time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC)}
	resets := clock.now.Add(time.Hour)
	var refused atomic.Int32
	responder := func(r ort.Request) ort.Reply {
		if clock.Now().Before(resets) {
			refused.Add(1)
			return ort.BudgetReply(ort.WorkspaceBudget, 500, resets)
		}
		return r.DefaultReply()
	}
	_, c := setup(t, []ort.Option{ort.WithResponder(responder)})

	rep, err := bulk.WithClock(bulk.NoPassWait(bulk.Runner[string, string]{Workers: workers}), clock.Now).Run(context.Background(), items(total), chatItem(c))
	if err != nil || !errors.Is(rep.Stopped, openrouter.ErrBudgetExceeded) || int(refused.Load()) > workers || rep.Done != 0 {
		t.Fatalf("without waiting: stopped %v after %d requests (done %d), want ErrBudgetExceeded after at most %d", rep.Stopped, refused.Load(), rep.Done, workers)
	}

	refused.Store(0)
	tooShort := bulk.Runner[string, string]{Workers: workers, WaitForBudgetReset: 30 * time.Minute}
	rep, _ = bulk.WithSleep(bulk.WithClock(tooShort, clock.Now), clock.Sleep).Run(context.Background(), items(total), chatItem(c))
	if !errors.Is(rep.Stopped, openrouter.ErrBudgetExceeded) || len(clock.sleeps) != 0 {
		t.Fatalf("reset beyond WaitForBudgetReset: stopped %v, sleeps %v, want a stop without waiting", rep.Stopped, clock.sleeps)
	}

	refused.Store(0)
	waiting := bulk.Runner[string, string]{Workers: workers, WaitForBudgetReset: 2 * time.Hour}
	rep, err = bulk.WithSleep(bulk.WithClock(waiting, clock.Now), clock.Sleep).Run(context.Background(), items(total), chatItem(c))
	if err != nil || rep.Stopped != nil || rep.Done != total {
		t.Fatalf("waiting for the reset: done %d, stopped %v, err %v", rep.Done, rep.Stopped, err)
	}
	if n := int(refused.Load()); n < 1 || n > workers {
		t.Errorf("%d requests refused before the pause, want 1 to %d", n, workers)
	}
	if len(clock.sleeps) != 1 || clock.sleeps[0] != time.Hour {
		t.Errorf("sleeps = %v, want one wait of an hour, to resets_at", clock.sleeps)
	}
	checkCounts(t, rep, total)
}

// TestBulkFallbackModel checks that with FallbackModel a retired model
// does not stop the run: the failed items and the next ones run with the
// fallback (read through bulk.Model), after at most Workers requests to
// the retired model; a fallback retired too stops the run.
func TestBulkFallbackModel(t *testing.T) {
	t.Parallel()
	const workers, total = 3, 30
	const retired, successor = "openai/gpt-4o-mini", "anthropic/claude-haiku-4.5"
	var toRetired atomic.Int32
	dead := map[string]bool{retired: true}
	_, c := setup(t, []ort.Option{ort.WithResponder(func(r ort.Request) ort.Reply {
		if dead[r.Model] {
			if r.Model == retired {
				toRetired.Add(1)
			}
			return ort.AvailabilityReply("model_deprecated", r.Model, successor)
		}
		return ort.TextReply(r.Model)
	})})
	fn := func(ctx context.Context, it string) (string, error) {
		res, err := c.Chat(ctx, &openrouter.ChatRequest{Model: bulk.Model(ctx, retired), Messages: []openrouter.Message{openrouter.UserMessage(it)}})
		if err != nil {
			return "", err
		}
		return res.Content(), nil
	}
	run := bulk.NoPassWait(bulk.Runner[string, string]{Workers: workers, FallbackModel: successor})
	rep, err := run.Run(context.Background(), items(total), fn)
	if err != nil || rep.Stopped != nil || rep.Done != total {
		t.Fatalf("done %d, stopped %v, err %v; want every item done with the fallback", rep.Done, rep.Stopped, err)
	}
	for _, res := range rep.Results {
		if res.Value != successor {
			t.Fatalf("item %s answered by %q, want %s", res.Key, res.Value, successor)
		}
	}
	var ae *openrouter.APIError
	if !errors.As(rep.FellBack, &ae) || ae.Availability.Code != "model_deprecated" || int(toRetired.Load()) > workers {
		t.Errorf("FellBack = %v after %d requests to the retired model, want model_deprecated after at most %d", rep.FellBack, toRetired.Load(), workers)
	}

	dead[successor] = true // read by the responder only after this write: the run above is over
	rep, _ = run.Run(context.Background(), items(total), fn)
	if !errors.As(rep.Stopped, &ae) || ae.Availability.Code != "model_deprecated" || rep.Done != 0 {
		t.Errorf("a retired fallback: stopped %v, done %d, want a stop", rep.Stopped, rep.Done)
	}
}
