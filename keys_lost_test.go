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
)

// keyServer stores the key a POST /keys creates, then loses the answer as
// lose does; GET /keys lists the stored keys in pages of one.
func keyServer(t *testing.T, lose func(w http.ResponseWriter)) (*openrouter.Client, *atomic.Int32) {
	t.Helper()
	var posts atomic.Int32
	var created atomic.Bool
	c := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		switch {
		case r.Method == http.MethodPost:
			posts.Add(1)
			created.Store(true)
			lose(w)
		case r.URL.Query().Get("offset") == "" && created.Load():
			_, _ = io.WriteString(w, `{"data":[{"hash":"h-other","name":"other"}]}`)
		case r.URL.Query().Get("offset") == "1" && created.Load():
			_, _ = io.WriteString(w, `{"data":[{"hash":"h-job","name":"job","limit":5}]}`)
		default:
			_, _ = io.WriteString(w, `{"data":[]}`)
		}
	})
	return c, &posts
}

// TestCreateKeyLostAnswerSaysTheKeyMayExist: a creation answered by a
// gateway's 504, or cut after it was sent, is not sent again and does not
// say "retry": its error matches ErrKeyMaybeCreated and ErrMaybeBilled,
// its hint names Keys.Find, and Keys.Find finds the key by name across the
// list's pages. A refusal (400) does not say the key may exist.
func TestCreateKeyLostAnswerSaysTheKeyMayExist(t *testing.T) {
	t.Parallel()
	for name, lose := range map[string]func(w http.ResponseWriter){
		"504": func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusGatewayTimeout)
			_, _ = io.WriteString(w, `{"error":{"code":504,"message":"Gateway Timeout"}}`)
		},
		"cut": func(http.ResponseWriter) { panic(http.ErrAbortHandler) },
		"cut answer": func(w http.ResponseWriter) {
			w.Header().Set("Content-Length", "500")
			_, _ = io.WriteString(w, `{"key":"sk-or-v1-abc`)
		},
	} {
		c, posts := keyServer(t, lose)
		_, err := c.Keys.Create(context.Background(), openrouter.NewKey{Name: "job", Limit: 5})
		var ke *openrouter.KeyMaybeCreatedError
		if !errors.As(err, &ke) || ke.Name != "job" || !errors.Is(err, openrouter.ErrKeyMaybeCreated) || !errors.Is(err, openrouter.ErrMaybeBilled) {
			t.Errorf("%s: Keys.Create = %v; want a KeyMaybeCreatedError matching ErrKeyMaybeCreated and ErrMaybeBilled", name, err)
			continue
		}
		if h := openrouter.Hint(err); !strings.Contains(h, "Keys.Find") || strings.Contains(h, "retry") {
			t.Errorf("%s: Hint = %q; want it to name Keys.Find, not to say retry", name, h)
		}
		if n := posts.Load(); n != 1 {
			t.Errorf("%s: %d creations sent, want 1", name, n)
		}
		keys, err := c.Keys.Find(context.Background(), ke.Name)
		if err != nil || len(keys) != 1 || keys[0].Hash != "h-job" {
			t.Errorf("%s: Keys.Find = %+v, %v; want the key h-job", name, keys, err)
		}
	}

	c, _ := keyServer(t, func(w http.ResponseWriter) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":{"code":400,"message":"bad limit"}}`)
	})
	_, err := c.Keys.Create(context.Background(), openrouter.NewKey{Name: "job"})
	if err == nil || errors.Is(err, openrouter.ErrKeyMaybeCreated) || errors.Is(err, openrouter.ErrMaybeBilled) {
		t.Errorf("a refused creation: %v; want an error that does not say the key may exist", err)
	}
	if _, err := c.Keys.Find(context.Background(), ""); !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("Keys.Find(\"\") = %v, want ErrInvalidRequest", err)
	}
}

// TestCreateKeyIsNotResentAfterACutEvenWhenAllowed: WithResendAfterCut
// does not apply to a key's creation (a second key would have a budget of
// its own): one POST, and no warning of a resend that did not happen.
func TestCreateKeyIsNotResentAfterACutEvenWhenAllowed(t *testing.T) {
	t.Parallel()
	var posts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		posts.Add(1)
		panic(http.ErrAbortHandler)
	}))
	defer srv.Close()
	var logs bytes.Buffer
	c := openrouter.NewClient("sk-or-v1-test", openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil), openrouter.WithResendAfterCut(3),
		openrouter.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	openrouter.SetWaitHook(c, func(time.Duration) time.Duration { return 0 })
	_, err := c.Keys.Create(context.Background(), openrouter.NewKey{Name: "job"})
	if !errors.Is(err, openrouter.ErrKeyMaybeCreated) || posts.Load() != 1 {
		t.Errorf("Keys.Create after a cut: %v, %d POSTs; want ErrKeyMaybeCreated and 1 POST", err, posts.Load())
	}
	if strings.Contains(logs.String(), "sending again") {
		t.Errorf("a resend that did not happen was logged:\n%s", logs.String())
	}
}
