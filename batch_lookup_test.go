package openrouter_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// Result pages are asked for at a size that fits the client's answer
// bound: 600 results of 3 KB under a 1 MiB bound are all read, in pages
// of fewer results than the first asked for, following the cursor.
func TestBatchResultPagesFitTheAnswerBound(t *testing.T) {
	clock := openroutertest.NewClock(time.Now().UTC().Truncate(time.Second))
	big := strings.Repeat("x", 3000)
	srv := openroutertest.NewServer(openroutertest.WithClock(clock.Now),
		openroutertest.WithResponder(func(openroutertest.Request) openroutertest.Reply { return openroutertest.Reply{Content: big} }))
	t.Cleanup(srv.Close)
	c := srv.Client(openrouter.WithAnswerLimits(openrouter.AnswerLimits{JSON: 1 << 20}))
	openrouter.SetWaitHook(c, func(time.Duration) time.Duration { return 0 })
	texts := map[string]string{}
	for i := range 600 {
		texts[fmt.Sprintf("item-%04d", i)] = fmt.Sprintf("text %d", i)
	}
	b, err := c.Batches.Submit(context.Background(), batchOf(texts))
	if err != nil {
		t.Fatal(err)
	}
	waitMoving(t, c, clock, b.ID)
	results, err := c.Batches.ResultMap(context.Background(), b.ID)
	if err != nil {
		t.Fatalf("Batches.ResultMap: %v (%d results read)", err, len(results))
	}
	if len(results) != 600 {
		t.Fatalf("%d results, want 600", len(results))
	}
	if res, err := results["item-0599"].Chat(); err != nil || res.Content() != big {
		t.Errorf("item-0599: %v", err)
	}
}

// A submission answered 502 before the server stored it is looked up,
// and another job's finished batch of the same model and size is not
// taken for it: its results carry other custom IDs.
func TestSubmitBatchLookupNeverAdoptsAnotherJobsBatch(t *testing.T) {
	srv, clock, c := batchServer(t)
	other, err := c.Batches.Submit(context.Background(), batchOf(map[string]string{"o1": "1", "o2": "2"}))
	if err != nil {
		t.Fatal(err)
	}
	waitMoving(t, c, clock, other.ID)
	target, _ := url.Parse(srv.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/batches") {
			w.WriteHeader(http.StatusBadGateway) // not stored: the gateway failed first
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	pc := openrouter.NewClient(srv.Key, openrouter.WithBaseURL(front.URL), openrouter.WithRetry(0, 0, 0))
	b, err := pc.Batches.Submit(context.Background(), batchOf(map[string]string{"a": "1", "b": "2"}))
	var se *openrouter.BatchSubmitError
	if b != nil || !errors.As(err, &se) || len(se.Candidates) != 0 {
		t.Fatalf("batch %+v, err %v; want a BatchSubmitError with no candidate (the other job's batch is not ours)", b, err)
	}
}
