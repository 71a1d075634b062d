// Command tools runs a tool-calling conversation with Client.RunTools: the
// model asks for the weather in two cities, the Go function answers both
// calls at once, and the model writes its answer from the results. It
// prints each call, the answer, the rounds, the cost and what the last
// HTTP answer said (ResponseInfo).
//
//	go run ./examples/tools            # offline, against the embedded fake server
//	OPENROUTER_API_KEY=sk-or-... go run ./examples/tools
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/examples/internal/demo"
	"github.com/routerkit/openrouter/openroutertest"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, os.Getenv("OPENROUTER_API_KEY")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// cityArgs are the weather tool's parameters; the tags become its JSON
// Schema, and arguments that do not fit it never reach the function.
type cityArgs struct {
	City string `json:"city" description:"The city, in English" jsonschema:"minLength=1"`
}

// temperatures stands for a weather service.
var temperatures = map[string]string{"Paris": "18°C, light rain", "Tokyo": "24°C, sunny"}

func run(ctx context.Context, out io.Writer, key string) error {
	srv := demo.Server(out, key, openroutertest.WithResponder(fakeModel))
	if srv != nil {
		defer srv.Close()
	}
	c := demo.Client(key, srv)

	weather := openrouter.NewTool("weather", "The current weather in a city", func(ctx context.Context, a cityArgs) (string, error) {
		t, ok := temperatures[a.City]
		if !ok {
			return "", fmt.Errorf("no station in %s", a.City)
		}
		return t, nil
	})
	var info openrouter.ResponseInfo
	res, err := c.RunTools(ctx, &openrouter.ChatRequest{
		Model:    "openai/gpt-4o-mini",
		Messages: []openrouter.Message{openrouter.UserMessage("What is the weather in Paris and in Tokyo? Use the weather tool.")},
	}, openrouter.ToolLoop{Tools: []*openrouter.FuncTool{weather}, MaxRounds: 4}, openrouter.CallResponseInto(&info))
	if err != nil {
		return fmt.Errorf("%w\nwhat to do: %s", err, openrouter.Hint(err))
	}
	for _, call := range res.Calls {
		fmt.Fprintf(out, "round %d: %s(%s) -> %s\n", call.Round, call.Name, call.Arguments, call.Result)
	}
	fmt.Fprintf(out, "%s\n(%d rounds, %d requests, %d attempts, $%.6f, last generation %s)\n",
		res.Content(), res.Rounds, info.Requests, info.Attempts, res.Cost, info.RequestID)
	return nil
}

// fakeModel plays the model offline: it asks for both cities' weather,
// then answers from the tool results it was sent.
func fakeModel(req openroutertest.Request) openroutertest.Reply {
	var results []string
	for _, m := range req.Messages {
		if m.Role == "tool" {
			results = append(results, m.Text)
		}
	}
	if len(results) == 0 {
		return openroutertest.ToolCallReply(
			openroutertest.ToolCall{Name: "weather", Arguments: `{"city":"Paris"}`},
			openroutertest.ToolCall{Name: "weather", Arguments: `{"city":"Tokyo"}`})
	}
	return openroutertest.TextReply("Paris: " + results[0] + ". Tokyo: " + strings.Join(results[1:], ", ") + ".")
}
