package openrouter_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// TestMediaDocumentedErrorsAreTyped answers each media endpoint with each
// failure its OpenAPI operation documents, and checks the sentinel the
// call's error matches.
func TestMediaDocumentedErrorsAreTyped(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, []openroutertest.Option{openroutertest.WithVideoPolls(1)})
	ctx := context.Background()
	job, err := c.Videos.Submit(ctx, &openrouter.VideoRequest{Model: "openai/sora-2", Prompt: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Videos.Get(ctx, job.ID); err != nil { // completes it
		t.Fatal(err)
	}
	noRetry := openrouter.CallMaxRetries(0)
	calls := map[string]func() error{
		"/audio/speech": func() error {
			_, err := c.Audio.Speech(ctx, &openrouter.SpeechRequest{Model: "openai/gpt-4o-mini-tts", Input: "Hi"}, &bytes.Buffer{}, noRetry)
			return err
		},
		"/audio/transcriptions": func() error {
			_, err := c.Audio.Transcribe(ctx, &openrouter.TranscriptionRequest{Model: "openai/whisper-large-v3", Audio: []byte("ID3...."), Format: "mp3"}, noRetry)
			return err
		},
		"/rerank": func() error {
			_, err := c.Rerank(ctx, &openrouter.RerankRequest{Model: "cohere/rerank-v3.5", Query: "q", Documents: openrouter.RerankTexts("d")}, noRetry)
			return err
		},
		"/videos": func() error {
			_, err := c.Videos.Submit(ctx, &openrouter.VideoRequest{Model: "openai/sora-2", Prompt: "p"}, noRetry)
			return err
		},
		"/videos/poll": func() error { _, err := c.Videos.Get(ctx, job.ID, noRetry); return err },
		"/videos/content": func() error {
			_, err := c.Videos.Download(ctx, job.ID, 0, &bytes.Buffer{}, noRetry)
			return err
		},
	}
	// The statuses each operation documents, and the sentinel of each.
	documented := map[string][]int{
		"/audio/speech":         {400, 401, 402, 404, 429, 500, 502, 503, 524, 529},
		"/audio/transcriptions": {400, 401, 402, 404, 429, 500, 502, 503, 524, 529},
		"/rerank":               {400, 401, 402, 404, 429, 500, 502, 503, 524, 529},
		"/videos":               {400, 401, 402, 404, 429, 500},
		"/videos/poll":          {401, 404, 500},
		"/videos/content":       {400, 401, 404, 500, 502},
	}
	sentinel := map[int]error{400: openrouter.ErrBadRequest, 401: openrouter.ErrUnauthorized, 402: openrouter.ErrInsufficientCredits,
		404: openrouter.ErrNotFound, 429: openrouter.ErrRateLimited}
	for path, statuses := range documented {
		for _, status := range statuses {
			srv.EnqueueFor(path, openroutertest.ErrorReply(status, "scripted"))
			err := calls[path]()
			want := sentinel[status]
			if want == nil {
				want = openrouter.ErrServer
			}
			var e *openrouter.APIError
			if !errors.Is(err, want) || !errors.As(err, &e) || e.StatusCode != status {
				t.Errorf("%s answered %d: %v, want %v with the status", path, status, err, want)
			}
			if path == "/videos" && status >= 500 && !errors.Is(err, openrouter.ErrMaybeBilled) {
				t.Errorf("%s answered %d: %v: a submission the server may have stored must say so", path, status, err)
			}
		}
	}
}

// TestVideoDownloadCut: a download that breaks off returns what was
// written and an error; it is a read, not billed, and may be made again.
func TestVideoDownloadCut(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, []openroutertest.Option{openroutertest.WithVideoPolls(1)})
	ctx := context.Background()
	job, err := c.Videos.Submit(ctx, &openrouter.VideoRequest{Model: "openai/sora-2", Prompt: "p"})
	if err == nil {
		_, err = c.Videos.Get(ctx, job.ID)
	}
	if err != nil {
		t.Fatal(err)
	}
	srv.EnqueueFor("/videos/content", openroutertest.Reply{}.CutAfter(0))
	var w bytes.Buffer
	n, err := c.Videos.Download(ctx, job.ID, 0, &w)
	if err == nil || errors.Is(err, openrouter.ErrMaybeBilled) || n != int64(w.Len()) || n == 0 || n >= openroutertest.VideoBytes {
		t.Fatalf("cut download: %d bytes (%d written), %v", n, w.Len(), err)
	}
	w.Reset()
	if n, err := c.Videos.Download(ctx, job.ID, 0, &w); err != nil || n != openroutertest.VideoBytes {
		t.Errorf("download again: %d bytes, %v", n, err)
	}
}
