package openrouter_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
)

// A lost embeddings submission (answered 502, never stored) is not taken
// for another job's batch of the same model and size, finished and
// listed: its results are not under this request's custom IDs. Nor do
// that batch's results read as this request's vectors.
func TestEmbeddingBatchLostSubmissionNeverAdoptsAnotherJobsBatch(t *testing.T) {
	srv, clock, c := batchServer(t)
	ctx := context.Background()
	other := &openrouter.EmbeddingRequest{Model: embedModel, Input: []string{"another job's text", "and its second"}, BatchInputs: 1}
	ob, err := c.Batches.SubmitEmbeddings(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour) // it has finished

	target, _ := url.Parse(srv.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/batches") {
			w.WriteHeader(http.StatusBadGateway) // not stored, the answer a gateway's error
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	lc := openrouter.NewClient(srv.Key, openrouter.WithBaseURL(front.URL), openrouter.WithLimiter(nil))
	openrouter.SetWaitHook(lc, func(time.Duration) time.Duration { return 0 })
	ours := &openrouter.EmbeddingRequest{Model: embedModel, Input: []string{"our text", "our second"}, BatchInputs: 1}
	b, err := lc.Batches.SubmitEmbeddings(ctx, ours)
	var se *openrouter.BatchSubmitError
	if b != nil || !errors.As(err, &se) || !errors.Is(err, openrouter.ErrMaybeBilled) || len(se.Candidates) != 0 {
		t.Fatalf("batch %+v, %v; want a BatchSubmitError without candidates (%s is another job's)", b, err, ob.ID)
	}
	if res, err := c.Batches.EmbeddingResults(ctx, ob.ID, ours); err == nil {
		t.Fatalf("the other job's batch read as ours: %+v", res)
	}
}

// A lost embeddings submission whose batch is stored but not finished
// cannot be proven yet: it is a candidate; once finished, its results
// read as the request's.
func TestEmbeddingBatchLostSubmissionIsACandidateUntilProven(t *testing.T) {
	srv, clock, c := batchServer(t)
	srv.LoseBatchSubmits(1)
	ctx := context.Background()
	req := &openrouter.EmbeddingRequest{Model: embedModel, Input: []string{"one text", "another text"}, BatchInputs: 1}
	b, err := c.Batches.SubmitEmbeddings(ctx, req)
	var se *openrouter.BatchSubmitError
	if b != nil || !errors.As(err, &se) || len(se.Candidates) != 1 || srv.BatchStats().Submits != 1 {
		t.Fatalf("batch %+v, %v after %d submissions; want the stored batch a candidate", b, err, srv.BatchStats().Submits)
	}
	clock.Advance(time.Hour)
	res, err := c.Batches.EmbeddingResults(ctx, se.Candidates[0], req)
	if err != nil || len(res.Vectors) != 2 || res.Vectors[0] == nil || res.Vectors[1] == nil {
		t.Fatalf("%+v, %v; want the candidate's vectors", res, err)
	}
}
