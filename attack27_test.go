package openrouter_test

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

const atk27Key = "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"

// atk27Server serves one image API model x/img with the descriptors
// params, endpoints eps and the /images answer answer; posts counts the
// POSTs to /images.
func atk27Server(t *testing.T, params, eps, answer string) (*openrouter.Client, *atomic.Int32) {
	t.Helper()
	var posts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/images/models":
			io.WriteString(w, `{"data":[{"id":"x/img","name":"img","architecture":{"input_modalities":["text","image"],"output_modalities":["image"]},"supported_parameters":`+params+`}]}`)
		case "/api/v1/images/models/x/img/endpoints":
			io.WriteString(w, `{"id":"x/img","endpoints":`+eps+`}`)
		case "/api/v1/images":
			io.ReadAll(r.Body)
			posts.Add(1)
			io.WriteString(w, answer)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return openrouter.NewClient(atk27Key, openrouter.WithBaseURL(srv.URL+"/api/v1"), openrouter.WithLimiter(nil), openrouter.WithRetry(0, 0, 0)), &posts
}

func atk27PNGs(n int) string {
	png := base64.StdEncoding.EncodeToString(ort.MakePNG(8, 8))
	items := make([]string, n)
	for i := range items {
		items[i] = `{"b64_json":"` + png + `","media_type":"image/png"}`
	}
	return `{"created":1,"data":[` + strings.Join(items, ",") + `],"usage":{"prompt_tokens":0,"completion_tokens":10,"total_tokens":10,"cost":0.04}}`
}

// TestImageDescriptorsOddShapes: a descriptor the SDK cannot make sense
// of (a range with min above max, an enum with no values, a type it does
// not know) says nothing it can enforce: the request is sent, and the
// server decides. A range or enum that makes sense still refuses.
func TestImageDescriptorsOddShapes(t *testing.T) {
	params := `{"output_compression":{"type":"range","min":100,"max":10},"quality":{"type":"enum","values":[]},` +
		`"seed":{"type":"integer_range","lo":0},"resolution":{"type":"enum","values":["1K","2K"]},"n":{"type":"range","min":1,"max":4},"output_format":{"type":"boolean"}}`
	c, posts := atk27Server(t, params, `[]`, atk27PNGs(1))
	ctx := context.Background()
	seed, comp := 7, 50
	if _, err := c.GenerateImage(ctx, openrouter.ImageRequest{Model: "x/img", Prompt: "a cat", OutputFormat: "webp", OutputCompression: &comp, Quality: "high", Seed: &seed}); err != nil {
		t.Errorf("odd descriptors refused a request: %v", err)
	}
	if posts.Load() != 1 {
		t.Errorf("%d posts, want 1", posts.Load())
	}
	for _, req := range []openrouter.ImageRequest{{Model: "x/img", Prompt: "a cat", Size: "4K"}, {Model: "x/img", Prompt: "a cat", N: 5}} {
		if _, err := c.GenerateImage(ctx, req); !errors.Is(err, openrouter.ErrInvalidRequest) {
			t.Errorf("%+v: %v, want ErrInvalidRequest", req, err)
		}
	}
}

