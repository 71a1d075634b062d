package openrouter_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// TestBaseURLWithQueryOrFragmentIsRefused: a base URL with a query string
// or a fragment fails every call with ErrInvalidRequest before anything
// is sent; the error names the URL without its user information or
// query values.
func TestBaseURLWithQueryOrFragmentIsRefused(t *testing.T) {
	t.Parallel()
	srv := ort.NewServer()
	t.Cleanup(srv.Close)
	secret := "hunter2secret"
	for _, u := range []string{
		srv.URL + "/api/v1?token=" + secret,
		srv.URL + "/api/v1?",
		srv.URL + "/api/v1#frag",
		strings.Replace(srv.URL, "://", "://user:"+secret+"@", 1) + "/api/v1?x=1#y",
		"http://user:" + secret + "@[::1/api/v1", // does not parse
	} {
		c := openrouter.NewClient(ort.DefaultKey, openrouter.WithBaseURL(u), openrouter.WithLimiter(nil))
		for i := 0; i < 2; i++ { // every call, not only the first
			_, err := c.Chat(context.Background(), &openrouter.ChatRequest{Model: "m/x", Messages: []openrouter.Message{openrouter.UserMessage("hi")}})
			if !errors.Is(err, openrouter.ErrInvalidRequest) || !strings.Contains(err.Error(), "WithBaseURL") {
				t.Errorf("WithBaseURL(%q): call %d: %v; want ErrInvalidRequest naming WithBaseURL", u, i, err)
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("WithBaseURL(%q): the error shows the secret: %v", u, err)
			}
		}
		if s := c.String(); strings.Contains(s, secret) {
			t.Errorf("String shows the secret: %s", s)
		}
	}
	if n := srv.Stats().Requests; n != 0 {
		t.Errorf("the server got %d requests, want 0", n)
	}
	// A base URL with user information but no query works, and its
	// secret is not printed.
	u := strings.Replace(srv.URL, "://", "://user:"+secret+"@", 1)
	c := openrouter.NewClient(ort.DefaultKey, openrouter.WithBaseURL(u), openrouter.WithLimiter(nil))
	if _, err := c.Chat(context.Background(), &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", Messages: []openrouter.Message{openrouter.UserMessage("hi")}}); err != nil {
		t.Errorf("a base URL with user information: %v", err)
	}
	if s := c.String(); strings.Contains(s, secret) || !strings.Contains(s, "xxxxx@") {
		t.Errorf("String = %s; want the user information replaced", s)
	}
}
