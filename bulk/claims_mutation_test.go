package bulk_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
)

// An item one worker ended Failed reaches a later worker of the job with
// its error's text, said to come from another worker, and its sentinels.
func TestSharedFailedElsewhereKeepsTheText(t *testing.T) {
	job, clk := newJob(10 * time.Second)
	fn := func(_ context.Context, k string) (string, error) {
		return "", fmt.Errorf("bad item %s: %w", k, openrouter.ErrInvalidRequest)
	}
	if _, err := sharedRunner(job.Worker("a"), clk, 1).Run(context.Background(), []string{"x"}, fn); err != nil {
		t.Fatal(err)
	}
	rep, err := sharedRunner(job.Worker("b"), clk, 1).Run(context.Background(), []string{"x"}, fn)
	if err != nil {
		t.Fatal(err)
	}
	res := rep.Results[0]
	var fe *bulk.FailedElsewhere
	if rep.Failed != 1 || !res.Resumed || !errors.As(res.Err, &fe) {
		t.Fatalf("b's report: failed %d, resumed %v, err %v; want the item failed by a", rep.Failed, res.Resumed, res.Err)
	}
	if want := "bad item x: " + openrouter.ErrInvalidRequest.Error(); fe.Text != want || !strings.Contains(res.Err.Error(), want+" (failed in another worker") {
		t.Errorf("b's error %q (text %q): want a's text %q", res.Err, fe.Text, want)
	}
	if !errors.Is(res.Err, openrouter.ErrInvalidRequest) || errors.Is(res.Err, openrouter.ErrMaybeBilled) {
		t.Errorf("b's error %v: want it to match ErrInvalidRequest only", res.Err)
	}
}
