package openrouter_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// An audio version of an article: the audio is written to w (a file, an
// upload) as it arrives.
func ExampleAudioService_Speech() {
	srv := openroutertest.NewServer()
	defer srv.Close()
	c := srv.Client()

	var w bytes.Buffer // an *os.File in a real program
	res, err := c.Audio.Speech(context.Background(), &openrouter.SpeechRequest{
		Model:  "openai/gpt-4o-mini-tts",
		Input:  "Five ways to speed up your pages.",
		Voice:  "alloy",
		Format: openrouter.SpeechMP3,
	}, &w)
	if errors.Is(err, openrouter.ErrMaybeBilled) {
		fmt.Println("the audio broke off and was billed; bytes written:", res.Bytes)
		return
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.ContentType, res.Bytes == int64(w.Len()))
	// Output:
	// audio/mpeg true
}

func ExampleAudioService_Transcribe() {
	srv := openroutertest.NewServer()
	defer srv.Close()
	c := srv.Client()
	ctx := context.Background()

	var audio bytes.Buffer // the fake's speech carries its text, so it transcribes back
	if _, err := c.Audio.Speech(ctx, &openrouter.SpeechRequest{Model: "openai/gpt-4o-mini-tts",
		Input: "Link related articles", Format: openrouter.SpeechMP3}, &audio); err != nil {
		fmt.Println(err)
		return
	}
	tr, err := c.Audio.Transcribe(ctx, &openrouter.TranscriptionRequest{
		Model:                  "openai/whisper-large-v3",
		Reader:                 &audio, // or Audio: a []byte; the format is recognised (mp3)
		ResponseFormat:         openrouter.TranscriptVerboseJSON,
		TimestampGranularities: []string{openrouter.TimestampWord},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tr.Text)
	for _, w := range tr.Words {
		fmt.Printf("%.1f-%.1f %s\n", w.Start, w.End, w.Word)
	}
	// Output:
	// Link related articles
	// 0.0-0.4 Link
	// 0.4-0.8 related
	// 0.8-1.2 articles
}

// Reranking internal-link candidates for an article.
func ExampleClient_Rerank() {
	srv := openroutertest.NewServer()
	defer srv.Close()
	c := srv.Client()

	candidates := []string{
		"Index funds for beginners",
		"How to compress images for the web",
		"Page speed: images and lazy loading",
	}
	res, err := c.Rerank(context.Background(), &openrouter.RerankRequest{
		Model:     "cohere/rerank-v3.5",
		Query:     "speed up images on web pages",
		Documents: openrouter.RerankTexts(candidates...),
		TopN:      2,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, h := range res.Results {
		fmt.Println(candidates[h.Index])
	}
	fmt.Printf("cost $%.3f\n", res.Usage.Cost)
	// Output:
	// How to compress images for the web
	// Page speed: images and lazy loading
	// cost $0.002
}

// A short video for a social post: submit, wait (polls with backoff and
// jitter, or at each webhook through VideoWait.Notify), download.
func ExampleVideosService_Wait() {
	srv := openroutertest.NewServer(openroutertest.WithVideoPolls(1)) // the fake's job completes at its first poll
	defer srv.Close()
	c := srv.Client()
	ctx := context.Background()

	job, err := c.Videos.Submit(ctx, &openrouter.VideoRequest{
		Model:       "google/veo-3.1",
		Prompt:      "A lighthouse at dusk, waves below",
		AspectRatio: "9:16",
		Duration:    8,
	})
	var lost *openrouter.VideoSubmitError
	if errors.As(err, &lost) {
		fmt.Println("a job may exist: do not submit again blindly; its webhook carries", lost.Token)
		return
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	job, err = c.Videos.Wait(ctx, job.ID, openrouter.VideoWait{})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := job.Err(); err != nil { // failed, cancelled or expired
		fmt.Println(err)
		return
	}
	n, err := c.Videos.Download(ctx, job.ID, 0, io.Discard) // an *os.File in a real program
	fmt.Println(job.Status, n, err, *job.Usage.Cost)
	// Output:
	// completed 98304 <nil> 0.8
}
