// Command responses shows OpenRouter's Responses API through the SDK's
// Client.Responses: a streamed answer printed as its text deltas arrive,
// then a turn where the model calls a function and the conversation
// (stateless: sent in full) goes back with the function's output. With
// no key it runs offline against the embedded fake server.
//
//	go run ./examples/responses
//	OPENROUTER_API_KEY=sk-or-... go run ./examples/responses -model openai/gpt-4o-mini
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/examples/internal/demo"
	"github.com/routerkit/openrouter/openroutertest"
)

func main() {
	model := flag.String("model", "openai/gpt-4o-mini", "model")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, os.Getenv("OPENROUTER_API_KEY"), *model); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

var weatherTool = openrouter.ResponseFunctionTool("get_weather", "The current weather of a city",
	json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}`))

func run(ctx context.Context, out io.Writer, key, model string) error {
	srv := demo.Server(out, key)
	if srv != nil {
		defer srv.Close()
		// Offline, the fake answers the second turn with a function call.
		srv.Enqueue(openroutertest.TextReply("Streams arrive as typed events."),
			openroutertest.ToolCallReply(openroutertest.ToolCall{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Paris"}`}),
			openroutertest.TextReply("It is sunny in Paris, 21°C."))
	}
	c := demo.Client(key, srv)

	// 1. A streamed answer.
	s := c.Responses.Stream(ctx, &openrouter.ResponseRequest{Model: model, Input: openrouter.ResponseText("Say one sentence about streaming.")})
	for ev, err := range s.Events() {
		if err != nil {
			return fmt.Errorf("stream: %w", err)
		}
		if ev.Type == openrouter.EventOutputTextDelta {
			fmt.Fprint(out, ev.Delta)
		}
	}
	fmt.Fprintf(out, "\n(stream %s, $%.6f)\n", s.Response().Status, s.Response().Cost())

	// 2. A function call, answered, and the conversation sent again.
	req := &openrouter.ResponseRequest{Model: model, Input: openrouter.ResponseText("What is the weather in Paris?"),
		Tools: []openrouter.ResponseTool{weatherTool}}
	res, err := c.Responses.Create(ctx, req)
	if err != nil {
		return err
	}
	calls := res.FunctionCalls()
	req.Input = append(req.Input, res.Output...)
	for _, call := range calls {
		fmt.Fprintf(out, "The model calls %s(%s)\n", call.Name, call.Arguments)
		req.Input = append(req.Input, openrouter.ResponseFunctionOutput(call.CallID, `{"sky":"sunny","celsius":21}`))
	}
	if len(calls) > 0 {
		if res, err = c.Responses.Create(ctx, req); err != nil {
			return err
		}
	}
	fmt.Fprintln(out, res.OutputText())
	fmt.Fprintf(out, "Spent $%.6f in all.\n", c.Spent())
	return nil
}
