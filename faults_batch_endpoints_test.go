package openrouter_test

// Tests from a hostile review of the Batch API client and the endpoints
// beyond chat: each one answered garbage, or fed bad input, and failed
// before its fix.

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// hostile starts an httptest server answering every request with h, and
// a client for it.
func hostile(t *testing.T, h http.HandlerFunc) *openrouter.Client {
	t.Helper()
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	c := openrouter.NewClient(openroutertest.DefaultKey, openrouter.WithBaseURL(hs.URL), openrouter.WithLimiter(nil))
	openrouter.SetWaitHook(c, func(time.Duration) time.Duration { return 0 }) // retries never sleep
	return c
}

func TestEmbedNilContextIsRefused(t *testing.T) {
	var n atomic.Int32
	c := hostile(t, func(w http.ResponseWriter, r *http.Request) { n.Add(1) })
	var ctx context.Context // nil
	res, err := c.Embed(ctx, &openrouter.EmbeddingRequest{Model: "m/e", Input: []string{"a"}})
	if !errors.Is(err, openrouter.ErrInvalidRequest) || res != nil {
		t.Errorf("nil context: %v, %v; want ErrInvalidRequest", res, err)
	}
	if n.Load() != 0 {
		t.Errorf("%d requests sent", n.Load())
	}
}

func b64Floats(fs ...float32) string {
	b := make([]byte, 4*len(fs))
	for i, f := range fs {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return base64.StdEncoding.EncodeToString(b)
}

func TestEmbedRefusesNonFiniteAndMisSizedVectors(t *testing.T) {
	for name, tc := range map[string]struct {
		vec  string
		dims int
	}{
		"nan":        {`"` + b64Floats(1, float32(math.NaN())) + `"`, 0},
		"inf":        {`"` + b64Floats(float32(math.Inf(1)), 1) + `"`, 0},
		"dimensions": {`[1,2,3]`, 2},
	} {
		body := `{"model":"m/e","data":[{"index":0,"embedding":` + tc.vec + `}],"usage":{"prompt_tokens":1,"total_tokens":1,"cost":0.5}}`
		c := hostile(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) })
		_, err := c.Embed(context.Background(), &openrouter.EmbeddingRequest{Model: "m/e", Input: []string{"a"}, Dimensions: tc.dims})
		if !errors.Is(err, openrouter.ErrServer) {
			t.Errorf("%s: %v, want ErrServer", name, err)
		}
	}
}

// TestEmbedMalformedAnswerKeepsItsCost: an answer that was billed but is
// unusable still counts in Usage, beside the part that answered well.
func TestEmbedMalformedAnswerKeepsItsCost(t *testing.T) {
	var n atomic.Int32
	c := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			io.WriteString(w, `{"model":"m/e","data":[{"index":0,"embedding":[1,2]}],"usage":{"prompt_tokens":1,"total_tokens":1,"cost":0.25}}`)
			return
		}
		io.WriteString(w, `{"model":"m/e","data":[],"usage":{"prompt_tokens":1,"total_tokens":1,"cost":0.5}}`)
	})
	res, err := c.Embed(context.Background(), &openrouter.EmbeddingRequest{Model: "m/e", Input: []string{"a", "b"}, BatchInputs: 1, Concurrency: 1})
	if !errors.Is(err, openrouter.ErrServer) {
		t.Fatalf("%v, want ErrServer", err)
	}
	if res == nil || res.Usage.Cost != 0.75 || res.Vectors[0] == nil || res.Vectors[1] != nil {
		t.Errorf("result %+v: want both answers' cost (0.75), the first vector and no second", res)
	}
	if got := c.Spent(); got != 0.75 {
		t.Errorf("client spent %v, want 0.75", got)
	}
}

