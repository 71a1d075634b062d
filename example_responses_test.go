package openrouter_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// The Responses API is reached through Client.Responses. It is stateless:
// the next turn sends the conversation again, the answer's items and the
// function's output appended.
func ExampleResponsesService_Create() {
	srv := openroutertest.NewServer()
	defer srv.Close()
	c := srv.Client()
	srv.Enqueue(openroutertest.ToolCallReply(openroutertest.ToolCall{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Paris"}`}))

	req := &openrouter.ResponseRequest{
		Model: "openai/gpt-4o-mini",
		Input: openrouter.ResponseText("What is the weather in Paris?"),
		Tools: []openrouter.ResponseTool{openrouter.ResponseFunctionTool("get_weather", "The weather of a city",
			json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`))},
	}
	res, err := c.Responses.Create(context.Background(), req)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, call := range res.FunctionCalls() {
		fmt.Println("call:", call.Name, call.Arguments)
		req.Input = append(req.Input, res.Output...)
		req.Input = append(req.Input, openrouter.ResponseFunctionOutput(call.CallID, "sunny, 21°C"))
	}
	srv.Enqueue(openroutertest.TextReply("It is sunny in Paris, 21°C."))
	res, err = c.Responses.Create(context.Background(), req)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Status+":", res.OutputText())
	// Output:
	// call: get_weather {"city":"Paris"}
	// completed: It is sunny in Paris, 21°C.
}

// A streamed response yields typed events; Response assembles them. A
// stream cut after it began is maybe billed and is not sent again.
func ExampleResponsesService_Stream() {
	srv := openroutertest.NewServer()
	defer srv.Close()
	c := srv.Client()

	s := c.Responses.Stream(context.Background(), &openrouter.ResponseRequest{
		Model: "openai/gpt-4o-mini",
		Input: openrouter.ResponseText("Hello"),
	})
	for ev, err := range s.Events() {
		if err != nil {
			fmt.Println(err)
			return
		}
		if ev.Type == openrouter.EventOutputTextDelta {
			fmt.Print(ev.Delta)
		}
	}
	fmt.Println()
	fmt.Println(s.Response().Status)

	srv.Enqueue(openroutertest.Reply{Content: "a long answer", Stream: openroutertest.StreamScript{After: 1, Cut: true}})
	for _, err := range c.Responses.Stream(context.Background(), &openrouter.ResponseRequest{
		Model: "openai/gpt-4o-mini", Input: openrouter.ResponseText("Hello"),
	}).Events() {
		if err != nil {
			fmt.Println("maybe billed:", errors.Is(err, openrouter.ErrMaybeBilled))
		}
	}
	// Output:
	// You said: Hello
	// completed
	// maybe billed: true
}
