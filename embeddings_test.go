package openrouter_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

const embedModel = "openai/text-embedding-3-small"

func TestEmbedSplitsAndKeepsInputOrder(t *testing.T) {
	srv := openroutertest.NewServer()
	defer srv.Close()
	c := srv.Client()
	texts := make([]string, 23)
	for i := range texts {
		texts[i] = fmt.Sprintf("article number %d about topic%d", i, i%5)
	}
	res, err := c.Embed(context.Background(), &openrouter.EmbeddingRequest{Model: embedModel, Input: texts, BatchInputs: 5, Concurrency: 3})
	if err != nil {
		t.Fatal(err)
	}
	if sizes := srv.EmbeddingRequestSizes(); len(sizes) != 5 || slices.Max(sizes) > 5 {
		t.Errorf("request sizes %v, want 5 requests of at most 5", sizes)
	}
	if res.Requests != 5 || len(res.Vectors) != len(texts) {
		t.Fatalf("%d requests, %d vectors", res.Requests, len(res.Vectors))
	}
	// Each vector is the one of its own text: embed them one by one and compare.
	for _, i := range []int{0, 7, 22} {
		one, err := c.Embed(context.Background(), &openrouter.EmbeddingRequest{Model: embedModel, Input: texts[i : i+1]})
		if err != nil {
			t.Fatal(err)
		}
		if sim := openrouter.Cosine(one.Vectors[0], res.Vectors[i]); sim < 0.9999 {
			t.Errorf("vector %d is not its text's (cosine %.3f)", i, sim)
		}
	}
	if res.Usage.Cost <= 0 || c.Spent() < res.Usage.Cost {
		t.Errorf("cost %v, spent %v: the cost is not in the client's spending", res.Usage.Cost, c.Spent())
	}
}

func TestEmbedSplitsByTokenEstimate(t *testing.T) {
	srv := openroutertest.NewServer()
	defer srv.Close()
	long := string(slices.Repeat([]byte("word "), 400)) // about 500 tokens
	_, err := srv.Client().Embed(context.Background(), &openrouter.EmbeddingRequest{Model: embedModel,
		Input: []string{long, long, long, "short"}, BatchTokens: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.EmbeddingRequestSizes(); !slices.Equal(got, []int{2, 2}) {
		t.Errorf("request sizes %v, want [2 2]", got)
	}
}

func TestEmbedBase64EqualsFloat(t *testing.T) {
	srv := openroutertest.NewServer()
	defer srv.Close()
	c := srv.Client()
	in := []string{"the quick brown fox jumps over the lazy dog"}
	f, err := c.Embed(context.Background(), &openrouter.EmbeddingRequest{Model: embedModel, Input: in, Dimensions: 64})
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Embed(context.Background(), &openrouter.EmbeddingRequest{Model: embedModel, Input: in, Dimensions: 64, EncodingFormat: "base64"})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Vectors[0]) != 64 || !slices.Equal(f.Vectors[0], b.Vectors[0]) {
		t.Errorf("float %v\nbase64 %v", f.Vectors[0][:4], b.Vectors[0][:4])
	}
}

func TestEmbedTokens(t *testing.T) {
	srv := openroutertest.NewServer()
	defer srv.Close()
	res, err := srv.Client().Embed(context.Background(), &openrouter.EmbeddingRequest{Model: embedModel, Tokens: [][]int{{1, 2, 3}, {4, 5}}})
	if err != nil || len(res.Vectors) != 2 || len(res.Vectors[1]) != openroutertest.EmbeddingDimensions {
		t.Fatalf("%v, %+v", err, res)
	}
}

func TestEmbedSimilarTextsAreClose(t *testing.T) {
	srv := openroutertest.NewServer()
	defer srv.Close()
	res, err := srv.Client().Embed(context.Background(), &openrouter.EmbeddingRequest{Model: embedModel, Input: []string{
		"Sourdough bread needs a starter, flour, water and a long fermentation.",
		"A sourdough starter ferments flour and water before the bread is baked.",
		"Index funds spread investment risk across the whole stock market.",
	}})
	if err != nil {
		t.Fatal(err)
	}
	v := res.Vectors
	if same, other := openrouter.Cosine(v[0], v[1]), openrouter.Cosine(v[0], v[2]); same <= other {
		t.Errorf("cosine of the two bread texts %.3f, not above bread-finance %.3f", same, other)
	}
}

func TestEmbedInvalid(t *testing.T) {
	c := openrouter.NewClient(openroutertest.DefaultKey, openrouter.WithBaseURL("http://127.0.0.1:1"))
	for _, req := range []*openrouter.EmbeddingRequest{
		nil, {Input: []string{"x"}}, {Model: embedModel}, {Model: embedModel, Input: []string{"a", ""}},
		{Model: embedModel, Input: []string{"a"}, Tokens: [][]int{{1}}}, {Model: embedModel, Tokens: [][]int{{}}},
		{Model: embedModel, Input: []string{"a"}, EncodingFormat: "int8"}, {Model: embedModel, Input: []string{"a"}, Dimensions: -1},
		{Model: embedModel, Input: []string{"a"}, BatchInputs: -1},
	} {
		if _, err := c.Embed(context.Background(), req); !errors.Is(err, openrouter.ErrInvalidRequest) {
			t.Errorf("%+v: %v, want ErrInvalidRequest", req, err)
		}
	}
}

// TestEmbedPartialFailureKeepsWhatWasBilled checks that when one part of
// a split request fails, the parts that answered are returned with the
// error, and their cost is counted.
func TestEmbedPartialFailureKeepsWhatWasBilled(t *testing.T) {
	var n atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 2 {
			w.WriteHeader(400)
			_, _ = w.Write([]byte(`{"error":{"code":400,"message":"Invalid input"}}`))
			return
		}
		_, _ = w.Write([]byte(`{"object":"list","model":"m/e","data":[{"object":"embedding","index":0,"embedding":[1,0]}],"usage":{"prompt_tokens":1,"total_tokens":1,"cost":0.5}}`))
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	c := openrouter.NewClient(openroutertest.DefaultKey, openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil))
	res, err := c.Embed(context.Background(), &openrouter.EmbeddingRequest{Model: "m/e", Input: []string{"a", "b", "c"}, BatchInputs: 1, Concurrency: 1})
	if !errors.Is(err, openrouter.ErrBadRequest) || res == nil {
		t.Fatalf("res %v, err %v", res, err)
	}
	if res.Vectors[0] == nil || res.Vectors[1] != nil || res.Usage.Cost != 0.5 || c.Spent() != 0.5 {
		t.Errorf("vectors %v, cost %v, spent %v", res.Vectors, res.Usage.Cost, c.Spent())
	}
	if got := n.Load(); got != 2 {
		t.Errorf("%d requests: the parts after a failure were sent", got)
	}
}

