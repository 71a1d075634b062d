package bulk_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
	"github.com/routerkit/openrouter/openroutertest"
)

func ExampleRunner() {
	srv := openroutertest.NewServer(openroutertest.WithCredits(0.007))
	defer srv.Close()
	srv.Enqueue(openroutertest.Reply{Content: "fast", Cost: 0.001}.Repeat(7)) // seven answers use the credits up
	c := srv.Client()

	words := []string{"quick", "bright", "calm", "brave", "swift", "keen", "bold", "warm"}
	report, err := bulk.Runner[string, string]{Workers: 1}.Run(context.Background(), words,
		func(ctx context.Context, w string) (string, error) {
			res, err := c.Chat(ctx, &openrouter.ChatRequest{Messages: []openrouter.Message{openrouter.UserMessage("A synonym of " + w)}})
			if err != nil {
				return "", err
			}
			return res.Content(), nil
		})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("done %d, failed %d, not attempted %d\n", report.Done, report.Failed, report.NotAttempted)
	if errors.Is(report.Stopped, openrouter.ErrInsufficientCredits) {
		fmt.Println("out of credits; after topping up, run again:", report.Remaining())
	}
	// Output:
	// done 7, failed 0, not attempted 1
	// out of credits; after topping up, run again: [warm]
}
