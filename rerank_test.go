package openrouter_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

func TestRerankOrdersDocumentsWithCost(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	docs := openrouter.RerankTexts("Berlin is the capital of Germany.", "Paris is the capital of France.", "Bananas are yellow.")
	docs = append(docs, openrouter.RerankDocument{Text: "France on a map", Image: "https://example.com/france.png"})
	res, err := c.Rerank(context.Background(), &openrouter.RerankRequest{Model: "cohere/rerank-v3.5", Query: "capital of France",
		Documents: docs, TopN: 3, Provider: &openrouter.ProviderPrefs{Only: []string{"cohere"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Order(); len(got) != 3 || got[0] != 1 {
		t.Fatalf("order %v: want 3 documents, the Paris one (1) first", got)
	}
	if !slices.IsSortedFunc(res.Results, func(a, b openrouter.RerankHit) int { return -cmpFloat(a.Score, b.Score) }) {
		t.Errorf("results not sorted by score: %+v", res.Results)
	}
	if res.Results[0].Document.Text != "Paris is the capital of France." || res.Usage.Cost <= 0 || c.Spent() != res.Usage.Cost || res.ID == "" {
		t.Errorf("result %+v, spent %v", res, c.Spent())
	}
	if n := checkRequests(t, srv, "/rerank", "/rerank"); n != 1 {
		t.Errorf("%d requests", n)
	}
	if body := string(srv.MediaRequests("/rerank")[0]); !strings.Contains(body, `"documents":["Berlin`) || !strings.Contains(body, `{"text":"France on a map","image":`) {
		t.Errorf("documents not sent as strings, and objects for images: %s", body)
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestRerankErrors(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	ctx := context.Background()
	ok := &openrouter.RerankRequest{Model: "cohere/rerank-v3.5", Query: "q", Documents: openrouter.RerankTexts("a", "b")}
	for name, req := range map[string]*openrouter.RerankRequest{
		"Model":     {Query: "q", Documents: ok.Documents},
		"Query":     {Model: ok.Model, Documents: ok.Documents},
		"Documents": {Model: ok.Model, Query: "q"},
		"TopN":      {Model: ok.Model, Query: "q", Documents: ok.Documents, TopN: -1},
		"[1]":       {Model: ok.Model, Query: "q", Documents: []openrouter.RerankDocument{{Text: "a"}, {}}},
	} {
		if _, err := c.Rerank(ctx, req); !errors.Is(err, openrouter.ErrInvalidRequest) || !strings.Contains(err.Error(), name) {
			t.Errorf("rerank without a good %s: %v", name, err)
		}
	}
	if n := srv.Stats().Requests; n != 0 {
		t.Fatalf("%d requests sent for bad input", n)
	}
	// An answer naming a document that was not sent is the server's error.
	srv.EnqueueFor("/rerank", openroutertest.RawReply(200, `{"model":"cohere/rerank-v3.5","results":[{"index":5,"relevance_score":0.9,"document":{"text":"?"}}]}`))
	if _, err := c.Rerank(ctx, ok); !errors.Is(err, openrouter.ErrServer) || !strings.Contains(err.Error(), "document 5 of 2") {
		t.Errorf("index out of range: %v", err)
	}
	srv.EnqueueFor("/rerank", openroutertest.ErrorReply(429, "Rate limit exceeded").WithRetryAfter("0"), openroutertest.ErrorReply(402, "Insufficient credits"))
	if _, err := c.Rerank(ctx, ok); !errors.Is(err, openrouter.ErrInsufficientCredits) {
		t.Errorf("429 then 402: %v", err)
	}
	// A rerank is billed: an answer cut after its headers is not asked again.
	srv.EnqueueFor("/rerank", openroutertest.Reply{}.CutAfter(0))
	before := len(srv.MediaRequests("/rerank"))
	if _, err := c.Rerank(ctx, ok); !errors.Is(err, openrouter.ErrMaybeBilled) || len(srv.MediaRequests("/rerank")) != before+1 {
		t.Errorf("cut answer: %v after %d requests", err, len(srv.MediaRequests("/rerank"))-before)
	}
}
