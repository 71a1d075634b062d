package openrouter_test

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// TestImageAPICutCountsMaybeBilled: on the image API path, an attempt
// cut after it was sent, then answered on a resend, left
// ImageResult.MaybeBilled at 0: the first image, maybe billed, was not
// reported.
func TestImageAPICutCountsMaybeBilled(t *testing.T) {
	var posts atomic.Int32
	png := base64.StdEncoding.EncodeToString(ort.MakePNG(8, 8))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/images/models":
			io.WriteString(w, `{"data":[{"id":"x/img","name":"img","architecture":{"input_modalities":["text"],"output_modalities":["image"]}}]}`)
		case "/api/v1/images":
			io.ReadAll(r.Body)
			if posts.Add(1) == 1 { // the request was read whole: cut before answering
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.Close()
				}
				return
			}
			io.WriteString(w, `{"created":1,"data":[{"b64_json":"`+png+`","media_type":"image/png"}],"usage":{"prompt_tokens":0,"completion_tokens":10,"total_tokens":10,"cost":0.04}}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c := openrouter.NewClient(ort.DefaultKey, openrouter.WithBaseURL(srv.URL+"/api/v1"), openrouter.WithLimiter(nil), openrouter.WithRetry(2, 0, 0), openrouter.WithResendAfterCut(1))
	res, err := c.GenerateImage(context.Background(), openrouter.ImageRequest{Model: "x/img", Prompt: "a cat"})
	if err != nil {
		t.Fatal(err)
	}
	if posts.Load() != 2 || res.MaybeBilled != 1 || len(res.Images) != 1 {
		t.Errorf("%d posts, MaybeBilled %d, %d images; want 2, 1, 1", posts.Load(), res.MaybeBilled, len(res.Images))
	}
}
