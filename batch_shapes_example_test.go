package openrouter_test

import (
	"context"
	"fmt"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// A batch of Anthropic Messages requests (POST /v1/messages in the
// Batch API): the items carry MessagesRequest instead of a ChatRequest,
// and each result reads back as a MessagesResponse. One batch holds one
// shape; BatchItem.Responses sends Responses API requests the same way.
func ExampleBatchItem_messages() {
	clock := openroutertest.NewClock(time.Now())
	srv := openroutertest.NewServer(openroutertest.WithClock(clock.Now))
	defer srv.Close()
	c := srv.Client()
	ctx := context.Background()

	ask := func(text string) *openrouter.MessagesRequest {
		return &openrouter.MessagesRequest{MaxTokens: 300, System: "Answer in one line.",
			Messages: []openrouter.MessagesMessage{{Role: "user", Text: text}}}
	}
	batch, err := c.Batches.Submit(ctx, &openrouter.BatchRequest{
		Model: "anthropic/claude-sonnet-4.5",
		Requests: []openrouter.BatchItem{
			{CustomID: "article-1", Messages: ask("Summarise article one")},
			{CustomID: "article-2", Messages: ask("Summarise article two")},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	clock.Advance(10 * time.Minute) // the fake's batches take six minutes
	if batch, err = c.Batches.Wait(ctx, batch.ID, openrouter.BatchWait{}); err != nil {
		fmt.Println(err)
		return
	}
	results, err := c.Batches.ResultMap(ctx, batch.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, id := range []string{"article-1", "article-2"} {
		m, err := results[id].Messages() // a failed request gives a typed error
		if err != nil {
			fmt.Println(id, err)
			continue
		}
		fmt.Println(id+":", m.StopReason, m.Text())
	}
	// Output:
	// article-1: end_turn You said: Summarise article one
	// article-2: end_turn You said: Summarise article two
}
