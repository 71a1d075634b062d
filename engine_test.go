package openrouter_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
)

// idleCounter is a transport that counts the calls of its
// CloseIdleConnections.
type idleCounter struct {
	http.RoundTripper
	closes atomic.Int32
}

func (t *idleCounter) CloseIdleConnections() { t.closes.Add(1) }

// TestFailedCallKeepsIdleConnections: the retry engine closes its HTTP
// client's idle connections whenever a call fails; the client's pool is
// shared by every call (a bulk run's workers), so a failed call, retried
// or not, must leave it alone.
func TestFailedCallKeepsIdleConnections(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		status := http.StatusBadRequest
		if n.Add(1) > 1 {
			status = http.StatusServiceUnavailable
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"error":{"message":"no"}}`)
	}))
	defer srv.Close()
	tr := &idleCounter{RoundTripper: srv.Client().Transport}
	for _, lim := range []openrouter.Limiter{nil, openrouter.NewAdaptiveLimiter()} {
		c := openrouter.NewClient("sk-or-v1-test", openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(lim),
			openrouter.WithHTTPClient(&http.Client{Transport: tr}), openrouter.WithRetry(2, 0, 0))
		openrouter.SetWaitHook(c, func(time.Duration) time.Duration { return 0 })
		req := &openrouter.ChatRequest{Model: "m/x", Messages: []openrouter.Message{openrouter.UserMessage("hi")}}
		if _, err := c.Chat(context.Background(), req); err == nil || errors.Is(err, openrouter.ErrMaybeBilled) {
			t.Fatalf("Chat = %v, want an error answer", err)
		}
	}
	if got := tr.closes.Load(); got != 0 {
		t.Errorf("CloseIdleConnections called %d times by failed calls, want 0", got)
	}
}
