package openrouter_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

func TestErrorNameOfEverySentinel(t *testing.T) {
	t.Parallel()
	for name, s := range sentinels {
		if got := openrouter.ErrorName(fmt.Errorf("wrapped: %w", s)); got != name {
			t.Errorf("ErrorName(%s) = %q", name, got)
		}
	}
	for err, want := range map[error]string{
		nil:                      "",
		errors.New("other"):      "error",
		context.Canceled:         "context.Canceled",
		context.DeadlineExceeded: "context.DeadlineExceeded",
	} {
		if got := openrouter.ErrorName(err); got != want {
			t.Errorf("ErrorName(%v) = %q, want %q", err, got, want)
		}
	}
}

// TestErrorNameMostSpecific: a daily quota is a rate limit too; its name
// says quota.
func TestErrorNameMostSpecific(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.ErrorReply(429, "Rate limit exceeded: free-models-per-day").WithRetryAfter("86400"))
	_, err := c.Chat(context.Background(), hello())
	if !errors.Is(err, openrouter.ErrRateLimited) || openrouter.ErrorName(err) != "ErrQuotaExhausted" {
		t.Errorf("ErrorName(%v) = %q", err, openrouter.ErrorName(err))
	}
}

func ExampleErrorName() {
	err := fmt.Errorf("item 7: %w", openrouter.ErrUnparseable)
	fmt.Println(openrouter.ErrorName(err))
	// Output: ErrUnparseable
}
