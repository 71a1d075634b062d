package openrouter_test

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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

const batchModel = "openai/gpt-4o-mini"

// batchServer is a fake whose batches move with a clock the test holds.
func batchServer(t *testing.T, opts ...openroutertest.Option) (*openroutertest.Server, *openroutertest.Clock, *openrouter.Client) {
	t.Helper()
	clock := openroutertest.NewClock(time.Now().UTC().Truncate(time.Second)) // the client dates its lookups by its own clock
	srv := openroutertest.NewServer(append([]openroutertest.Option{openroutertest.WithClock(clock.Now)}, opts...)...)
	t.Cleanup(srv.Close)
	c := srv.Client()
	openrouter.SetWaitHook(c, func(time.Duration) time.Duration { return 0 })
	return srv, clock, c
}

func batchOf(texts map[string]string) *openrouter.BatchRequest {
	req := &openrouter.BatchRequest{Model: batchModel}
	for _, id := range sortedKeys(texts) {
		req.Requests = append(req.Requests, openrouter.BatchItem{CustomID: id, Body: &openrouter.ChatRequest{
			Messages: []openrouter.Message{openrouter.UserMessage(texts[id])}, MaxTokens: 200}})
	}
	return req
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := range keys { // small maps: insertion sort
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

// waitMoving waits for a batch, each wait moving the fake clock instead
// of sleeping; it returns the waits asked for.
func waitMoving(t *testing.T, c *openrouter.Client, clock *openroutertest.Clock, id string) (*openrouter.Batch, []time.Duration) {
	t.Helper()
	var waits []time.Duration
	w := openrouter.WithBatchSleep(openrouter.BatchWait{MinInterval: 10 * time.Second, MaxInterval: time.Minute},
		func(ctx context.Context, d time.Duration, _ <-chan struct{}) (bool, error) {
			waits = append(waits, d)
			clock.Advance(d)
			return false, ctx.Err()
		})
	b, err := c.Batches.Wait(context.Background(), id, w)
	if err != nil {
		t.Fatalf("Batches.Wait: %v", err)
	}
	return b, waits
}

func TestSubmitBatchBodyOrderAndChatEncoding(t *testing.T) {
	var mu sync.Mutex
	bodies := map[string][]byte{}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies[r.URL.Path] = b
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/batches") {
			w.WriteHeader(http.StatusAccepted)
			io.WriteString(w, `{"id":"batch_1","object":"batch","endpoint":"/v1/chat/completions","model":"openai/gpt-4o-mini","status":"validating","created_at":1,"finalized_at":null,"provider":null,"request_counts":{"total":1,"completed":0,"failed":0},"usage":null,"results":null,"error":null}`)
			return
		}
		io.WriteString(w, `{"id":"gen-1","model":"openai/gpt-4o-mini","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"ok"}}]}`)
	}))
	defer hs.Close()
	c := openrouter.NewClient(openroutertest.DefaultKey, openrouter.WithBaseURL(hs.URL))
	body := &openrouter.ChatRequest{Model: batchModel, Temperature: openrouter.Ptr(0.2), MaxTokens: 50,
		ResponseFormat: &openrouter.ResponseFormat{Type: "json_object"}, Extra: map[string]any{"/top_k": 4},
		Messages: []openrouter.Message{openrouter.SystemMessage("Be brief."), openrouter.UserMessage("Hello \"there\"")}}
	if _, err := c.Chat(context.Background(), body); err != nil {
		t.Fatal(err)
	}
	b, err := c.Batches.Submit(context.Background(), &openrouter.BatchRequest{
		Model: batchModel, CallbackURL: "https://example.com/hook?x=1", CompletionWindow: "24h",
		Provider: &openrouter.BatchProvider{Only: []string{"openai"}, AllowFallbacks: openrouter.Ptr(false)},
		Requests: []openrouter.BatchItem{{CustomID: "a-1", Body: body}}, Token: "tok-1"})
	if err != nil {
		t.Fatal(err)
	}
	if b.ID != "batch_1" || b.Status != openrouter.BatchValidating {
		t.Errorf("batch = %+v", b)
	}
	wire := bodies["/batches"]
	pos := func(key string) int { return bytes.Index(wire, []byte(`"`+key+`":`)) }
	for _, k := range []string{"endpoint", "model", "callback_url", "completion_window", "provider"} {
		if pos(k) < 0 || pos(k) > pos("requests") {
			t.Errorf("%q at %d, requests at %d: every batch field must come before requests\n%s", k, pos(k), pos("requests"), wire)
		}
	}
	if pos("endpoint") != 1 {
		t.Errorf("endpoint is not the first field: %s", wire)
	}
	var parsed struct {
		CallbackURL string `json:"callback_url"`
		Requests    []struct {
			CustomID string          `json:"custom_id"`
			Body     json.RawMessage `json:"body"`
		} `json:"requests"`
	}
	if err := json.Unmarshal(wire, &parsed); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(parsed.Requests[0].Body, bodies["/chat/completions"]) {
		t.Errorf("batch body differs from Chat's:\n%s\n%s", parsed.Requests[0].Body, bodies["/chat/completions"])
	}
	if parsed.CallbackURL != "https://example.com/hook?openrouter_batch_token=tok-1&x=1" {
		t.Errorf("callback_url = %q", parsed.CallbackURL)
	}
}

