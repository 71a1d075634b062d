package bulk_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// TestBulkFallbackWithoutRetries checks that switching to FallbackModel
// does not depend on the retry passes: with RetryFor negative (failed
// items are never put back) the items that met the retired model still
// run again with the fallback, and at once (no wait between passes).
func TestBulkFallbackWithoutRetries(t *testing.T) {
	t.Parallel()
	const workers, total = 2, 10
	const retired, successor = "openai/gpt-4o-mini", "anthropic/claude-haiku-4.5"
	_, c := setup(t, []ort.Option{ort.WithResponder(func(r ort.Request) ort.Reply {
		if r.Model == retired {
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
	clock := &fakeClock{now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	run := bulk.WithSleep(bulk.WithClock(bulk.Runner[string, string]{Workers: workers, FallbackModel: successor, RetryFor: -1}, clock.Now), clock.Sleep)
	rep, err := run.Run(context.Background(), items(total), fn)
	if err != nil || rep.Stopped != nil || rep.Done != total {
		t.Fatalf("done %d, failed %d, stopped %v, err %v; want every item done with the fallback", rep.Done, rep.Failed, rep.Stopped, err)
	}
	if len(clock.sleeps) != 0 {
		t.Errorf("the run waited %v before running the fallback, want no wait", clock.sleeps)
	}
	checkCounts(t, rep, total)
}

// TestBulkAvailabilityWithoutRetryable checks that a capacity_exhausted
// whose availability has no retryable member is put back for a later
// pass, as its 429 says, not failed for good.
func TestBulkAvailabilityWithoutRetryable(t *testing.T) {
	t.Parallel()
	const body = `{"error":{"message":"All providers are at capacity.","error_type":"rate_limit_exceeded","http_status":429,` +
		`"availability":{"code":"capacity_exhausted","requested_models":["openai/gpt-4o-mini"],"docs_url":"https://openrouter.ai/docs/errors#capacity_exhausted"}}}`
	var n atomic.Int32
	_, c := setup(t, []ort.Option{ort.WithResponder(func(r ort.Request) ort.Reply {
		if n.Add(1) == 1 {
			return ort.Reply{Status: 429, Body: body}
		}
		return r.DefaultReply()
	})}, openrouter.WithRetry(0, time.Millisecond, time.Millisecond))
	rep, err := bulk.NoPassWait(bulk.Runner[string, string]{Workers: 1}).Run(context.Background(), items(3), chatItem(c))
	if err != nil || rep.Done != 3 {
		var ae *openrouter.APIError
		errors.As(rep.Results[0].Err, &ae)
		t.Fatalf("done %d, first item's error %v, err %v; want every item done after a later pass", rep.Done, rep.Results[0].Err, err)
	}
}

// TestBulkBudgetPauseAfterStop checks that a run which meets a budget
// block it may wait out and, in the same pass, an error that stops it (a
// retired model) stops at once: it does not sleep until the budget's
// reset first.
func TestBulkBudgetPauseAfterStop(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	_, c := setup(t, []ort.Option{ort.WithResponder(func(r ort.Request) ort.Reply {
		if r.LastUserText() == "item 000" {
			return ort.BudgetReply(ort.WorkspaceBudget, 500, clock.Now().Add(time.Hour))
		}
		return ort.AvailabilityReply("model_deprecated", r.Model)
	})})
	var arrived sync.WaitGroup
	arrived.Add(2)
	fn := func(ctx context.Context, it string) (string, error) {
		arrived.Done()
		arrived.Wait() // both items in flight: both errors come in the same pass
		return chatItem(c)(ctx, it)
	}
	run := bulk.WithSleep(bulk.WithClock(bulk.Runner[string, string]{Workers: 2, WaitForBudgetReset: 2 * time.Hour}, clock.Now), clock.Sleep)
	rep, err := run.Run(context.Background(), items(2), fn)
	var ae *openrouter.APIError
	if err != nil || !errors.As(rep.Stopped, &ae) || ae.Availability == nil {
		t.Fatalf("stopped %v (err %v), want the retired model's error", rep.Stopped, err)
	}
	if len(clock.sleeps) != 0 {
		t.Errorf("the stopped run slept %v first, want no wait", clock.sleeps)
	}
	checkCounts(t, rep, 2)
}

// TestBulkBudgetResetNeverComes checks that WaitForBudgetReset bounds the
// whole wait of a run, whatever resets_at says: a resets_at already past
// (clock skew, a hostile server) stops the run instead of sending again
// at once pass after pass, and a resets_at that moves on with each answer
// is waited for at most WaitForBudgetReset in all.
func TestBulkBudgetResetNeverComes(t *testing.T) {
	t.Parallel()
	const workers, total = 2, 6
	for name, ahead := range map[string]time.Duration{"past": -time.Second, "moving": 30 * time.Minute} {
		clock := &fakeClock{now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
		var refused atomic.Int32
		_, c := setup(t, []ort.Option{ort.WithResponder(func(r ort.Request) ort.Reply {
			if refused.Add(1) > 50 { // the loop ran away: end it, so that the test fails rather than hangs
				return r.DefaultReply()
			}
			clock.mu.Lock()
			clock.now = clock.now.Add(time.Second) // each answer takes a second
			now := clock.now
			clock.mu.Unlock()
			return ort.BudgetReply(ort.WorkspaceBudget, 500, now.Add(ahead))
		})})
		run := bulk.WithSleep(bulk.WithClock(bulk.Runner[string, string]{Workers: workers, WaitForBudgetReset: time.Hour}, clock.Now), clock.Sleep)
		rep, err := run.Run(context.Background(), items(total), chatItem(c))
		if err != nil || !errors.Is(rep.Stopped, openrouter.ErrBudgetExceeded) {
			t.Errorf("%s: stopped %v after %d requests (err %v), want ErrBudgetExceeded", name, rep.Stopped, refused.Load(), err)
		}
		var waited time.Duration
		for _, d := range clock.sleeps {
			waited += d
		}
		if waited > time.Hour || int(refused.Load()) > 3*workers {
			t.Errorf("%s: waited %v over %d requests, want at most WaitForBudgetReset (1h) and a few requests", name, waited, refused.Load())
		}
		checkCounts(t, rep, total)
	}
}

// TestBulkBudgetWaitCancelled checks that a run waiting for a budget's
// reset ends when its context does: Stopped is the context's error, no
// request is sent after it, and every item is counted once.
func TestBulkBudgetWaitCancelled(t *testing.T) {
	t.Parallel()
	const workers, total = 3, 9
	clock := &fakeClock{now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	var sent atomic.Int32
	_, c := setup(t, []ort.Option{ort.WithResponder(func(r ort.Request) ort.Reply {
		sent.Add(1)
		return ort.BudgetReply(ort.WorkspaceBudget, 500, clock.Now().Add(time.Hour))
	})})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sleep := func(ctx context.Context, d time.Duration) error {
		cancel() // the caller gives up during the wait
		return clock.Sleep(ctx, d)
	}
	run := bulk.WithSleep(bulk.WithClock(bulk.Runner[string, string]{Workers: workers, WaitForBudgetReset: 2 * time.Hour}, clock.Now), sleep)
	rep, err := run.Run(ctx, items(total), chatItem(c))
	if err != nil || !errors.Is(rep.Stopped, context.Canceled) {
		t.Fatalf("stopped %v (err %v), want context.Canceled", rep.Stopped, err)
	}
	if n := int(sent.Load()); n > workers || rep.Done != 0 {
		t.Errorf("%d requests, %d done, want at most %d requests before the wait and none after", n, rep.Done, workers)
	}
	checkCounts(t, rep, total)
}

// TestBulkLongCapacityWaitDoesNotStop checks that a capacity_exhausted
// whose retry_after passes the client's maximum wait (so the call ends
// with ErrQuotaExhausted) does not stop the run as a daily quota does:
// OpenRouter marks it retryable, and a later pass runs the item.
func TestBulkLongCapacityWaitDoesNotStop(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	_, c := setup(t, []ort.Option{ort.WithResponder(func(r ort.Request) ort.Reply {
		if n.Add(1) == 1 {
			e := ort.AvailabilityError("capacity_exhausted", r.Model)
			wait := 600.0
			e.Availability.RetryAfter = &wait
			return ort.Reply{Status: 429, Error: e}
		}
		return r.DefaultReply()
	})}, openrouter.WithRetry(3, time.Millisecond, time.Minute))
	rep, err := bulk.NoPassWait(bulk.Runner[string, string]{Workers: 1}).Run(context.Background(), items(3), chatItem(c))
	if err != nil || rep.Stopped != nil || rep.Done != 3 {
		t.Fatalf("done %d, stopped %v (err %v), want every item done after a later pass", rep.Done, rep.Stopped, err)
	}
}

// TestBulkStopWhileOthersInFlight checks a run of many workers where one
// item meets an ended free variant while the others succeed: every item
// is reported once, done (its value kept) or not attempted with the
// stop's error, none failed. (How many requests follow the stop is
// TestBulkStopsOnPermanentAvailability's: counted at the server, the
// answer's way back to the run is a window no test can bound.)
func TestBulkStopWhileOthersInFlight(t *testing.T) {
	t.Parallel()
	const workers, total = 8, 200
	_, c := setup(t, []ort.Option{ort.WithResponder(func(r ort.Request) ort.Reply {
		if r.LastUserText() == "item 050" {
			return ort.AvailabilityReply("free_variant_ended", r.Model, "openai/gpt-4o-mini")
		}
		return r.DefaultReply()
	})})
	rep, err := bulk.NoPassWait(bulk.Runner[string, string]{Workers: workers}).Run(context.Background(), items(total), chatItem(c))
	var ae *openrouter.APIError
	if err != nil || !errors.As(rep.Stopped, &ae) || ae.Availability == nil || ae.Availability.Code != "free_variant_ended" {
		t.Fatalf("stopped %v (err %v), want free_variant_ended", rep.Stopped, err)
	}
	for _, res := range rep.Results {
		switch {
		case res.Status == bulk.Done && res.Value == "":
			t.Errorf("item %s done without its value", res.Key)
		case res.Status == bulk.NotAttempted && !errors.Is(res.Err, openrouter.ErrModelNotFound):
			t.Errorf("item %s not attempted with %v, want the stop's error", res.Key, res.Err)
		case res.Status == bulk.Failed:
			t.Errorf("item %s failed: %v", res.Key, res.Err)
		}
	}
	checkCounts(t, rep, total)
}
