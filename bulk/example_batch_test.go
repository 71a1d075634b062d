package bulk_test

import (
	"context"
	"fmt"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
	"github.com/routerkit/openrouter/openroutertest"
)

func ExampleRunner_RunBatch() {
	// The fake's batches progress on a clock each poll moves on.
	clock := openroutertest.NewClock(time.Now().UTC().Truncate(time.Second)) // the client dates its batch lookups by its own clock
	srv := openroutertest.NewServer(openroutertest.WithClock(clock.Now), openroutertest.WithResponder(func(r openroutertest.Request) openroutertest.Reply {
		return openroutertest.Reply{Content: "re: " + r.LastUserText(), Cost: 0.002}
	}))
	defer srv.Close()
	c := srv.Client()

	words := []string{"quick", "bright", "calm", "draw a fox"}
	report, err := bulk.Runner[string, string]{}.RunBatch(context.Background(), words, bulk.BatchMode[string, string]{
		Client: c,
		Request: func(w string) (*openrouter.ChatRequest, error) {
			req := &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", Messages: []openrouter.Message{openrouter.UserMessage(w)}}
			if w == "draw a fox" {
				req.Modalities = []string{"image", "text"} // image output: runs sync
			}
			return req, nil
		},
		Result: func(_ context.Context, _ string, ans *openrouter.ChatResponse) (string, error) {
			return ans.Content(), nil
		},
		Wait: openrouter.BatchWait{MinInterval: time.Nanosecond, MaxInterval: time.Nanosecond,
			OnPoll: func(*openrouter.Batch) { clock.Advance(time.Minute) }},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d done: %d in %d batch, %d sync; batch $%.3f, sync $%.3f\n",
		report.Done, report.InBatch, len(report.Batches), report.InSync, report.BatchCost, report.SyncCost)
	fmt.Println(report.Results[0].Value)
	// Output:
	// 4 done: 3 in 1 batch, 1 sync; batch $0.003, sync $0.002
	// re: quick
}