// TestImageAnswerMoreThanAsked: an answer with more images than n keeps
// them all (they may be billed) and says so in Mismatches.
func TestImageAnswerMoreThanAsked(t *testing.T) {
	c, _ := atk27Server(t, `{"n":{"type":"range","min":1,"max":4}}`, `[]`, atk27PNGs(3))
	res, err := c.GenerateImage(context.Background(), openrouter.ImageRequest{Model: "x/img", Prompt: "a cat", N: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Images) != 3 || len(res.Mismatches) != 1 || !strings.Contains(res.Mismatches[0], "3 images") {
		t.Errorf("%d images, mismatches %q; want 3 and one saying 3 images came for n 2", len(res.Images), res.Mismatches)
	}
}

// TestImageEstimateEndpointWithoutPrices: an endpoint that lists no
// pricing line is not free: the estimate refuses it rather than give 0
// as an upper bound.
func TestImageEstimateEndpointWithoutPrices(t *testing.T) {
	c, _ := atk27Server(t, `{}`, `[{"provider_name":"A","provider_slug":"a","pricing":[{"billable":"output_image","unit":"image","cost_usd":0.03}]},{"provider_name":"B","provider_slug":"b","pricing":[]}]`, atk27PNGs(1))
	est, err := c.EstimateImageCost(context.Background(), openrouter.ImageRequest{Model: "x/img", Prompt: "a cat"})
	if err == nil {
		t.Fatalf("estimate %v with an endpoint of no price; want a refusal", est.Cost)
	}
	if !strings.Contains(err.Error(), "B") {
		t.Errorf("the refusal does not name the endpoint: %v", err)
	}
}

// TestImageEstimateVariantCase: the guide's variants are lower case
// ("2k", "4k") and Size is upper case ("2K"): the line of the size asked
// counts, not the dearest; N images cost N times a per-image price.
func TestImageEstimateVariantCase(t *testing.T) {
	eps := `[{"provider_name":"A","provider_slug":"a","pricing":[{"billable":"output_image","unit":"image","cost_usd":0.02,"variant":"1k"},{"billable":"output_image","unit":"image","cost_usd":0.05,"variant":"2k"},{"billable":"output_image","unit":"image","cost_usd":0.10,"variant":"4k"}]}]`
	c, _ := atk27Server(t, `{"resolution":{"type":"enum","values":["1K","2K","4K"]},"n":{"type":"range","min":1,"max":4}}`, eps, atk27PNGs(1))
	est, err := c.EstimateImageCost(context.Background(), openrouter.ImageRequest{Model: "x/img", Prompt: "a cat", Size: "2K", N: 3})
	if err != nil {
		t.Fatal(err)
	}
	if est.Cost < 0.15-1e-9 || est.Cost > 0.15+1e-9 {
		t.Errorf("estimate %v for 3 images at 2k (0.05 each); want 0.15", est.Cost)
	}
}

// TestImageErrorsHideTheKey: an answer that echoes the key where the SDK
// quotes it in an error (a media_type, a data URL's header) does not put
// the key, nor a run of it, into the error.
func TestImageErrorsHideTheKey(t *testing.T) {
	notImage := base64.StdEncoding.EncodeToString([]byte("hello, not an image"))
	ans, _ := json.Marshal(map[string]any{"created": 1, "data": []map[string]string{
		{"b64_json": notImage, "media_type": "image/" + atk27Key},
		{"b64_json": "%%%" + atk27Key, "media_type": "image/png"},
	}})
	c, _ := atk27Server(t, `{}`, `[]`, string(ans))
	_, err := c.GenerateImage(context.Background(), openrouter.ImageRequest{Model: "x/img", Prompt: "a cat"})
	var ne *openrouter.NoImageError
	if !errors.As(err, &ne) || len(ne.Broken) != 2 {
		t.Fatalf("%v, want a NoImageError with 2 broken images", err)
	}
	secret := atk27Key[len("sk-or-v1-"):]
	for _, e := range append([]error{err}, ne.Broken...) {
		if s := e.Error(); strings.Contains(s, secret[:16]) || strings.Contains(s, secret[20:36]) {
			t.Errorf("the key shows in %q", s)
		}
	}
}

// TestChatImageErrorsHideTheKey: on the chat path, a data URL whose
// declared type echoes the key gives an error without the key.
func TestChatImageErrorsHideTheKey(t *testing.T) {
	notImage := base64.StdEncoding.EncodeToString([]byte("hello, not an image"))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		io.ReadAll(r.Body)
		io.WriteString(w, `{"id":"gen-1","model":"y/chat","choices":[{"finish_reason":"stop","message":{"role":"assistant","content":"","images":[`+
			`{"type":"image_url","image_url":{"url":"data:image/`+atk27Key+`;base64,`+notImage+`"}},`+
			`{"type":"image_url","image_url":{"url":"data:`+atk27Key+`;base64,`+notImage+`"}},`+
			`{"type":"image_url","image_url":{"url":"`+atk27Key+`"}}]}}]}`)
	}))
	defer srv.Close()
	c := openrouter.NewClient(atk27Key, openrouter.WithBaseURL(srv.URL+"/api/v1"), openrouter.WithLimiter(nil), openrouter.WithRetry(0, 0, 0))
	_, err := c.GenerateImage(context.Background(), openrouter.ImageRequest{Model: "y/chat", Prompt: "a cat"})
	var ne *openrouter.NoImageError
	if !errors.As(err, &ne) || len(ne.Broken) != 3 {
		t.Fatalf("%v, want a NoImageError with 3 broken images", err)
	}
	secret := atk27Key[len("sk-or-v1-"):]
	for _, e := range append([]error{err}, ne.Broken...) {
		if s := e.Error(); strings.Contains(s, secret[:16]) || strings.Contains(s, secret[20:36]) || strings.Contains(s, atk27Key[:24]) {
			t.Errorf("the key shows in %q", s)
		}
	}
}

