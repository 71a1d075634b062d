package bulk_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// job is a batch test's item: its text, and what its request needs.
type job struct {
	Text  string
	Model string
	Image bool // asks for image output: cannot go in a batch
}

func jobKey(j job) string { return j.Text }

func jobs(n int, model string) []job {
	out := make([]job, n)
	for i, it := range items(n) {
		out[i] = job{Text: it, Model: model}
	}
	return out
}

// textMode is a BatchMode whose value is the answer's text. Its
// submissions' nonce is "t", so that the fake's answers can be scripted
// by custom ID ("item 002#t").
func textMode(c *openrouter.Client, clock *ort.Clock) bulk.BatchMode[job, string] {
	return bulk.WithBatchNonce(bulk.BatchMode[job, string]{
		Client: c,
		Request: func(j job) (*openrouter.ChatRequest, error) {
			req := &openrouter.ChatRequest{Model: j.Model, MaxTokens: 100, Messages: []openrouter.Message{openrouter.UserMessage(j.Text)}}
			if j.Image {
				req.Modalities = []string{"image", "text"}
			}
			return req, nil
		},
		Result: func(_ context.Context, _ job, ans *openrouter.ChatResponse) (string, error) {
			return ans.Content(), nil
		},
		Wait: pollAdvancing(clock),
	}, "t")
}

// pollAdvancing polls without waiting, each poll moving the fake's batch
// clock a minute on: the batches progress as they are polled.
func pollAdvancing(clock *ort.Clock) openrouter.BatchWait {
	return openrouter.BatchWait{MinInterval: time.Nanosecond, MaxInterval: time.Nanosecond,
		OnPoll: func(*openrouter.Batch) { clock.Advance(time.Minute) }}
}

func batchSetup(t *testing.T, cnt *counter, opts ...ort.Option) (*ort.Server, *openrouter.Client, *ort.Clock) {
	t.Helper()
	clock := ort.NewClock(time.Now().UTC().Truncate(time.Second)) // the client dates its batch lookups by its own clock
	srv, c := setup(t, append([]ort.Option{ort.WithClock(clock.Now), ort.WithResponder(cnt.responder(0.01))}, opts...))
	return srv, c, clock
}

