package openrouter_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

func ExampleNewClient() {
	srv := openroutertest.NewServer() // a fake OpenRouter; use the real one with no WithBaseURL
	defer srv.Close()

	c := openrouter.NewClient(srv.Key,
		openrouter.WithBaseURL(srv.URL),
		openrouter.WithAppInfo("https://example.com", "Example App"),
	)
	res, err := c.Chat(context.Background(), &openrouter.ChatRequest{
		Model:    "openai/gpt-4o-mini",
		Messages: []openrouter.Message{openrouter.UserMessage("Hello")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Content())
	// Output: You said: Hello
}

func ExampleClient_Chat() {
	srv := openroutertest.NewServer()
	defer srv.Close()
	c := srv.Client()

	res, err := c.Chat(context.Background(), &openrouter.ChatRequest{
		Model: "anthropic/claude-haiku-4.5",
		Messages: []openrouter.Message{
			openrouter.SystemMessage("You are terse."),
			openrouter.UserMessage("Name a prime number."),
		},
		Temperature: openrouter.Ptr(0.0),
		MaxTokens:   50,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s (finish_reason %s, %d tokens)\n", res.Content(), res.FinishReason(), res.Usage.TotalTokens)
	// Output: You said: Name a prime number. (finish_reason stop, 17 tokens)
}

// Errors are checked with errors.Is; Hint gives the sentence to show a
// user.
func Example_errors() {
	srv := openroutertest.NewServer(openroutertest.WithCredits(0))
	defer srv.Close()
	c := srv.Client()

	_, err := c.Chat(context.Background(), &openrouter.ChatRequest{
		Model:    "openai/gpt-4o-mini",
		Messages: []openrouter.Message{openrouter.UserMessage("Hello")},
	})
	switch {
	case errors.Is(err, openrouter.ErrInsufficientCredits):
		fmt.Println("out of credits:", openrouter.Hint(err))
	case errors.Is(err, openrouter.ErrRateLimited):
		fmt.Println("slow down")
	case err != nil:
		fmt.Println(err)
	}
	// Output: out of credits: The balance is too low for this request (OpenRouter checks credits against max_tokens, or the model's maximum output when max_tokens is unset): top up at https://openrouter.ai/settings/credits, or lower max_tokens.
}

func ExampleAPIError() {
	srv := openroutertest.NewServer()
	defer srv.Close()
	c := srv.Client()

	_, err := c.Chat(context.Background(), &openrouter.ChatRequest{
		Model:    "anthropic/claude-sonnet-4-6", // a typo: the catalogue says claude-sonnet-4.5
		Messages: []openrouter.Message{openrouter.UserMessage("Hello")},
	})
	var apiErr *openrouter.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Message)
		fmt.Println(errors.Is(err, openrouter.ErrModelNotFound), errors.Is(err, openrouter.ErrServer))
	}
	// Output:
	// 400 anthropic/claude-sonnet-4-6 is not a valid model ID
	// true false
}

func ExampleHint() {
	err := fmt.Errorf("rewriting article 7: %w", openrouter.ErrEmptyContent)
	fmt.Println(openrouter.Hint(err))
	// Output: The model returned nothing: moderation, or a prompt too long for the context window (or, on reasoning models, max_tokens spent on reasoning). Use a larger-context model, raise max_tokens, or split the text.
}
