package openroutertest_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/routerkit/openrouter/openroutertest"
)

// statusSchema compiles the JSON schema of the status answer of method
// path (the document gives POST /videos a 202).
func statusSchema(method, path, status string) string {
	esc := strings.NewReplacer("~", "~0", "/", "~1").Replace
	return "/paths/" + esc(path) + "/" + strings.ToLower(method) + "/responses/" + status + "/content/application~1json/schema"
}

// TestMediaAnswersMatchOpenAPI checks the JSON answers of the media
// endpoints (transcription, rerank, video jobs, video models) against the
// document, and the binary ones (speech, video) against its content types.
func TestMediaAnswersMatchOpenAPI(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer(openroutertest.WithVideoPolls(1))
	t.Cleanup(srv.Close)
	speech := func(format string) string {
		return `{"model":"openai/gpt-4o-mini-tts","input":"Hello there","voice":"alloy","response_format":"` + format + `"}`
	}
	stt := func(extra string) string {
		return `{"model":"openai/whisper-large-v3","input_audio":{"data":"UklGRiQAAABXQVZF","format":"wav"}` + extra + `}`
	}
	for _, c := range []struct {
		name, method, url, doc, status, body string
	}{
		{"transcription", "POST", "/audio/transcriptions", "/audio/transcriptions", "200", stt("")},
		{"transcription verbose", "POST", "/audio/transcriptions", "/audio/transcriptions", "200",
			stt(`,"response_format":"verbose_json","timestamp_granularities":["segment","word"],"language":"en"`)},
		{"rerank", "POST", "/rerank", "/rerank", "200", `{"model":"cohere/rerank-v3.5","query":"capital of France",
			"documents":["Paris is the capital of France.",{"text":"Berlin is in Germany.","image":"https://example.com/a.png"}],"top_n":1}`},
		{"video submit", "POST", "/videos", "/videos", "202", `{"model":"google/veo-3.1","prompt":"A lighthouse","duration":8,"resolution":"720p","aspect_ratio":"16:9"}`},
		{"video poll (completed)", "GET", "/videos/job-000001", "/videos/{jobId}", "200", ""},
		{"video models", "GET", "/videos/models", "/videos/models", "200", ""},
	} {
		status, body := send(t, srv, c.method, c.url, c.body, srv.Key, nil)
		if strconv.Itoa(status) != c.status {
			t.Fatalf("%s: status %d: %s", c.name, status, body)
		}
		checkAgainst(t, compileAt(t, statusSchema(c.method, c.doc, c.status)), body)
		if c.name == "video poll (completed)" && !strings.Contains(body, `"status":"completed"`) {
			t.Errorf("%s: %s", c.name, body)
		}
	}
	for _, f := range []struct{ format, ct string }{{"mp3", "audio/mpeg"}, {"pcm", "audio/pcm"}} {
		resp := do(t, srv, "POST", "/audio/speech", speech(f.format))
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != f.ct || resp.Header.Get("X-Generation-Id") == "" {
			t.Errorf("speech %s: %d %q, generation %q", f.format, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("X-Generation-Id"))
		}
	}
	resp := do(t, srv, "GET", "/videos/job-000001/content?index=0", "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "video/mp4" || resp.ContentLength != openroutertest.VideoBytes {
		t.Errorf("video content: %d %q, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), resp.ContentLength)
	}
}

// TestMediaErrorsMatchOpenAPI checks the fake's refusals against the
// document's error schemas.
func TestMediaErrorsMatchOpenAPI(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	for _, c := range []struct {
		name, method, url, doc, body string
		status                       int
	}{
		{"unknown speech model", "POST", "/audio/speech", "/audio/speech", `{"model":"x/y","input":"Hi"}`, 400},
		{"speech format", "POST", "/audio/speech", "/audio/speech", `{"model":"openai/gpt-4o-mini-tts","input":"Hi","response_format":"wav"}`, 400},
		{"transcription without audio", "POST", "/audio/transcriptions", "/audio/transcriptions", `{"model":"openai/whisper-large-v3"}`, 400},
		{"rerank without documents", "POST", "/rerank", "/rerank", `{"model":"cohere/rerank-v3.5","query":"q","documents":[]}`, 400},
		{"video duration", "POST", "/videos", "/videos", `{"model":"google/veo-3.1","prompt":"p","duration":7}`, 400},
		{"unknown job", "GET", "/videos/job-404", "/videos/{jobId}", "", 404},
		{"content of unknown job", "GET", "/videos/job-404/content", "/videos/{jobId}/content", "", 404},
	} {
		status, body := send(t, srv, c.method, c.url, c.body, srv.Key, nil)
		if status != c.status {
			t.Fatalf("%s: status %d, want %d: %s", c.name, status, c.status, body)
		}
		checkAgainst(t, compileAt(t, statusSchema(c.method, c.doc, strconv.Itoa(c.status))), body)
	}
}

// TestVideoWebhookShape checks the fake's webhook: signed over "t,body"
// and shaped as the docs' event.
func TestVideoWebhookShape(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer(openroutertest.WithVideoPolls(1))
	t.Cleanup(srv.Close)
	if _, _, ok := srv.VideoWebhook("job-000001", "s", time.Now()); ok {
		t.Fatal("a webhook for an unknown job")
	}
	send(t, srv, "POST", "/videos", `{"model":"openai/sora-2","prompt":"p"}`, srv.Key, nil)
	if _, _, ok := srv.VideoWebhook("job-000001", "s", time.Now()); ok {
		t.Fatal("a webhook for a job still running")
	}
	send(t, srv, "GET", "/videos/job-000001", "", srv.Key, nil)
	body, sig, ok := srv.VideoWebhook("job-000001", "s", time.Unix(1700000000, 0))
	var ev struct {
		Type string
		Data struct{ ID, Status, Model string }
	}
	if !ok || json.Unmarshal(body, &ev) != nil || ev.Type != "video.generation.completed" || ev.Data.ID != "job-000001" ||
		ev.Data.Model != "openai/sora-2" || !strings.HasPrefix(sig, "t=1700000000,v1=") {
		t.Fatalf("webhook %s, signature %s", body, sig)
	}
	checkAgainst(t, componentSchema(t, "VideoGenerationResponse"), string(mustData(t, body)))
}

func mustData(t *testing.T, body []byte) json.RawMessage {
	t.Helper()
	var ev struct{ Data json.RawMessage }
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatal(err)
	}
	return ev.Data
}

