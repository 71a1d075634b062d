package orotel_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
	"github.com/routerkit/openrouter/openroutertest"
	orotel "github.com/routerkit/openrouter/otel"
)

// recoveryServer answers a chat with its body cut after the headers
// (X-Generation-Id gen-lost), the generation's record as finished, and
// its stored content with body (status 200).
func recoveryServer(t *testing.T, content string) string {
	t.Helper()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodPost:
			w.Header().Set("X-Generation-Id", "gen-lost")
			w.Header().Set("Content-Length", "500")
			w.WriteHeader(200)
			fmt.Fprint(w, `{"id":"gen-lost","choices":[{"message":{"content":"`)
			// the handler returns: the body ends short of its length
		case strings.HasPrefix(r.URL.Path, "/api/v1/generation/content"):
			fmt.Fprint(w, content)
		case strings.HasPrefix(r.URL.Path, "/api/v1/generation"):
			fmt.Fprint(w, `{"data":{"id":"gen-lost","model":"openai/gpt-4o-mini","finish_reason":"stop","total_cost":0.001}}`)
		default:
			w.WriteHeader(404)
		}
	}))
	t.Cleanup(hs.Close)
	return hs.URL + "/api/v1"
}

// The reason a lost answer was not recovered reaches no span when it
// quotes the stored generation (its prompt, its completion), as an
// error's message does not without WithErrorMessages: a stored content
// not of the shape expected quotes the answer (the prompt in it). Before,
// the Recovery event recorded the reason verbatim, prompt and all.
func TestAttack29RecoveryReasonQuotesNoContent(t *testing.T) {
	const secret = "SECRET-PROMPT-TEXT"
	base := recoveryServer(t, `{"data":{"input":{"prompt":"`+secret+`"},"output":{"completion":17}}}`)
	for _, opts := range [][]orotel.Option{nil, {orotel.WithErrorMessages()}} {
		o, sr, _, _ := newObserver(t, opts...)
		c := openrouter.NewClient(openroutertest.DefaultKey, openrouter.WithBaseURL(base), openrouter.WithObserver(o),
			openrouter.WithLimiter(nil), openrouter.WithRetry(0, 0, 0))
		_, err := c.Chat(context.Background(), hello())
		if err == nil {
			t.Fatal("want an error")
		}
		if !strings.Contains(err.Error(), secret) {
			t.Logf("the call's error: %v", err)
			t.Fatal("the error does not quote the stored content: the check below would see nothing")
		}
		found, recovery := false, false
		for _, s := range sr.Ended() {
			for _, ev := range s.Events() {
				if ev.Name != "openrouter.recovery" {
					continue
				}
				recovery = true
				if r := attrs(ev.Attributes)["openrouter.reason"].AsString(); opts == nil && r != "reading its content: ErrServer (HTTP 200)" {
					t.Errorf("the recovery's reason is %q, want the step and the error's name", r)
				}
			}
		}
		for _, s := range spanTexts(sr.Ended()) {
			if strings.Contains(s, secret) {
				found = true
				if opts == nil {
					t.Errorf("a span holds the stored prompt: %s", s)
				}
			}
		}
		if !recovery {
			t.Error("no recovery event")
		}
		if opts != nil && !found {
			t.Error("WithErrorMessages: the recovery's reason is not recorded")
		}
	}
}

