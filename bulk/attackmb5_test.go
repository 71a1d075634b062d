package bulk_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// TestAttackMB5RequeuedMaybeBilledCountsTwice: with RequeueMaybeBilled
// and a FallbackModel, an item whose stream failed with a permanent
// availability error after output (maybe billed: the model ran) is run
// again with the fallback; done, it counts in MaybePaidTwice, as any
// item run again after a maybe-billed attempt does.
func TestAttackMB5RequeuedMaybeBilledCountsTwice(t *testing.T) {
	t.Parallel()
	const total = 6
	var failed atomic.Int32
	_, c := setup(t, []ort.Option{ort.WithResponder(func(r ort.Request) ort.Reply {
		if r.Model == "openai/gpt-4o-mini" {
			failed.Add(1)
			return ort.AvailabilityReply("model_deprecated", "openai/gpt-4o-mini").MidStream()
		}
		return r.DefaultReply()
	})})
	fn := func(ctx context.Context, it string) (string, error) {
		s := c.ChatStream(ctx, &openrouter.ChatRequest{Model: bulk.Model(ctx, "openai/gpt-4o-mini"), Messages: []openrouter.Message{openrouter.UserMessage(it)}})
		for _, err := range s.Chunks() {
			if err != nil {
				return "", err
			}
		}
		return s.Response().Content(), nil
	}
	rep, err := bulk.NoPassWait(bulk.Runner[string, string]{Workers: 1, RequeueMaybeBilled: true, FallbackModel: "anthropic/claude-sonnet-4.5"}).Run(context.Background(), items(total), fn)
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, rep, total)
	if rep.Done != total || rep.FellBack == nil {
		t.Fatalf("done %d, fell back %v, stopped %v; want all done on the fallback", rep.Done, rep.FellBack, rep.Stopped)
	}
	if want := int(failed.Load()); rep.MaybePaidTwice != want {
		t.Errorf("MaybePaidTwice = %d, want %d: each item run again after a maybe-billed attempt", rep.MaybePaidTwice, want)
	}
}

// TestAttackMB5SharedMaybeBilledStop: on a shared job, an item that fails
// maybe billed with an error that fails every item (credits spent
// mid-stream) stops its worker's run and ends once, Failed and maybe
// billed, never run again; the other worker ends the rest; every item
// runs at most once and the counts add up.
func TestAttackMB5SharedMaybeBilledStop(t *testing.T) {
	job, clk := newJob(10 * time.Second)
	items := keys(40)
	var c calls
	fn := func(_ context.Context, k string) (string, error) {
		c.add(k)
		if k == "k010" {
			return "", fmt.Errorf("stream: %w (%w)", openrouter.ErrInsufficientCredits, openrouter.ErrMaybeBilled)
		}
		return strings.ToUpper(k), nil
	}
	reps := runTwoWorkers(t, job, clk, 2, items, fn)
	if t.Failed() {
		return
	}
	stopped := 0
	for w, rep := range reps {
		checkCounts(t, rep, len(items))
		if rep.Stopped != nil {
			stopped++
			if !errors.Is(rep.Stopped, openrouter.ErrInsufficientCredits) {
				t.Errorf("worker %d stopped by %v", w, rep.Stopped)
			}
		}
		if bad := rep.Results[10]; bad.Status != bulk.Failed || !errors.Is(bad.Err, openrouter.ErrMaybeBilled) {
			t.Errorf("worker %d: k010 %v %v, want Failed, maybe billed", w, bad.Status, bad.Err)
		}
	}
	if stopped != 1 {
		t.Errorf("%d workers stopped, want the one that ran k010", stopped)
	}
	for _, k := range items {
		if c.n[k] > 1 {
			t.Errorf("item %s ran %d times", k, c.n[k])
		}
	}
	st, err := bulk.ReadJob(context.Background(), job.Worker("reader"))
	if err != nil || st.Failed != 1 || st.MaybeBilled != 1 || st.Running != 0 || st.Done+st.Failed != len(items) {
		t.Errorf("ReadJob: %+v, %v; want %d done, 1 failed maybe billed, none running", st, err, len(items)-1)
	}
}