func TestCreateKeyGarbledAnswerHidesTheSecret(t *testing.T) {
	const secret = "sk-or-v1-0123456789abcdef0123456789abcdef"
	for name, body := range map[string]string{
		"type":      `{"data":"oops","key":"` + secret + `"}`,
		"truncated": `{"key":"` + secret + `","data":{"hash":"h`,
		"nohash":    `{"key":"` + secret + `","data":{}}`,
	} {
		c := hostile(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) })
		_, err := c.Keys.Create(context.Background(), openrouter.NewKey{Name: "job"})
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
			if strings.Contains(s, secret[10:30]) {
				t.Errorf("%s: the new key's secret is in the error: %s", name, s)
			}
		}
	}
}

// TestEstimateBatchPriceOnlyForBatchableRequests: a request that cannot
// go in a batch (an image input, fallback models) runs sync, at the sync
// price.
func TestEstimateBatchPriceOnlyForBatchableRequests(t *testing.T) {
	srv := openroutertest.NewServer()
	defer srv.Close()
	c := srv.Client()
	img := &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", MaxTokens: 100, Messages: []openrouter.Message{
		{Role: "user", Parts: []openrouter.ContentPart{openrouter.TextPart("what is it?"), openrouter.ImageURLPart("https://example.com/a.png")}}}}
	sync, err := c.EstimateCost(context.Background(), []*openrouter.ChatRequest{img}, openrouter.EstimateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := c.EstimateCost(context.Background(), []*openrouter.ChatRequest{img}, openrouter.EstimateOptions{Batch: true})
	if err != nil {
		t.Fatal(err)
	}
	if batch.Cost != sync.Cost {
		t.Errorf("an image request in batch mode estimated at %v, want the sync price %v (it cannot go in a batch)", batch.Cost, sync.Cost)
	}
}

// TestBatchResultsEmptyPagesDoNotLoopForever: a server whose pages are
// empty but always say there is more, each with a new cursor.
func TestBatchResultsEmptyPagesDoNotLoopForever(t *testing.T) {
	var n atomic.Int32
	c := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1)
		if i > 1000 {
			http.Error(w, `{"error":{"code":400,"message":"the client looped"}}`, http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, `{"data":[],"has_more":true,"next_cursor":"c%d"}`, i)
	})
	_, err := c.Batches.ResultMap(context.Background(), "batch_1")
	if !errors.Is(err, openrouter.ErrServer) {
		t.Errorf("%v, want ErrServer", err)
	}
	if got := n.Load(); got > 10 {
		t.Errorf("%d empty pages read", got)
	}
}

