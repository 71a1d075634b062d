package openrouter_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// BenchmarkGenerateImage8MB measures the memory one 8 MB image costs: the
// SDK, which decodes the base64 text as the answer streams in, beside a
// plain client that reads the body, json.Unmarshals it and decodes the
// base64 string. B/op counts every byte allocated, so it bounds the peak
// heap from above; x-image is B/op over the image's size. The handler
// serves prepared bytes, so the server allocates next to nothing.
//
//	go test -run XXX -bench BenchmarkGenerateImage8MB -benchmem -count 3 .
func BenchmarkGenerateImage8MB(b *testing.B) {
	benchImage8MB(b, "image/png", openroutertest.LargePNG(8<<20))
}

// BenchmarkGenerateImage8MBWebP is BenchmarkGenerateImage8MB with an
// 8 MB WebP: its size is read from the VP8L header, the rest as for PNG.
func BenchmarkGenerateImage8MBWebP(b *testing.B) {
	benchImage8MB(b, "image/webp", openroutertest.LargeWebP(8<<20))
}

func benchImage8MB(b *testing.B, mime string, img []byte) {
	body := []byte(`{"id":"gen-1","model":"google/gemini-2.5-flash-image","choices":[{"index":0,"finish_reason":"stop",` +
		`"message":{"role":"assistant","content":"Here it is.","images":[{"type":"image_url","image_url":{"url":"` +
		openroutertest.DataURL(mime, img) + `"}}]}}],"usage":{"prompt_tokens":10,"completion_tokens":1290,"total_tokens":1300,"cost":0.039}}`)
	serve := func(chunked bool) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			if !strings.HasSuffix(r.URL.Path, "/chat/completions") {
				// GenerateImage asks the image API's catalogue whether the
				// model is image-only: this one is not there.
				w.WriteHeader(http.StatusNotFound)
				_, _ = io.WriteString(w, `{"error":{"code":404,"message":"Not Found"}}`)
				return
			}
			if !chunked {
				w.Header().Set("Content-Length", strconv.Itoa(len(body)))
				_, _ = w.Write(body)
				return
			}
			for i := 0; i < len(body); i += 64 << 10 {
				_, _ = w.Write(body[i:min(i+64<<10, len(body))])
				w.(http.Flusher).Flush()
			}
		}))
		b.Cleanup(srv.Close)
		return srv
	}
	ctx := context.Background()
	b.Run("baseline", func(b *testing.B) {
		srv := serve(false)
		hc := &http.Client{}
		b.ReportAllocs()
		reportImage(b, len(img), func() {
			resp, err := hc.Post(srv.URL+"/chat/completions", "application/json", strings.NewReader(`{}`))
			if err != nil {
				b.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var out struct {
				Choices []struct {
					Message struct {
						Images []struct {
							ImageURL struct{ URL string } `json:"image_url"`
						} `json:"images"`
					} `json:"message"`
				} `json:"choices"`
			}
			if err := json.Unmarshal(raw, &out); err != nil {
				b.Fatal(err)
			}
			_, b64, _ := strings.Cut(out.Choices[0].Message.Images[0].ImageURL.URL, ",")
			data, err := base64.StdEncoding.DecodeString(b64)
			if err != nil || len(data) != len(img) {
				b.Fatal(err)
			}
		})
	})
	for _, chunked := range []bool{false, true} {
		name := "sdk"
		if chunked {
			name = "sdk-chunked"
		}
		b.Run(name, func(b *testing.B) {
			srv := serve(chunked)
			c := openrouter.NewClient(openroutertest.DefaultKey, openrouter.WithBaseURL(srv.URL))
			b.ReportAllocs()
			reportImage(b, len(img), func() {
				res, err := c.GenerateImage(ctx, openrouter.ImageRequest{Prompt: "x"})
				if err != nil || len(res.Images[0].Data) != len(img) || res.Images[0].MIME != mime || res.Images[0].Width == 0 {
					b.Fatal(err)
				}
			})
		})
	}
}

// reportImage runs op in the benchmark loop and reports x-image: the
// bytes allocated per op (the B/op figure) over the image's size.
func reportImage(b *testing.B, size int, op func()) {
	_, bytes := measure(b, op)
	b.ReportMetric(bytes/float64(size), "x-image")
}

// BenchmarkImageAPI8MB measures the memory one 8 MB WebP costs through
// the image API (POST /images), whose answer carries the image as bare
// base64 in b64_json.
//
//	go test -run XXX -bench BenchmarkImageAPI8MB -benchmem -count 2 .
func BenchmarkImageAPI8MB(b *testing.B) {
	img := openroutertest.LargeWebP(8 << 20)
	models, _ := json.Marshal(map[string]any{"data": []openroutertest.ImageModel{openroutertest.DefaultImageModels()[0]}})
	body := []byte(`{"created":1,"data":[{"b64_json":"` + base64.StdEncoding.EncodeToString(img) +
		`","media_type":"image/webp"}],"usage":{"prompt_tokens":0,"completion_tokens":4175,"total_tokens":4175,"cost":0.03}}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/images/models" {
			_, _ = w.Write(models)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	}))
	b.Cleanup(srv.Close)
	c := openrouter.NewClient(openroutertest.DefaultKey, openrouter.WithBaseURL(srv.URL))
	ctx := context.Background()
	req := openrouter.ImageRequest{Model: "black-forest-labs/flux.2-pro", Prompt: "x", OutputFormat: "webp"}
	b.ReportAllocs()
	reportImage(b, len(img), func() {
		res, err := c.GenerateImage(ctx, req)
		if err != nil || len(res.Images[0].Data) != len(img) {
			b.Fatal(err)
		}
	})
}
