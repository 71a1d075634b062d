package openrouter_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/internal/openapischema"
	"github.com/routerkit/openrouter/openroutertest"
)

// Every call of a Client not made by NewClient (a zero Client, whose
// service fields are nil) and of a service made by hand fails with
// ErrInvalidRequest, sends nothing and does not panic: the Responses
// service did so, the others dereferenced their nil client.
func TestServicesOfAClientNotMadeByNewClient(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var zero openrouter.Client
	calls := map[string]func() error{
		"Chat": func() error { _, err := zero.Chat(ctx, hello()); return err },
		"ChatStream": func() error {
			for _, err := range zero.ChatStream(ctx, hello()).Chunks() {
				if err != nil {
					return err
				}
			}
			return nil
		},
		"Rerank": func() error {
			_, err := zero.Rerank(ctx, &openrouter.RerankRequest{Model: "m", Query: "q", Documents: openrouter.RerankTexts("a")})
			return err
		},
		"Audio.Speech": func() error {
			_, err := zero.Audio.Speech(ctx, &openrouter.SpeechRequest{Model: "m", Input: "x", Voice: "alloy"}, &bytes.Buffer{})
			return err
		},
		"Audio.Speech/hand": func() error {
			_, err := (&openrouter.AudioService{}).Speech(ctx, &openrouter.SpeechRequest{Model: "m", Input: "x", Voice: "alloy"}, &bytes.Buffer{})
			return err
		},
		"Audio.Transcribe": func() error {
			_, err := zero.Audio.Transcribe(ctx, &openrouter.TranscriptionRequest{Model: "m", Audio: []byte("ID3xxxxxxxxx"), Format: "mp3"})
			return err
		},
		"Videos.Submit": func() error {
			_, err := zero.Videos.Submit(ctx, &openrouter.VideoRequest{Model: "m", Prompt: "x"})
			return err
		},
		"Videos.Get":      func() error { _, err := zero.Videos.Get(ctx, "job"); return err },
		"Videos.Wait":     func() error { _, err := zero.Videos.Wait(ctx, "job", openrouter.VideoWait{}); return err },
		"Videos.Download": func() error { _, err := zero.Videos.Download(ctx, "job", 0, &bytes.Buffer{}); return err },
		"Videos.Models":   func() error { _, err := zero.Videos.Models(ctx); return err },
		"Responses.Create": func() error {
			_, err := zero.Responses.Create(ctx, &openrouter.ResponseRequest{Model: "m", Input: openrouter.ResponseText("x")})
			return err
		},
		"Batches.Submit": func() error {
			_, err := zero.Batches.Submit(ctx, &openrouter.BatchRequest{Model: "m", Requests: []openrouter.BatchItem{{CustomID: "a", Body: hello()}}})
			return err
		},
		"Batches.SubmitEmbeddings": func() error {
			_, err := zero.Batches.SubmitEmbeddings(ctx, &openrouter.EmbeddingRequest{Model: "m", Input: []string{"a"}})
			return err
		},
		"Batches.Get":       func() error { _, err := zero.Batches.Get(ctx, "b"); return err },
		"Batches.Cancel":    func() error { _, err := zero.Batches.Cancel(ctx, "b"); return err },
		"Batches.Delete":    func() error { _, err := zero.Batches.Delete(ctx, "b"); return err },
		"Batches.List":      func() error { _, err := zero.Batches.List(ctx, openrouter.BatchListOptions{}); return err },
		"Batches.Wait":      func() error { _, err := zero.Batches.Wait(ctx, "b", openrouter.BatchWait{}); return err },
		"Batches.ResultMap": func() error { _, err := zero.Batches.ResultMap(ctx, "b"); return err },
		"Batches.Results": func() error {
			for _, err := range zero.Batches.Results(ctx, "b") {
				return err
			}
			return nil
		},
		"Batches.Marker": func() error { _, err := zero.Batches.Marker(nil); return err },
		"Batches.Find":   func() error { _, err := zero.Batches.Find(ctx, openrouter.BatchMarker{Model: "m"}); return err },
		"Batches.EmbeddingResults": func() error {
			_, err := zero.Batches.EmbeddingResults(ctx, "b", &openrouter.EmbeddingRequest{Model: "m", Input: []string{"a"}})
			return err
		},
		"Keys.Create": func() error { _, err := zero.Keys.Create(ctx, openrouter.NewKey{Name: "k"}); return err },
		"Keys.List":   func() error { _, err := zero.Keys.List(ctx, openrouter.KeyListOptions{}); return err },
		"Keys.Get":    func() error { _, err := zero.Keys.Get(ctx, "h"); return err },
		"Keys.Update": func() error { _, err := zero.Keys.Update(ctx, "h", openrouter.KeyUpdate{}); return err },
		"Keys.Delete": func() error { return zero.Keys.Delete(ctx, "h") },
		"Keys.Find":   func() error { _, err := zero.Keys.Find(ctx, "k"); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("panicked: %v", r)
				}
			}()
			if err := call(); !errors.Is(err, openrouter.ErrInvalidRequest) {
				t.Errorf("err = %v; want ErrInvalidRequest", err)
			}
		})
	}
}