func TestBatchLifecycleHalfPriceResultsByCustomID(t *testing.T) {
	srv, clock, c := batchServer(t)
	texts := map[string]string{"z-first": "alpha alpha", "a-second": "beta", "m-third": "gamma gamma gamma"}
	b, err := c.Batches.Submit(context.Background(), batchOf(texts))
	if err != nil {
		t.Fatal(err)
	}
	if b.Status != openrouter.BatchValidating || b.RequestCounts.Total != 3 || b.Usage != nil {
		t.Fatalf("submitted batch = %+v", b)
	}
	var seen []openrouter.BatchStatus
	w := openrouter.WithBatchSleep(openrouter.BatchWait{MinInterval: 20 * time.Second, MaxInterval: time.Minute,
		OnPoll: func(b *openrouter.Batch) {
			if len(seen) == 0 || seen[len(seen)-1] != b.Status {
				seen = append(seen, b.Status)
			}
		}}, func(ctx context.Context, d time.Duration, _ <-chan struct{}) (bool, error) {
		if d < 10*time.Second || d > time.Minute {
			t.Errorf("wait %v outside [MinInterval/2, MaxInterval]", d)
		}
		clock.Advance(15 * time.Second) // less than each phase, so that every status is seen
		return false, nil
	})
	final, err := c.Batches.Wait(context.Background(), b.ID, w)
	if err != nil {
		t.Fatal(err)
	}
	want := []openrouter.BatchStatus{"validating", "in_progress", "finalizing", "completed"}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("statuses seen %v, want %v", seen, want)
	}
	if final.Provider != "OpenRouterTest" || final.FinalizedAt <= final.CreatedAt || final.ExpiresAt == 0 {
		t.Errorf("provider %q, created %d, finalized %d, expires %d", final.Provider, final.CreatedAt, final.FinalizedAt, final.ExpiresAt)
	}
	if final.Err() != nil || final.RequestCounts != (openrouter.BatchRequestCounts{Total: 3, Completed: 3}) || final.Usage == nil {
		t.Fatalf("final batch = %+v, err %v", final, final.Err())
	}
	results, err := c.Batches.ResultMap(context.Background(), b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 3 {
		t.Fatalf("%d results", len(results))
	}
	for id, text := range texts {
		res, err := results[id].Chat()
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if res.Content() != "You said: "+text {
			t.Errorf("%s: content %q, want the answer to %q", id, res.Content(), text)
		}
	}
	// The same requests, sync: the batch costs half.
	syncSrv := openroutertest.NewServer()
	defer syncSrv.Close()
	sc := syncSrv.Client()
	for _, it := range batchOf(texts).Requests {
		body := *it.Body
		body.Model = batchModel
		if _, err := sc.Chat(context.Background(), &body); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := final.Usage.Cost, sc.Spent()/2; math.Abs(got-want) > 1e-12 || got == 0 {
		t.Errorf("batch cost %v, want half the sync cost %v", got, want)
	}
	if got := srv.Spent(); math.Abs(got-final.Usage.Cost) > 1e-12 {
		t.Errorf("server billed %v, batch usage says %v", got, final.Usage.Cost)
	}
}

func TestBatchResultsPaginate(t *testing.T) {
	// Pages as large as the client asks, to count the client's pages.
	srv, clock, c := batchServer(t, openroutertest.WithBatchResultsPageSize(1000))
	texts := map[string]string{}
	for i := range 1201 {
		texts[fmt.Sprintf("item-%04d", i)] = fmt.Sprintf("text %d", i)
	}
	b, err := c.Batches.Submit(context.Background(), batchOf(texts))
	if err != nil {
		t.Fatal(err)
	}
	waitMoving(t, c, clock, b.ID)
	results, err := c.Batches.ResultMap(context.Background(), b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1201 {
		t.Fatalf("%d results, want 1201", len(results))
	}
	if res, err := results["item-0777"].Chat(); err != nil || res.Content() != "You said: text 777" {
		t.Errorf("item-0777: %v %v", res, err)
	}
	if got := srv.BatchStats().ResultPages; got != 3 {
		t.Errorf("%d result pages read, want 3 (500 a page)", got)
	}
}

func TestBatchFailedResultsAreTypedLikeSyncErrors(t *testing.T) {
	srv, clock, c := batchServer(t)
	srv.FailBatchRequest("broke", openroutertest.BatchFailure{Status: 402, Message: "Insufficient credits",
		Metadata: map[string]any{"limit_source": "openrouter_credits"}})
	srv.FailBatchRequest("limited", openroutertest.BatchFailure{Status: 429, Message: "Rate limit exceeded", AsError: true})
	srv.FailBatchRequest("long", openroutertest.BatchFailure{Status: 400, Message: "This endpoint's maximum context length is 128000 tokens"})
	b, err := c.Batches.Submit(context.Background(), batchOf(map[string]string{"ok": "fine", "broke": "x", "limited": "y", "long": "z"}))
	if err != nil {
		t.Fatal(err)
	}
	final, _ := waitMoving(t, c, clock, b.ID)
	if final.RequestCounts != (openrouter.BatchRequestCounts{Total: 4, Completed: 1, Failed: 3}) {
		t.Errorf("counts = %+v", final.RequestCounts)
	}
	results, err := c.Batches.ResultMap(context.Background(), b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := results["ok"].Err(); err != nil {
		t.Errorf("ok: %v", err)
	}
	cases := map[string][]string{
		"broke":   {"ErrInsufficientCredits"},
		"limited": {"ErrRateLimited"},
		"long":    {"ErrContextLength", "ErrBadRequest"},
	}
	for id, want := range cases {
		_, err := results[id].Chat()
		assertSentinels(t, err, want...)
		var e *openrouter.APIError
		if !errors.As(err, &e) || e.RequestID == "" {
			t.Errorf("%s: %v has no request ID", id, err)
		}
	}
	var e *openrouter.APIError
	if _, err := results["broke"].Chat(); !errors.As(err, &e) || e.Metadata.LimitSource != "openrouter_credits" || e.Retryable() {
		t.Errorf("broke: %+v", e)
	}
}

func TestBatchCreditsRunOutMidBatch(t *testing.T) {
	srv, clock, c := batchServer(t, openroutertest.WithCredits(0))
	b, err := c.Batches.Submit(context.Background(), batchOf(map[string]string{"a": "one", "b": "two"}))
	if err != nil {
		t.Fatal(err)
	}
	waitMoving(t, c, clock, b.ID)
	results, err := c.Batches.ResultMap(context.Background(), b.ID)
	if err != nil {
		t.Fatal(err)
	}
	for id, r := range results {
		if err := r.Err(); !errors.Is(err, openrouter.ErrInsufficientCredits) {
			t.Errorf("%s: %v, want ErrInsufficientCredits", id, err)
		}
	}
	if srv.Spent() != 0 {
		t.Errorf("spent %v with no credits", srv.Spent())
	}
}

func TestBatchValidationFails(t *testing.T) {
	_, clock, c := batchServer(t)
	req := batchOf(map[string]string{"a": "x"})
	req.Model = "nobody/nothing"
	b, err := c.Batches.Submit(context.Background(), req)
	if err != nil {
		t.Fatalf("a 202 stores the batch before validating it: %v", err)
	}
	final, _ := waitMoving(t, c, clock, b.ID)
	var se *openrouter.BatchStatusError
	if final.Status != openrouter.BatchFailed || !errors.As(final.Err(), &se) || !strings.Contains(se.Message, "not a valid model") {
		t.Errorf("final = %+v, err %v", final, final.Err())
	}
	if _, err := c.Batches.ResultMap(context.Background(), b.ID); err != nil {
		t.Errorf("a failed batch has an empty result list: %v", err)
	}
}

func TestBatchExpiresHalfway(t *testing.T) {
	srv, clock, c := batchServer(t)
	srv.ExpireBatches(1)
	b, err := c.Batches.Submit(context.Background(), batchOf(map[string]string{"a": "1", "b": "2", "c": "3", "d": "4"}))
	if err != nil {
		t.Fatal(err)
	}
	final, _ := waitMoving(t, c, clock, b.ID)
	if final.Status != openrouter.BatchExpired {
		t.Fatalf("status %s", final.Status)
	}
	if err := final.Err(); err == nil || !strings.Contains(err.Error(), "2 of 4 requests finished") {
		t.Errorf("Err() = %v", err)
	}
	results, err := c.Batches.ResultMap(context.Background(), b.ID)
	if err != nil || len(results) != 2 {
		t.Errorf("%d results, %v; want the 2 finished", len(results), err)
	}
}

func TestBatchCancelAndDelete(t *testing.T) {
	srv, clock, c := batchServer(t)
	b, err := c.Batches.Submit(context.Background(), batchOf(map[string]string{"a": "1", "b": "2", "c": "3", "d": "4"}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Batches.Delete(context.Background(), b.ID); !errors.Is(err, openrouter.ErrBadRequest) {
		t.Errorf("deleting a running batch: %v, want a 409 (ErrBadRequest)", err)
	}
	clock.Advance(30*time.Second + 150*time.Second) // validated, then half the run
	cb, err := c.Batches.Cancel(context.Background(), b.ID)
	if err != nil || cb.Status != openrouter.BatchCancelling {
		t.Fatalf("cancel: %+v %v", cb, err)
	}
	final, _ := waitMoving(t, c, clock, b.ID)
	// A cancelled batch has no result rows (the fake's RULES.md T15).
	if final.Status != openrouter.BatchCancelled || final.RequestCounts.Completed != 0 {
		t.Errorf("final = %+v", final)
	}
	if _, err := c.Batches.Cancel(context.Background(), b.ID); !errors.Is(err, openrouter.ErrBadRequest) {
		t.Errorf("cancelling a cancelled batch: %v", err)
	}
	d, err := c.Batches.Delete(context.Background(), b.ID)
	if err != nil || d.ID != b.ID || !strings.Contains(string(d.Deletion), "deleted") {
		t.Fatalf("delete: %+v %v", d, err)
	}
	if _, err := c.Batches.Get(context.Background(), b.ID); !errors.Is(err, openrouter.ErrNotFound) {
		t.Errorf("Batches.Get after delete: %v", err)
	}
	if srv.BatchCount() != 0 {
		t.Errorf("%d batches left", srv.BatchCount())
	}
}

func TestBatchInlineResults(t *testing.T) {
	srv, clock, c := batchServer(t, openroutertest.WithInlineBatchResults())
	b, err := c.Batches.Submit(context.Background(), batchOf(map[string]string{"a": "one", "b": "two"}))
	if err != nil {
		t.Fatal(err)
	}
	final, _ := waitMoving(t, c, clock, b.ID)
	if len(final.Results) != 2 {
		t.Fatalf("inline results: %d", len(final.Results))
	}
	results, err := c.Batches.ResultMap(context.Background(), b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := results["b"].Chat(); err != nil || res.Content() != "You said: two" {
		t.Errorf("b: %v %v", res, err)
	}
	if srv.BatchStats().ResultPages != 0 {
		t.Errorf("the older shape has no results endpoint")
	}
}

func TestSubmitBatchLostAnswerIsLookedUpNotResent(t *testing.T) {
	srv, _, c := batchServer(t)
	srv.LoseBatchSubmits(1)
	_, err := c.Batches.Submit(context.Background(), batchOf(map[string]string{"a": "1", "b": "2"}))
	var one *openrouter.BatchSubmitError
	// One match, still validating: only its results, once it has finished,
	// can prove it is this submission.
	if !errors.As(err, &one) || len(one.Candidates) != 1 || !strings.Contains(err.Error(), "only its results") {
		t.Fatalf("a lost answer with one unfinished match: %v", err)
	}
	st := srv.BatchStats()
	if st.Submits != 1 || st.LostSubmits != 1 || st.Lists == 0 {
		t.Errorf("stats %+v: want one submission, looked up by a list", st)
	}

	// Two batches of the same shape: the lookup cannot tell which is
	// ours, and says so, without submitting again.
	if _, err := c.Batches.Submit(context.Background(), batchOf(map[string]string{"x": "1", "y": "2"})); err != nil {
		t.Fatal(err)
	}
	srv.LoseBatchSubmits(1)
	_, err = c.Batches.Submit(context.Background(), batchOf(map[string]string{"p": "1", "q": "2"}))
	var se *openrouter.BatchSubmitError
	if !errors.As(err, &se) || !errors.Is(err, openrouter.ErrMaybeBilled) || len(se.Candidates) != 3 {
		t.Fatalf("err = %v; want a BatchSubmitError with 3 candidates", err)
	}
	if got := srv.BatchStats().Submits; got != 3 {
		t.Errorf("%d submissions, want 3: nothing resent", got)
	}
	if openrouter.Hint(err) == "" {
		t.Error("no hint")
	}
	found, err := c.Batches.Find(context.Background(), se.Marker)
	if err != nil || len(found) != 3 {
		t.Errorf("Batches.Find: %d, %v", len(found), err)
	}
}

func TestSubmitBatchRetriesOnlyWhatWasNotProcessed(t *testing.T) {
	var mu sync.Mutex
	var posts int
	status := []int{429, 202}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodGet {
			io.WriteString(w, `{"object":"list","data":[],"first_id":null,"last_id":null,"has_more":false}`)
			return
		}
		mu.Lock()
		s := status[min(posts, len(status)-1)]
		posts++
		mu.Unlock()
		w.WriteHeader(s)
		if s >= 400 {
			fmt.Fprintf(w, `{"error":{"code":%d,"message":"%s"}}`, s, http.StatusText(s))
			return
		}
		io.WriteString(w, `{"id":"batch_9","object":"batch","endpoint":"/v1/chat/completions","model":"openai/gpt-4o-mini","status":"validating","request_counts":{"total":1,"completed":0,"failed":0}}`)
	}))
	defer hs.Close()
	c := openrouter.NewClient(openroutertest.DefaultKey, openrouter.WithBaseURL(hs.URL), openrouter.WithLimiter(nil))
	openrouter.SetWaitHook(c, func(time.Duration) time.Duration { return 0 })
	req := batchOf(map[string]string{"a": "x"})
	count := func() int { mu.Lock(); defer mu.Unlock(); return posts }
	if b, err := c.Batches.Submit(context.Background(), req); err != nil || b.ID != "batch_9" || count() != 2 {
		t.Fatalf("after a 429: %v %v, %d posts; want a retry", b, err, count())
	}
	mu.Lock()
	posts, status = 0, []int{502, 202}
	mu.Unlock()
	_, err := c.Batches.Submit(context.Background(), req)
	if !errors.Is(err, openrouter.ErrMaybeBilled) || !errors.Is(err, openrouter.ErrServer) || count() != 1 {
		t.Errorf("after a 502: %v, %d posts; want ErrMaybeBilled and no resend", err, count())
	}
}

func TestSubmitBatchRefusedBeforeSending(t *testing.T) {
	srv, _, c := batchServer(t)
	text := func(s string) *openrouter.ChatRequest {
		return &openrouter.ChatRequest{Messages: []openrouter.Message{openrouter.UserMessage(s)}}
	}
	image := text("x")
	image.Modalities = []string{"image", "text"}
	parts := &openrouter.ChatRequest{Messages: []openrouter.Message{{Role: "user", Parts: []openrouter.ContentPart{
		openrouter.TextPart("what is it?"), openrouter.ImageURLPart("https://example.com/a.png")}}}}
	fallback := text("x")
	fallback.Models = []string{"a/b"}
	other := text("x")
	other.Model = "anthropic/claude-haiku-4.5"
	audio := text("x")
	audio.Modalities = []string{"text", "audio"}
	asJSON := text("x")
	asJSON.ResponseFormat = &openrouter.ResponseFormat{Type: "json_object"}
	cases := map[string]*openrouter.BatchRequest{
		"audio output": {Model: batchModel, Requests: []openrouter.BatchItem{{CustomID: "a", Body: audio}}},
		// A Google batch needs one response_format for all its requests.
		"google formats": {Model: "google/gemini-2.5-flash", Requests: []openrouter.BatchItem{{CustomID: "a", Body: text("1")}, {CustomID: "b", Body: asJSON}}},
		"no requests":    {Model: batchModel},
		"duplicate ID":   {Model: batchModel, Requests: []openrouter.BatchItem{{CustomID: "a", Body: text("1")}, {CustomID: "a", Body: text("2")}}},
		"empty ID":       {Model: batchModel, Requests: []openrouter.BatchItem{{Body: text("1")}}},
		"nil body":       {Model: batchModel, Requests: []openrouter.BatchItem{{CustomID: "a"}}},
		"image output":   {Model: batchModel, Requests: []openrouter.BatchItem{{CustomID: "a", Body: image}}},
		"image input":    {Model: batchModel, Requests: []openrouter.BatchItem{{CustomID: "a", Body: parts}}},
		"fallbacks":      {Model: batchModel, Requests: []openrouter.BatchItem{{CustomID: "a", Body: fallback}}},
		"other model":    {Model: batchModel, Requests: []openrouter.BatchItem{{CustomID: "a", Body: other}}},
		"http callback":  {Model: batchModel, CallbackURL: "http://example.com", Requests: []openrouter.BatchItem{{CustomID: "a", Body: text("1")}}},
		"window":         {Model: batchModel, CompletionWindow: "1h", Requests: []openrouter.BatchItem{{CustomID: "a", Body: text("1")}}},
		"online model":   {Model: batchModel + ":online", Requests: []openrouter.BatchItem{{CustomID: "a", Body: text("1")}}},
		"endpoint":       {Model: batchModel, Endpoint: "/v1/embeddings", Requests: []openrouter.BatchItem{{CustomID: "a", Body: text("1")}}},
		"empty message":  {Model: batchModel, Requests: []openrouter.BatchItem{{CustomID: "a", Body: &openrouter.ChatRequest{}}}},
		"request routes": {Model: batchModel, Requests: []openrouter.BatchItem{{CustomID: "a", Body: &openrouter.ChatRequest{Provider: &openrouter.ProviderPrefs{}, Messages: text("x").Messages}}}},
	}
	for name, req := range cases {
		if _, err := c.Batches.Submit(context.Background(), req); !errors.Is(err, openrouter.ErrInvalidRequest) {
			t.Errorf("%s: %v, want ErrInvalidRequest", name, err)
		}
	}
	if _, err := c.Batches.Submit(context.Background(), nil); !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("nil: %v", err)
	}
	if n := srv.Stats().Requests; n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
	if err := openrouter.CheckBatchable(text("fine")); err != nil {
		t.Errorf("CheckBatchable(text) = %v", err)
	}
}

func TestWaitBatchNotification(t *testing.T) {
	_, clock, c := batchServer(t)
	b, err := c.Batches.Submit(context.Background(), batchOf(map[string]string{"a": "1"}))
	if err != nil {
		t.Fatal(err)
	}
	notify := make(chan struct{}, 1)
	polls := 0
	// An hour between polls: only the notification can end the wait in
	// time; each poll moves the clock past the batch's end and notifies.
	final, err := c.Batches.Wait(context.Background(), b.ID, openrouter.BatchWait{MinInterval: time.Hour, Notify: notify,
		OnPoll: func(*openrouter.Batch) {
			polls++
			clock.Advance(10 * time.Minute)
			notify <- struct{}{}
		}})
	if err != nil || final.Status != openrouter.BatchCompleted || polls != 2 {
		t.Errorf("Batches.Wait: %v %v after %d polls", final, err, polls)
	}
}

func TestWaitBatchStopsOnContextAndErrors(t *testing.T) {
	_, _, c := batchServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	b, err := c.Batches.Submit(ctx, batchOf(map[string]string{"a": "1"}))
	if err != nil {
		t.Fatal(err)
	}
	w := openrouter.WithBatchSleep(openrouter.BatchWait{}, func(ctx context.Context, d time.Duration, _ <-chan struct{}) (bool, error) {
		cancel()
		return false, ctx.Err()
	})
	if _, err := c.Batches.Wait(ctx, b.ID, w); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled wait: %v", err)
	}
	if _, err := c.Batches.Wait(context.Background(), "batch_missing", w); !errors.Is(err, openrouter.ErrNotFound) {
		t.Errorf("unknown batch: %v", err)
	}
	if _, err := c.Batches.Wait(context.Background(), "", w); !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("empty ID: %v", err)
	}
}

