package openrouter_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// TestCutPostIsNotResentByDefault: a chat request whose connection is cut
// after it was written is not sent a second time by default; the call
// fails with ErrMaybeBilled, saying how many attempts were made and that
// one may have been billed.
func TestCutPostIsNotResentByDefault(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.Reply{Disconnect: true}, ort.TextReply("a second generation"))
	res, err := c.Chat(context.Background(), hello())
	var te *openrouter.TransportError
	if res != nil || !errors.As(err, &te) || te.Attempts != 1 || te.MaybeBilled != 1 {
		t.Fatalf("Chat after a cut = %v, %v; want a TransportError with 1 attempt, 1 maybe billed", res, err)
	}
	assertSentinels(t, err, "ErrMaybeBilled")
	if n := srv.Stats().Requests; n != 1 {
		t.Errorf("the server got %d requests, want 1 (no resend)", n)
	}
	if !strings.Contains(err.Error(), "WithResendAfterCut") {
		t.Errorf("err = %v; want it to name the option that allows a resend", err)
	}
}

// TestCutGetIsResent: a GET cut after it was written is sent again: it
// costs nothing twice.
func TestCutGetIsResent(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			panic(http.ErrAbortHandler) // the connection is cut after the request was read
		}
		_, _ = io.WriteString(w, `{"data":{"label":"sk-or-v1-abc...","usage":0,"limit":null,"is_free_tier":false}}`)
	}))
	defer srv.Close()
	c := openrouter.NewClient("sk-or-v1-test", openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil))
	openrouter.SetWaitHook(c, func(time.Duration) time.Duration { return 0 })
	if _, err := c.CheckKey(context.Background()); err != nil {
		t.Fatalf("CheckKey after a cut: %v", err)
	}
	if got := n.Load(); got != 2 {
		t.Errorf("the server got %d requests, want 2", got)
	}
}

// TestCallResendAfterCutBoundsResends: the per-call allowance replaces the
// client's, and bounds the resends; each is counted and logged as a
// warning.
func TestCallResendAfterCutBoundsResends(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	srv, c, _ := setup(t, nil, openrouter.WithResendAfterCut(3),
		openrouter.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))))

	srv.Enqueue(ort.Reply{Disconnect: true}.Repeat(3))
	_, err := c.Chat(context.Background(), hello(), openrouter.CallResendAfterCut(1))
	var te *openrouter.TransportError
	if !errors.As(err, &te) || te.Attempts != 2 || te.MaybeBilled != 2 || srv.Stats().Requests != 2 {
		t.Fatalf("CallResendAfterCut(1) after 3 cuts: %v, %d requests; want 2 attempts, 2 maybe billed", err, srv.Stats().Requests)
	}
	if got := strings.Count(logs.String(), "level=WARN"); got != 1 {
		t.Errorf("%d warnings logged, want 1 (one resend):\n%s", got, logs.String())
	}

	srv.Enqueue(ort.Reply{Disconnect: true})
	before := srv.Stats().Requests
	if _, err := c.Chat(context.Background(), hello(), openrouter.CallResendAfterCut(0)); !errors.Is(err, openrouter.ErrMaybeBilled) {
		t.Errorf("CallResendAfterCut(0) after a cut: %v, want ErrMaybeBilled", err)
	}
	if n := srv.Stats().Requests - before; n != 1 {
		t.Errorf("CallResendAfterCut(0) on a client allowing 3: %d requests, want 1", n)
	}
}

// TestResendAfterCutRefusesNegative: a negative allowance is refused
// before anything is sent.
func TestResendAfterCutRefusesNegative(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	if _, err := c.Chat(context.Background(), hello(), openrouter.CallResendAfterCut(-1)); !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("CallResendAfterCut(-1): %v, want ErrInvalidRequest", err)
	}
	bad := srv.Client(openrouter.WithResendAfterCut(-1))
	if _, err := bad.Chat(context.Background(), hello()); !errors.Is(err, openrouter.ErrInvalidRequest) || !strings.Contains(err.Error(), "WithResendAfterCut(-1)") {
		t.Errorf("WithResendAfterCut(-1): %v, want ErrInvalidRequest naming it", err)
	}
	if n := srv.Stats().Requests; n != 0 {
		t.Errorf("the server got %d requests, want 0", n)
	}
}