// The items metric says which ended items may have been billed
// (openrouter.maybe_billed): their count is the Report's MaybeBilled, in
// a run whose requests are cut after they were written. Before, no
// metric added up to Report.MaybeBilled: the maybe_billed counter counts
// attempts, not items (a lost batch submission is one attempt for its
// chunk's items; an item run again counts each).
func TestAttack29MaybeBilledItemsAddUpToReport(t *testing.T) {
	check := func(t *testing.T, what string, got map[string]int64, rep int) {
		t.Helper()
		if got["true"] != int64(rep) || rep == 0 {
			t.Errorf("%s: items by openrouter.maybe_billed %v; the report's MaybeBilled %d (want it above 0)", what, got, rep)
		}
	}

	// Sync: every third request cut after it was written.
	o, _, reader, _ := newObserver(t)
	var n atomic.Int64
	srv := openroutertest.NewServer(openroutertest.WithResponder(func(r openroutertest.Request) openroutertest.Reply {
		if n.Add(1)%3 == 1 {
			return openroutertest.Reply{Disconnect: true}
		}
		return r.DefaultReply()
	}))
	t.Cleanup(srv.Close)
	c := srv.Client(openrouter.WithObserver(o), openrouter.WithRetry(1, 0, 0), openrouter.WithLimiter(nil))
	in := make([]string, 12)
	for i := range in {
		in[i] = fmt.Sprint("item ", i)
	}
	rep, err := bulk.Runner[string, string]{Workers: 3, Observer: o, RetryFor: -1}.Run(context.Background(), in, func(ctx context.Context, it string) (string, error) {
		res, err := c.Chat(ctx, &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", Messages: []openrouter.Message{openrouter.UserMessage(it)}})
		if err != nil {
			return "", err
		}
		return res.Content(), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	byMB, _ := collect(t, reader, "openrouter.maybe_billed")
	check(t, "sync", byMB["openrouter.bulk.items"], rep.MaybeBilled)

}

// A call span's name and gen_ai.operation.name name the route, not the
// call: no ID (a batch's, a video job's, a generation's) and no query
// in them, nor a query in url.path. OpenTelemetry: a span's name
// identifies a class of spans. Before, "batches/batch_…" and
// "generation?id=gen-…" made a name per call.
func TestAttack29SpanNamesHoldNoIDs(t *testing.T) {
	clock := openroutertest.NewClock(time.Now())
	o, sr, _, _ := newObserver(t)
	srv := openroutertest.NewServer(openroutertest.WithClock(clock.Now))
	t.Cleanup(srv.Close)
	c := srv.Client(openrouter.WithObserver(o), openrouter.WithRetry(0, 0, 0), openrouter.WithLimiter(nil))
	ctx := context.Background()
	res, err := c.Chat(ctx, hello())
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.Generation(ctx, res.ID)
	b, err := c.Batches.Submit(ctx, &openrouter.BatchRequest{Model: "openai/gpt-4o-mini", Requests: []openrouter.BatchItem{{CustomID: "a", Body: hello()}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Batches.Get(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	_, _ = c.Batches.Cancel(ctx, b.ID)
	_, _ = c.Batches.List(ctx, openrouter.BatchListOptions{Limit: 5})
	calls, _ := split(sr.Ended())
	if len(calls) < 6 {
		t.Fatalf("%d call spans", len(calls))
	}
	for _, s := range calls {
		a := attrs(s.Attributes())
		for _, v := range []string{s.Name(), a["gen_ai.operation.name"].AsString()} {
			if strings.Contains(v, "?") || strings.Contains(v, b.ID) || strings.Contains(v, res.ID) {
				t.Errorf("span %q: %q names one call", s.Name(), v)
			}
		}
		if p := a["url.path"].AsString(); strings.Contains(p, "?") {
			t.Errorf("span %q: url.path %q holds the query", s.Name(), p)
		}
	}
}

// TestAttack29BatchCostInMetrics: a batch run's results are billed at
// the batch price, and no call's answer carries their usage (the pages
// of results are reads): the cost metric adds up to the Report's Cost,
// and the tokens metric counts the results' tokens. Before, a batch run
// showed $0 and no tokens on a dashboard, whatever it cost.
func TestAttack29BatchCostInMetrics(t *testing.T) {
	o, _, reader, _ := newObserver(t)
	clock := openroutertest.NewClock(time.Now().UTC().Truncate(time.Second))
	srv := openroutertest.NewServer(openroutertest.WithClock(clock.Now))
	t.Cleanup(srv.Close)
	c := srv.Client(openrouter.WithObserver(o), openrouter.WithRetry(0, 0, 0), openrouter.WithLimiter(nil))
	in := make([]string, 12)
	for i := range in {
		in[i] = fmt.Sprint("item ", i)
	}
	m := bulk.BatchMode[string, string]{
		Client: c,
		Request: func(s string) (*openrouter.ChatRequest, error) {
			return &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", MaxTokens: 50, Messages: []openrouter.Message{openrouter.UserMessage(s)}}, nil
		},
		Result: func(_ context.Context, _ string, ans *openrouter.ChatResponse) (string, error) {
			return ans.Content(), nil
		},
		ChunkSize: 5,
		Wait: openrouter.BatchWait{MinInterval: time.Nanosecond, MaxInterval: time.Nanosecond,
			OnPoll: func(*openrouter.Batch) { clock.Advance(time.Minute) }},
	}
	rep, err := bulk.Runner[string, string]{Observer: o}.RunBatch(context.Background(), in, m)
	if err != nil {
		t.Fatal(err)
	}
	sums := metricSums(t, reader)
	if rep.Done != len(in) || rep.BatchCost <= 0 {
		t.Fatalf("report: %d done, batch cost %v", rep.Done, rep.BatchCost)
	}
	if got := sums["openrouter.cost"]; got < rep.Cost-1e-12 || got > rep.Cost+1e-12 {
		t.Errorf("cost metric %v, report %v (batch %v, sync %v)", got, rep.Cost, rep.BatchCost, rep.SyncCost)
	}
	if sums["gen_ai.client.token.usage"] < float64(len(in)) {
		t.Errorf("tokens metric %v for %d results", sums["gen_ai.client.token.usage"], len(in))
	}
}