func TestBatchResultsBadPagination(t *testing.T) {
	page := `{"object":"list","data":[{"id":"r1","custom_id":"a","response":{"status_code":200,"request_id":"r1","body":{"id":"g","model":"m","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"hi"}}]}},"error":null}],"has_more":true,"next_cursor":"same"}`
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, page)
	}))
	defer hs.Close()
	c := openrouter.NewClient(openroutertest.DefaultKey, openrouter.WithBaseURL(hs.URL))
	_, err := c.Batches.ResultMap(context.Background(), "batch_1")
	if !errors.Is(err, openrouter.ErrServer) {
		t.Errorf("a cursor that repeats (or a duplicate custom ID): %v, want ErrServer", err)
	}
	n := 0
	for r, err := range c.Batches.Results(context.Background(), "batch_1") {
		if err != nil {
			if !errors.Is(err, openrouter.ErrServer) {
				t.Errorf("iteration error %v", err)
			}
			break
		}
		if r.CustomID != "a" {
			t.Errorf("result %+v", r)
		}
		n++
	}
	if n != 2 {
		t.Errorf("%d results before the repeated cursor was refused, want 2", n)
	}
}

func TestBatchResultShapes(t *testing.T) {
	key := openroutertest.DefaultKey
	cases := []struct {
		name string
		raw  string
		want []string
	}{
		{"neither", `{"id":"r","custom_id":"a"}`, []string{"ErrServer"}},
		{"error in 200 body", `{"id":"r","custom_id":"a","response":{"status_code":200,"body":{"id":"g","error":{"code":502,"message":"Provider returned error"}}}}`, []string{"ErrServer"}},
		{"empty answer", `{"id":"r","custom_id":"a","response":{"status_code":200,"body":{"id":"g","model":"m","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":""}}]}}}`, []string{"ErrEmptyContent"}},
		{"not JSON", `{"id":"r","custom_id":"a","response":{"status_code":200,"body":"<html>"}}`, []string{"ErrServer"}},
		{"401 echoing the key", `{"id":"r","custom_id":"a","response":{"status_code":401,"body":{"error":{"code":401,"message":"bad key ` + key + `"}}}}`, []string{"ErrUnauthorized"}},
	}
	for _, tc := range cases {
		hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"object":"list","data":[%s],"has_more":false,"next_cursor":null}`, tc.raw)
		}))
		c := openrouter.NewClient(key, openrouter.WithBaseURL(hs.URL))
		m, err := c.Batches.ResultMap(context.Background(), "batch_1")
		hs.Close()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		_, err = m["a"].Chat()
		assertSentinels(t, err, tc.want...)
		if err != nil && strings.Contains(err.Error(), key) {
			t.Errorf("%s: the key is in the error: %v", tc.name, err)
		}
	}
}

func TestListBatchesPagesAndFilters(t *testing.T) {
	_, clock, c := batchServer(t)
	var ids []string
	for i := range 5 {
		b, err := c.Batches.Submit(context.Background(), batchOf(map[string]string{"a": fmt.Sprint(i)}))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, b.ID)
		clock.Advance(time.Second)
	}
	var got []string
	o := openrouter.BatchListOptions{Limit: 2}
	for page := 0; ; page++ {
		l, err := c.Batches.List(context.Background(), o)
		if err != nil || page > 5 {
			t.Fatalf("page %d: %v", page, err)
		}
		for _, b := range l.Data {
			got = append(got, b.ID)
		}
		if !l.HasMore {
			break
		}
		o.After = l.LastID
	}
	want := []string{ids[4], ids[3], ids[2], ids[1], ids[0]}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("listed %v, want newest first %v", got, want)
	}
	clock.Advance(time.Hour)
	l, err := c.Batches.List(context.Background(), openrouter.BatchListOptions{Status: []openrouter.BatchStatus{openrouter.BatchInProgress}})
	if err != nil || len(l.Data) != 0 {
		t.Errorf("in_progress after an hour: %d, %v", len(l.Data), err)
	}
	l, err = c.Batches.List(context.Background(), openrouter.BatchListOptions{Status: []openrouter.BatchStatus{openrouter.BatchCompleted}})
	if err != nil || len(l.Data) != 5 || l.Data[0].Results != nil {
		t.Errorf("completed: %d, %v (listed batches carry no results)", len(l.Data), err)
	}
	if _, err := c.Batches.List(context.Background(), openrouter.BatchListOptions{Limit: 101}); !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("limit 101: %v", err)
	}
	if _, err := c.Batches.Find(context.Background(), openrouter.BatchMarker{}); !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("empty marker: %v", err)
	}
}

func TestWithBatchPath(t *testing.T) {
	paths := make(chan string, 1)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths <- r.URL.Path
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"batch_1","object":"batch","status":"completed"}`)
	}))
	defer hs.Close()
	c := openrouter.NewClient(openroutertest.DefaultKey, openrouter.WithBaseURL(hs.URL+"/api"), openrouter.WithBatchPath("/beta/batches"))
	if b, err := c.Batches.Get(context.Background(), "batch_1"); err != nil || !b.Status.Terminal() {
		t.Fatalf("%v %v", b, err)
	}
	if path := <-paths; path != "/api/beta/batches/batch_1" {
		t.Errorf("path %q", path)
	}
	bad := openrouter.NewClient(openroutertest.DefaultKey, openrouter.WithBatchPath("batches?x"))
	if _, err := bad.Batches.Get(context.Background(), "b"); !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("bad path: %v", err)
	}
}