// The Responses API takes audio, video and inline files in an input
// message (OpenAPI schemas/EasyInputMessage: InputAudio, InputVideo,
// InputFile with file_data): Create sends them, in bodies that match the
// document's ResponsesRequest. Before, input_audio and input_video parts
// were refused as unknown and an input_file needed a URL.
func TestResponsesMediaPartsMatchOpenAPI(t *testing.T) {
	t.Parallel()
	sch, err := openapischema.Compile("openroutertest/testdata/openapi.yaml", "/components/schemas/ResponsesRequest")
	if err != nil {
		t.Fatal(err)
	}
	srv, c, _ := setup(t, nil)
	req := &openrouter.ResponseRequest{Model: "openai/gpt-4o-mini", Input: []openrouter.ResponseItem{{Type: "message", Role: "user",
		Content: []openrouter.ResponsePart{{Type: "input_text", Text: "What is in these?"},
			{Type: "input_audio", InputAudio: &openrouter.ResponseAudio{Data: "SGVsbG8=", Format: "wav"}},
			{Type: "input_video", VideoURL: "https://example.com/v.mp4"},
			{Type: "input_file", Filename: "a.pdf", FileData: "data:application/pdf;base64,JVBERi0="}}}}}
	if _, err := c.Responses.Create(context.Background(), req); err != nil {
		t.Fatalf("Create: %v", err)
	}
	raw := srv.Requests()[0].Raw
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(v); err != nil {
		t.Errorf("the body does not match ResponsesRequest: %v\n%s", err, raw)
	}
	for _, want := range []string{`"input_audio":{"data":"SGVsbG8=","format":"wav"}`, `"video_url":"https://example.com/v.mp4"`, `"file_data":"data:application/pdf`, `"filename":"a.pdf"`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("body lacks %s: %s", want, raw)
		}
	}
	bad := &openrouter.ResponseRequest{Model: "openai/gpt-4o-mini", Input: []openrouter.ResponseItem{{Type: "message", Role: "user",
		Content: []openrouter.ResponsePart{{Type: "input_audio", InputAudio: &openrouter.ResponseAudio{Data: "SGVsbG8=", Format: "ogg"}}}}}}
	if _, err := c.Responses.Create(context.Background(), bad); !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("an ogg input_audio: %v; want ErrInvalidRequest", err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests reached the server; want 1", n)
	}
}

// A video job's or a batch's error message is the server's text; when it
// echoes the API key, the key is taken out of it, as it is of an
// *APIError's message: VideoJob.Error, VideoJobError, Batch.Error and
// BatchStatusError. Before, the key was printed in full.
func TestJobErrorsRedactTheKey(t *testing.T) {
	t.Parallel()
	const key = "sk-or-v1-0123456789abcdef0123456789abcdef"
	echo := "upstream refused the key " + key
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasPrefix(r.URL.Path, "/videos/"):
			fmt.Fprintf(w, `{"id":"job-1","status":"failed","polling_url":"https://example.com/p","error":%q}`, echo)
		default:
			fmt.Fprintf(w, `{"id":"batch_1","object":"batch","endpoint":"/v1/chat/completions","model":"openai/gpt-4o-mini","status":"failed",`+
				`"completion_window":"24h","created_at":1782097200,"request_counts":{"total":1,"completed":0,"failed":0},"error":{"message":%q}}`, echo)
		}
	}))
	t.Cleanup(srv.Close)
	c := openrouter.NewClient(key, openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil))
	ctx := context.Background()
	job, err := c.Videos.Get(ctx, "job-1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Batches.Get(ctx, "batch_1")
	if err != nil {
		t.Fatal(err)
	}
	if job.Err() == nil || b.Err() == nil {
		t.Fatalf("job.Err() = %v, batch.Err() = %v; want both failed", job.Err(), b.Err())
	}
	for name, s := range map[string]string{"VideoJob.Error": job.Error, "VideoJob.Err": job.Err().Error(),
		"Batch.Error": b.Error.Message, "Batch.Err": b.Err().Error(), "%+v job": fmt.Sprintf("%+v", job), "%+v batch error": fmt.Sprintf("%+v", *b.Error)} {
		if strings.Contains(s, key) || strings.Contains(s, key[10:]) {
			t.Errorf("%s holds the key: %s", name, s)
		}
		if !strings.Contains(s, "upstream refused the key") {
			t.Errorf("%s lost the message: %s", name, s)
		}
	}
}

