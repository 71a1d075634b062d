package openrouter_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// TestEmbeddingExtraReachesTheWire checks that Extra's JSON Pointers are
// merged into each embeddings request of the split, and that a path the
// typed fields set, a bad pointer, or Extra on the Batch API path is
// refused before sending.
func TestEmbeddingExtraReachesTheWire(t *testing.T) {
	var mu sync.Mutex
	var bodies []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var b map[string]any
		_ = json.Unmarshal(raw, &b)
		mu.Lock()
		bodies = append(bodies, b)
		mu.Unlock()
		n := len(b["input"].([]any))
		data := make([]any, n)
		for i := range data {
			data[i] = map[string]any{"object": "embedding", "index": i, "embedding": []float64{1, 0}}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"object": "list", "model": b["model"], "data": data, "usage": map[string]any{"prompt_tokens": 1, "total_tokens": 1}})
	}))
	defer srv.Close()
	c := openrouter.NewClient(ort.DefaultKey, openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil))
	req := &openrouter.EmbeddingRequest{Model: "openai/text-embedding-3-small", Input: []string{"a", "b", "c"}, BatchInputs: 2,
		Extra: map[string]any{"/provider/options/openai/priority": "low", "/truncate": "end"}}
	if _, err := c.Embed(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if len(bodies) != 2 {
		t.Fatalf("%d requests", len(bodies))
	}
	for _, b := range bodies {
		p, _ := b["provider"].(map[string]any)
		o, _ := p["options"].(map[string]any)
		if b["truncate"] != "end" || o["openai"].(map[string]any)["priority"] != "low" {
			t.Errorf("body %v", b)
		}
	}
	for _, extra := range []map[string]any{{"/model": "x"}, {"dimensions": 3}, {"/a": 1, "/a/b": 2}} {
		req := &openrouter.EmbeddingRequest{Model: "openai/text-embedding-3-small", Input: []string{"a"}, Extra: extra}
		if _, err := c.Embed(context.Background(), req); !errors.Is(err, openrouter.ErrInvalidRequest) {
			t.Errorf("Extra %v: %v", extra, err)
		}
	}
	if len(bodies) != 2 {
		t.Fatalf("refused requests were sent: %d", len(bodies))
	}
	_, err := c.Batches.SubmitEmbeddings(context.Background(), req)
	if !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Fatalf("batch with Extra: %v", err)
	}
}