// TestBatchResultMapRefusesResultWithoutCustomID: a result that names no
// request cannot be matched; it is not filed under "".
func TestBatchResultMapRefusesResultWithoutCustomID(t *testing.T) {
	c := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"data":[{"id":"r1","custom_id":"","response":{"status_code":200,"body":{}}}],"has_more":false}`)
	})
	m, err := c.Batches.ResultMap(context.Background(), "batch_1")
	if !errors.Is(err, openrouter.ErrServer) {
		t.Errorf("%v (map %v), want ErrServer", err, m)
	}
}

// TestDotSegmentIDsAreRefused: an ID of "." or ".." would make a path
// that a server or proxy cleans into another endpoint's
// ("/keys/.." is "/"; "/models/../keys/endpoints" is "/keys/endpoints").
func TestDotSegmentIDsAreRefused(t *testing.T) {
	var n atomic.Int32
	c := hostile(t, func(w http.ResponseWriter, r *http.Request) { n.Add(1) })
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"Keys.Delete":         func() error { return c.Keys.Delete(ctx, "..") },
		"Keys.Get":            func() error { _, err := c.Keys.Get(ctx, "."); return err },
		"Batches.Delete":      func() error { _, err := c.Batches.Delete(ctx, ".."); return err },
		"Batches.Cancel":      func() error { _, err := c.Batches.Cancel(ctx, "."); return err },
		"ModelEndpoints":      func() error { _, err := c.ModelEndpoints(ctx, "../keys"); return err },
		"ImageModelEndpoints": func() error { _, err := c.ImageModelEndpoints(ctx, "a/.."); return err },
	} {
		if err := call(); !errors.Is(err, openrouter.ErrInvalidRequest) {
			t.Errorf("%s: %v, want ErrInvalidRequest", name, err)
		}
	}
	if n.Load() != 0 {
		t.Errorf("%d requests sent", n.Load())
	}
}

// TestGarbled200EchoingTheKeyIsRedacted: a 200 answer that is not the
// JSON expected is quoted in the error; a proxy that echoed the key
// must not put it there (found by FuzzBatchResultsPage).
func TestGarbled200EchoingTheKeyIsRedacted(t *testing.T) {
	c := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<html>Authorization: Bearer "+openroutertest.DefaultKey+"</html>")
	})
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"Batches.Get":    func() error { _, err := c.Batches.Get(ctx, "b1"); return err },
		"Batches.Cancel": func() error { _, err := c.Batches.Cancel(ctx, "b1"); return err },
		"Activity":       func() error { _, err := c.Activity(ctx, openrouter.ActivityFilter{}); return err },
		"Embed": func() error {
			_, err := c.Embed(ctx, &openrouter.EmbeddingRequest{Model: "m/e", Input: []string{"a"}})
			return err
		},
		"Chat": func() error {
			_, err := c.Chat(ctx, &openrouter.ChatRequest{Model: "m/x", Messages: []openrouter.Message{openrouter.UserMessage("hi")}})
			return err
		},
	} {
		err := call()
		if !errors.Is(err, openrouter.ErrServer) {
			t.Errorf("%s: %v, want ErrServer", name, err)
			continue
		}
		for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
			if strings.Contains(s, openroutertest.DefaultKey) {
				t.Errorf("%s: the key is in the error: %s", name, s)
			}
		}
	}
}

// TestBatchAnswerWithoutIDOrStatusIsAnError: a poll answered with null
// or {} is no batch; Batches.Wait would poll it until its context ended.
func TestBatchAnswerWithoutIDOrStatusIsAnError(t *testing.T) {
	for _, body := range []string{`null`, `{}`, `{"id":"b1"}`, `{"status":"completed"}`} {
		var n atomic.Int32
		c := hostile(t, func(w http.ResponseWriter, r *http.Request) { n.Add(1); io.WriteString(w, body) })
		if _, err := c.Batches.Get(context.Background(), "b1"); !errors.Is(err, openrouter.ErrServer) {
			t.Errorf("Batches.Get of %s: %v, want ErrServer", body, err)
		}
		if _, err := c.Batches.Cancel(context.Background(), "b1"); !errors.Is(err, openrouter.ErrServer) {
			t.Errorf("Batches.Cancel of %s: %v, want ErrServer", body, err)
		}
		n.Store(0)
		w := openrouter.WithBatchSleep(openrouter.BatchWait{MaxPollErrors: 3}, func(ctx context.Context, d time.Duration, _ <-chan struct{}) (bool, error) {
			if n.Load() > 100 {
				return false, errors.New("polled for ever")
			}
			return false, nil
		})
		_, err := c.Batches.Wait(context.Background(), "b1", w)
		if !errors.Is(err, openrouter.ErrServer) || n.Load() > 3*4 {
			t.Errorf("Batches.Wait of %s: %v after %d requests, want ErrServer after at most 3 polls", body, err, n.Load())
		}
	}
}

// TestErrorObjectIn200IsTheError: a 200 whose body is an error object
// gives that error (typed as a Chat call types it), not "malformed".
func TestErrorObjectIn200IsTheError(t *testing.T) {
	c := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"error":{"code":402,"message":"Insufficient credits: add more"}}`)
	})
	ctx := context.Background()
	_, err := c.Embed(ctx, &openrouter.EmbeddingRequest{Model: "m/e", Input: []string{"a"}})
	if !errors.Is(err, openrouter.ErrInsufficientCredits) || !strings.Contains(err.Error(), "add more") {
		t.Errorf("Embed: %v, want ErrInsufficientCredits with the server's message", err)
	}
	_, err = c.Keys.Update(ctx, "h", openrouter.KeyUpdate{Disabled: new(bool)})
	if !errors.Is(err, openrouter.ErrInsufficientCredits) {
		t.Errorf("Keys.Update: %v, want ErrInsufficientCredits", err)
	}
}

