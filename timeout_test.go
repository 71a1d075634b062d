package openrouter_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
)

// stalledStream is a server that sends one chunk of a stream, then nothing
// more until the client goes away; a chat request gets nothing at all.
func stalledStream(t *testing.T) *openrouter.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if len(b) > 0 && !contains(b, `"stream":true`) {
			<-r.Context().Done()
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, `data: {"id":"gen-1","model":"m/x","choices":[{"index":0,"delta":{"content":"hi"}}]}`+"\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return openrouter.NewClient("sk-or-v1-test", openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil))
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }

// TestCallTimeoutEndsAStreamAsADeadline: a CallTimeout that ends a stream
// mid-way gives the error a context deadline gives (ErrTimeout, and
// context.DeadlineExceeded), not ErrServer's "temporary trouble"; so does
// one that ends a chat call before its answer (ErrMaybeBilled too: the
// request was written). The outcome does not depend on when the timeout
// comes: the server never finishes.
func TestCallTimeoutEndsAStreamAsADeadline(t *testing.T) {
	t.Parallel()
	c := stalledStream(t)
	req := &openrouter.ChatRequest{Model: "m/x", Messages: []openrouter.Message{openrouter.UserMessage("hi")}}
	streamErr := func(ctx context.Context, opts ...openrouter.CallOption) error {
		var err error
		for _, e := range c.ChatStream(ctx, req, opts...).Chunks() {
			if e != nil {
				err = e
			}
		}
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	cases := map[string]error{
		"stream, context deadline": streamErr(ctx),
		"stream, CallTimeout":      streamErr(context.Background(), openrouter.CallTimeout(200*time.Millisecond)),
	}
	for name, err := range cases {
		if !errors.Is(err, openrouter.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, openrouter.ErrServer) {
			t.Errorf("%s: %v; want ErrTimeout and context.DeadlineExceeded, not ErrServer", name, err)
		}
	}
	_, err := c.Chat(context.Background(), req, openrouter.CallTimeout(100*time.Millisecond))
	assertSentinels(t, err, "ErrMaybeBilled", "ErrTimeout")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Chat past its CallTimeout: %v; want context.DeadlineExceeded", err)
	}
}