func TestRunBatchChunksGroupsAndRunsTheRestSync(t *testing.T) {
	var cnt counter
	srv, c, clock := batchSetup(t, &cnt)
	in := jobs(25, "openai/gpt-4o-mini")
	in = append(in, jobs(5, "mistralai/mistral-nemo")...)
	for i := range 5 {
		in[25+i].Text = "nemo " + in[25+i].Text
	}
	in = append(in, job{Text: "draw a cat", Model: "openai/gpt-4o-mini", Image: true}, job{Text: "on llama", Model: "meta-llama/llama-3.3-70b-instruct"})
	m := textMode(c, clock)
	m.ChunkSize = 10
	m.Batchable = func(model string) bool { return !strings.HasPrefix(model, "meta-llama/") }
	rep, err := bulk.Runner[job, string]{Key: jobKey}.RunBatch(context.Background(), in, m)
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, rep, len(in))
	if rep.Done != len(in) || rep.InBatch != 30 || rep.InSync != 2 {
		t.Fatalf("done %d, in batch %d, sync %d; want %d, 30, 2", rep.Done, rep.InBatch, rep.InSync, len(in))
	}
	// 25 items in chunks of 10 on one model, 5 on another: 4 batches.
	if st := srv.BatchStats(); st.Submits != 4 || len(rep.Batches) != 4 {
		t.Errorf("submits %d, report batches %v; want 4", st.Submits, rep.Batches)
	}
	for _, res := range rep.Results {
		if n := cnt.get(res.Item.Text); n != 1 {
			t.Errorf("%s answered %d times", res.Key, n)
		}
		wantCost, batched := 0.005, true // the fake's batch price is half the sync price
		if res.Item.Image || strings.HasPrefix(res.Item.Model, "meta-llama/") {
			wantCost, batched = 0.01, false
		}
		if (res.Batch != "") != batched || !near(res.Cost, wantCost) || res.Value == "" {
			t.Errorf("%s: batch %q, cost %v, value %q; want batched %v, cost %v", res.Key, res.Batch, res.Cost, res.Value, batched, wantCost)
		}
	}
	if !near(rep.BatchCost, 30*0.005) || !near(rep.SyncCost, 2*0.01) || !near(rep.Cost, rep.BatchCost+rep.SyncCost) {
		t.Errorf("costs: batch %v sync %v total %v", rep.BatchCost, rep.SyncCost, rep.Cost)
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

func TestRunBatchGroupsGoogleByResponseFormat(t *testing.T) {
	var cnt counter
	srv, c, clock := batchSetup(t, &cnt)
	in := jobs(6, "google/gemini-2.5-flash")
	m := textMode(c, clock)
	base := m.Request
	m.Request = func(j job) (*openrouter.ChatRequest, error) {
		req, _ := base(j)
		if strings.HasSuffix(j.Text, "1") || strings.HasSuffix(j.Text, "3") {
			req.ResponseFormat = &openrouter.ResponseFormat{Type: "json_object"}
		}
		return req, nil
	}
	rep, err := bulk.Runner[job, string]{Key: jobKey}.RunBatch(context.Background(), in, m)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Done != 6 || srv.BatchStats().Submits != 2 {
		t.Errorf("done %d, submits %d; want 6 and 2 (one response_format per Google batch)", rep.Done, srv.BatchStats().Submits)
	}
}

func TestRunBatchRetryableResultsRunAgain(t *testing.T) {
	for _, inBatch := range []bool{false, true} {
		var cnt counter
		srv, c, clock := batchSetup(t, &cnt)
		srv.FailBatchRequest("item 002#t", ort.BatchFailure{Status: 503, Message: "overloaded"})
		srv.FailBatchRequest("item 003#t", ort.BatchFailure{Status: 400, Message: "bad request"})
		m := textMode(c, clock)
		m.RetryInBatch = inBatch
		rep, err := bulk.Runner[job, string]{Key: jobKey}.RunBatch(context.Background(), jobs(5, ""), m)
		if err != nil {
			t.Fatal(err)
		}
		checkCounts(t, rep, 5)
		r2, r3 := rep.Results[2], rep.Results[3]
		if r3.Status != bulk.Failed || !errors.Is(r3.Err, openrouter.ErrBadRequest) {
			t.Errorf("in batch %v: the 400 ended %v, %v; want failed, ErrBadRequest", inBatch, r3.Status, r3.Err)
		}
		submits := srv.BatchStats().Submits
		switch {
		case inBatch && (r2.Status != bulk.Done || submits != 2 || r2.Batch != "" || r2.Attempts != 3 || cnt.get("item 002") != 1):
			// The failure is scripted by custom ID: the follow-up batch fails it too, and the sync path runs it.
			t.Errorf("follow-up batch: the 503 ended %v (%v) in %q after %d submits, attempts %d; want done sync after 2 batches", r2.Status, r2.Err, r2.Batch, submits, r2.Attempts)
		case !inBatch && (r2.Status != bulk.Done || r2.Batch != "" || r2.Attempts != 2 || submits != 1 || cnt.get("item 002") != 1):
			t.Errorf("sync retry: the 503 ended %v (%v), batch %q, attempts %d, %d submits", r2.Status, r2.Err, r2.Batch, r2.Attempts, submits)
		}
	}
}

func TestRunBatchExpiredLeavesItemsNotDone(t *testing.T) {
	var cnt counter
	srv, c, clock := batchSetup(t, &cnt)
	srv.ExpireBatches(1)
	rep, err := bulk.Runner[job, string]{Key: jobKey}.RunBatch(context.Background(), jobs(10, ""), textMode(c, clock))
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, rep, 10)
	if rep.Done != 5 || rep.NotAttempted != 5 {
		t.Fatalf("done %d, not attempted %d; want 5 and 5", rep.Done, rep.NotAttempted)
	}
	var se *openrouter.BatchStatusError
	for _, res := range rep.Results[5:] {
		if !errors.As(res.Err, &se) || se.Status != openrouter.BatchExpired || !strings.Contains(res.Err.Error(), "not done") {
			t.Errorf("%s: %v; want a not-done error naming the expired batch", res.Key, res.Err)
		}
	}
	if got := len(rep.Remaining()); got != 5 {
		t.Errorf("Remaining: %d items; want 5", got)
	}
}

