package openrouter_test

import (
	"context"
	"fmt"
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
	b, err := c.SubmitBatch(context.Background(), batchOf(texts))
	if err != nil {
		t.Fatal(err)
	}
	waitMoving(t, c, clock, b.ID)
	results, err := c.BatchResultMap(context.Background(), b.ID)
	if err != nil {
		t.Fatalf("BatchResultMap: %v (%d results read)", err, len(results))
	}
	if len(results) != 600 {
		t.Fatalf("%d results, want 600", len(results))
	}
	if res, err := results["item-0599"].Chat(); err != nil || res.Content() != big {
		t.Errorf("item-0599: %v", err)
	}
}
