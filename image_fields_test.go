package openrouter_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/internal/openapischema"
	ort "github.com/routerkit/openrouter/openroutertest"
)

var (
	imageRequestSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
		return openapischema.Compile("openroutertest/testdata/openapi.yaml", "/components/schemas/ImageGenerationRequest")
	})
	imageResponseSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
		return openapischema.Compile("openroutertest/testdata/openapi.yaml", "/components/schemas/ImageGenerationResponse")
	})
)

// validateJSON checks raw against sch.
func validateJSON(t *testing.T, sch *jsonschema.Schema, raw []byte) {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(doc); err != nil {
		t.Errorf("%s\ndoes not match the OpenAPI document: %v", raw, err)
	}
}

// fullImageRequest sets every field of the image API.
func fullImageRequest() openrouter.ImageRequest {
	return openrouter.ImageRequest{Model: "black-forest-labs/flux.2-pro", Prompt: "a cover", N: 2, AspectRatio: "16:9", Size: "2K",
		Quality: "high", OutputFormat: "webp", OutputCompression: openrouter.Ptr(80), Background: "opaque", Seed: openrouter.Ptr(7),
		Inputs: []openrouter.ImageInput{{Data: ort.MakePNG(2, 2)}},
		Provider: &openrouter.ImageProviderPrefs{Only: []string{"black-forest-labs"}, Order: []string{"black-forest-labs"},
			Ignore: []string{"together"}, Sort: "price", AllowFallbacks: openrouter.Ptr(false),
			Options: map[string]map[string]any{"black-forest-labs": {"steps": 40, "guidance": 3}}},
		Extra: map[string]any{"/provider/options/black-forest-labs/safety_tolerance": 2, "/size": "2K"}}
}

// TestImageAPIFieldsReachTheWire checks that every field of an image
// request is in the body the fake received, that the body matches the
// OpenAPI document's ImageGenerationRequest, and that the WebP answer is
// decoded with its type and size.
func TestImageAPIFieldsReachTheWire(t *testing.T) {
	srv, c, _ := setup(t, nil)
	res, err := c.GenerateImage(context.Background(), fullImageRequest())
	if err != nil {
		t.Fatal(err)
	}
	bodies := srv.ImageBodies()
	if len(bodies) != 1 {
		t.Fatalf("%d bodies", len(bodies))
	}
	var got map[string]any
	if err := json.Unmarshal(bodies[0], &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"model": "black-forest-labs/flux.2-pro", "prompt": "a cover", "n": 2.0, "aspect_ratio": "16:9",
		"resolution": "2K", "size": "2K", "quality": "high", "output_format": "webp", "output_compression": 80.0, "background": "opaque",
		"seed": 7.0, "provider": map[string]any{"only": []any{"black-forest-labs"}, "order": []any{"black-forest-labs"},
			"ignore": []any{"together"}, "sort": "price", "allow_fallbacks": false,
			"options": map[string]any{"black-forest-labs": map[string]any{"steps": 40.0, "guidance": 3.0, "safety_tolerance": 2.0}}}}
	for k, v := range want {
		g, _ := json.Marshal(got[k])
		w, _ := json.Marshal(v)
		if !bytes.Equal(g, w) {
			t.Errorf("%s: sent %s, want %s", k, g, w)
		}
	}
	if refs, _ := got["input_references"].([]any); len(refs) != 1 || !strings.Contains(string(bodies[0]), `"url":"data:image/png;base64,`) {
		t.Errorf("input_references: %v", got["input_references"])
	}
	sch, err := imageRequestSchema()
	if err != nil {
		t.Fatal(err)
	}
	validateJSON(t, sch, bodies[0])
	if len(res.Images) != 2 || res.Images[0].MIME != "image/webp" || res.Images[0].Width != 64 || res.Images[0].Height != 36 || res.Mismatches != nil {
		t.Fatalf("%+v", res)
	}
}