// TestSubmitBatchHonoursModelCheck: with WithModelCheck, a batch on an
// unknown model is refused before it is submitted, as a Chat would be.
func TestSubmitBatchHonoursModelCheck(t *testing.T) {
	srv := openroutertest.NewServer()
	defer srv.Close()
	c := srv.Client(openrouter.WithModelCheck(), openrouter.WithLimiter(nil))
	_, err := c.Batches.Submit(context.Background(), &openrouter.BatchRequest{Model: "no/such-model", Requests: []openrouter.BatchItem{
		{CustomID: "a", Body: &openrouter.ChatRequest{Messages: []openrouter.Message{openrouter.UserMessage("hi")}}}}})
	if !errors.Is(err, openrouter.ErrModelNotFound) {
		t.Errorf("%v, want ErrModelNotFound", err)
	}
	if l, err := c.Batches.List(context.Background(), openrouter.BatchListOptions{}); err != nil || len(l.Data) != 0 {
		t.Errorf("batches stored: %+v %v", l, err)
	}
}

// TestCreateKeyRefusesNonFiniteLimit: a NaN budget was dropped silently,
// creating a key with no limit at all.
func TestCreateKeyRefusesNonFiniteLimit(t *testing.T) {
	var n atomic.Int32
	c := hostile(t, func(w http.ResponseWriter, r *http.Request) { n.Add(1) })
	for _, l := range []float64{math.NaN(), math.Inf(1)} {
		if _, err := c.Keys.Create(context.Background(), openrouter.NewKey{Name: "job", Limit: l}); !errors.Is(err, openrouter.ErrInvalidRequest) {
			t.Errorf("Keys.Create with limit %v: %v, want ErrInvalidRequest", l, err)
		}
		if _, err := c.Keys.Update(context.Background(), "h", openrouter.KeyUpdate{Limit: &l}); !errors.Is(err, openrouter.ErrInvalidRequest) {
			t.Errorf("Keys.Update with limit %v: %v, want ErrInvalidRequest", l, err)
		}
	}
	if n.Load() != 0 {
		t.Errorf("%d requests sent", n.Load())
	}
}

// TestNonFinitePricesAreUnknown: a catalogue price of "NaN" made every
// estimate NaN, which CheckFunds let through whatever the balance.
func TestNonFinitePricesAreUnknown(t *testing.T) {
	c := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/endpoints"):
			io.WriteString(w, `{"data":{"id":"m/x","endpoints":[{"name":"e","pricing":{"prompt":"NaN","completion":"Infinity"}}]}}`)
		default:
			io.WriteString(w, `{"data":[{"id":"m/x","context_length":1000,"pricing":{"prompt":"NaN","completion":"+Inf","request":"0"}}]}`)
		}
	})
	m, err := c.Model(context.Background(), "m/x")
	if err != nil {
		t.Fatal(err)
	}
	if p := m.Pricing; math.IsNaN(p.Prompt) || math.IsInf(p.Completion, 0) {
		t.Errorf("model prices %+v", p)
	}
	me, err := c.ModelEndpoints(context.Background(), "m/x")
	if err != nil || len(me.Endpoints) != 1 {
		t.Fatal(me, err)
	}
	if p := me.Endpoints[0].Pricing; math.IsNaN(p.Prompt) || math.IsInf(p.Completion, 0) {
		t.Errorf("endpoint prices %+v", p)
	}
	est := &openrouter.CostEstimate{Cost: math.NaN()}
	if _, err := c.CheckFunds(context.Background(), est); !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("CheckFunds of a NaN estimate: %v, want ErrInvalidRequest", err)
	}
}

