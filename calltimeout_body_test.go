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
	ort "github.com/routerkit/openrouter/openroutertest"
)

// TestCallTimeoutNamedWhenItCutsTheBody: CallTimeout's doc promises an
// error that names the timeout and wraps context.DeadlineExceeded; so is
// it when the timeout passes while the answer's body is read (headers
// and part of the body sent, the rest never comes), for POSTs (chat,
// speech) and GETs (credits, a video's download).
// The server never finishes, so the timeout is what ends each call
// wherever it falls: before the headers or in the body, the error is the
// same.
func TestCallTimeoutNamedWhenItCutsTheBody(t *testing.T) {
	t.Parallel()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Generation-Id", "gen-1")
		if strings.HasSuffix(r.URL.Path, "/speech") || strings.HasSuffix(r.URL.Path, "/content") {
			w.Header().Set("Content-Type", "audio/mpeg")
			w.WriteHeader(200)
			_, _ = w.Write([]byte("ID3 some audio"))
		} else {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(200)
			_, _ = w.Write([]byte(`{"id":"gen-1","choices":[`))
		}
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(hs.Close)
	c := openrouter.NewClient(ort.DefaultKey, openrouter.WithBaseURL(hs.URL), openrouter.WithLimiter(nil), openrouter.WithRetry(0, time.Millisecond, time.Minute),
		openrouter.WithStreamTimeouts(0, 0))
	timeout := openrouter.CallTimeout(100 * time.Millisecond)
	for name, call := range map[string]func() error{
		"chat":    func() error { _, err := c.Chat(context.Background(), hello(), timeout); return err },
		"credits": func() error { _, err := c.Credits(context.Background(), timeout); return err },
		"speech": func() error {
			_, err := c.Audio.Speech(context.Background(), &openrouter.SpeechRequest{Model: "openai/gpt-4o-mini-tts", Input: "hi"}, io.Discard, timeout)
			return err
		},
		"download": func() error {
			_, err := c.Videos.Download(context.Background(), "job-1", 0, io.Discard, timeout)
			return err
		},
	} {
		err := call()
		if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, openrouter.ErrTimeout) || !strings.Contains(err.Error(), "CallTimeout(100ms)") {
			t.Errorf("%s: err = %v, want ErrTimeout and context.DeadlineExceeded, naming CallTimeout(100ms)", name, err)
		}
	}
}