func TestRunBatchJournalSkipsDoneAndCollectsOpenBatch(t *testing.T) {
	var cnt counter
	srv, c, clock := batchSetup(t, &cnt)
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j, err := bulk.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	// The first run stops waiting (its context ends) with its batch open.
	ctx, cancel := context.WithCancel(context.Background())
	m := textMode(c, clock)
	m.Wait.OnPoll = func(*openrouter.Batch) { cancel() }
	rep, err := bulk.Runner[job, string]{Key: jobKey, Journal: j}.RunBatch(ctx, jobs(8, ""), m)
	if err != nil {
		t.Fatal(err)
	}
	// Its items may be billed: they are not left to run again (Remaining).
	if rep.Done != 0 || rep.Failed != 8 || rep.MaybeBilled != 8 || len(rep.Remaining()) != 0 ||
		!errors.Is(rep.Results[0].Err, openrouter.ErrMaybeBilled) || !strings.Contains(rep.Results[0].Err.Error(), "run again with the same journal") {
		t.Fatalf("first run: done %d, failed %d, maybe billed %d, %v", rep.Done, rep.Failed, rep.MaybeBilled, rep.Results[0].Err)
	}
	rep, err = bulk.Runner[job, string]{Key: jobKey, Journal: j}.RunBatch(context.Background(), jobs(8, ""), textMode(c, clock))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Done != 8 || srv.BatchStats().Submits != 1 {
		t.Fatalf("resumed run: done %d after %d submits; want 8 after 1", rep.Done, srv.BatchStats().Submits)
	}
	// A third run finds everything in the journal.
	rep, err = bulk.Runner[job, string]{Key: jobKey, Journal: j}.RunBatch(context.Background(), jobs(8, ""), textMode(c, clock))
	if err != nil || rep.Done != 8 || rep.InBatch != 0 || srv.BatchStats().Submits != 1 || srv.BatchStats().Polls == 0 {
		t.Fatalf("third run: %v, done %d, in batch %d, submits %d", err, rep.Done, rep.InBatch, srv.BatchStats().Submits)
	}
	// It spent nothing, and knows what the job cost: 8 items at the batch price.
	if rep.Cost != 0 || !near(rep.JobCost, 8*0.005) {
		t.Errorf("third run: cost %v, job cost %v; want 0 and %v", rep.Cost, rep.JobCost, 8*0.005)
	}
	raw, _ := os.ReadFile(path)
	if n := strings.Count(string(raw), `"#batch:`) - strings.Count(string(raw), `"#batch:item:`); n != 3 {
		t.Errorf("%d batch records; want 3 (marker, ID, closed)", n)
	}
}

func TestRunBatchRefusesReservedKeysAndMissingFields(t *testing.T) {
	_, c, clock := batchSetup(t, &counter{})
	if _, err := (bulk.Runner[job, string]{}).RunBatch(context.Background(), jobs(1, ""), bulk.BatchMode[job, string]{Client: c}); !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("no Request/Result: %v", err)
	}
	_, err := bulk.Runner[job, string]{Key: func(job) string { return "#batch:x" }}.RunBatch(context.Background(), jobs(1, ""), textMode(c, clock))
	if !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("reserved key: %v", err)
	}
}

type answer struct {
	Title string `json:"title"`
}

func TestChatJSONModeValidatesAndRepairsSync(t *testing.T) {
	clock := ort.NewClock(time.Now().UTC().Truncate(time.Second)) // the client dates its batch lookups by its own clock
	srv, c := setup(t, []ort.Option{ort.WithClock(clock.Now), ort.WithResponder(func(r ort.Request) ort.Reply {
		rep := r.DefaultReply()
		rep.Content = `{"title":"ok"}`
		if strings.Contains(r.LastUserText(), "bad") {
			rep.Content = `{"title":7}` // a repair asks again: its last user text is the repair prompt
		}
		return rep
	})})
	m := bulk.ChatJSONMode[string, answer](c, func(s string) (*openrouter.ChatRequest, error) {
		return &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", MaxTokens: 50, Messages: []openrouter.Message{openrouter.UserMessage(s)}}, nil
	}, openrouter.JSONRepair(1))
	m.Wait = pollAdvancing(clock)
	rep, err := bulk.Runner[string, answer]{Key: func(s string) string { return s }}.RunBatch(context.Background(), []string{"good one", "bad one"}, m)
	if err != nil {
		t.Fatal(err)
	}
	if rep.InBatch != 2 || srv.BatchStats().Submits != 1 {
		t.Fatalf("in batch %d, submits %d", rep.InBatch, srv.BatchStats().Submits)
	}
	if r := rep.Results[0]; r.Status != bulk.Done || r.Value.Title != "ok" {
		t.Errorf("good: %v %v %+v", r.Status, r.Err, r.Value)
	}
	// The bad answer is repaired sync: the repair's answer is valid.
	if r := rep.Results[1]; r.Status != bulk.Done || r.Value.Title != "ok" || srv.Stats().Completions != 1 {
		t.Errorf("bad: %v %v %+v, sync chats %d", r.Status, r.Err, r.Value, srv.Stats().Completions)
	}
}

