package main

import (
	"context"
	"testing"
	"time"

	"github.com/routerkit/openrouter/bulk"
)

// The progress line's cost and tokens count a batch's results, which no
// call's answer carries (a batch run's line showed $0/min before).
func TestLiveCountsBatchResults(t *testing.T) {
	now := time.Unix(0, 0)
	l := newLive(nil, func() time.Time { return now })
	l.BatchEvent(context.Background(), bulk.BatchEvent{Phase: bulk.BatchCollected, Cost: 0.25, InputTokens: 30, OutputTokens: 12})
	l.BatchEvent(context.Background(), bulk.BatchEvent{Phase: bulk.BatchEnded})
	if l.cost != 0.25 || l.tokens != 42 {
		t.Errorf("cost %v, tokens %d; want 0.25 and 42", l.cost, l.tokens)
	}
}
