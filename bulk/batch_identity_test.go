package bulk_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
	ort "github.com/routerkit/openrouter/openroutertest"
)

func openJournal(t *testing.T) *bulk.JSONLJournal {
	t.Helper()
	j, err := bulk.OpenJournal(filepath.Join(t.TempDir(), "j.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

// submitOther submits another job's batch of the items' shape (same
// model, same count), under custom IDs equal to the items' keys.
func submitOther(t *testing.T, c *openrouter.Client, model string, keys []string) string {
	t.Helper()
	breq := &openrouter.BatchRequest{Model: model}
	for _, k := range keys {
		breq.Requests = append(breq.Requests, openrouter.BatchItem{CustomID: k, Body: &openrouter.ChatRequest{MaxTokens: 10,
			Messages: []openrouter.Message{openrouter.UserMessage("other job's " + k)}}})
	}
	b, err := c.Batches.Submit(context.Background(), breq)
	if err != nil {
		t.Fatal(err)
	}
	return b.ID
}

// A submission whose answer was lost is looked up, and another job's
// batch of the same model and size (even one whose custom IDs are our
// item keys) is not adopted: its results do not carry our nonce. Once
// the submission cannot appear any more, the items go in a new batch and
// get their own answers.
func TestRunBatchNeverAdoptsAnotherJobsBatch(t *testing.T) {
	var cnt counter
	srv, c, clock := batchSetup(t, &cnt)
	j := openJournal(t)
	in := jobs(3, "openai/gpt-4o-mini")
	keys := []string{in[0].Text, in[1].Text, in[2].Text}
	other := submitOther(t, c, "openai/gpt-4o-mini", keys)
	// Our submission's marker, journaled; the submission never arrived.
	breq := &openrouter.BatchRequest{Model: "openai/gpt-4o-mini", Requests: make([]openrouter.BatchItem, 3)}
	marker, err := c.Batches.Marker(breq)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(map[string]any{"marker": marker, "keys": keys,
		"custom_ids": []string{keys[0] + "#n1", keys[1] + "#n1", keys[2] + "#n1"}})
	if err := j.Record("#batch:"+marker.Token, raw); err != nil {
		t.Fatal(err)
	}
	m := bulk.WithBatchClock(textMode(c, clock), func() time.Time { return marker.NotBefore.Add(time.Hour) })
	rep, err := bulk.Runner[job, string]{Key: jobKey, Journal: j}.RunBatch(context.Background(), in, m)
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, rep, 3)
	if rep.Done != 3 || srv.BatchStats().Submits != 2 {
		t.Fatalf("done %d, submits %d; want 3 done from a batch of their own (2 submits in all)", rep.Done, srv.BatchStats().Submits)
	}
	for _, res := range rep.Results {
		if res.Batch == other || res.Value != "You said: "+res.Item.Text {
			t.Errorf("%s: %q from batch %s (the other job's is %s)", res.Key, res.Value, res.Batch, other)
		}
	}
}

// A lost submission whose lookup lists a batch the journal already holds
// (an earlier chunk of the same shape) and the submission itself adopts
// the submission, proven by its results, and collects it: it is neither
// taken for "2 batches match" nor submitted again.
func TestRunBatchLostSubmitSkipsBatchesTheJournalHolds(t *testing.T) {
	var cnt counter
	srv, c, clock := batchSetup(t, &cnt)
	j := openJournal(t)
	in := jobs(4, "openai/gpt-4o-mini")
	m := textMode(c, clock)
	if rep, err := (bulk.Runner[job, string]{Key: jobKey, Journal: j}).RunBatch(context.Background(), in[:2], m); err != nil || rep.Done != 2 {
		t.Fatalf("first chunk: %v", err)
	}
	srv.LoseBatchSubmits(1)
	rep, err := bulk.Runner[job, string]{Key: jobKey, Journal: j}.RunBatch(context.Background(), in, m)
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, rep, 4)
	if rep.Done != 4 || srv.BatchStats().Submits != 2 || rep.MaybeBilled != 0 {
		t.Fatalf("done %d, maybe billed %d, submits %d; want 4, 0, 2: %v", rep.Done, rep.MaybeBilled, srv.BatchStats().Submits, rep.Results[2].Err)
	}
	for _, res := range rep.Results[2:] {
		if res.Value != "You said: "+res.Item.Text || cnt.get(res.Item.Text) != 1 {
			t.Errorf("%s: %q, answered %d times", res.Key, res.Value, cnt.get(res.Item.Text))
		}
	}
}

// Custom IDs differ from one submission to the next, even of the same
// items: each carries its submission's nonce.
func TestRunBatchCustomIDsCarryANoncePerSubmission(t *testing.T) {
	var cnt counter
	_, c, clock := batchSetup(t, &cnt)
	j := openJournal(t)
	m := bulk.WithBatchNonce(textMode(c, clock), "")
	m.ChunkSize = 1
	if _, err := (bulk.Runner[job, string]{Key: jobKey, Journal: j}).RunBatch(context.Background(), jobs(2, ""), m); err != nil {
		t.Fatal(err)
	}
	saved, err := j.Load()
	if err != nil {
		t.Fatal(err)
	}
	nonces := map[string]bool{}
	for k, raw := range saved {
		var rec struct {
			CustomIDs []string `json:"custom_ids"`
			Keys      []string `json:"keys"`
		}
		if len(k) < 7 || k[:7] != "#batch:" || json.Unmarshal(raw, &rec) != nil || len(rec.CustomIDs) == 0 {
			continue
		}
		if len(rec.Keys) != 1 || len(rec.CustomIDs[0]) <= len(rec.Keys[0])+1 || rec.CustomIDs[0][:len(rec.Keys[0])+1] != rec.Keys[0]+"#" {
			t.Fatalf("record %s: custom IDs %v for keys %v; want key#nonce", k, rec.CustomIDs, rec.Keys)
		}
		nonces[rec.CustomIDs[0][len(rec.Keys[0])+1:]] = true
	}
	if len(nonces) != 2 {
		t.Errorf("nonces %v; want one per submission", nonces)
	}
}

var _ = errors.Is

// A submission the server stored but answered 502 is found and proven by
// the same run: its items are collected from it, none submitted again.
func TestRunBatchSubmissionStoredBut502IsCollected(t *testing.T) {
	var cnt counter
	srv, _, clock := batchSetup(t, &cnt)
	target, _ := url.Parse(srv.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/batches") {
			proxy.ServeHTTP(httptest.NewRecorder(), r) // stored
			w.WriteHeader(http.StatusBadGateway)       // but the answer is a gateway's error
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	c := openrouter.NewClient(srv.Key, openrouter.WithBaseURL(front.URL), openrouter.WithRetry(3, time.Millisecond, time.Millisecond), openrouter.WithLimiter(nil))
	rep, err := bulk.Runner[job, string]{Key: jobKey, Journal: openJournal(t)}.RunBatch(context.Background(), jobs(3, ""), textMode(c, clock))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Done != 3 || srv.BatchStats().Submits != 1 || rep.MaybeBilled != 0 || len(rep.Batches) != 1 {
		t.Fatalf("done %d, submits %d, maybe billed %d, batches %v: %v", rep.Done, srv.BatchStats().Submits, rep.MaybeBilled, rep.Batches, rep.Results[0].Err)
	}
}

// The lookup of a lost submission does not depend on the server's clock
// agreeing with the client's: a server half an hour behind still has its
// batch found, proven and collected, never submitted again.
func TestRunBatchLostSubmitFoundWhateverTheServersClock(t *testing.T) {
	var cnt counter
	clock := ort.NewClock(time.Now().UTC().Add(-30 * time.Minute).Truncate(time.Second))
	srv, c := setup(t, []ort.Option{ort.WithClock(clock.Now), ort.WithResponder(cnt.responder(0.01))})
	srv.LoseBatchSubmits(1)
	rep, err := bulk.Runner[job, string]{Key: jobKey, Journal: openJournal(t)}.RunBatch(context.Background(), jobs(3, ""), textMode(c, clock))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Done != 3 || srv.BatchStats().Submits != 1 {
		t.Fatalf("done %d, submits %d: %v; want the lost submission found and collected", rep.Done, srv.BatchStats().Submits, rep.Results[0].Err)
	}
}
