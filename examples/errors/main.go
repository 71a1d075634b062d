// Command errors provokes each failure OpenRouter returns, against the
// embedded fake server, and prints the sentinel a program checks with
// errors.Is and the hint it can show its user. With OPENROUTER_API_KEY set
// it also provokes the failures that are safe to cause on the real API (a
// revoked key, an unknown model).
//
//	go run ./examples/errors
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/examples/internal/demo"
	ort "github.com/routerkit/openrouter/openroutertest"
)

func main() {
	if err := run(context.Background(), os.Stdout, os.Getenv("OPENROUTER_API_KEY")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

var sentinels = []struct {
	name string
	err  error
}{
	{"ErrUnauthorized", openrouter.ErrUnauthorized}, {"ErrInsufficientCredits", openrouter.ErrInsufficientCredits},
	{"ErrNoEndpoints", openrouter.ErrNoEndpoints}, {"ErrModelNotFound", openrouter.ErrModelNotFound},
	{"ErrModerated", openrouter.ErrModerated}, {"ErrForbidden", openrouter.ErrForbidden},
	{"ErrQuotaExhausted", openrouter.ErrQuotaExhausted}, {"ErrRateLimited", openrouter.ErrRateLimited},
	{"ErrContextLength", openrouter.ErrContextLength}, {"ErrBadRequest", openrouter.ErrBadRequest},
	{"ErrTimeout", openrouter.ErrTimeout}, {"ErrServer", openrouter.ErrServer},
	{"ErrEmptyContent", openrouter.ErrEmptyContent}, {"ErrInvalidRequest", openrouter.ErrInvalidRequest},
	{"ErrUnreachable", openrouter.ErrUnreachable}, {"ErrMaybeBilled", openrouter.ErrMaybeBilled},
}

// name returns the first sentinel err matches.
func name(err error) string {
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			return s.name
		}
	}
	return "(none)"
}

func show(out io.Writer, what string, err error) {
	fmt.Fprintf(out, "%-44s -> %s\n    %v\n    hint: %s\n", what, name(err), err, openrouter.Hint(err))
}

func run(ctx context.Context, out io.Writer, key string) error {
	srv := ort.NewServer()
	defer srv.Close()
	// Fail fast: the point is to see each error, not to wait for retries.
	c := srv.Client(openrouter.WithRetry(0, 0, 0))
	req := func() *openrouter.ChatRequest {
		return &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", Messages: []openrouter.Message{openrouter.UserMessage("Hello")}}
	}
	fmt.Fprintln(out, "Against the embedded fake server, as OpenRouter answers them:")
	for _, tc := range []struct {
		what  string
		reply ort.Reply
	}{
		{"401 No auth credentials found", ort.ErrorReply(401, "No auth credentials found")},
		{"402 Insufficient credits", ort.ErrorReply(402, "Insufficient credits. Add more using https://openrouter.ai/settings/credits")},
		{"400 <id> is not a valid model ID", ort.ErrorReply(400, "claude-sonnet-4-6 is not a valid model ID")},
		{"404 No endpoints found matching your data policy", ort.ErrorReply(404, "No endpoints found matching your data policy")},
		{"403 moderation", ort.ErrorReply(403, "Input flagged").WithMetadata("reasons", []string{"violence"})},
		{"403 guardrail", ort.ErrorReply(403, "Request blocked: prompt injection patterns detected")},
		{"429 free-models-per-day", ort.ErrorReply(429, "Rate limit exceeded: free-models-per-day.").WithMetadata("limit_source", "openrouter_free_tier_daily")},
		{"429 Rate limit exceeded", ort.ErrorReply(429, "Rate limit exceeded")},
		{"400 context length", ort.ErrorReply(400, "This endpoint's maximum context length is 8192 tokens.")},
		{"400 Provider returned error (raw)", ort.ErrorReply(400, "Provider returned error").WithMetadata("provider_name", "OpenAI").
			WithMetadata("raw", `{"error":{"message":"Invalid value for 'temperature'"}}`)},
		{"408 timeout", ort.ErrorReply(408, "Operation timed out. Please try again later.")},
		{"502 HTML page from the proxy", ort.RawReply(502, "<html><title>502 Bad Gateway</title></html>")},
		{"200 with an error inside", ort.RawReply(200, `{"error":{"code":"server_error","message":"Provider disconnected"}}`)},
		{"200 with empty content (content_filter)", ort.EmptyReply("content_filter")},
		{"connection cut after the request was sent", ort.Reply{Disconnect: true}},
	} {
		srv.Enqueue(tc.reply)
		_, err := c.Chat(ctx, req())
		show(out, tc.what, err)
	}
	gone := ort.NewServer()
	gone.Close() // nothing listens there any more
	_, err := gone.Client(openrouter.WithRetry(0, 0, 0)).Chat(ctx, req())
	show(out, "nothing listening", err)

	bad := req()
	bad.Temperature = openrouter.Ptr(3.0)
	_, err = c.Chat(ctx, bad)
	show(out, "temperature 3 (refused before sending)", err)

	if key == "" {
		return nil
	}
	fmt.Fprintln(out, "\nAgainst the OpenRouter API:")
	_, err = demo.Client("sk-or-v1-this-key-was-revoked", nil).CheckKey(ctx)
	show(out, "a revoked key", err)
	real := demo.Client(key, nil)
	typo := req()
	typo.Model = "anthropic/claude-haiku-4-5"
	_, err = real.Chat(ctx, typo)
	show(out, "a model ID with a typo", err)
	return nil
}
