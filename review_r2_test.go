package openrouter_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// Embed's split requests are one call: CallResponseInto counts them all
// (each part used to reset the info, and the parts raced on it).
func TestReviewR2EmbedResponseIntoCountsEveryPart(t *testing.T) {
	srv := openroutertest.NewServer()
	defer srv.Close()
	texts := make([]string, 12)
	for i := range texts {
		texts[i] = fmt.Sprintf("text %d", i)
	}
	var info openrouter.ResponseInfo
	res, err := srv.Client().Embed(context.Background(), &openrouter.EmbeddingRequest{Model: embedModel, Input: texts, BatchInputs: 3, Concurrency: 2},
		openrouter.CallResponseInto(&info))
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 4 || info.Requests != 4 || info.Attempts != 4 {
		t.Errorf("Embed sent %d requests; ResponseInfo says Requests %d Attempts %d, want 4 and 4", res.Requests, info.Requests, info.Attempts)
	}
}

// SubmitBatch's lost answer, then its lookup, are one call: the info
// keeps the maybe-billed submission (the lookup used to reset it).
func TestReviewR2SubmitBatchResponseIntoKeepsMaybeBilled(t *testing.T) {
	srv, _, c := batchServer(t)
	srv.LoseBatchSubmits(1)
	var info openrouter.ResponseInfo
	if _, err := c.SubmitBatch(context.Background(), batchOf(map[string]string{"a": "1"}), openrouter.CallResponseInto(&info)); err != nil {
		t.Fatal(err)
	}
	lists := srv.BatchStats().Lists
	if info.MaybeBilled != 1 || info.Requests != 1+lists {
		t.Errorf("ResponseInfo %+v; want MaybeBilled 1 and Requests %d (the submission and %d lookups)", info, 1+lists, lists)
	}
}
