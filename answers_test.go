package openrouter

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// serveBody answers every request with status 200 and body.
func serveBody(t *testing.T, body string) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return NewClient(testKey, WithBaseURL(srv.URL), WithRetry(0, 0, 0), WithLimiter(nil))
}

// TestErrorInside200EveryEndpoint: an error object in a 200 is that error
// on every endpoint, not zero values; Credits then records no balance and
// fires no low-balance alert.
func TestErrorInside200EveryEndpoint(t *testing.T) {
	t.Parallel()
	const body = `{"error":{"code":401,"message":"User not found."}}`
	ctx := context.Background()
	calls := map[string]func(c *Client) error{
		"Models":     func(c *Client) error { _, err := c.Models(ctx, ModelFilter{}); return err },
		"Key":        func(c *Client) error { _, err := c.CheckKey(ctx); return err },
		"Credits":    func(c *Client) error { _, err := c.Credits(ctx); return err },
		"Generation": func(c *Client) error { _, err := c.Generation(ctx, "gen-1"); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := serveBody(t, body)
			alerted := false
			c.cfg.onLowBalance, c.cfg.lowBalance = func(float64) { alerted = true }, 1
			err := call(c)
			var e *APIError
			if !errors.As(err, &e) || !errors.Is(err, ErrUnauthorized) || !e.InStream {
				t.Fatalf("err = %v, want the error inside the 200", err)
			}
			if _, known := c.Balance(); known || alerted {
				t.Errorf("balance known %v, alert fired %v", known, alerted)
			}
		})
	}
	// A 200 without data is not a zero balance either.
	for name, call := range calls {
		c := serveBody(t, `{}`)
		if err := call(c); !errors.Is(err, ErrServer) {
			t.Errorf("%s with no data: err = %v", name, err)
		}
		if _, known := c.Balance(); known {
			t.Errorf("%s with no data: a balance is recorded", name)
		}
	}
}

// TestErrorMemberSpelledOtherwise: encoding/json takes "Error", "ERROR"
// and an escaped name for the "error" member; so does the check of a 200
// answer, for chat and the GETs alike, instead of reading an empty
// answer and losing the server's reason.
func TestErrorMemberSpelledOtherwise(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, name := range []string{`Error`, `ERROR`, `eRrOr`, `\u0065rror`, `err\u006Fr`} {
		body := `{"id":"gen-1","` + name + `":{"code":401,"message":"User not found."}}`
		c := serveBody(t, body)
		if _, err := c.Chat(ctx, &ChatRequest{Model: "openai/gpt-4o-mini", Messages: []Message{{Role: "user", Content: "hi"}}}); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("chat, member %s: err = %v, want the error inside the 200", name, err)
		}
		if _, err := c.Credits(ctx); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("credits, member %s: err = %v, want the error inside the 200", name, err)
		}
	}
	// A name is a string followed by a colon: "error" alone, a JSON
	// string, holds no member.
	for _, body := range []string{`{"id":"gen-1","errors":1}`, `{"id":"gen-1","content":"an error\"x"}`, `{"terror":{}}`, `{"a":"b"}`, `"error"`, `error"`,
		`{"error" :1}`, `{"a":{"ERROR":1}}`, `{"a":"b:c"}`} {
		if want := strings.Contains(strings.ToLower(body), `"error" :`) || strings.Contains(strings.ToLower(body), `"error":`); mayHoldErrorKey([]byte(body)) != want {
			t.Errorf("mayHoldErrorKey(%s) = %v, want %v", body, !want, want)
		}
	}
}
