package openrouter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// BenchmarkEmbed1000 compares Embed of 1,000 short texts (one request,
// 64 dimensions) with a hand-written net/http + encoding/json call
// decoding into [][]float32, against the same prepared answer:
//
//	go test -run XXX -bench BenchmarkEmbed1000 -benchmem -cpu 1 .
func BenchmarkEmbed1000(b *testing.B) {
	const n, dims = 1000, 64
	answer := openrouter.EmbeddingAnswerJSON(n, dims)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(answer)
	}))
	b.Cleanup(srv.Close)
	texts := make([]string, n)
	for i := range texts {
		texts[i] = "text number " + strconv.Itoa(i)
	}
	ctx := context.Background()
	b.Run("baseline", func(b *testing.B) {
		hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		type request struct {
			Model string   `json:"model"`
			Input []string `json:"input"`
		}
		type response struct {
			Data []struct {
				Index     int       `json:"index"`
				Embedding []float32 `json:"embedding"`
			} `json:"data"`
			Usage struct {
				Cost float64 `json:"cost"`
			} `json:"usage"`
		}
		b.ReportAllocs()
		for b.Loop() {
			body, err := json.Marshal(request{Model: "openai/text-embedding-3-small", Input: texts})
			if err != nil {
				b.Fatal(err)
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/embeddings", bytes.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+openroutertest.DefaultKey)
			req.Header.Set("Content-Type", "application/json")
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var out response
			err = json.NewDecoder(resp.Body).Decode(&out)
			resp.Body.Close()
			if err != nil || len(out.Data) != n {
				b.Fatal(err)
			}
		}
	})
	b.Run("sdk", func(b *testing.B) {
		c := openrouter.NewClient(openroutertest.DefaultKey, openrouter.WithBaseURL(srv.URL))
		b.ReportAllocs()
		for b.Loop() {
			res, err := c.Embed(ctx, &openrouter.EmbeddingRequest{Model: "openai/text-embedding-3-small",
				Input: texts, BatchInputs: n})
			if err != nil || len(res.Vectors) != n {
				b.Fatal(err)
			}
		}
	})
}
