package bulk_test

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
)

// TestJobCostAddsUpAcrossRuns: an item that cost money and failed in
// one run, then cost again and was done in the next, carries both costs
// in the journal: Report.JobCost is their sum, as the server billed.
func TestJobCostAddsUpAcrossRuns(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, nil)
	j := openJournal(t)
	fail := true
	fn := func(ctx context.Context, it string) (string, error) {
		res, err := c.Chat(ctx, &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", Messages: []openrouter.Message{openrouter.UserMessage(it)}})
		if err != nil {
			return "", err
		}
		if fail {
			return "", errors.New("the caller's own check failed after the answer was paid for")
		}
		return res.Content(), nil
	}
	run := func() *bulk.Report[string, string] {
		rep, err := bulk.Runner[string, string]{Journal: j, Key: func(s string) string { return s }, RetryFor: -1}.
			Run(context.Background(), items(1), fn)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	first := run()
	fail = false
	second := run()
	billed := srv.Spent()
	if first.Failed != 1 || second.Done != 1 || first.Cost <= 0 || second.Cost <= 0 {
		t.Fatalf("runs: failed %d (cost %v), then done %d (cost %v)", first.Failed, first.Cost, second.Done, second.Cost)
	}
	if math.Abs(second.JobCost-(first.Cost+second.Cost)) > 1e-12 || math.Abs(second.JobCost-billed) > 1e-12 {
		t.Errorf("job cost %v; want %v + %v, as billed %v", second.JobCost, first.Cost, second.Cost, billed)
	}
}
