package openrouter_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// mbServer answers every request with status and body (and a
// generation ID), counting the requests it saw.
func mbServer(t *testing.T, status int, ctype, body string) (*openrouter.Client, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			n.Add(1)
		}
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("X-Generation-Id", "gen-mb-1")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(hs.Close)
	c := openrouter.NewClient(ort.DefaultKey, openrouter.WithBaseURL(hs.URL+"/api/v1"), openrouter.WithLimiter(nil),
		openrouter.WithRetry(3, time.Millisecond, time.Millisecond))
	return c, &n
}

type mbResult struct{ A string }

// moreCalls are paid endpoints that paidCalls does not cover.
func moreCalls(c *openrouter.Client) map[string]func(context.Context) error {
	return map[string]func(context.Context) error{
		"ChatJSON": func(ctx context.Context) error {
			_, _, err := openrouter.ChatJSON[mbResult](ctx, c, hello())
			return err
		},
		"video submit": func(ctx context.Context) error {
			_, err := c.Videos.Submit(ctx, &openrouter.VideoRequest{Model: "google/veo-3.1", Prompt: "x"})
			return err
		},
		"batch submit": func(ctx context.Context) error {
			_, err := c.Batches.Submit(ctx, &openrouter.BatchRequest{Model: "openai/gpt-4o-mini", Requests: []openrouter.BatchItem{{CustomID: "a", Body: hello()}}})
			return err
		},
	}
}

// TestAttackMBMorePaidEndpoints: the paid endpoints the commit's test
// leaves out, answered 200 with HTML or an error object, match
// ErrMaybeBilled, say so, hold no key, and are sent once.
func TestAttackMBMorePaidEndpoints(t *testing.T) {
	t.Parallel()
	for _, b := range []struct{ name, ctype, body string }{
		{"html", "text/html", "<html>" + ort.DefaultKey + "</html>"},
		{"error object", "application/json", `{"error":{"code":502,"message":"Provider disconnected ` + ort.DefaultKey + `"}}`},
		{"wrong shape", "application/json", `[1,2]`},
	} {
		c, n := mbServer(t, 200, b.ctype, b.body)
		for name, call := range moreCalls(c) {
			before := n.Load()
			err := call(context.Background())
			what := b.name + ", " + name
			switch {
			case !errors.Is(err, openrouter.ErrMaybeBilled):
				t.Errorf("%s: %v, want ErrMaybeBilled", what, err)
			case n.Load()-before != 1:
				t.Errorf("%s: %d requests, want 1", what, n.Load()-before)
			case !strings.Contains(err.Error(), "billed"):
				t.Errorf("%s: %q does not say it may be billed", what, err)
			case strings.Contains(err.Error(), ort.DefaultKey) || strings.Contains(fmt.Sprintf("%+v", err), ort.DefaultKey):
				t.Errorf("%s: key in %q", what, err)
			}
		}
	}
}

// TestAttackMBNotBilled: errors that prove nothing was billed do not
// match ErrMaybeBilled: a 5xx, a management POST (Keys.Create), GETs
// answered garbage, and an availability error inside a 200 in each
// documented shape.
func TestAttackMBNotBilled(t *testing.T) {
	t.Parallel()
	avail := `"availability":{"code":"capacity_exhausted","retryable":true,"requested_models":["openai/gpt-4o-mini"]}`
	for _, b := range []struct {
		name        string
		status      int
		ctype, body string
		calls       []string
	}{
		{"502", 502, "application/json", `{"error":{"code":502,"message":"down"}}`, []string{"chat", "ChatJSON"}},
		{"garbage GET", 200, "text/html", "<html>x</html>", []string{"credits", "models"}},
		{"availability with code", 200, "application/json", `{"error":{"code":503,"message":"no capacity",` + avail + `}}`, []string{"chat", "ChatJSON", "responses"}},
		{"availability without code", 200, "application/json", `{"error":{"message":"no capacity","error_type":"capacity_exhausted","http_status":503,` + avail + `}}`, []string{"chat", "ChatJSON", "responses"}},
	} {
		c, _ := mbServer(t, b.status, b.ctype, b.body)
		calls := map[string]func(context.Context) error{
			"chat": func(ctx context.Context) error { _, err := c.Chat(ctx, hello()); return err },
			"ChatJSON": func(ctx context.Context) error {
				_, _, err := openrouter.ChatJSON[mbResult](ctx, c, hello())
				return err
			},
			"responses": func(ctx context.Context) error { _, err := c.Responses.Create(ctx, helloResponse()); return err },
			"credits":   func(ctx context.Context) error { _, err := c.Credits(ctx); return err },
			"models":    func(ctx context.Context) error { _, err := c.Models(ctx, openrouter.ModelFilter{}); return err },
		}
		for _, name := range b.calls {
			err := calls[name](context.Background())
			if err == nil || errors.Is(err, openrouter.ErrMaybeBilled) {
				t.Errorf("%s, %s: %v, want an error that is not ErrMaybeBilled", b.name, name, err)
			}
		}
	}
}

