package bulk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// hostileFront serves the fake through a proxy whose JSON answers edit
// may change (path is the request's path), and returns a client of it.
func hostileFront(t *testing.T, srv *ort.Server, edit func(path string, obj map[string]any)) *openrouter.Client {
	t.Helper()
	target, _ := url.Parse(srv.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	director := proxy.Director
	proxy.Director = func(r *http.Request) { director(r); r.Header.Del("Accept-Encoding") }
	proxy.ModifyResponse = func(resp *http.Response) error {
		raw, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		var obj map[string]any
		if err == nil && json.Unmarshal(raw, &obj) == nil {
			edit(resp.Request.URL.Path, obj)
			raw, _ = json.Marshal(obj)
		}
		resp.Body = io.NopCloser(bytes.NewReader(raw))
		resp.ContentLength = int64(len(raw))
		resp.Header.Set("Content-Length", strconv.Itoa(len(raw)))
		return nil
	}
	front := httptest.NewServer(proxy)
	t.Cleanup(front.Close)
	return openrouter.NewClient(srv.Key, openrouter.WithBaseURL(front.URL), openrouter.WithRetry(3, 0, 0), openrouter.WithLimiter(nil))
}

// reopen closes a journal file and opens it again, as the next run would.
func reopen(t *testing.T, j *bulk.JSONLJournal, path string) *bulk.JSONLJournal {
	t.Helper()
	j.Close()
	j, err := bulk.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

// A batch whose item results could not be journaled (a full disk) stays
// open in the journal: the next run collects the answers from it again,
// and neither submits the items again nor pays for them twice.
func TestRunBatchUnjournaledResultsAreCollectedAgainNotRebought(t *testing.T) {
	var cnt counter
	srv, c, clock := batchSetup(t, &cnt)
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j, err := bulk.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	in := jobs(3, "openai/gpt-4o-mini")
	rep, err := bulk.Runner[job, string]{Key: jobKey, Journal: &fullJournal{Journal: j, room: 1}}.RunBatch(context.Background(), in, textMode(c, clock))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Done != 1 || !errors.Is(rep.Stopped, bulk.ErrNotJournaled) {
		t.Fatalf("full disk: done %d, stopped %v; want 1 done, the run stopped on the journal", rep.Done, rep.Stopped)
	}
	j = reopen(t, j, path) // the disk has room again
	rep, err = bulk.Runner[job, string]{Key: jobKey, Journal: j}.RunBatch(context.Background(), in, textMode(c, clock))
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, rep, 3)
	if rep.Done != 3 || srv.BatchStats().Submits != 1 {
		t.Fatalf("resumed: done %d, submits %d; want 3 done, the one batch collected again", rep.Done, srv.BatchStats().Submits)
	}
	for _, it := range in {
		if n := cnt.get(it.Text); n != 1 {
			t.Errorf("%s answered %d times; want once", it.Text, n)
		}
	}
}

// A Result that fails with an error that stops the run (a repair refused
// with 402) does not lose the batch answer, paid for: it is journaled,
// and the next run tries Result on it again without buying it again.
func TestRunBatchResultStoppingTheRunKeepsTheAnswer(t *testing.T) {
	var cnt counter
	srv, c, clock := batchSetup(t, &cnt)
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j, err := bulk.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	in := jobs(2, "openai/gpt-4o-mini")
	var broke atomic.Bool
	m := textMode(c, clock)
	m.Result = func(_ context.Context, it job, ans *openrouter.ChatResponse) (string, error) {
		if it.Text == in[1].Text && !broke.Load() {
			return "", fmt.Errorf("the repair: %w", openrouter.ErrInsufficientCredits)
		}
		return ans.Content(), nil
	}
	rep, err := bulk.Runner[job, string]{Key: jobKey, Journal: j}.RunBatch(context.Background(), in, m)
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(rep.Stopped, openrouter.ErrInsufficientCredits) || rep.Results[1].Status == bulk.Done {
		t.Fatalf("stopped %v, item 1 %v; want the run stopped on the 402, item 1 not done", rep.Stopped, rep.Results[1].Status)
	}
	broke.Store(true) // credits added
	j = reopen(t, j, path)
	rep, err = bulk.Runner[job, string]{Key: jobKey, Journal: j}.RunBatch(context.Background(), in, m)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Done != 2 || srv.BatchStats().Submits != 1 || cnt.get(in[1].Text) != 1 || rep.Results[1].Value != "You said: "+in[1].Text {
		t.Fatalf("resumed: done %d, submits %d, item 1 answered %d times (%q); want its kept answer used, not bought again",
			rep.Done, srv.BatchStats().Submits, cnt.get(in[1].Text), rep.Results[1].Value)
	}
}

// A completed batch whose results leave out an item that its counts say
// was run (results: [] or a row missing) may have billed it: the item
// ends Failed, maybe billed, naming the batch, and is not bought again
// silently by the next run.
func TestRunBatchCompletedBatchMissingAResultIsMaybeBilled(t *testing.T) {
	for _, drop := range []string{"one", "all"} {
		t.Run(drop, func(t *testing.T) {
			var cnt counter
			srv, _, clock := batchSetup(t, &cnt)
			in := jobs(3, "openai/gpt-4o-mini")
			c := hostileFront(t, srv, func(path string, obj map[string]any) {
				data, ok := obj["data"].([]any)
				if !ok || !strings.HasSuffix(path, "/results") {
					return
				}
				kept := []any{}
				for _, row := range data {
					if r, _ := row.(map[string]any); drop == "one" && r["custom_id"] != in[1].Text+"#t" {
						kept = append(kept, row)
					}
				}
				obj["data"] = kept
			})
			path := filepath.Join(t.TempDir(), "j.jsonl")
			j, err := bulk.OpenJournal(path)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := bulk.Runner[job, string]{Key: jobKey, Journal: j}.RunBatch(context.Background(), in, textMode(c, clock))
			if err != nil {
				t.Fatal(err)
			}
			checkCounts(t, rep, 3)
			r := rep.Results[1]
			if r.Status != bulk.Failed || !errors.Is(r.Err, openrouter.ErrMaybeBilled) || !strings.Contains(r.Err.Error(), rep.Batches[0]) {
				t.Fatalf("item 1: %v %v; want Failed, maybe billed, naming batch %v", r.Status, r.Err, rep.Batches)
			}
			j = reopen(t, j, path)
			if rep, err = (bulk.Runner[job, string]{Key: jobKey, Journal: j}).RunBatch(context.Background(), in, textMode(c, clock)); err != nil {
				t.Fatal(err)
			}
			if srv.BatchStats().Submits != 1 || cnt.get(in[1].Text) != 1 || !errors.Is(rep.Results[1].Err, openrouter.ErrMaybeBilled) {
				t.Fatalf("next run: submits %d, item 1 answered %d times, %v; want it not bought again unasked", srv.BatchStats().Submits, cnt.get(in[1].Text), rep.Results[1].Err)
			}
		})
	}
}

var _ = syscall.ENOSPC

// A run killed while an item's Result (a repair) has a request in flight
// leaves the item's start in the journal: the resumed run, which sends
// the repair again, counts the item in MaybePaidTwice.
func TestRunBatchKilledDuringARepairCountsItPaidTwice(t *testing.T) {
	var cnt counter
	dead := new(atomic.Bool)
	srv, _, clock := batchSetup(t, nil, ort.WithResponder(func(r ort.Request) ort.Reply {
		if strings.HasPrefix(r.LastUserText(), "repair ") {
			dead.Store(true) // the process is killed while the repair is answered
		}
		return cnt.responder(0.01)(r)
	}))
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j, err := bulk.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	in := jobs(2, "openai/gpt-4o-mini")
	mode := func(c *openrouter.Client) bulk.BatchMode[job, string] {
		m := textMode(c, clock)
		m.Result = func(ctx context.Context, it job, ans *openrouter.ChatResponse) (string, error) {
			if it.Text != in[1].Text {
				return ans.Content(), nil
			}
			fixed, err := c.Chat(ctx, &openrouter.ChatRequest{Model: it.Model, MaxTokens: 10, Messages: []openrouter.Message{openrouter.UserMessage("repair " + it.Text)}})
			if err != nil {
				return "", err
			}
			return fixed.Content(), nil
		}
		return m
	}
	kc := srv.Client(openrouter.WithHTTPClient(&http.Client{Transport: deadTransport{dead}}), openrouter.WithRetry(1, 0, 0), openrouter.WithLimiter(nil))
	if _, err := (bulk.Runner[job, string]{Key: jobKey, Journal: &dyingJournal{Journal: j, n: 1 << 30, dead: dead}}).RunBatch(context.Background(), in, mode(kc)); err != nil {
		t.Fatal(err)
	}
	j = reopen(t, j, path)
	c := srv.Client(openrouter.WithRetry(1, 0, 0), openrouter.WithLimiter(nil))
	rep, err := bulk.Runner[job, string]{Key: jobKey, Journal: j}.RunBatch(context.Background(), in, mode(c))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Done != 2 || cnt.get("repair "+in[1].Text) != 2 || srv.BatchStats().Submits != 1 || rep.MaybePaidTwice != 1 {
		t.Fatalf("done %d, repairs answered %d, submits %d, maybe paid twice %d; want 2, 2, 1, and the repaired item counted",
			rep.Done, cnt.get("repair "+in[1].Text), srv.BatchStats().Submits, rep.MaybePaidTwice)
	}
}

// A lost submission is found on a server whose clock is days behind the
// client's: it is proven by its results, and collected, never submitted
// again (the resubmission window, by the client's clock, has passed).
func TestRunBatchLostSubmitFoundOnAServerDaysBehind(t *testing.T) {
	for _, behind := range []time.Duration{3 * time.Hour, 2 * 24 * time.Hour, 10 * 24 * time.Hour} {
		t.Run(behind.String(), func(t *testing.T) {
			var cnt counter
			clock := ort.NewClock(time.Now().UTC().Add(-behind).Truncate(time.Second))
			srv, c := setup(t, []ort.Option{ort.WithClock(clock.Now), ort.WithResponder(cnt.responder(0.01))})
			srv.LoseBatchSubmits(1)
			m := bulk.WithBatchClock(textMode(c, clock), func() time.Time { return time.Now().Add(time.Hour) })
			rep, err := bulk.Runner[job, string]{Key: jobKey, Journal: openJournal(t)}.RunBatch(context.Background(), jobs(3, ""), m)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Done != 3 || srv.BatchStats().Submits != 1 {
				t.Fatalf("done %d, submits %d: %v; want the lost submission found and collected", rep.Done, srv.BatchStats().Submits, rep.Results[0].Err)
			}
		})
	}
}

// What a job's Reports say it cost adds up to what the server billed:
// a lost submission, a repair sent sync, a retried batch result, items
// run sync, and a second run that only reads the journal.
func TestRunBatchReportCostMatchesTheServersBill(t *testing.T) {
	var cnt counter
	srv, c, clock := batchSetup(t, &cnt)
	srv.LoseBatchSubmits(1)
	in := jobs(6, "openai/gpt-4o-mini")
	in = append(in, job{Text: "sync 1", Model: "openai/gpt-4o-mini", Image: true})
	srv.FailBatchRequest(in[2].Text+"#t", ort.BatchFailure{Status: 503, Message: "overloaded"})
	m := textMode(c, clock)
	m.ChunkSize = 3
	m.Result = func(ctx context.Context, it job, ans *openrouter.ChatResponse) (string, error) {
		if it.Text != in[4].Text {
			return ans.Content(), nil
		}
		fixed, err := c.Chat(ctx, &openrouter.ChatRequest{Model: it.Model, MaxTokens: 10, Messages: []openrouter.Message{openrouter.UserMessage("repair " + it.Text)}})
		if err != nil {
			return "", err
		}
		return fixed.Content(), nil
	}
	j := openJournal(t)
	rep, err := bulk.Runner[job, string]{Key: jobKey, Journal: j}.RunBatch(context.Background(), in, m)
	if err != nil {
		t.Fatal(err)
	}
	cr, err := openrouter.NewClient(srv.ManagementKey, openrouter.WithBaseURL(srv.URL)).Credits(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Done != 7 || math.Abs(rep.Cost-cr.TotalUsage) > 1e-9 || math.Abs(rep.JobCost-cr.TotalUsage) > 1e-9 || math.Abs(rep.BatchCost+rep.SyncCost-rep.Cost) > 1e-9 {
		t.Fatalf("done %d, cost %v (batch %v, sync %v), job cost %v; the server billed %v", rep.Done, rep.Cost, rep.BatchCost, rep.SyncCost, rep.JobCost, cr.TotalUsage)
	}
	again, err := bulk.Runner[job, string]{Key: jobKey, Journal: j}.RunBatch(context.Background(), in, m)
	if err != nil {
		t.Fatal(err)
	}
	if again.Cost != 0 || math.Abs(again.JobCost-cr.TotalUsage) > 1e-9 {
		t.Fatalf("a run that only reads the journal: cost %v, job cost %v; want 0 and %v", again.Cost, again.JobCost, cr.TotalUsage)
	}
}

// A repair that the client sent again after a cut connection may have
// been paid twice: the item counts in MaybePaidTwice, as on the sync path.
func TestRunBatchRepairResentAfterACutCountsPaidTwice(t *testing.T) {
	var cuts atomic.Int32
	clock := ort.NewClock(time.Now().UTC().Truncate(time.Second))
	srv, c := setup(t, []ort.Option{ort.WithClock(clock.Now), ort.WithResponder(func(r ort.Request) ort.Reply {
		if strings.HasPrefix(r.LastUserText(), "repair ") && cuts.Add(1) == 1 {
			return ort.Reply{Disconnect: true}
		}
		return r.DefaultReply()
	})})
	in := jobs(2, "openai/gpt-4o-mini")
	m := textMode(c, clock)
	var cut int
	m.Result = func(ctx context.Context, it job, ans *openrouter.ChatResponse) (string, error) {
		if it.Text != in[1].Text {
			return ans.Content(), nil
		}
		fixed, err := c.Chat(ctx, &openrouter.ChatRequest{Model: it.Model, MaxTokens: 10, Messages: []openrouter.Message{openrouter.UserMessage("repair " + it.Text)}},
			openrouter.CallResendAfterCut(1)) // the caller allows a resend after a cut, and pays for it
		if err != nil {
			return "", err
		}
		cut = fixed.MaybeBilled
		return fixed.Content(), nil
	}
	rep, err := bulk.Runner[job, string]{Key: jobKey, Journal: openJournal(t)}.RunBatch(context.Background(), in, m)
	if err != nil {
		t.Fatal(err)
	}
	if cut != 1 || cuts.Load() != 2 {
		t.Fatalf("repair sent %d times, its answer says %d may have been billed; want 2 and 1", cuts.Load(), cut)
	}
	if srv.BatchStats().Submits != 1 || rep.Done != 2 || rep.MaybePaidTwice != 1 {
		t.Fatalf("maybe paid twice %d; want the item whose repair was resent after a cut", rep.MaybePaidTwice)
	}
}

// An expired batch whose request counts are proven wrong (fewer finished
// requests than results given) cannot say which of its requests ran: an
// item without a result may have been paid for, and is not run again
// unasked.
func TestRunBatchLyingCountsLeaveItemsMaybeBilled(t *testing.T) {
	var cnt counter
	srv, _, clock := batchSetup(t, &cnt)
	srv.ExpireBatches(1)
	c := hostileFront(t, srv, func(path string, obj map[string]any) {
		if obj["object"] == "batch" && obj["status"] == "expired" {
			obj["request_counts"] = map[string]any{"total": 4, "completed": 0, "failed": 0}
		}
	})
	rep, err := bulk.Runner[job, string]{Key: jobKey, Journal: openJournal(t)}.RunBatch(context.Background(), jobs(4, ""), textMode(c, clock))
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, rep, 4)
	if rep.Done != 2 || rep.Failed != 2 || rep.MaybeBilled != 2 {
		t.Fatalf("done %d, failed %d, maybe billed %d; want the 2 items without a result Failed, maybe billed: %v", rep.Done, rep.Failed, rep.MaybeBilled, rep.Remaining())
	}
}