// TestBatchResultMapStopsPastTheRequestCount: a server paging out fresh
// results for ever is refused once it has sent more results than the
// batch has requests, instead of filling memory.
func TestBatchResultMapStopsPastTheRequestCount(t *testing.T) {
	var n atomic.Int32
	c := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/results") {
			io.WriteString(w, `{"id":"batch_1","status":"completed","request_counts":{"total":2,"completed":2,"failed":0}}`)
			return
		}
		i := n.Add(1)
		if i > 1000 {
			http.Error(w, `{"error":{"code":400,"message":"the client looped"}}`, http.StatusBadRequest)
			return
		}
		var b strings.Builder
		for j := range 300 {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"id":"r%d.%d","custom_id":"c%d.%d","response":{"status_code":200,"body":{}}}`, i, j, i, j)
		}
		fmt.Fprintf(w, `{"data":[%s],"has_more":true,"next_cursor":"k%d"}`, b.String(), i)
	})
	m, err := c.Batches.ResultMap(context.Background(), "batch_1")
	if !errors.Is(err, openrouter.ErrServer) {
		t.Errorf("%v, want ErrServer", err)
	}
	if n.Load() > 3 || len(m) > 600 {
		t.Errorf("%d pages read, %d results kept", n.Load(), len(m))
	}
}

// TestEmbedRefusesVectorsOfDifferentSizes: vectors of one model differ
// in size only when the answer is broken; Cosine would quietly give 0.
func TestEmbedRefusesVectorsOfDifferentSizes(t *testing.T) {
	c := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"model":"m/e","data":[{"index":0,"embedding":[1,2,3]},{"index":1,"embedding":[1,2]}]}`)
	})
	_, err := c.Embed(context.Background(), &openrouter.EmbeddingRequest{Model: "m/e", Input: []string{"a", "b"}})
	if !errors.Is(err, openrouter.ErrServer) {
		t.Errorf("%v, want ErrServer", err)
	}
}

