package openrouter_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"testing"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// lastCallEnd is the last CallEnd the recorder saw, and how many.
func lastCallEnd(r *obsRecorder) (openrouter.CallEnd, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.calls) == 0 {
		return openrouter.CallEnd{}, 0
	}
	return r.calls[len(r.calls)-1], len(r.calls)
}

// The observer sees the calls of the new endpoints end as the caller
// does, as it sees Chat's: with the answer's cost (Responses.Create and
// Stream, Transcribe, Rerank), with the error the caller got after the
// answer began (a speech cut mid-audio, a maybe-billed error), and a
// stream's end after its last event rather than at its headers. Before,
// each ended at its headers, with no usage and no error.
func TestObserverSeesNewEndpointsEnd(t *testing.T) {
	t.Parallel()
	rec := &obsRecorder{}
	srv, c, _ := setup(t, nil, openrouter.WithObserver(rec))
	ctx := context.Background()
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
	cost := func(e openrouter.CallEnd) float64 { return e.Usage.TotalCost() }

	res, err := c.Responses.Create(ctx, &openrouter.ResponseRequest{Model: "openai/gpt-4o-mini", Input: openrouter.ResponseText("hi")})
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := lastCallEnd(rec); e.Err != nil || e.Usage == nil || !near(cost(e), res.Cost()) || res.Cost() <= 0 || e.GenerationID != res.ID {
		t.Errorf("Responses.Create: CallEnd %+v; want the answer's cost %v and ID %s", e, res.Cost(), res.ID)
	}

	rr, err := c.Rerank(ctx, &openrouter.RerankRequest{Model: "cohere/rerank-v3.5", Query: "q", Documents: openrouter.RerankTexts("a", "b")})
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := lastCallEnd(rec); e.Err != nil || e.Usage == nil || !near(cost(e), rr.Usage.Cost) || rr.Usage.Cost <= 0 {
		t.Errorf("Rerank: CallEnd %+v; want the answer's cost %v", e, rr.Usage.Cost)
	}

	var audio bytes.Buffer
	if _, err := c.Audio.Speech(ctx, &openrouter.SpeechRequest{Model: "openai/gpt-4o-mini-tts", Input: "Hello there", Format: openrouter.SpeechMP3}, &audio); err != nil {
		t.Fatal(err)
	}
	tr, err := c.Audio.Transcribe(ctx, &openrouter.TranscriptionRequest{Model: "openai/whisper-large-v3", Audio: audio.Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := lastCallEnd(rec); e.Err != nil || e.Usage == nil || !near(cost(e), tr.Usage.Cost) || tr.Usage.Cost <= 0 {
		t.Errorf("Transcribe: CallEnd %+v; want the answer's cost %v", e, tr.Usage.Cost)
	}

	srv.EnqueueFor("/audio/speech", openroutertest.Reply{}.CutAfter(0))
	_, err = c.Audio.Speech(ctx, &openrouter.SpeechRequest{Model: "openai/gpt-4o-mini-tts", Input: "Hello there"}, &bytes.Buffer{})
	if !errors.Is(err, openrouter.ErrMaybeBilled) {
		t.Fatalf("cut speech: %v", err)
	}
	if e, _ := lastCallEnd(rec); !errors.Is(e.Err, openrouter.ErrMaybeBilled) {
		t.Errorf("cut speech: CallEnd.Err = %v; want the caller's ErrMaybeBilled", e.Err)
	}

	_, before := lastCallEnd(rec)
	s := c.Responses.Stream(ctx, &openrouter.ResponseRequest{Model: "openai/gpt-4o-mini", Input: openrouter.ResponseText("hello world")})
	events := 0
	for _, err := range s.Events() {
		if err != nil {
			t.Fatal(err)
		}
		if events++; events == 1 {
			if _, n := lastCallEnd(rec); n != before {
				t.Errorf("Responses.Stream: the call ended for the observer at its first event")
			}
		}
	}
	e, n := lastCallEnd(rec)
	if n != before+1 || e.Err != nil || e.Usage == nil || !near(cost(e), s.Response().Cost()) || s.Response().Cost() <= 0 {
		t.Errorf("Responses.Stream: %d CallEnds, last %+v; want one with the stream's cost %v", n-before, e, s.Response().Cost())
	}
}

// Embed's calls end for the observer with their cost too.
func TestObserverSeesEmbedCost(t *testing.T) {
	t.Parallel()
	rec := &obsRecorder{}
	_, c, _ := setup(t, nil, openrouter.WithObserver(rec))
	res, err := c.Embed(context.Background(), &openrouter.EmbeddingRequest{Model: "openai/text-embedding-3-small", Input: []string{"a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	e, n := lastCallEnd(rec)
	if n != 1 || e.Err != nil || e.Usage == nil || math.Abs(e.Usage.TotalCost()-res.Cost()) > 1e-12 || res.Cost() <= 0 {
		t.Errorf("%d CallEnds, last %+v; want one with the cost %v", n, e, res.Cost())
	}
}
