// Command quickstart sends one chat completion and handles its errors the
// way a program should: with errors.Is, and openrouter.Hint for the user.
//
//	go run ./examples/quickstart            # offline, against the embedded fake server
//	OPENROUTER_API_KEY=sk-or-... go run ./examples/quickstart
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/examples/internal/demo"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, os.Getenv("OPENROUTER_API_KEY")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, key string) error {
	srv := demo.Server(out, key)
	if srv != nil {
		defer srv.Close()
	}
	c := demo.Client(key, srv)

	res, err := c.Chat(ctx, &openrouter.ChatRequest{
		Model:     "openai/gpt-4o-mini",
		Messages:  []openrouter.Message{openrouter.UserMessage("In one sentence: why do Go programs wrap errors?")},
		MaxTokens: 200,
	})
	switch {
	case errors.Is(err, openrouter.ErrUnauthorized), errors.Is(err, openrouter.ErrInsufficientCredits):
		return fmt.Errorf("account problem: %w\nwhat to do: %s", err, openrouter.Hint(err))
	case errors.Is(err, openrouter.ErrRateLimited), errors.Is(err, openrouter.ErrServer):
		return fmt.Errorf("temporary problem, already retried: %w\nwhat to do: %s", err, openrouter.Hint(err))
	case err != nil:
		return fmt.Errorf("%w\nwhat to do: %s", err, openrouter.Hint(err))
	}
	fmt.Fprintf(out, "%s\n(model %s, %d tokens, $%.6f)\n", res.Content(), res.Model, res.Usage.TotalTokens, res.Cost())
	return nil
}