func TestWaitBatchToleratesSomePollFailures(t *testing.T) {
	var mu sync.Mutex
	gets := 0
	answers := []int{503, 503, 200, 503, 503, 503}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		s := answers[min(gets, len(answers)-1)]
		gets++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(s)
		if s != 200 {
			io.WriteString(w, `{"error":{"code":503,"message":"Service Unavailable"}}`)
			return
		}
		io.WriteString(w, `{"id":"batch_1","object":"batch","status":"in_progress","request_counts":{"total":1,"completed":0,"failed":0}}`)
	}))
	defer hs.Close()
	c := openrouter.NewClient(openroutertest.DefaultKey, openrouter.WithBaseURL(hs.URL), openrouter.WithLimiter(nil),
		openrouter.WithRetry(0, time.Millisecond, time.Millisecond)) // one attempt a poll
	var sleeps int
	w := openrouter.WithBatchSleep(openrouter.BatchWait{MaxPollErrors: 3}, func(ctx context.Context, d time.Duration, _ <-chan struct{}) (bool, error) {
		sleeps++
		return false, nil
	})
	_, err := c.Batches.Wait(context.Background(), "batch_1", w)
	mu.Lock()
	defer mu.Unlock()
	// 503, 503 (two failures), 200 (reset), 503, 503, 503: the third
	// failure in a row ends the wait.
	if !errors.Is(err, openrouter.ErrServer) || gets != 6 || sleeps != 5 {
		t.Errorf("err %v after %d polls and %d sleeps; want ErrServer after 6 polls", err, gets, sleeps)
	}
}

