package openrouter_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/internal/openapischema"
	"github.com/routerkit/openrouter/openroutertest"
)

// checkRequests validates every body the fake received at path against
// the OpenAPI document's request schema of POST docPath, and returns how
// many there were.
func checkRequests(t *testing.T, srv *openroutertest.Server, path, docPath string) int {
	t.Helper()
	esc := strings.NewReplacer("~", "~0", "/", "~1").Replace
	sch, err := openapischema.Compile("openroutertest/testdata/openapi.yaml",
		"/paths/"+esc(docPath)+"/post/requestBody/content/application~1json/schema")
	if err != nil {
		t.Fatal(err)
	}
	bodies := srv.MediaRequests(path)
	for _, b := range bodies {
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: the request is not JSON: %v", path, err)
		}
		if err := sch.Validate(v); err != nil {
			t.Errorf("%s: the request does not match the OpenAPI document: %v\n%.400s", path, err, b)
		}
	}
	return len(bodies)
}

// writes records the size of each Write, to show an answer is streamed.
type writes struct {
	bytes.Buffer
	largest int
	n       int
}

func (w *writes) Write(p []byte) (int, error) {
	w.n++
	w.largest = max(w.largest, len(p))
	return w.Buffer.Write(p)
}

func TestSpeechStreamsToWriter(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	text := strings.Repeat("An audio version of each article. ", 10)
	var w writes
	res, err := c.Audio.Speech(context.Background(), &openrouter.SpeechRequest{Model: "openai/gpt-4o-mini-tts", Input: text,
		Voice: "alloy", Format: openrouter.SpeechMP3, Speed: 1.25, VoiceSample: []byte("RIFF....WAVE"), VoiceSampleText: "Hi",
		ProviderOptions: map[string]any{"openai": map[string]any{"instructions": "calm"}}}, &w)
	if err != nil {
		t.Fatal(err)
	}
	want := len(text) * openroutertest.SpeechBytesPerChar
	if res.Bytes != int64(want) || w.Len() != want || !bytes.HasPrefix(w.Bytes(), []byte("ID3")) {
		t.Fatalf("%d bytes reported, %d written (%q...), want %d of mp3", res.Bytes, w.Len(), w.Bytes()[:8], want)
	}
	if res.ContentType != "audio/mpeg" || res.GenerationID == "" {
		t.Errorf("content type %q, generation %q", res.ContentType, res.GenerationID)
	}
	if w.largest > 32<<10 || w.n < 2 {
		t.Errorf("%d writes, the largest %d bytes: want the audio streamed in pieces of at most 32 KiB", w.n, w.largest)
	}
	if n := checkRequests(t, srv, "/audio/speech", "/audio/speech"); n != 1 {
		t.Errorf("%d requests", n)
	}
}

func TestSpeechThenTranscriptionRoundTrip(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	ctx := context.Background()
	var audio bytes.Buffer
	if _, err := c.Audio.Speech(ctx, &openrouter.SpeechRequest{Model: "openai/gpt-4o-mini-tts", Input: "Internal links help readers",
		Format: openrouter.SpeechMP3}, &audio); err != nil {
		t.Fatal(err)
	}
	tr, err := c.Audio.Transcribe(ctx, &openrouter.TranscriptionRequest{Model: "openai/whisper-large-v3", Reader: &audio,
		Language: "en", Temperature: openrouter.Ptr(0.0), ResponseFormat: openrouter.TranscriptVerboseJSON,
		TimestampGranularities: []string{openrouter.TimestampSegment, openrouter.TimestampWord}})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Text != "Internal links help readers" || len(tr.Words) != 4 || tr.Words[3].Word != "readers" || len(tr.Segments) != 1 ||
		tr.Language != "en" || tr.Duration <= 0 || tr.GenerationID == "" || tr.Usage.Cost <= 0 {
		t.Fatalf("transcription %+v", tr)
	}
	if !strings.Contains(string(srv.MediaRequests("/audio/transcriptions")[0]), `"format":"mp3"`) {
		t.Error("the mp3 was not recognised by its first bytes")
	}
	if c.Spent() != tr.Usage.Cost { // speech answers carry no cost: see Client.Generation
		t.Errorf("spent %v, want the transcription's %v", c.Spent(), tr.Usage.Cost)
	}
	checkRequests(t, srv, "/audio/transcriptions", "/audio/transcriptions")
}