// TestAttackMBSaysOnce: the error says it may have been billed once, not
// twice (an error object wrapped in a lost answer).
func TestAttackMBSaysOnce(t *testing.T) {
	t.Parallel()
	for _, b := range []struct{ name, ctype, body string }{
		{"html", "text/html", "<html>x</html>"},
		{"error object", "application/json", `{"error":{"code":502,"message":"Provider disconnected"}}`},
		{"wrong shape", "application/json", `[1,2]`},
	} {
		c, _ := mbServer(t, 200, b.ctype, b.body)
		calls := paidCalls(c)
		for k, v := range moreCalls(c) {
			calls[k] = v
		}
		for name, call := range calls {
			err := call(context.Background())
			if k := strings.Count(err.Error(), "may have been billed"); k > 1 {
				t.Errorf("%s, %s: %q says billed %d times", b.name, name, err, k)
			}
		}
	}
}

// TestAttackMBStream: a chat stream answered 200 whose SSE carries an
// error object mid-stream matches ErrMaybeBilled and names the
// generation of the headers; one carrying an availability error (the
// documented shape: error_type and http_status, no code) does not.
func TestAttackMBStream(t *testing.T) {
	t.Parallel()
	chunk := `data: {"id":"gen-mb-1","choices":[{"index":0,"delta":{"content":"Hi"}}]}` + "\n\n"
	for _, b := range []struct {
		name, body string
		billed     bool
	}{
		{"error chunk", chunk + `data: {"error":{"code":502,"message":"Provider disconnected"},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}` + "\n\n", true},
		{"availability chunk", `data: {"error":{"message":"no capacity","error_type":"capacity_exhausted","http_status":503,"availability":{"code":"capacity_exhausted","retryable":true}}}` + "\n\n", false},
	} {
		c, n := mbServer(t, 200, "text/event-stream", b.body)
		calls := map[string]func(context.Context) error{
			"chat stream": func(ctx context.Context) error { _, err := drain(c.ChatStream(ctx, hello())); return err },
			"responses stream": func(ctx context.Context) error {
				_, _, err := collectEvents(c.Responses.Stream(ctx, helloResponse()))
				return err
			},
		}
		for name, call := range calls {
			before := n.Load()
			err := call(context.Background())
			what := b.name + ", " + name
			switch {
			case err == nil:
				t.Errorf("%s: no error", what)
			case errors.Is(err, openrouter.ErrMaybeBilled) != b.billed:
				t.Errorf("%s: %v, ErrMaybeBilled %v, want %v", what, err, !b.billed, b.billed)
			case n.Load()-before != 1:
				t.Errorf("%s: %d requests, want 1", what, n.Load()-before)
			case b.billed && !strings.Contains(err.Error(), "gen-mb-1"):
				t.Errorf("%s: %q does not name the generation", what, err)
			}
		}
	}
}

// TestAttackMBNotWritten: a request never written (the caller's cancel
// first, a server that refuses the connection) is not maybe billed, on
// every paid endpoint.
func TestAttackMBNotWritten(t *testing.T) {
	t.Parallel()
	hs := httptest.NewServer(http.NotFoundHandler())
	url := hs.URL
	hs.Close() // refused from now on
	c := openrouter.NewClient(ort.DefaultKey, openrouter.WithBaseURL(url+"/api/v1"), openrouter.WithLimiter(nil),
		openrouter.WithRetry(1, time.Millisecond, time.Millisecond))
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	calls := paidCalls(c)
	for k, v := range moreCalls(c) {
		calls[k] = v
	}
	calls["keys create"] = func(ctx context.Context) error {
		_, err := c.Keys.Create(ctx, openrouter.NewKey{Name: "k"})
		return err
	}
	for name, call := range calls {
		for ctxName, ctx := range map[string]context.Context{"refused": context.Background(), "canceled": canceled} {
			err := call(ctx)
			if err == nil || errors.Is(err, openrouter.ErrMaybeBilled) {
				t.Errorf("%s, %s: %v, want an error that is not ErrMaybeBilled", ctxName, name, err)
			}
			if strings.Contains(fmt.Sprintf("%v %+v", err, err), ort.DefaultKey) {
				t.Errorf("%s, %s: key in %v", ctxName, name, err)
			}
		}
	}
}

// TestAttackMBHostileBodies: hostile 200 bodies on every paid endpoint
// give an error or a result, never a panic, and never echo the key.
func TestAttackMBHostileBodies(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`null`, `{}`, `{"error":null}`, `{"error":"` + ort.DefaultKey + `"}`, `{"error":{"availability":null}}`,
		`{"error":{"availability":{"code":null,"fallback_models":[null,1]}}}`, `{"error":{"code":"x","metadata":{"raw":1}}}`,
		`{"choices":null}`, `{"choices":[null]}`, `{"choices":[{"message":null}]}`, `{"data":[null]}`, `{"results":[{"index":-1}]}`,
		`{"id":"x","output":[null]}`, `{"usage":{"cost":"NaN"}}`, `{"choices":[{"message":{"images":[null,{"image_url":null}]}}]}`,
		"data: {\"choices\":[null]}\n\n", "data: {\"error\":{\"availability\":{}}}\n\ndata: [DONE]\n\n", `[`, "\x00\xff",
	} {
		for _, ctype := range []string{"application/json", "text/event-stream"} {
			c, _ := mbServer(t, 200, ctype, body)
			calls := paidCalls(c)
			for k, v := range moreCalls(c) {
				calls[k] = v
			}
			for name, call := range calls {
				err := call(context.Background())
				if err != nil && strings.Contains(fmt.Sprintf("%v %+v", err, err), ort.DefaultKey) {
					t.Errorf("%q (%s), %s: key in %v", body, ctype, name, err)
				}
			}
		}
	}
}