// An upscaling model's parameters (OpenAPI VideoGenerationRequest's
// upscale_factor and creativity, which VideoModel lists) can be sent, in
// a body that matches the document; a factor that is not a positive
// number is refused before sending. Before, VideoRequest had no field
// for them and no Extra.
func TestVideoUpscaleParameters(t *testing.T) {
	t.Parallel()
	sch, err := openapischema.Compile("openroutertest/testdata/openapi.yaml", "/components/schemas/VideoGenerationRequest")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var bodies [][]byte
	received := func() [][]byte { mu.Lock(); defer mu.Unlock(); return bodies }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, b)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprint(w, `{"id":"job-1","status":"pending","polling_url":"/api/v1/videos/job-1"}`)
	}))
	t.Cleanup(srv.Close)
	c := openrouter.NewClient("sk-or-v1-test", openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil))
	ctx := context.Background()
	req := &openrouter.VideoRequest{Model: "topaz/video-upscale", UpscaleFactor: 2, Creativity: openrouter.Ptr(1),
		References: []openrouter.VideoReference{{Type: "video_url", URL: "https://example.com/in.mp4"}}}
	if _, err := c.Videos.Submit(ctx, req); err != nil {
		t.Fatal(err)
	}
	got := received()
	if len(got) != 1 || !strings.Contains(string(got[0]), `"upscale_factor":2`) || !strings.Contains(string(got[0]), `"creativity":1`) {
		t.Fatalf("bodies %q: want upscale_factor and creativity sent", got)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(got[0]))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(v); err != nil {
		t.Errorf("the body does not match VideoGenerationRequest: %v\n%s", err, got[0])
	}
	for _, f := range []float64{-1, math.NaN(), math.Inf(1)} {
		bad := *req
		bad.UpscaleFactor = f
		if _, err := c.Videos.Submit(ctx, &bad); !errors.Is(err, openrouter.ErrInvalidRequest) {
			t.Errorf("UpscaleFactor %v: %v; want ErrInvalidRequest", f, err)
		}
	}
	if n := len(received()); n != 1 {
		t.Errorf("%d submissions reached the server; want 1", n)
	}
}

// A video job's cost is added to the client's spending total once,
// however many times Wait sees it completed (a second Wait on the same
// job, or two at once); before, each Wait added it again.
func TestVideoWaitCountsAJobOnce(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t, []openroutertest.Option{openroutertest.WithVideoPolls(2)})
	ctx := context.Background()
	job, err := c.Videos.Submit(ctx, &openrouter.VideoRequest{Model: "google/veo-3.1", Prompt: "A lighthouse at dusk", Duration: 8})
	if err != nil {
		t.Fatal(err)
	}
	s := &sleeps{}
	w := openrouter.WithVideoSleep(openrouter.VideoWait{MinInterval: time.Second}, s.sleep)
	for i := 0; i < 3; i++ {
		done, err := c.Videos.Wait(ctx, job.ID, w)
		if err != nil || done.Status != openrouter.VideoCompleted {
			t.Fatalf("wait %d: %+v, %v", i, done, err)
		}
	}
	if want := 8 * openroutertest.VideoCostPerSecond; c.Spent() != want {
		t.Errorf("spent %v after three Waits; want the video's %v once", c.Spent(), want)
	}
}
