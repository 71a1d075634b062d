package openrouter_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// A batch of chat completions at half price: submit, wait, read the
// results by custom ID. The fake server's batches run on a clock the
// example moves.
func ExampleBatchesService_Submit() {
	clock := openroutertest.NewClock(time.Now())
	srv := openroutertest.NewServer(openroutertest.WithClock(clock.Now))
	defer srv.Close()
	c := srv.Client()
	ctx := context.Background()

	ask := func(text string) *openrouter.ChatRequest {
		return &openrouter.ChatRequest{Messages: []openrouter.Message{openrouter.UserMessage(text)}, MaxTokens: 300}
	}
	batch, err := c.Batches.Submit(ctx, &openrouter.BatchRequest{
		Model: "openai/gpt-4o-mini",
		Requests: []openrouter.BatchItem{
			{CustomID: "article-2", Body: ask("Summarise article two")},
			{CustomID: "article-1", Body: ask("Summarise article one")},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(batch.Status)

	clock.Advance(10 * time.Minute) // the fake's batches take six minutes
	batch, err = c.Batches.Wait(ctx, batch.ID, openrouter.BatchWait{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(batch.Status, batch.RequestCounts.Completed, "of", batch.RequestCounts.Total)

	results, err := c.Batches.ResultMap(ctx, batch.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, id := range []string{"article-1", "article-2"} {
		res, err := results[id].Chat() // a failed request gives the error Chat would
		if err != nil {
			fmt.Println(id, err)
			continue
		}
		fmt.Println(id+":", res.Content())
	}
	// Output:
	// validating
	// completed 2 of 2
	// article-1: You said: Summarise article one
	// article-2: You said: Summarise article two
}

// Before a job: what it may cost at most, at the batch price, and
// whether the key can pay for it.
func ExampleClient_EstimateCost() {
	srv := openroutertest.NewServer(openroutertest.WithCredits(0.001), openroutertest.WithKeyLimit(0.001))
	defer srv.Close()
	c := srv.Client()
	ctx := context.Background()

	var reqs []*openrouter.ChatRequest
	for range 10 {
		reqs = append(reqs, &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", MaxTokens: 1000,
			Messages: []openrouter.Message{openrouter.UserMessage("Rewrite this article.")}})
	}
	est, err := c.EstimateCost(ctx, reqs, openrouter.EstimateOptions{Batch: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d requests: at most $%.4f at the batch price\n", est.Requests, est.Cost)
	_, err = c.CheckFunds(ctx, est)
	fmt.Println(errors.Is(err, openrouter.ErrInsufficientCredits))
	fmt.Println(err)
	// Output:
	// 10 requests: at most $0.0030 at the batch price
	// true
	// openrouter: insufficient credits: the job may cost up to $0.0030 (10 requests, batch price) but $0.0010 is available (credits left: unknown; key limit left: $0.0010)
}
