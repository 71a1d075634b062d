package openrouter_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// BenchmarkGenerateImage8MB measures the memory one 8 MB image costs: the
// SDK, which decodes the base64 text as the answer streams in, beside a
// plain client that reads the body, json.Unmarshals it and decodes the
// base64 string. B/op counts every byte allocated, so it bounds the peak
// heap from above; x-image is B/op over the image's size (plus
// ImageRequest.Into's capacity for the -into sides). The answer is served
// with its Content-Length (sdk), chunked, and gzip-encoded (decompressed
// by net/http, so also without a length). The handler serves prepared
// bytes, so the server allocates next to nothing.
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
	body := chatImageBody(mime, img)
	b.Run("baseline", func(b *testing.B) {
		srv := imageServer(b, body, "length")
		hc := &http.Client{}
		b.ReportAllocs()
		reportImage(b, len(img), 0, func() {
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
	benchImageModes(b, img, body, openrouter.ImageRequest{Prompt: "x"}, mime)
}

// benchImageModes runs GenerateImage for req against body served with
// its Content-Length ("sdk"), chunked, and gzip-encoded, the last two
// also with ImageRequest.Into: x-image then counts Into's capacity too.
func benchImageModes(b *testing.B, img, body []byte, req openrouter.ImageRequest, mime string) {
	ctx := context.Background()
	for _, mode := range []string{"length", "chunked", "gzip", "chunked-into", "gzip-into"} {
		name := "sdk"
		if mode != "length" {
			name = "sdk-" + mode
		}
		b.Run(name, func(b *testing.B) {
			served, into := strings.CutSuffix(mode, "-into")
			srv := imageServer(b, body, served)
			c := openrouter.NewClient(openroutertest.DefaultKey, openrouter.WithBaseURL(srv.URL))
			req := req
			if into {
				req.Into = make([]byte, 0, len(img))
			}
			b.ReportAllocs()
			reportImage(b, len(img), cap(req.Into), func() {
				res, err := c.GenerateImage(ctx, req)
				if err != nil || len(res.Images[0].Data) != len(img) || res.Images[0].MIME != mime || res.Images[0].Width == 0 {
					b.Fatal(err)
				}
			})
		})
	}
}

// reportImage runs op in the benchmark loop and reports x-image: the
// bytes allocated per op (the B/op figure) plus the caller's storage
// given to the call (storage), over the image's size.
func reportImage(b *testing.B, size, storage int, op func()) {
	_, bytes := measure(b, op)
	b.ReportMetric((bytes+float64(storage))/float64(size), "x-image")
}

// BenchmarkImageAPI8MB measures the memory one 8 MB WebP costs through
// the image API (POST /images), whose answer carries the image as bare
// base64 in b64_json.
//
//	go test -run XXX -bench BenchmarkImageAPI8MB -benchmem -count 2 .
func BenchmarkImageAPI8MB(b *testing.B) {
	img := openroutertest.LargeWebP(8 << 20)
	req := openrouter.ImageRequest{Model: "black-forest-labs/flux.2-pro", Prompt: "x", OutputFormat: "webp"}
	benchImageModes(b, img, imagesAPIBody(img), req, "image/webp")
}
