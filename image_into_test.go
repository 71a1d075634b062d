package openrouter_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/internal/memtest"
	"github.com/routerkit/openrouter/openroutertest"
)

// imageServer serves body at /chat/completions and /images: with its
// Content-Length, chunked (64 KiB a flush), or gzip-encoded (compressed
// beforehand, so that the server allocates next to nothing while a call
// is measured). /images/models lists the first default image model.
func imageServer(t testing.TB, body []byte, mode string) *httptest.Server {
	t.Helper()
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	_, _ = zw.Write(body)
	_ = zw.Close()
	models, _ := json.Marshal(map[string]any{"data": []openroutertest.ImageModel{openroutertest.DefaultImageModels()[0]}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/images/models":
			_, _ = w.Write(models)
			return
		case "/chat/completions", "/images":
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"error":{"code":404,"message":"Not Found"}}`)
			return
		}
		out := body
		switch mode {
		case "length":
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		case "gzip":
			w.Header().Set("Content-Encoding", "gzip")
			w.Header().Set("Content-Length", strconv.Itoa(zipped.Len()))
			out = zipped.Bytes()
		}
		for i := 0; i < len(out); i += 64 << 10 {
			_, _ = w.Write(out[i:min(i+64<<10, len(out))])
			if mode == "chunked" {
				w.(http.Flusher).Flush()
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// chatImageBody is a chat completion carrying img as a data URL.
func chatImageBody(mime string, img []byte) []byte {
	return []byte(`{"id":"gen-1","model":"google/gemini-2.5-flash-image","choices":[{"index":0,"finish_reason":"stop",` +
		`"message":{"role":"assistant","content":"Here it is.","images":[{"type":"image_url","image_url":{"url":"` +
		openroutertest.DataURL(mime, img) + `"}}]}}],"usage":{"prompt_tokens":10,"completion_tokens":1290,"total_tokens":1300,"cost":0.039}}`)
}

// imagesAPIBody is an answer of POST /images carrying img as b64_json.
func imagesAPIBody(img []byte) []byte {
	return []byte(`{"created":1,"data":[{"b64_json":"` + base64.StdEncoding.EncodeToString(img) +
		`","media_type":"image/webp"}],"usage":{"prompt_tokens":0,"completion_tokens":4175,"total_tokens":4175,"cost":0.03}}`)
}

// TestImageIntoKeepsUnsizedAnswersAtTheImagesSize checks issue 26's goal
// for an 8 MB image whose answer has no Content-Length (chunked, or
// gzip-encoded and decompressed by net/http): with ImageRequest.Into the
// storage plus every byte the call allocates stays within 1.2 times the
// image, both through chat completions (a data URL) and through the
// image API (b64_json). Without Into such an answer costs about twice
// the image; with a Content-Length, about once. Not parallel, so that
// no other test's allocations count.
func TestImageIntoKeepsUnsizedAnswersAtTheImagesSize(t *testing.T) {
	png := openroutertest.LargePNG(8 << 20)
	webp := openroutertest.LargeWebP(8 << 20)
	ctx := context.Background()
	for _, path := range []struct {
		name string
		img  []byte
		body []byte
		req  openrouter.ImageRequest
	}{
		{"chat", png, chatImageBody("image/png", png), openrouter.ImageRequest{Prompt: "x"}},
		{"images-api", webp, imagesAPIBody(webp), openrouter.ImageRequest{Model: "black-forest-labs/flux.2-pro", Prompt: "x", OutputFormat: "webp"}},
	} {
		for _, mode := range []string{"chunked", "gzip"} {
			srv := imageServer(t, path.body, mode)
			c := openrouter.NewClient(openroutertest.DefaultKey, openrouter.WithBaseURL(srv.URL))
			if _, err := c.GenerateImage(ctx, path.req); err != nil { // warm: catalogues, connection
				t.Fatalf("%s %s: %v", path.name, mode, err)
			}
			req := path.req
			req.Into = make([]byte, 0, len(path.img))
			var res *openrouter.ImageResult
			var err error
			n := memtest.Allocated(func() { res, err = c.GenerateImage(ctx, req) })
			if err != nil || len(res.Images) != 1 || !bytes.Equal(res.Images[0].Data, path.img) {
				t.Fatalf("%s %s: err %v", path.name, mode, err)
			}
			if &res.Images[0].Data[0] != &req.Into[:1][0] {
				t.Errorf("%s %s: the image was not decoded into Into", path.name, mode)
			}
			peak := float64(n+uint64(cap(req.Into))) / float64(len(path.img))
			if peak > 1.2 {
				t.Errorf("%s %s: Into plus %d bytes allocated is %.2f times the image, want at most 1.2", path.name, mode, n, peak)
			} else {
				t.Logf("%s %s: Into plus %d bytes allocated: %.3f times the image", path.name, mode, n, peak)
			}
		}
	}
}

// TestImageIntoTooSmall checks that storage too small for the image only
// costs memory: the image is decoded whole beside it.
func TestImageIntoTooSmall(t *testing.T) {
	img := openroutertest.LargePNG(1 << 20)
	srv := imageServer(t, chatImageBody("image/png", img), "chunked")
	c := openrouter.NewClient(openroutertest.DefaultKey, openrouter.WithBaseURL(srv.URL))
	into := make([]byte, 0, len(img)/2)
	res, err := c.GenerateImage(context.Background(), openrouter.ImageRequest{Prompt: "x", Into: into})
	if err != nil || !bytes.Equal(res.Images[0].Data, img) {
		t.Fatalf("err %v", err)
	}
	if &res.Images[0].Data[0] == &into[:1][0] {
		t.Error("an image larger than Into was returned in Into's array")
	}
}