func TestBillEstimatesAndRefusesShortFunds(t *testing.T) {
	var cnt counter
	srv, c, clock := batchSetup(t, &cnt, ort.WithCredits(0.0001), ort.WithKeyLimit(0.0001))
	m := textMode(c, clock)
	b := bulk.Runner[job, string]{Key: jobKey, Bill: &bulk.Bill[job]{Client: c, RequireFunds: true}}
	_, err := b.RunBatch(context.Background(), jobs(20, "openai/gpt-4o-mini"), m)
	var ife *openrouter.InsufficientFundsError
	if !errors.As(err, &ife) || !errors.Is(err, openrouter.ErrInsufficientCredits) || !strings.Contains(err.Error(), "key limit left: $0.0001") {
		t.Fatalf("err %v; want an InsufficientFundsError giving the key's limit left", err)
	}
	if srv.BatchStats().Submits != 0 || srv.Stats().Completions != 0 {
		t.Fatal("a refused job sent requests")
	}
	// Estimated at the batch price: 20 requests, 100 output tokens at most each.
	if !ife.Estimate.Batch || ife.Estimate.Requests != 20 || ife.Estimate.CompletionTokens != 2000 {
		t.Errorf("estimate %+v", ife.Estimate)
	}
	srv.AddCredits(10)
	srv.SetKeyLimit(10)
	rep, err := b.RunBatch(context.Background(), jobs(20, "openai/gpt-4o-mini"), m)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Estimate == nil || rep.Funds == nil || rep.Estimate.Cost <= 0 || rep.Done != 20 {
		t.Fatalf("estimate %+v funds %+v done %d", rep.Estimate, rep.Funds, rep.Done)
	}
}

func TestBillInSyncMode(t *testing.T) {
	var cnt counter
	_, c := setup(t, []ort.Option{ort.WithResponder(cnt.responder(0.001))})
	req := func(s string) (*openrouter.ChatRequest, error) {
		return &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", MaxTokens: 10, Messages: []openrouter.Message{openrouter.UserMessage(s)}}, nil
	}
	rep, err := bulk.Runner[string, string]{Bill: &bulk.Bill[string]{Client: c, Request: req}}.Run(context.Background(), items(3), chatItem(c))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Estimate == nil || rep.Estimate.Batch || rep.Estimate.Requests != 3 || rep.InSync != 3 {
		t.Fatalf("estimate %+v, in sync %d", rep.Estimate, rep.InSync)
	}
	if _, err := (bulk.Runner[string, string]{Bill: &bulk.Bill[string]{Client: c}}).Run(context.Background(), items(1), chatItem(c)); !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("a Bill without Request in Run: %v", err)
	}
}

var _ = json.Marshal

func TestRunBatchSpendingCapAndProgress(t *testing.T) {
	var cnt counter
	srv, c, clock := batchSetup(t, &cnt)
	var last bulk.Progress
	m := textMode(c, clock)
	m.ChunkSize = 5
	// Each batch of 5 may cost up to about $0.00015 (100 output tokens each at half price): the cap lets two pass.
	rep, err := bulk.Runner[job, string]{Key: jobKey, SpendingCap: 0.0004, Progress: func(p bulk.Progress) { last = p }}.
		RunBatch(context.Background(), jobs(20, "openai/gpt-4o-mini"), m)
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, rep, 20)
	if !errors.Is(rep.Stopped, bulk.ErrSpendingCap) || srv.BatchStats().Submits != 2 || rep.Done != 10 || rep.NotAttempted != 10 {
		t.Fatalf("stopped %v after %d submits: done %d, not attempted %d; want the cap after 2 batches", rep.Stopped, srv.BatchStats().Submits, rep.Done, rep.NotAttempted)
	}
	if last.Total != 20 || last.Done != 10 || last.NotAttempted != 10 || !near(last.Cost, rep.Cost) {
		t.Errorf("last progress %+v", last)
	}
}

func TestRunBatchInsufficientCreditsResultStopsTheRun(t *testing.T) {
	var cnt counter
	srv, c, clock := batchSetup(t, &cnt)
	srv.FailBatchRequest("item 001#t", ort.BatchFailure{Status: 402, Message: "Insufficient credits"})
	srv.FailBatchRequest("item 002#t", ort.BatchFailure{Status: 503, Message: "overloaded"}) // would run again sync
	rep, err := bulk.Runner[job, string]{Key: jobKey}.RunBatch(context.Background(), jobs(3, ""), textMode(c, clock))
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, rep, 3)
	if !errors.Is(rep.Stopped, openrouter.ErrInsufficientCredits) || rep.Results[1].Status != bulk.NotAttempted ||
		rep.Results[2].Status != bulk.NotAttempted || cnt.get("item 002") != 0 || rep.Done != 1 {
		t.Fatalf("stopped %v; statuses %v %v %v", rep.Stopped, rep.Results[0].Status, rep.Results[1].Status, rep.Results[2].Status)
	}
	// Each keeps its own error: the 503 is not rewritten as the 402.
	if err := rep.Results[2].Err; !errors.Is(err, openrouter.ErrServer) || errors.Is(err, openrouter.ErrInsufficientCredits) || !strings.Contains(err.Error(), "overloaded") {
		t.Errorf("item 002: %v; want its own 503, saying it was not run again", err)
	}
	if err := rep.Results[1].Err; !errors.Is(err, openrouter.ErrInsufficientCredits) {
		t.Errorf("item 001: %v; want its 402", err)
	}
}