func TestBatchMarkerBeforeSubmitFindsTheBatchAfterACrash(t *testing.T) {
	srv, _, c := batchServer(t)
	req := batchOf(map[string]string{"a": "1", "b": "2", "c": "3"})
	marker, err := c.Batches.Marker(req) // a journal would record it here
	if err != nil || req.Token == "" || marker.Token != req.Token || marker.Requests != 3 || marker.Model != batchModel {
		t.Fatalf("marker %+v, token %q, %v", marker, req.Token, err)
	}
	journal, _ := json.Marshal(marker)
	srv.LoseBatchSubmits(1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Batches.Submit(ctx, req); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled context sends nothing: %v", err)
	}
	var se *openrouter.BatchSubmitError
	if _, err := c.Batches.Submit(context.Background(), batchOf(map[string]string{"x": "1"})); err != nil && !errors.As(err, &se) {
		t.Fatal(err) // another batch, of another size (its answer lost: the loss was not spent by the cancelled call)
	}
	srv.LoseBatchSubmits(1)
	restarted := srv.Client() // as if the process died while submitting
	_, _ = restarted.Batches.Submit(context.Background(), req)
	var back openrouter.BatchMarker
	if err := json.Unmarshal(journal, &back); err != nil {
		t.Fatal(err)
	}
	found, err := restarted.Batches.Find(context.Background(), back)
	if err != nil || len(found) != 1 || found[0].RequestCounts.Total != 3 {
		t.Fatalf("Batches.Find: %+v, %v", found, err)
	}
	if _, err := c.Batches.Marker(&openrouter.BatchRequest{Model: "a b"}); !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("bad model: %v", err)
	}
}