// TestAttackMB5MaybeBilledPermanentFallsBack: without RequeueMaybeBilled,
// an item whose stream failed after output with a permanent availability
// error ends Failed, maybe billed, and is not run again; but the run
// switches to its FallbackModel for the other items, as it does when the
// error comes before output, instead of stopping.
func TestAttackMB5MaybeBilledPermanentFallsBack(t *testing.T) {
	t.Parallel()
	const total = 6
	_, c := setup(t, []ort.Option{ort.WithResponder(func(r ort.Request) ort.Reply {
		if r.Model == "openai/gpt-4o-mini" {
			return ort.AvailabilityReply("model_deprecated", "openai/gpt-4o-mini").MidStream()
		}
		return r.DefaultReply()
	})})
	fn := func(ctx context.Context, it string) (string, error) {
		s := c.ChatStream(ctx, &openrouter.ChatRequest{Model: bulk.Model(ctx, "openai/gpt-4o-mini"), Messages: []openrouter.Message{openrouter.UserMessage(it)}})
		for _, err := range s.Chunks() {
			if err != nil {
				return "", err
			}
		}
		return s.Response().Content(), nil
	}
	rep, err := bulk.NoPassWait(bulk.Runner[string, string]{Workers: 1, FallbackModel: "anthropic/claude-sonnet-4.5"}).Run(context.Background(), items(total), fn)
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, rep, total)
	if rep.Stopped != nil || rep.FellBack == nil || rep.Done != total-1 || rep.Failed != 1 || rep.MaybeBilled != 1 {
		t.Errorf("stopped %v, fell back %v, done %d, failed %d, maybe billed %d; want the run on the fallback, %d done, 1 failed maybe billed",
			rep.Stopped, rep.FellBack, rep.Done, rep.Failed, rep.MaybeBilled, total-1)
	}
}

// TestAttackMB5StopCountsOnlyItsItemMaybeBilled: a run stopped by an
// item whose stream failed maybe billed with an error that fails every
// item (a permanent availability code after output, no fallback) counts
// that item in MaybeBilled, not the items never sent, which end not
// attempted with the stop's error.
func TestAttackMB5StopCountsOnlyItsItemMaybeBilled(t *testing.T) {
	t.Parallel()
	const total = 8
	var sent atomic.Int32
	_, c := setup(t, []ort.Option{ort.WithResponder(func(r ort.Request) ort.Reply {
		sent.Add(1)
		return ort.AvailabilityReply("model_deprecated", "openai/gpt-4o-mini").MidStream()
	})})
	rep, err := bulk.NoPassWait(bulk.Runner[string, string]{Workers: 1}).Run(context.Background(), items(total), streamItem(c))
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, rep, total)
	if rep.Stopped == nil || rep.Failed != int(sent.Load()) || rep.MaybeBilled != int(sent.Load()) || rep.NotAttempted != total-int(sent.Load()) {
		t.Errorf("stopped %v, failed %d, maybe billed %d, not attempted %d after %d requests; want only the items sent counted maybe billed",
			rep.Stopped, rep.Failed, rep.MaybeBilled, rep.NotAttempted, sent.Load())
	}
	billed := 0 // as an observer counts them (orotel): the Report's count
	for _, res := range rep.Results {
		if res.Status != bulk.Done && errors.Is(res.Err, openrouter.ErrMaybeBilled) {
			billed++
		}
		var ae *openrouter.APIError
		if res.Status == bulk.NotAttempted && (!errors.As(res.Err, &ae) || ae.Availability == nil || !errors.Is(res.Err, openrouter.ErrModelNotFound) && !errors.Is(res.Err, rep.Stopped)) {
			t.Errorf("%s not attempted with %v, want the stop's availability error", res.Key, res.Err)
		}
	}
	if billed != rep.MaybeBilled {
		t.Errorf("%d results maybe billed, Report.MaybeBilled %d", billed, rep.MaybeBilled)
	}
}
