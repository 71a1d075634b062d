package openrouter_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// TestBudgetExceeded checks that a 403 from each kind of budget (a
// workspace's, a guardrail's, the key's limit) matches ErrBudgetExceeded
// and ErrForbidden, carries limit_source and resets_at, is not retried,
// and that its hint says when the budget resets; a guardrail block
// without limit_source stays a plain ErrForbidden.
func TestBudgetExceeded(t *testing.T) {
	t.Parallel()
	resets := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, source := range []string{ort.WorkspaceBudget, ort.GuardrailBudget, ort.KeyLimit} {
		srv, c, w := setup(t, nil)
		srv.Enqueue(ort.BudgetReply(source, 500, resets))
		_, err := c.Chat(context.Background(), hello())
		assertSentinels(t, err, "ErrBudgetExceeded", "ErrForbidden")
		var e *openrouter.APIError
		if !errors.As(err, &e) || e.Metadata.LimitSource != source || !e.Metadata.ResetsAt.Equal(resets) {
			t.Fatalf("%s: err = %v, want limit_source and resets_at decoded", source, err)
		}
		if h := openrouter.Hint(err); !strings.Contains(h, "2027-01-01T00:00:00Z") {
			t.Errorf("%s: Hint = %q, want the reset time", source, h)
		}
		if !strings.Contains(err.Error(), source) || len(w.all()) != 0 {
			t.Errorf("%s: %q should name the source, and not be retried (waits %v)", source, err, w.all())
		}
	}
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.ErrorReply(403, "Request blocked: prompt injection patterns detected"))
	_, err := c.Chat(context.Background(), hello())
	assertSentinels(t, err, "ErrForbidden")
}

// TestModelMissingOtherEndpoints checks that the words of the embedding
// and image endpoints for an unknown model give ErrModelNotFound, as
// chat's do.
func TestModelMissingOtherEndpoints(t *testing.T) {
	t.Parallel()
	for _, msg := range []string{
		"Model openai/text-embedding-4 does not exist",
		"The model `openai/text-embedding-4` does not exist",
		"acme/pixel-9 is not a valid image model ID",
	} {
		hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(400)
			_, _ = w.Write([]byte(`{"error":{"code":400,"message":` + quote(msg) + `}}`))
		}))
		c := openrouter.NewClient(ort.DefaultKey, openrouter.WithBaseURL(hs.URL), openrouter.WithRetry(0, 0, 0), openrouter.WithLimiter(nil))
		_, err := c.Embed(context.Background(), &openrouter.EmbeddingRequest{Model: "openai/text-embedding-4", Input: []string{"hi"}})
		hs.Close()
		assertSentinels(t, err, "ErrModelNotFound", "ErrBadRequest")
	}
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }
