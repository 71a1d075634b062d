package openrouter_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// TestGenerateImageImageOnlyModel checks that an image-only model, absent
// from /models, goes to POST /images, with its cost counted.
func TestGenerateImageImageOnlyModel(t *testing.T) {
	srv, c, _ := setup(t, nil)
	ctx := context.Background()
	if _, err := c.Models(ctx, openrouter.ModelFilter{}); err != nil { // the chat catalogue, cached: it lacks FLUX
		t.Fatal(err)
	}
	res, err := c.GenerateImage(ctx, openrouter.ImageRequest{Model: "black-forest-labs/flux.2-pro", Prompt: "a red panda", N: 2, Size: "2K"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Images) != 2 || res.Images[0].MIME != "image/png" || res.Images[0].Width != 64 || res.Cost() != 0.06 || c.Spent() != 0.06 {
		t.Errorf("%d images, cost %v, spent %v", len(res.Images), res.Cost(), c.Spent())
	}
	if srv.ImageRequests() != 1 || srv.Stats().Completions != 0 {
		t.Errorf("%d image API requests, %d chat completions", srv.ImageRequests(), srv.Stats().Completions)
	}
	// A chat image model still goes through chat completions.
	if _, err := c.GenerateImage(ctx, openrouter.ImageRequest{Prompt: "a cat"}); err != nil || srv.Stats().Completions != 1 {
		t.Errorf("%v, %d completions", err, srv.Stats().Completions)
	}
	if _, err := c.GenerateImage(ctx, openrouter.ImageRequest{Prompt: "a cat", N: 2}); !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("N on a chat model: %v", err)
	}
	if _, err := c.GenerateImage(ctx, openrouter.ImageRequest{Model: "bytedance-seed/seedream-4.5", Prompt: "x", MaxTokens: 10}); !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("max tokens on the image API: %v", err)
	}
}

// TestImageOnlyModelsPassTheChecks checks that Model, CheckRoles and
// WithModelCheck know image-only models.
func TestImageOnlyModelsPassTheChecks(t *testing.T) {
	_, c, _ := setup(t, nil, openrouter.WithModelCheck(), openrouter.WithRoles(openrouter.Roles{Image: "bytedance-seed/seedream-4.5"}))
	ctx := context.Background()
	m, err := c.Model(ctx, "bytedance-seed/seedream-4.5")
	if err != nil || !m.ImageAPIOnly || !m.OutputsImage() {
		t.Fatalf("%v %+v", err, m)
	}
	checks, err := c.CheckRoles(ctx)
	if err != nil || checks[3].Role != "image" || checks[3].Err != nil {
		t.Fatalf("%v %+v", err, checks)
	}
	if _, err := c.GenerateImage(ctx, openrouter.ImageRequest{Prompt: "x"}); err != nil {
		t.Error(err)
	}
	if _, err := c.Model(ctx, "black-forest-labs/flux-9"); !errors.Is(err, openrouter.ErrModelNotFound) {
		t.Errorf("unknown: %v", err)
	}
}

func TestImageModelsAndEndpoints(t *testing.T) {
	_, c, _ := setup(t, nil)
	ms, err := c.ImageModels(context.Background())
	if err != nil || len(ms) != 2 || ms[0].SupportedParameters["resolution"].Type != "enum" || ms[0].Created.IsZero() {
		t.Fatalf("%v %+v", err, ms)
	}
	eps, err := c.ImageModelEndpoints(context.Background(), ms[0].ID)
	if err != nil || len(eps) != 1 || eps[0].Pricing[0].CostUSD != 0.03 || eps[0].Pricing[0].Unit != "image" {
		t.Fatalf("%v %+v", err, eps)
	}
}

// TestImageAPIBadAnswer checks that the server's 400 for a resolution the
// model lacks is ErrBadRequest when the SDK's own check is skipped, and
// ErrInvalidRequest, with nothing sent, when it is not.
func TestImageAPIBadAnswer(t *testing.T) {
	srv, c, _ := setup(t, []ort.Option{ort.WithImageModels(ort.DefaultImageModels()[0])})
	req := openrouter.ImageRequest{Model: "black-forest-labs/flux.2-pro", Prompt: "x", Size: "8K"}
	_, err := c.GenerateImage(context.Background(), req)
	assertSentinels(t, err, "ErrInvalidRequest")
	if n := len(srv.ImageBodies()); n != 0 || !strings.Contains(err.Error(), "1K, 2K, 4K") {
		t.Fatalf("%d requests sent; %v", n, err)
	}
	req.SkipModelCheck = true
	_, err = c.GenerateImage(context.Background(), req)
	assertSentinels(t, err, "ErrBadRequest")
}

// TestImageAPIUndecodable checks that an /images answer with no usable
// image is a NoImageError that keeps why, and what was billed.
func TestImageAPIUndecodable(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /images/models", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"data":[{"id":"x/draw","name":"Draw","description":"","created":1,"architecture":{"input_modalities":["text"],"output_modalities":["image"]},"supported_parameters":{},"supports_streaming":false,"endpoints":""}]}`))
	})
	mux.HandleFunc("POST /images", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"created":1,"data":[{"b64_json":"!!"},{"b64_json":"aGVsbG8="}],"usage":{"prompt_tokens":0,"completion_tokens":1,"total_tokens":1,"cost":0.04}}`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := openrouter.NewClient(ort.DefaultKey, openrouter.WithBaseURL(srv.URL))
	_, err := c.GenerateImage(context.Background(), openrouter.ImageRequest{Model: "x/draw", Prompt: "p"})
	var ne *openrouter.NoImageError
	if !errors.As(err, &ne) || len(ne.Broken) != 2 || ne.Usage == nil || ne.Usage.Cost != 0.04 || c.Spent() != 0.04 {
		t.Fatalf("%v", err)
	}
}

// TestNoImageAPIIsAskedOnce: against a server without the image API (a
// 404 for /images/models), GenerateImage asks once per catalogue TTL, not
// before every image.
func TestNoImageAPIIsAskedOnce(t *testing.T) {
	t.Parallel()
	var catalogue atomic.Int32
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/chat/completions" {
			catalogue.Add(1)
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error":{"code":404,"message":"Not Found"}}`)
			return
		}
		io.WriteString(w, `{"id":"gen-1","model":"m/image","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"",`+
			`"images":[{"type":"image_url","image_url":{"url":"`+ort.PNGDataURL+`"}}]}}]}`)
	}))
	t.Cleanup(hs.Close)
	c := openrouter.NewClient(ort.DefaultKey, openrouter.WithBaseURL(hs.URL), openrouter.WithLimiter(nil))
	for range 3 {
		if _, err := c.GenerateImage(context.Background(), openrouter.ImageRequest{Model: "m/image", Prompt: "a cat"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := catalogue.Load(); n != 1 {
		t.Errorf("the image API's catalogue was asked %d times for 3 images, want once", n)
	}
}