// limitedImageModel accepts 1K images, one at a time, from text only,
// and nothing else.
func limitedImageModel() ort.ImageModel {
	m := ort.DefaultImageModels()[0]
	m.ID, m.Endpoints = "acme/one-k", "/api/v1/images/models/acme/one-k/endpoints"
	m.Architecture.InputModalities = []string{"text"}
	m.SupportedParameters = map[string]ort.Capability{"resolution": ort.Enum("1K"), "n": ort.Range(1, 1),
		"output_compression": ort.Range(10, 90), "output_format": ort.Enum("png", "jpeg")}
	return m
}

// TestImageCapabilityChecksRefuseBeforeSending checks each field a
// model's descriptors do not accept: an ErrInvalidRequest naming the
// field and what is allowed, and nothing sent.
func TestImageCapabilityChecksRefuseBeforeSending(t *testing.T) {
	srv, c, _ := setup(t, []ort.Option{ort.WithImageModels(limitedImageModel())})
	for _, tc := range []struct {
		name string
		edit func(r *openrouter.ImageRequest)
		want []string
	}{
		{"resolution", func(r *openrouter.ImageRequest) { r.Size = "2K" }, []string{"resolution", `"2K"`, "allowed: 1K"}},
		{"n", func(r *openrouter.ImageRequest) { r.N = 3 }, []string{"n 3", "1 to 1"}},
		{"quality", func(r *openrouter.ImageRequest) { r.Quality = "high" }, []string{"does not accept quality", "output_compression, output_format, resolution"}},
		{"aspect", func(r *openrouter.ImageRequest) { r.AspectRatio = "16:9" }, []string{"does not accept aspect_ratio"}},
		{"format", func(r *openrouter.ImageRequest) { r.OutputFormat = "webp" }, []string{"output_format", "allowed: png, jpeg"}},
		{"compression", func(r *openrouter.ImageRequest) { r.OutputFormat, r.OutputCompression = "jpeg", openrouter.Ptr(95) }, []string{"output_compression 95", "10 to 90"}},
		{"seed", func(r *openrouter.ImageRequest) { r.Seed = openrouter.Ptr(1) }, []string{"does not accept seed"}},
		{"background", func(r *openrouter.ImageRequest) { r.Background = "opaque" }, []string{"does not accept background"}},
		{"references", func(r *openrouter.ImageRequest) {
			r.Inputs = []openrouter.ImageInput{{URL: "https://example.com/a.png"}}
		}, []string{"no reference images", "text"}},
	} {
		req := openrouter.ImageRequest{Model: "acme/one-k", Prompt: "p"}
		tc.edit(&req)
		_, err := c.GenerateImage(context.Background(), req)
		if !errors.Is(err, openrouter.ErrInvalidRequest) {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not say %q", tc.name, err, w)
			}
		}
		if _, err := c.EstimateImageCost(context.Background(), req); !errors.Is(err, openrouter.ErrInvalidRequest) {
			t.Errorf("%s: the estimate priced what cannot be sent: %v", tc.name, err)
		}
	}
	if n := len(srv.ImageBodies()); n != 0 {
		t.Fatalf("%d requests reached the server", n)
	}
	if _, err := c.GenerateImage(context.Background(), openrouter.ImageRequest{Model: "acme/one-k", Prompt: "p", Size: "1K", OutputFormat: "jpeg", OutputCompression: openrouter.Ptr(50)}); err != nil {
		t.Fatalf("an accepted request: %v", err)
	}
}

