// Command stream prints a completion as it arrives, and what arrived
// before a failure when the stream breaks.
//
//	go run ./examples/stream -prompt "Explain goroutines in three sentences"
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/examples/internal/demo"
)

func main() {
	prompt := flag.String("prompt", "Explain goroutines in three sentences.", "the question")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, os.Getenv("OPENROUTER_API_KEY"), *prompt); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, key, prompt string) error {
	srv := demo.Server(out, key)
	if srv != nil {
		defer srv.Close()
	}
	// A stream that stops sending for 30 s is given up as ErrTimeout.
	c := demo.Client(key, srv, openrouter.WithStreamTimeouts(60*time.Second, 30*time.Second))
	s := c.ChatStream(ctx, &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", MaxTokens: 300,
		Messages: []openrouter.Message{openrouter.UserMessage(prompt)}})
	for chunk, err := range s.Chunks() {
		if err != nil {
			return fmt.Errorf("\nthe stream failed: %w\nreceived before that: %q\n%s", err, s.Response().Content(), openrouter.Hint(err))
		}
		fmt.Fprint(out, chunk.Content())
	}
	res := s.Response()
	fmt.Fprintf(out, "\n(finish_reason %s, %d tokens, $%.6f)\n", res.FinishReason(), res.Usage.TotalTokens, res.Cost())
	return nil
}