// TestSpeechCutIsMaybeBilled: audio that breaks off after it began was
// billed: the call says so, with the generation, and does not resend.
func TestSpeechCutIsMaybeBilled(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.EnqueueFor("/audio/speech", openroutertest.Reply{}.CutAfter(0))
	var w bytes.Buffer
	res, err := c.Audio.Speech(context.Background(), &openrouter.SpeechRequest{Model: "openai/gpt-4o-mini-tts", Input: "Hello there"}, &w)
	var te *openrouter.TransportError
	if !errors.Is(err, openrouter.ErrMaybeBilled) || !errors.As(err, &te) || te.GenerationID == "" || te.MaybeBilled != 1 {
		t.Fatalf("err %v: want ErrMaybeBilled with the generation ID", err)
	}
	if res == nil || res.Bytes != int64(w.Len()) || w.Len() == 0 {
		t.Errorf("result %+v, %d bytes written: want the bytes written so far", res, w.Len())
	}
	if n := len(srv.MediaRequests("/audio/speech")); n != 1 {
		t.Errorf("%d requests: a billed speech was sent again", n)
	}
}

func TestSpeechErrors(t *testing.T) {
	t.Parallel()
	srv, c, waits := setup(t, nil)
	ctx := context.Background()
	req := &openrouter.SpeechRequest{Model: "openai/gpt-4o-mini-tts", Input: "Hi"}
	srv.EnqueueFor("/audio/speech", openroutertest.ErrorReply(402, "Insufficient credits"))
	if _, err := c.Audio.Speech(ctx, req, &bytes.Buffer{}); !errors.Is(err, openrouter.ErrInsufficientCredits) {
		t.Errorf("402: %v", err)
	}
	srv.EnqueueFor("/audio/speech", openroutertest.ErrorReply(503, "Service temporarily unavailable"))
	if _, err := c.Audio.Speech(ctx, req, &bytes.Buffer{}); err != nil || len(waits.all()) != 1 {
		t.Errorf("503 then audio: %v after %d waits", err, len(waits.all()))
	}
	srv.EnqueueFor("/audio/speech", openroutertest.Reply{Error: &openroutertest.ErrorBody{Code: 502, Message: "Provider returned error"}})
	var w bytes.Buffer
	var e *openrouter.APIError
	if _, err := c.Audio.Speech(ctx, req, &w); !errors.As(err, &e) || w.Len() != 0 {
		t.Errorf("an error object in a 200: %v, %d bytes written", err, w.Len())
	}
	srv.EnqueueFor("/audio/speech", openroutertest.RawReply(200, `{"status":"ok"}`))
	if _, err := c.Audio.Speech(ctx, req, &w); !errors.Is(err, openrouter.ErrServer) || w.Len() != 0 || !strings.Contains(err.Error(), "not audio") {
		t.Errorf("JSON that is no error in a 200: %v, %d bytes written", err, w.Len())
	}
	if _, err := c.Audio.Speech(ctx, &openrouter.SpeechRequest{Model: "nobody/tts", Input: "Hi"}, &w); !errors.Is(err, openrouter.ErrBadRequest) && !errors.Is(err, openrouter.ErrModelNotFound) {
		t.Errorf("unknown model: %v", err)
	}
}

func TestAudioInvalidRequests(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	ctx := context.Background()
	for name, req := range map[string]*openrouter.SpeechRequest{
		"Model":       {Input: "Hi"},
		"Input":       {Model: "openai/gpt-4o-mini-tts"},
		"Format":      {Model: "openai/gpt-4o-mini-tts", Input: "Hi", Format: "wav"},
		"Speed":       {Model: "openai/gpt-4o-mini-tts", Input: "Hi", Speed: -1},
		"VoiceSample": {Model: "openai/gpt-4o-mini-tts", Input: "Hi", VoiceSampleText: "no sample"},
	} {
		if _, err := c.Audio.Speech(ctx, req, &bytes.Buffer{}); !errors.Is(err, openrouter.ErrInvalidRequest) || !strings.Contains(err.Error(), name) {
			t.Errorf("speech without a good %s: %v", name, err)
		}
	}
	wav := []byte("RIFF\x24\x00\x00\x00WAVEfmt ")
	for name, req := range map[string]*openrouter.TranscriptionRequest{
		"Model":                  {Audio: wav},
		"no audio":               {Model: "openai/whisper-large-v3"},
		"Reader":                 {Model: "openai/whisper-large-v3", Audio: wav, Reader: strings.NewReader("x")},
		"Format":                 {Model: "openai/whisper-large-v3", Audio: []byte("plain bytes")},
		"ResponseFormat":         {Model: "openai/whisper-large-v3", Audio: wav, ResponseFormat: "srt"},
		"TimestampGranularities": {Model: "openai/whisper-large-v3", Audio: wav, TimestampGranularities: []string{"word"}},
		"Temperature":            {Model: "openai/whisper-large-v3", Audio: wav, Temperature: openrouter.Ptr(2.0)},
	} {
		if _, err := c.Audio.Transcribe(ctx, req); !errors.Is(err, openrouter.ErrInvalidRequest) || !strings.Contains(err.Error(), name) {
			t.Errorf("transcription without a good %s: %v", name, err)
		}
	}
	if n := srv.Stats().Requests; n != 0 {
		t.Errorf("%d requests sent for bad input", n)
	}
}