// TestImageRequestValidation checks the rules of the API itself, for any
// model, and the image API's fields sent to a chat-completion model: all
// refused before sending.
func TestImageRequestValidation(t *testing.T) {
	srv, c, _ := setup(t, nil)
	flux := "black-forest-labs/flux.2-pro"
	for _, tc := range []struct {
		req  openrouter.ImageRequest
		want string
	}{
		{openrouter.ImageRequest{Model: flux, Prompt: "p", Quality: "ultra"}, "quality \"ultra\" is not one of auto, low, medium, high"},
		{openrouter.ImageRequest{Model: flux, Prompt: "p", OutputFormat: "gif"}, "output_format \"gif\""},
		{openrouter.ImageRequest{Model: flux, Prompt: "p", Background: "clear"}, "background \"clear\""},
		{openrouter.ImageRequest{Model: flux, Prompt: "p", OutputFormat: "webp", OutputCompression: openrouter.Ptr(101)}, "within 0-100"},
		{openrouter.ImageRequest{Model: flux, Prompt: "p", OutputFormat: "png", OutputCompression: openrouter.Ptr(50)}, "webp or jpeg"},
		{openrouter.ImageRequest{Model: flux, Prompt: "p", OutputFormat: "jpeg", Background: "transparent"}, "png or webp"},
		{openrouter.ImageRequest{Model: flux, Prompt: "p", N: 11}, "1 to 10"},
		{openrouter.ImageRequest{Model: flux, Prompt: "p", Provider: &openrouter.ImageProviderPrefs{Sort: "cheapest"}}, "provider.sort"},
		{openrouter.ImageRequest{Model: flux, Prompt: "p", Extra: map[string]any{"/stream": true}}, "streaming partial images is not offered"},
		{openrouter.ImageRequest{Model: flux, Prompt: "p", Quality: "low", Extra: map[string]any{"/quality": "high"}}, "already sets"},
		{openrouter.ImageRequest{Model: flux, Prompt: "p", AspectRatio: "wide"}, "W:H"},
		{openrouter.ImageRequest{Model: "google/gemini-2.5-flash-image", Prompt: "p", OutputFormat: "webp", Quality: "high"}, "no Quality, OutputFormat"},
	} {
		_, err := c.GenerateImage(context.Background(), tc.req)
		if !errors.Is(err, openrouter.ErrInvalidRequest) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.req, err, tc.want)
		}
	}
	if n := len(srv.ImageBodies()) + len(srv.Requests()); n != 0 {
		t.Fatalf("%d requests reached the server", n)
	}
}