func do(t *testing.T, srv *openroutertest.Server, method, url, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+srv.Key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// TestMediaRefusesManagementKey: the management key cannot run models,
// on the media endpoints as on chat.
func TestMediaRefusesManagementKey(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	for _, path := range []string{"/audio/speech", "/audio/transcriptions", "/rerank", "/videos"} {
		if status, body := send(t, srv, "POST", path, `{}`, srv.ManagementKey, nil); status != http.StatusForbidden {
			t.Errorf("%s with the management key: %d %s", path, status, body)
		}
	}
}

// TestEnqueueForScriptsFaults: a scripted fault answers the next valid
// request of its path only; a malformed request leaves it queued.
func TestEnqueueForScriptsFaults(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	srv.EnqueueFor("/rerank", openroutertest.ErrorReply(503, "Service temporarily unavailable").Repeat(2))
	ok := `{"model":"cohere/rerank-v3.5","query":"q","documents":["q"]}`
	if status, _ := send(t, srv, "POST", "/rerank", `{"model":"cohere/rerank-v3.5","query":"q","documents":[]}`, srv.Key, nil); status != 400 {
		t.Fatalf("malformed: %d", status)
	}
	if status, _ := send(t, srv, "POST", "/audio/speech", `{"model":"openai/gpt-4o-mini-tts","input":"q"}`, srv.Key, nil); status != 200 {
		t.Fatalf("another path: %d", status)
	}
	for i, want := range []int{503, 503, 200} {
		if status, body := send(t, srv, "POST", "/rerank", ok, srv.Key, nil); status != want {
			t.Errorf("request %d: %d, want %d: %s", i, status, want, body)
		}
	}
	if n := len(srv.MediaRequests("/rerank")); n != 4 {
		t.Errorf("%d rerank requests recorded, want 4", n)
	}
}
