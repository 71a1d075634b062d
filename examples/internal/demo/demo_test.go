package demo

import (
	"context"
	"strings"
	"testing"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// TestBaseURLFromEnvironment: OPENROUTER_BASE_URL points an example at
// another OpenAI-compatible server, whose key need not look like
// OpenRouter's; the output names the server without a password.
func TestBaseURLFromEnvironment(t *testing.T) {
	other := openroutertest.NewServer(openroutertest.WithKey("local-key"))
	defer other.Close()
	t.Setenv("OPENROUTER_BASE_URL", strings.Replace(other.URL, "http://", "http://user:secret@", 1))
	var out strings.Builder
	if srv := Server(&out, "local-key"); srv != nil {
		t.Fatal("the embedded server started although a base URL is set")
	}
	if !strings.Contains(out.String(), "OPENROUTER_BASE_URL") || strings.Contains(out.String(), "secret") {
		t.Errorf("output: %q", out.String())
	}
	c := Client("local-key", nil)
	res, err := c.Chat(context.Background(), &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", Messages: []openrouter.Message{openrouter.UserMessage("hi")}})
	if err != nil || res.Content() == "" {
		t.Fatalf("%v", err)
	}
	if other.Stats().Requests != 1 {
		t.Errorf("the other server saw %d requests", other.Stats().Requests)
	}
}