// TestChatImageModelChecked checks a chat-completion image model against
// its catalogue entry: image inputs to a text-only model, a seed to one
// whose parameters leave it out. Nothing is sent.
func TestChatImageModelChecked(t *testing.T) {
	m := ort.DefaultModels()
	for i := range m {
		if m[i].ID == "google/gemini-2.5-flash-image" {
			m[i].Architecture.InputModalities = []string{"text"}
			m[i].SupportedParameters = []string{"max_tokens"}
		}
	}
	srv, c, _ := setup(t, []ort.Option{ort.WithModels(m...)})
	if _, err := c.Models(context.Background(), openrouter.ModelFilter{}); err != nil {
		t.Fatal(err)
	}
	for _, req := range []openrouter.ImageRequest{
		{Model: "google/gemini-2.5-flash-image", Prompt: "p", Inputs: []openrouter.ImageInput{{Data: ort.PNG}}},
		{Model: "google/gemini-2.5-flash-image", Prompt: "p", Seed: openrouter.Ptr(3)},
	} {
		if _, err := c.GenerateImage(context.Background(), req); !errors.Is(err, openrouter.ErrInvalidRequest) {
			t.Errorf("%+v: %v", req, err)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
	req := openrouter.ImageRequest{Model: "google/gemini-2.5-flash-image", Prompt: "p", Seed: openrouter.Ptr(3), SkipModelCheck: true}
	if _, err := c.GenerateImage(context.Background(), req); err != nil {
		t.Fatalf("SkipModelCheck: %v", err)
	}
}

// TestImageMismatchesReported checks that an answer whose bytes are not
// the asked format, or whose shape is not the asked aspect ratio, is
// kept and reported in Mismatches.
func TestImageMismatchesReported(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /images/models", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"data": []ort.ImageModel{ort.DefaultImageModels()[0]}})
	})
	mux.HandleFunc("POST /images", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = json.NewEncoder(w).Encode(map[string]any{"created": 1, "data": []any{
			map[string]any{"b64_json": ort.MakePNG(64, 64), "media_type": "image/webp"}, // []byte: base64
			map[string]any{"b64_json": ort.MakeWebP(64, 36), "media_type": "image/webp"},
		}})
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := openrouter.NewClient(ort.DefaultKey, openrouter.WithBaseURL(srv.URL))
	res, err := c.GenerateImage(context.Background(), openrouter.ImageRequest{Model: "black-forest-labs/flux.2-pro", Prompt: "p",
		OutputFormat: "webp", AspectRatio: "16:9"})
	if err != nil {
		t.Fatal(err)
	}
	// The answer has two images for n unset (one): that too is said.
	if len(res.Images) != 2 || len(res.Mismatches) != 3 || !strings.Contains(res.Mismatches[2], "the answer has 2 images") || !strings.Contains(res.Mismatches[0], "output_format webp was asked, the bytes are image/png") ||
		!strings.Contains(res.Mismatches[1], "aspect_ratio 16:9 was asked, the image is 64×64") || res.Images[0].DeclaredMIME != "image/webp" {
		t.Fatalf("%+v", res)
	}
}

// TestFakeImageAnswersMatchOpenAPI checks the fake's POST /images
// answers, in each format, against the OpenAPI document's
// ImageGenerationResponse, and their bytes against the format asked.
func TestFakeImageAnswersMatchOpenAPI(t *testing.T) {
	srv := ort.NewServer()
	defer srv.Close()
	sch, err := imageResponseSchema()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"", "png", "jpeg", "webp"} {
		body := `{"model":"black-forest-labs/flux.2-pro","prompt":"p","n":2,"aspect_ratio":"4:3","output_format":"` + f + `"}`
		if f == "" {
			body = `{"model":"black-forest-labs/flux.2-pro","prompt":"p"}`
		}
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/images", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+ort.DefaultKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", f, resp.StatusCode, raw)
		}
		validateJSON(t, sch, raw)
		var ans struct {
			Data []struct {
				B64JSON   []byte `json:"b64_json"`
				MediaType string `json:"media_type"`
			} `json:"data"`
		}
		if err := json.Unmarshal(raw, &ans); err != nil || len(ans.Data) == 0 {
			t.Fatalf("%s: %v", f, err)
		}
		img, err := openrouter.DecodeImageBytes(ans.Data[0].B64JSON)
		if want := map[string]string{"": "image/png", "png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}[f]; err != nil ||
			img.MIME != want || ans.Data[0].MediaType != want || (f != "" && (img.Width != 64 || img.Height != 48)) {
			t.Errorf("%s: %v %s %s %d×%d", f, err, img.MIME, ans.Data[0].MediaType, img.Width, img.Height)
		}
	}
}

// TestImageAPIAnswerDecodedOnce checks that a 4 MB WebP through POST
// /images costs about its own size to decode (it cost 3.7 times when the
// answer was read whole and its base64 string decoded), and arrives
// intact with its declared type.
func TestImageAPIAnswerDecodedOnce(t *testing.T) {
	img := ort.LargeWebP(4 << 20)
	models, _ := json.Marshal(map[string]any{"data": []ort.ImageModel{ort.DefaultImageModels()[0]}})
	body := []byte(`{"created":1,"data":[{"b64_json":"` + base64.StdEncoding.EncodeToString(img) + `","media_type":"image/webp"}],"usage":{"cost":0.03}}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.URL.Path == "/images/models" {
			_, _ = w.Write(models)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	c := openrouter.NewClient(ort.DefaultKey, openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil))
	req := openrouter.ImageRequest{Model: "black-forest-labs/flux.2-pro", Prompt: "x", OutputFormat: "webp"}
	if _, err := c.GenerateImage(context.Background(), req); err != nil { // the catalogue read, once
		t.Fatal(err)
	}
	var res *openrouter.ImageResult
	var err error
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, err = c.GenerateImage(context.Background(), req)
	runtime.ReadMemStats(&after)
	if err != nil || !bytes.Equal(res.Images[0].Data, img) || res.Images[0].MIME != "image/webp" || res.Images[0].Width != 4096 {
		t.Fatalf("%v", err)
	}
	if ratio := float64(after.TotalAlloc-before.TotalAlloc) / float64(len(img)); ratio > 1.6 {
		t.Errorf("decoding allocated %.2f times the image, want under 1.6", ratio)
	}
}