func TestEmbedCancelledAndOutOfCredits(t *testing.T) {
	srv := openroutertest.NewServer(openroutertest.WithCredits(0))
	defer srv.Close()
	c := srv.Client()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Embed(ctx, &openrouter.EmbeddingRequest{Model: embedModel, Input: []string{"a", "b"}, BatchInputs: 1}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if n := srv.Stats().Requests; n != 0 {
		t.Errorf("%d requests after the context ended", n)
	}
	_, err := c.Embed(context.Background(), &openrouter.EmbeddingRequest{Model: embedModel, Input: []string{"a"}})
	assertSentinels(t, err, "ErrInsufficientCredits")
}

func TestEmbedMalformedAnswer(t *testing.T) {
	for name, body := range map[string]string{
		"count":     `{"object":"list","model":"m/e","data":[]}`,
		"index":     `{"object":"list","model":"m/e","data":[{"object":"embedding","index":3,"embedding":[1]}]}`,
		"base64":    `{"object":"list","model":"m/e","data":[{"object":"embedding","index":0,"embedding":"AAA"}]}`,
		"notvector": `{"object":"list","model":"m/e","data":[{"object":"embedding","index":0,"embedding":{"a":1}}]}`,
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(body)) }))
		c := openrouter.NewClient(openroutertest.DefaultKey, openrouter.WithBaseURL(srv.URL))
		_, err := c.Embed(context.Background(), &openrouter.EmbeddingRequest{Model: "m/e", Input: []string{"a"}})
		if !errors.Is(err, openrouter.ErrServer) {
			t.Errorf("%s: %v, want ErrServer", name, err)
		}
		srv.Close()
	}
}

func TestEmbeddingModels(t *testing.T) {
	srv := openroutertest.NewServer()
	defer srv.Close()
	ms, err := srv.Client().EmbeddingModels(context.Background())
	if err != nil || len(ms) == 0 || ms[0].ID != embedModel || !slices.Contains(ms[0].OutputModalities, "embeddings") {
		t.Fatalf("%v, %+v", err, ms)
	}
}

// TestEmbedSendsEveryField checks the request body: nothing the caller
// set is dropped, and the split bounds are not sent.
func TestEmbedSendsEveryField(t *testing.T) {
	var body map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewDecoder(r.Body).Decode(&body)
		_, _ = w.Write([]byte(`{"object":"list","model":"m/e","data":[{"object":"embedding","index":0,"embedding":"AACAPw=="}]}`))
	}))
	defer srv.Close()
	c := openrouter.NewClient(openroutertest.DefaultKey, openrouter.WithBaseURL(srv.URL))
	res, err := c.Embed(context.Background(), &openrouter.EmbeddingRequest{Model: "m/e", Input: []string{"a"}, Dimensions: 1,
		EncodingFormat: "base64", InputType: "search_document", User: "u1", Provider: &openrouter.ProviderPrefs{Order: []string{"openai"}},
		BatchInputs: 10, BatchTokens: 100, Concurrency: 2})
	if err != nil || len(res.Vectors[0]) != 1 || res.Vectors[0][0] != 1 {
		t.Fatalf("%v %+v", err, res)
	}
	want := `{"dimensions":1,"encoding_format":"base64","input":["a"],"input_type":"search_document","model":"m/e","provider":{"order":["openai"]},"user":"u1"}`
	if got, _ := json.Marshal(body); string(got) != want {
		t.Errorf("body %s\nwant %s", got, want)
	}
}