// TestImageAPICutNotResent: a POST /images cut after it was sent is not
// sent again by default: the error matches ErrMaybeBilled.
func TestImageAPICutNotResent(t *testing.T) {
	var posts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/images/models":
			io.WriteString(w, `{"data":[{"id":"x/img","name":"img","architecture":{"input_modalities":["text"],"output_modalities":["image"]}}]}`)
		case "/api/v1/images":
			io.ReadAll(r.Body)
			posts.Add(1)
			w.Header().Set("Content-Length", "5000")
			io.WriteString(w, `{"created":1,"data":[{"b64_json":"iVBORw0KGgo`) // cut mid-image
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c := openrouter.NewClient(atk27Key, openrouter.WithBaseURL(srv.URL+"/api/v1"), openrouter.WithLimiter(nil), openrouter.WithRetry(3, 0, 0))
	_, err := c.GenerateImage(context.Background(), openrouter.ImageRequest{Model: "x/img", Prompt: "a cat"})
	if !errors.Is(err, openrouter.ErrMaybeBilled) || posts.Load() != 1 {
		t.Errorf("%v after %d posts; want ErrMaybeBilled after 1", err, posts.Load())
	}
}

// TestImageEstimateLargeInputMegapixels: an input image priced per
// megapixel is counted at least at its own size when its bytes are given
// (the estimate assumed 4K, 16.8 MP, for every input: a 5000×5000 input,
// 25 MP, was under-counted).
func TestImageEstimateLargeInputMegapixels(t *testing.T) {
	eps := `[{"provider_name":"A","provider_slug":"a","pricing":[{"billable":"input_image","unit":"megapixel","cost_usd":0.01}]}]`
	c, _ := atk27Server(t, `{"input_references":{"type":"range","min":0,"max":4}}`, eps, atk27PNGs(1))
	// A PNG header is enough for the size: 5000×5000.
	ihdr := []byte("IHDR\x00\x00\x13\x88\x00\x00\x13\x88\x08\x02\x00\x00\x00")
	big := binary.BigEndian.AppendUint32(append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0d"), ihdr...), crc32.ChecksumIEEE(ihdr))
	est, err := c.EstimateImageCost(context.Background(), openrouter.ImageRequest{Model: "x/img", Prompt: "a cat", Inputs: []openrouter.ImageInput{{Data: big}}})
	if err != nil {
		t.Fatal(err)
	}
	if want := 25 * 0.01; est.Cost < want-1e-9 {
		t.Errorf("estimate %v for a 25 MP input at 0.01 a megapixel; want at least %v", est.Cost, want)
	}
}

// TestImageEstimateUnknownVariantCounts: a pricing line whose variant the
// request does not rule out ("hd", not a resolution or quality it set)
// may apply: the estimate counts it, staying an upper bound, where it
// took the line of the resolution asked alone.
func TestImageEstimateUnknownVariantCounts(t *testing.T) {
	eps := `[{"provider_name":"A","provider_slug":"a","pricing":[{"billable":"output_image","unit":"image","cost_usd":0.05,"variant":"2k"},` +
		`{"billable":"output_image","unit":"image","cost_usd":0.10,"variant":"4k"},{"billable":"output_image","unit":"image","cost_usd":0.12,"variant":"hd"},` +
		`{"billable":"output_image","unit":"image","cost_usd":0.01,"variant":"low"},{"billable":"output_image","unit":"image","cost_usd":0.2,"variant":"high"}]}]`
	c, _ := atk27Server(t, `{"resolution":{"type":"enum","values":["1K","2K","4K"]},"quality":{"type":"enum","values":["auto","low","high"]}}`, eps, atk27PNGs(1))
	for _, tc := range []struct {
		size, quality string
		want          float64
	}{{"2K", "low", 0.12}, {"2K", "", 0.2}, {"2K", "auto", 0.2}, {"4K", "low", 0.12}, {"", "", 0.2}} {
		est, err := c.EstimateImageCost(context.Background(), openrouter.ImageRequest{Model: "x/img", Prompt: "a cat", Size: tc.size, Quality: tc.quality})
		if err != nil {
			t.Fatal(err)
		}
		if est.Cost < tc.want-1e-9 || est.Cost > tc.want+1e-9 {
			t.Errorf("size %q quality %q: estimate %v, want %v", tc.size, tc.quality, est.Cost, tc.want)
		}
	}
}

// TestChatImageCutNotResent: on the chat path, an answer cut in the
// middle of an image is not sent again by default and matches
// ErrMaybeBilled.
func TestChatImageCutNotResent(t *testing.T) {
	var posts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		io.ReadAll(r.Body)
		posts.Add(1)
		w.Header().Set("Content-Length", "5000")
		io.WriteString(w, `{"id":"gen-1","model":"y/chat","choices":[{"finish_reason":"stop","message":{"role":"assistant","content":"","images":[{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo`)
	}))
	defer srv.Close()
	c := openrouter.NewClient(atk27Key, openrouter.WithBaseURL(srv.URL+"/api/v1"), openrouter.WithLimiter(nil), openrouter.WithRetry(3, 0, 0))
	_, err := c.GenerateImage(context.Background(), openrouter.ImageRequest{Model: "y/chat", Prompt: "a cat"})
	if !errors.Is(err, openrouter.ErrMaybeBilled) || posts.Load() != 1 {
		t.Errorf("%v after %d posts; want ErrMaybeBilled after 1", err, posts.Load())
	}
}

