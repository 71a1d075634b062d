package openrouter_test

import (
	"context"
	"encoding/json"
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
	ort "github.com/routerkit/openrouter/openroutertest"
)

// embeddingBatchServer accepts one embeddings batch and answers its
// results in reverse order, each input embedded as [len, 1, 0]; answer
// overrides the body of a custom ID's result.
func embeddingBatchServer(t *testing.T, answer map[string]string) (*openrouter.Client, *atomic.Int32) {
	var submits atomic.Int32
	var got struct {
		Endpoint string `json:"endpoint"`
		Model    string `json:"model"`
		Requests []struct {
			CustomID string          `json:"custom_id"`
			Body     json.RawMessage `json:"body"`
		} `json:"requests"`
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/api/v1/batches":
			submits.Add(1)
			b, _ := io.ReadAll(r.Body)
			if i, j := strings.Index(string(b), `"model"`), strings.Index(string(b), `"requests"`); !strings.HasPrefix(string(b), `{"endpoint":`) || i < 0 || j < i {
				t.Errorf("endpoint and model must come before requests: %.80s", b)
			}
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			w.WriteHeader(http.StatusAccepted)
			io.WriteString(w, `{"id":"b1","object":"batch","endpoint":"/v1/embeddings","model":"`+got.Model+`","status":"validating"}`)
		case r.URL.Path == "/api/v1/batches/b1/results":
			var rows []string
			for i := len(got.Requests) - 1; i >= 0; i-- {
				rq := got.Requests[i]
				var body struct {
					Model string   `json:"model"`
					Input []string `json:"input"`
				}
				json.Unmarshal(rq.Body, &body)
				if body.Model != "" {
					t.Errorf("%s: the body names model %q; the batch does", rq.CustomID, body.Model)
				}
				short := rq.CustomID // the answer is scripted by inputs, without the request's digest
				if k := strings.LastIndex(short, "-"); strings.Count(short, "-") == 3 {
					short = short[:k]
				}
				ans, ok := answer[short]
				if !ok {
					var data []string
					for k, in := range body.Input {
						data = append(data, fmt.Sprintf(`{"object":"embedding","index":%d,"embedding":[%d,1,0]}`, k, len(in)))
					}
					ans = `{"status_code":200,"body":{"object":"list","model":"m/e","data":[` + strings.Join(data, ",") + `],"usage":{"prompt_tokens":2,"total_tokens":2,"cost":0.001}}}`
				}
				rows = append(rows, `{"id":"r`+rq.CustomID+`","custom_id":"`+rq.CustomID+`","response":`+ans+`}`)
			}
			io.WriteString(w, `{"data":[`+strings.Join(rows, ",")+`],"has_more":false,"next_cursor":null}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return openrouter.NewClient(ort.DefaultKey, openrouter.WithBaseURL(srv.URL+"/api/v1"), openrouter.WithLimiter(nil)), &submits
}

// TestEmbeddingBatchRoundTrip: embeddings in batch mode. The inputs are
// split as Embed splits them, submitted as one /v1/embeddings batch, and
// the results (in any order) come back in input order with their usage.
func TestEmbeddingBatchRoundTrip(t *testing.T) {
	c, submits := embeddingBatchServer(t, nil)
	ctx := context.Background()
	req := &openrouter.EmbeddingRequest{Model: "m/e", Input: []string{"a", "bb", "ccc", "dddd", "eeeee"}, BatchInputs: 2}
	b, err := c.Batches.SubmitEmbeddings(ctx, req)
	if err != nil || b.ID != "b1" || submits.Load() != 1 {
		t.Fatalf("batch %+v, %v, %d submissions", b, err, submits.Load())
	}
	res, err := c.Batches.EmbeddingResults(ctx, b.ID, req)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range res.Vectors {
		if len(v) != 3 || int(v[0]) != len(req.Input[i]) {
			t.Errorf("input %d: vector %v; want [%d 1 0]", i, v, len(req.Input[i]))
		}
	}
	if res.Requests != 3 || res.Usage.PromptTokens != 6 || res.Usage.Cost < 0.003-1e-12 || res.Usage.Cost > 0.003+1e-12 {
		t.Errorf("%d requests, usage %+v; want 3 and $0.003", res.Requests, res.Usage)
	}
	if _, err := c.Batches.SubmitEmbeddings(ctx, &openrouter.EmbeddingRequest{Model: "m/e", Input: []string{"a"}, InputType: "search_query"}); !errors.Is(err, openrouter.ErrInvalidRequest) || submits.Load() != 1 {
		t.Errorf("input_type in a batch: %v, %d submissions; want ErrInvalidRequest before sending", err, submits.Load())
	}
}

// TestEmbeddingBatchResultsKeepWhatWasBilled: one request of the batch
// failed and another answered vectors of another size: the good vectors
// and every answer's usage are returned beside the first error.
func TestEmbeddingBatchResultsKeepWhatWasBilled(t *testing.T) {
	ctx := context.Background()
	req := &openrouter.EmbeddingRequest{Model: "m/e", Input: []string{"a", "bb", "ccc"}, BatchInputs: 1}
	c, _ := embeddingBatchServer(t, map[string]string{"emb-1-2": `{"status_code":400,"body":{"error":{"code":400,"message":"Invalid input"}}}`})
	b, err := c.Batches.SubmitEmbeddings(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Batches.EmbeddingResults(ctx, b.ID, req)
	if !errors.Is(err, openrouter.ErrBadRequest) || res == nil || res.Requests != 2 || res.Vectors[0] == nil || res.Vectors[1] != nil || res.Vectors[2] == nil {
		t.Fatalf("res %+v, err %v; want inputs 0 and 2 beside the 400", res, err)
	}
	c, _ = embeddingBatchServer(t, map[string]string{"emb-2-3": `{"status_code":200,"body":{"object":"list","model":"m/e","data":[{"index":0,"embedding":[1,0]}],"usage":{"prompt_tokens":1,"total_tokens":1,"cost":0.001}}}`})
	b, _ = c.Batches.SubmitEmbeddings(ctx, req)
	res, err = c.Batches.EmbeddingResults(ctx, b.ID, req)
	if !errors.Is(err, openrouter.ErrServer) || !strings.Contains(err.Error(), "different sizes") || res == nil || res.Requests != 3 {
		t.Errorf("mixed sizes: res %+v, err %v", res, err)
	}
}

// TestEmbeddingBatchOnTheFake: an embeddings batch on the fake gives the
// vectors Embed gives, at half the price.
func TestEmbeddingBatchOnTheFake(t *testing.T) {
	_, clock, c := batchServer(t)
	ctx := context.Background()
	req := &openrouter.EmbeddingRequest{Model: embedModel, Input: []string{"red pandas climb trees", "giant pandas eat bamboo", "the stock market fell"}, BatchInputs: 2}
	sync, err := c.Embed(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Batches.SubmitEmbeddings(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	w := openrouter.WithBatchSleep(openrouter.BatchWait{}, func(context.Context, time.Duration, <-chan struct{}) (bool, error) {
		clock.Advance(time.Minute)
		return false, nil
	})
	if b, err = c.Batches.Wait(ctx, b.ID, w); err != nil || b.Status != openrouter.BatchCompleted || b.Endpoint != openrouter.BatchEmbeddings {
		t.Fatalf("batch %+v, %v", b, err)
	}
	res, err := c.Batches.EmbeddingResults(ctx, b.ID, req)
	if err != nil {
		t.Fatal(err)
	}
	for i := range req.Input {
		if openrouter.Cosine(res.Vectors[i], sync.Vectors[i]) < 0.999999 {
			t.Errorf("input %d: the batch's vector differs from Embed's", i)
		}
	}
	if res.Requests != 2 || math.Abs(res.Cost()-sync.Cost()/2) > 1e-15 || res.Cost() <= 0 {
		t.Errorf("%d requests, cost %v; want 2 and half of %v", res.Requests, res.Cost(), sync.Cost())
	}
}
