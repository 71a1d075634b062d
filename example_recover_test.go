package openrouter_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// An answer cut off on its way is read back from its stored generation
// (the account's Input & Output Logging is on) rather than bought again.
func ExampleWithAnswerRecovery() {
	srv := ort.NewServer(ort.WithContentLogging())
	defer srv.Close()
	srv.Enqueue(ort.TextReply("Paris is the capital of France.").CutAfter(0)) // the body is cut after its headers
	c := srv.Client()
	var info openrouter.ResponseInfo
	res, err := c.Chat(context.Background(), &openrouter.ChatRequest{
		Model:    "openai/gpt-4o-mini",
		Messages: []openrouter.Message{openrouter.UserMessage("What is the capital of France?")},
	}, openrouter.CallResponseInto(&info))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Content())
	fmt.Println("recovered:", info.Recovered, "requests sent:", len(srv.Requests()))
	// Output:
	// Paris is the capital of France.
	// recovered: true requests sent: 1
}

// Where the content is not stored, the error names the generation, so
// that it can be looked up later (Client.Generation) before the request
// is sent again.
func ExampleTransportError_generationID() {
	srv := ort.NewServer() // Input & Output Logging off
	defer srv.Close()
	srv.Enqueue(ort.TextReply("Paris is the capital of France.").CutAfter(0))
	c := srv.Client()
	_, err := c.Chat(context.Background(), &openrouter.ChatRequest{
		Model:    "openai/gpt-4o-mini",
		Messages: []openrouter.Message{openrouter.UserMessage("What is the capital of France?")},
	})
	var te *openrouter.TransportError
	if errors.As(err, &te) && te.Generation != nil {
		fmt.Println(errors.Is(err, openrouter.ErrMaybeBilled), te.GenerationID != "", te.Generation.FinishReason, te.Generation.TotalCost > 0)
	}
	// Output:
	// true true stop true
}