// TestImageDescriptorsOfOddTypes: a descriptor whose fields are not of
// the documented JSON types (min as a string, values as an object) does
// not make the whole image catalogue unreadable, which sent an image-only
// model to chat completions; the request goes to POST /images.
func TestImageDescriptorsOfOddTypes(t *testing.T) {
	params := `{"seed":{"type":"range","min":"0","max":"100"},"quality":{"type":"enum","values":{"a":1}},"resolution":{"type":"enum","values":["1K"]},"output_format":true}`
	c, posts := atk27Server(t, params, `[]`, atk27PNGs(1))
	ms, err := c.ImageModels(context.Background())
	if err != nil || len(ms) != 1 || len(ms[0].SupportedParameters["resolution"].Values) != 1 {
		t.Fatalf("%v %+v", err, ms)
	}
	if _, err := c.GenerateImage(context.Background(), openrouter.ImageRequest{Model: "x/img", Prompt: "a cat", Seed: openrouter.Ptr(5), Quality: "high"}); err != nil || posts.Load() != 1 {
		t.Errorf("%v after %d posts to /images", err, posts.Load())
	}
	if _, err := c.GenerateImage(context.Background(), openrouter.ImageRequest{Model: "x/img", Prompt: "a cat", Size: "4K"}); !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("4K against an enum of 1K: %v", err)
	}
}
