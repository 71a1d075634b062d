package openrouter_test

import (
	"context"
	"fmt"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

func ExampleClient_RunTools() {
	srv := openroutertest.NewServer()
	defer srv.Close()
	c := srv.Client()
	// The fake model asks for the weather in two cities, then answers.
	srv.Enqueue(openroutertest.ToolCallReply(
		openroutertest.ToolCall{Name: "weather", Arguments: `{"city":"Paris"}`},
		openroutertest.ToolCall{Name: "weather", Arguments: `{"city":"Tokyo"}`},
	), openroutertest.TextReply("Paris: 18°C, Tokyo: 24°C."))

	type cityArgs struct {
		City string `json:"city" description:"The city"`
	}
	weather := openrouter.NewTool("weather", "Current temperature in a city", func(ctx context.Context, a cityArgs) (string, error) {
		return map[string]string{"Paris": "18°C", "Tokyo": "24°C"}[a.City], nil
	})
	res, err := c.RunTools(context.Background(), &openrouter.ChatRequest{
		Model:    "openai/gpt-4o-mini",
		Messages: []openrouter.Message{openrouter.UserMessage("Weather in Paris and Tokyo?")},
	}, openrouter.ToolLoop{Tools: []*openrouter.FuncTool{weather}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, call := range res.Calls {
		fmt.Println(call.Name, call.Arguments, "->", call.Result)
	}
	fmt.Println(res.Content(), "in", res.Rounds, "rounds")
	// Output:
	// weather {"city":"Paris"} -> 18°C
	// weather {"city":"Tokyo"} -> 24°C
	// Paris: 18°C, Tokyo: 24°C. in 2 rounds
}

func ExampleCallResponseInto() {
	srv := openroutertest.NewServer()
	defer srv.Close()
	c := srv.Client(openrouter.WithRetry(2, 0, 0))
	srv.Enqueue(openroutertest.ErrorReply(502, "Provider returned error"), openroutertest.TextReply("Hi"))

	var info openrouter.ResponseInfo
	_, err := c.Chat(context.Background(), &openrouter.ChatRequest{
		Model:    "openai/gpt-4o-mini",
		Messages: []openrouter.Message{openrouter.UserMessage("Hello")},
	}, openrouter.CallResponseInto(&info), openrouter.CallTimeout(time.Minute))
	fmt.Println(err, info.StatusCode, info.Attempts, info.Provider, info.RequestID != "")
	// Output: <nil> 200 2 OpenRouterTest true
}