// TestInlineResultsOfGetBatchAreRedacted: the results a batch carries
// inline (the older shape) are read from Batches.Get's answer directly; a
// key echoed in their errors is redacted as Batches.Results redacts it.
func TestInlineResultsOfGetBatchAreRedacted(t *testing.T) {
	key := openroutertest.DefaultKey
	c := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"id":"b1","status":"completed","results":[{"id":"r","custom_id":"a","response":{"status_code":401,"body":{"error":{"code":401,"message":"bad key `+key+`"}}}},{"id":"s","custom_id":"b","error":{"code":"expired","message":"`+key+`"}}]}`)
	})
	b, err := c.Batches.Get(context.Background(), "b1")
	if err != nil || len(b.Results) != 2 {
		t.Fatal(b, err)
	}
	for _, r := range b.Results {
		err := r.Err()
		if err == nil || strings.Contains(err.Error(), key) {
			t.Errorf("result %s: %v", r.CustomID, err)
		}
	}
}

// TestKeyCutByTheExcerptIsRedacted: an error quotes at most 200
// characters of the answer; a key that straddles the cut was left
// half-shown (48 of its 73 characters).
func TestKeyCutByTheExcerptIsRedacted(t *testing.T) {
	key := openroutertest.DefaultKey
	for _, status := range []int{200, 502} {
		for _, pad := range []int{140, 150, 170, 185} {
			c := hostile(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(status)
				io.WriteString(w, "<p>"+strings.Repeat("x", pad)+" "+key+"</p>")
			})
			_, err := c.Batches.Get(context.Background(), "b1")
			if err == nil || strings.Contains(err.Error(), key[:len("sk-or-v1-")+8]) {
				t.Errorf("status %d, pad %d: %v", status, pad, err)
			}
		}
	}
}

// TestNilContextNeverPanics calls every method of the review's scope
// with a nil context: each refuses it (ErrInvalidRequest), sending
// nothing.
func TestNilContextNeverPanics(t *testing.T) {
	var n atomic.Int32
	c := hostile(t, func(w http.ResponseWriter, r *http.Request) { n.Add(1) })
	var ctx context.Context
	msg := []openrouter.Message{openrouter.UserMessage("hi")}
	calls := map[string]func() error{
		"Embed": func() error {
			_, err := c.Embed(ctx, &openrouter.EmbeddingRequest{Model: "m/e", Input: []string{"a"}})
			return err
		},
		"EmbeddingModels":   func() error { _, err := c.EmbeddingModels(ctx); return err },
		"ImageModels":       func() error { _, err := c.ImageModels(ctx); return err },
		"Keys.Create":       func() error { _, err := c.Keys.Create(ctx, openrouter.NewKey{Name: "k"}); return err },
		"Keys.List":         func() error { _, err := c.Keys.List(ctx, openrouter.KeyListOptions{}); return err },
		"Activity":          func() error { _, err := c.Activity(ctx, openrouter.ActivityFilter{}); return err },
		"ModelEndpoints":    func() error { _, err := c.ModelEndpoints(ctx, "a/b"); return err },
		"Providers":         func() error { _, err := c.Providers(ctx); return err },
		"ModelCount":        func() error { _, err := c.ModelCount(ctx, ""); return err },
		"Batches.Get":       func() error { _, err := c.Batches.Get(ctx, "b"); return err },
		"Batches.List":      func() error { _, err := c.Batches.List(ctx, openrouter.BatchListOptions{}); return err },
		"Batches.Wait":      func() error { _, err := c.Batches.Wait(ctx, "b", openrouter.BatchWait{}); return err },
		"Batches.ResultMap": func() error { _, err := c.Batches.ResultMap(ctx, "b"); return err },
		"Batches.Submit": func() error {
			_, err := c.Batches.Submit(ctx, &openrouter.BatchRequest{Model: "m/x", Requests: []openrouter.BatchItem{{CustomID: "a", Body: &openrouter.ChatRequest{Messages: msg}}}})
			return err
		},
		"Batches.Find": func() error {
			_, err := c.Batches.Find(ctx, openrouter.BatchMarker{Model: "m/x", Requests: 1, NotBefore: time.Now()})
			return err
		},
		"EstimateCost": func() error {
			_, err := c.EstimateCost(ctx, []*openrouter.ChatRequest{{Model: "m/x", Messages: msg}}, openrouter.EstimateOptions{})
			return err
		},
		"CheckFunds": func() error { _, err := c.CheckFunds(ctx, &openrouter.CostEstimate{}); return err },
	}
	for name, call := range calls {
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("%s panicked: %v", name, p)
				}
			}()
			if err := call(); !errors.Is(err, openrouter.ErrInvalidRequest) {
				t.Errorf("%s: %v, want ErrInvalidRequest", name, err)
			}
		}()
	}
	if n.Load() != 0 {
		t.Errorf("%d requests sent", n.Load())
	}
}

func TestListBatchesRefusesContradictoryFilters(t *testing.T) {
	var n atomic.Int32
	c := hostile(t, func(w http.ResponseWriter, r *http.Request) { n.Add(1) })
	now := time.Now()
	for name, o := range map[string]openrouter.BatchListOptions{
		"window":       {CreatedAfter: now, CreatedBefore: now.Add(-time.Hour)},
		"empty status": {Status: []openrouter.BatchStatus{""}},
	} {
		if _, err := c.Batches.List(context.Background(), o); !errors.Is(err, openrouter.ErrInvalidRequest) {
			t.Errorf("%s: %v, want ErrInvalidRequest", name, err)
		}
	}
	if n.Load() != 0 {
		t.Errorf("%d requests sent", n.Load())
	}
}

// TestCheckBatchableSeesThroughExtra: the escape hatch carried what
// CheckBatchable refuses in the typed fields (provider routing per
// request, fallback models, web search, streaming, image output) into a
// batch.
func TestCheckBatchableSeesThroughExtra(t *testing.T) {
	msg := []openrouter.Message{openrouter.UserMessage("hi")}
	for _, extra := range []map[string]any{
		{"/provider": map[string]any{"only": []string{"openai"}}},
		{"/models": []string{"a/b"}},
		{"/plugins": []map[string]any{{"id": "web"}}},
		{"/stream": true},
		{"/modalities": []string{"image", "text"}},
	} {
		err := openrouter.CheckBatchable(&openrouter.ChatRequest{Messages: msg, Extra: extra})
		if !errors.Is(err, openrouter.ErrInvalidRequest) {
			t.Errorf("Extra %v: %v, want ErrInvalidRequest", extra, err)
		}
	}
	if err := openrouter.CheckBatchable(&openrouter.ChatRequest{Messages: msg, Extra: map[string]any{"/top_k": 3}}); err != nil {
		t.Errorf("an ordinary Extra parameter: %v", err)
	}
}

// TestWaitBatchNotificationFloodIsPaced: the webhook that feeds Notify
// is reachable from outside; a flood of notifications made Batches.Wait
// poll back to back. Now a notified poll is followed by at least
// MinInterval without polling.
func TestWaitBatchNotificationFloodIsPaced(t *testing.T) {
	var polls atomic.Int32
	c := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		polls.Add(1)
		io.WriteString(w, `{"id":"b1","status":"in_progress"}`)
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var quiet time.Duration // time slept with notifications ignored
	w := openrouter.WithBatchSleep(openrouter.BatchWait{MinInterval: time.Second, Notify: make(chan struct{})},
		func(ctx context.Context, d time.Duration, notify <-chan struct{}) (bool, error) {
			if polls.Load() >= 20 {
				cancel()
				return false, ctx.Err()
			}
			if notify == nil {
				quiet += d
				return false, nil
			}
			return true, nil // the flood: a notification is always waiting
		})
	_, err := c.Batches.Wait(ctx, "b1", w)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("%v", err)
	}
	if n := polls.Load(); quiet < time.Duration(n-2)*time.Second {
		t.Errorf("%d polls in %v of enforced quiet; want at most one poll a second", n, quiet)
	}
}

// TestEstimateRefusesVariablePrices: a router's price is "-1"
// (variable); it read as 0, so the upper bound of a job on
// openrouter/auto was $0 and CheckFunds let it start on any balance.
func TestEstimateRefusesVariablePrices(t *testing.T) {
	c := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"data":[{"id":"openrouter/auto","context_length":2000000,"pricing":{"prompt":"-1","completion":"-1"}}]}`)
	})
	m, err := c.Model(context.Background(), "openrouter/auto")
	if err != nil {
		t.Fatal(err)
	}
	if !m.Pricing.Variable {
		t.Errorf("pricing %+v: want Variable", m.Pricing)
	}
	est, err := c.EstimateCost(context.Background(), []*openrouter.ChatRequest{{Model: "openrouter/auto", MaxTokens: 10,
		Messages: []openrouter.Message{openrouter.UserMessage("hi")}}}, openrouter.EstimateOptions{})
	if !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("estimate %+v, %v; want ErrInvalidRequest (a variable price cannot be bounded)", est, err)
	}
}

// TestEstimateUsesTheCatalogueBatchPrice: the catalogue lists a
// model's batch price as its own ":batch" entry; the estimate uses it
// rather than assume half the sync price.
func TestEstimateUsesTheCatalogueBatchPrice(t *testing.T) {
	c := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"data":[{"id":"m/x","context_length":1000,"pricing":{"prompt":"0.000001","completion":"0.000002"}},`+
			`{"id":"m/x:batch","context_length":1000,"pricing":{"prompt":"0.0000003","completion":"0.0000006"}}]}`)
	})
	est, err := c.EstimateCost(context.Background(), []*openrouter.ChatRequest{{Model: "m/x", MaxTokens: 100,
		Messages: []openrouter.Message{openrouter.UserMessage("abcdefghi")}}}, openrouter.EstimateOptions{Batch: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := float64(est.PromptTokens)*0.3e-6 + 100*0.6e-6; est.PromptTokens == 0 || math.Abs(est.Cost-want) > 1e-12 {
		t.Errorf("batch estimate %v, want %v (the :batch entry's prices)", est.Cost, want)
	}
}
