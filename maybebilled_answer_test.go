package openrouter_test

import (
	"bytes"
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

// paidCalls are the calls of every paid endpoint, each made once with
// client c; each returns the call's error.
func paidCalls(c *openrouter.Client) map[string]func(context.Context) error {
	return map[string]func(context.Context) error{
		"chat": func(ctx context.Context) error { _, err := c.Chat(ctx, hello()); return err },
		"chat stream": func(ctx context.Context) error {
			_, err := drain(c.ChatStream(ctx, hello()))
			return err
		},
		"responses": func(ctx context.Context) error { _, err := c.Responses.Create(ctx, helloResponse()); return err },
		"responses stream": func(ctx context.Context) error {
			_, _, err := collectEvents(c.Responses.Stream(ctx, helloResponse()))
			return err
		},
		"embeddings": func(ctx context.Context) error {
			_, err := c.Embed(ctx, &openrouter.EmbeddingRequest{Model: embedModel, Input: []string{"a", "b"}})
			return err
		},
		"rerank": func(ctx context.Context) error {
			_, err := c.Rerank(ctx, &openrouter.RerankRequest{Model: "cohere/rerank-v3.5", Query: "q", Documents: openrouter.RerankTexts("d", "e")})
			return err
		},
		"transcription": func(ctx context.Context) error {
			_, err := c.Audio.Transcribe(ctx, &openrouter.TranscriptionRequest{Model: "openai/whisper-large-v3", Audio: []byte("ID3...."), Format: "mp3"})
			return err
		},
		"speech": func(ctx context.Context) error {
			_, err := c.Audio.Speech(ctx, &openrouter.SpeechRequest{Model: "openai/gpt-4o-mini-tts", Input: "Hi"}, &bytes.Buffer{})
			return err
		},
	}
}

// TestPaidAnswerUnusableIsMaybeBilled: a paid POST answered 200 whose
// body cannot be used (not JSON, empty, JSON of no use) or carries an
// error object (OpenRouter answers 200 only once the model began: its
// errors page) may have been billed: the error matches ErrMaybeBilled and
// says so, keeps its sentinel, names the generation of the answer's
// headers, holds no key, and the request is not sent again, retries
// allowed. A pure transport fault (an httptest server), for every paid
// endpoint alike.
func TestPaidAnswerUnusableIsMaybeBilled(t *testing.T) {
	t.Parallel()
	for _, body := range []struct {
		name, ctype, body string
		sentinel          error
	}{
		{"html", "text/html", "<html><title>Bad gateway " + ort.DefaultKey + "</title></html>", openrouter.ErrServer},
		{"empty", "application/json", "", openrouter.ErrServer},
		{"truncated JSON", "application/json", `{"id":"gen-1","choices":[{"message":{"content":"Hel`, openrouter.ErrServer},
		{"error object", "application/json", `{"error":{"code":502,"message":"Provider disconnected ` + ort.DefaultKey + `"}}`, openrouter.ErrServer},
	} {
		var posts atomic.Int32
		hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPost {
				http.NotFound(w, r)
				return
			}
			posts.Add(1)
			w.Header().Set("Content-Type", body.ctype)
			w.Header().Set("X-Generation-Id", "gen-lost-1")
			fmt.Fprint(w, body.body)
		}))
		c := openrouter.NewClient(ort.DefaultKey, openrouter.WithBaseURL(hs.URL+"/api/v1"), openrouter.WithLimiter(nil),
			openrouter.WithRetry(3, time.Millisecond, time.Minute))
		openrouter.SetRecoverSleep(c, func(time.Duration) {}) // the lookups of the lost answer wait on no clock
		for name, call := range paidCalls(c) {
			before := posts.Load()
			err := call(context.Background())
			what := body.name + ", " + name
			switch {
			case !errors.Is(err, openrouter.ErrMaybeBilled) || !errors.Is(err, body.sentinel):
				t.Errorf("%s: %v, want ErrMaybeBilled and %v", what, err, body.sentinel)
				continue
			case posts.Load()-before != 1:
				t.Errorf("%s: %d requests, want 1 (never sent again)", what, posts.Load()-before)
			case !strings.Contains(err.Error(), "may have been billed"):
				t.Errorf("%s: %q does not say it may have been billed", what, err)
			case strings.Contains(err.Error(), ort.DefaultKey) || strings.Contains(fmt.Sprintf("%+v", err), ort.DefaultKey):
				t.Errorf("%s: the key shows in %q", what, err)
			case !strings.Contains(err.Error(), "gen-lost-1") && !strings.Contains(name, "stream"):
				t.Errorf("%s: %q does not name the answer's generation", what, err)
			}
		}
		hs.Close()
	}
}

// TestPaidAnswerTooLargeIsMaybeBilled: a paid POST whose 200 answer is
// past the client's JSON bound was answered, so most likely billed: the
// error matches ErrTooLarge and ErrMaybeBilled, names the generation of
// the answer's headers, and the request is not sent again.
func TestPaidAnswerTooLargeIsMaybeBilled(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil, openrouter.WithAnswerLimits(openrouter.AnswerLimits{JSON: 24}))
	for name, call := range paidCalls(c) {
		if name == "speech" || strings.Contains(name, "stream") {
			continue // audio and events are not JSON answers: no JSON bound
		}
		before := srv.Stats().Requests
		err := call(context.Background())
		var te *openrouter.TransportError
		if !errors.Is(err, openrouter.ErrTooLarge) || !errors.Is(err, openrouter.ErrMaybeBilled) || !errors.As(err, &te) {
			t.Errorf("%s: %v, want ErrTooLarge and ErrMaybeBilled", name, err)
			continue
		}
		// The fake sends X-Generation-Id on chat, Responses and media
		// answers (not embeddings).
		if te.GenerationID == "" && name != "embeddings" || !strings.Contains(err.Error(), te.GenerationID) || te.MaybeBilled != 1 {
			t.Errorf("%s: %v: want the generation named and 1 attempt maybe billed", name, err)
		}
		if n := srv.Stats().Requests - before; n > 1 {
			t.Errorf("%s: %d requests, want 1 (never sent again)", name, n)
		}
	}
}

// TestSpeechEmptyAudioIsMaybeBilled: a speech answer of 200 with no
// audio at all was answered and may have been billed; it is not a
// success of 0 bytes.
func TestSpeechEmptyAudioIsMaybeBilled(t *testing.T) {
	t.Parallel()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "audio/mpeg")
		w.Header().Set("X-Generation-Id", "gen-empty")
	}))
	t.Cleanup(hs.Close)
	c := openrouter.NewClient(ort.DefaultKey, openrouter.WithBaseURL(hs.URL+"/api/v1"), openrouter.WithLimiter(nil))
	_, err := c.Audio.Speech(context.Background(), &openrouter.SpeechRequest{Model: "openai/gpt-4o-mini-tts", Input: "Hi"}, &bytes.Buffer{})
	if !errors.Is(err, openrouter.ErrMaybeBilled) || !errors.Is(err, openrouter.ErrServer) || !strings.Contains(err.Error(), "gen-empty") {
		t.Errorf("empty audio: %v, want ErrMaybeBilled and ErrServer naming the generation", err)
	}
}
