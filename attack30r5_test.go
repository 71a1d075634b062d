package openrouter_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/internal/openapischema"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// A 200 to a transcription without its text (required by the OpenAPI
// document's STTResponse) is a lost answer, maybe billed and sent once;
// it came back as an empty transcript, the cost of the audio lost with
// it. An empty text is a transcript of silence, and is kept.
func TestR5TranscriptionWithoutTextIsLost(t *testing.T) {
	t.Parallel()
	req := &openrouter.TranscriptionRequest{Model: "openai/whisper-large-v3", Audio: []byte("ID3xxxxxxxxx")}
	for _, body := range []string{`{}`, `null`, `{"usage":{"cost":0.01,"seconds":3}}`, `{"text":null,"usage":{"cost":0.01}}`} {
		c, n := mbServer(t, 200, "application/json", body)
		tr, err := c.Audio.Transcribe(context.Background(), req)
		switch {
		case !errors.Is(err, openrouter.ErrMaybeBilled) || !errors.Is(err, openrouter.ErrServer):
			t.Errorf("%s: %+v, %v; want ErrMaybeBilled and ErrServer", body, tr, err)
		case n.Load() != 1:
			t.Errorf("%s: sent %d times", body, n.Load())
		case strings.Contains(body, "0.01") && (tr == nil || tr.Usage.Cost != 0.01 || c.Spent() != 0.01):
			t.Errorf("%s: the billed cost is lost: %+v, spent %v", body, tr, c.Spent())
		}
	}
	c, _ := mbServer(t, 200, "application/json", `{"text":"","usage":{"cost":0.01}}`)
	if tr, err := c.Audio.Transcribe(context.Background(), req); err != nil || tr.Text != "" {
		t.Errorf("an empty transcript: %+v, %v", tr, err)
	}
}

// A rerank answer is checked as the OpenAPI document gives it: without
// "results" (required), or naming a document twice, it is a lost answer
// (both came back as a success: no order, or [0 0]); results that come
// in another order than relevance are sorted, as RerankResult and Order
// promise ("most relevant first").
func TestR5RerankAnswersChecked(t *testing.T) {
	t.Parallel()
	req := &openrouter.RerankRequest{Model: "cohere/rerank-v3.5", Query: "q", Documents: openrouter.RerankTexts("a", "b", "c")}
	hit := func(i int, score float64) string {
		return fmt.Sprintf(`{"index":%d,"relevance_score":%v,"document":{"text":"x"}}`, i, score)
	}
	for _, body := range []string{`{}`, `null`, `{"model":"cohere/rerank-v3.5","usage":{"cost":0.001}}`, `{"model":"m","results":null}`,
		`{"model":"m","results":[` + hit(0, 0.9) + `,` + hit(0, 0.5) + `]}`} {
		c, n := mbServer(t, 200, "application/json", body)
		res, err := c.Rerank(context.Background(), req)
		if !errors.Is(err, openrouter.ErrMaybeBilled) || n.Load() != 1 {
			t.Errorf("%s: order %v, %v (sent %d); want ErrMaybeBilled, sent once", body, res.Order(), err, n.Load())
		}
	}
	c, _ := mbServer(t, 200, "application/json", `{"model":"m","results":[`+hit(2, 0.1)+`,`+hit(0, 0.8)+`,`+hit(1, 0.8)+`]}`)
	res, err := c.Rerank(context.Background(), req)
	if err != nil || !slices.Equal(res.Order(), []int{0, 1, 2}) || res.Results[0].Score != 0.8 {
		t.Errorf("order %v, %v; want [0 1 2], most relevant first, ties as sent", res.Order(), err)
	}
	c, _ = mbServer(t, 200, "application/json", `{"model":"m","results":[]}`)
	if res, err := c.Rerank(context.Background(), req); err != nil || len(res.Order()) != 0 {
		t.Errorf("no result: %v, %v", res.Order(), err)
	}
	var none *openrouter.RerankResult
	if none.Order() != nil {
		t.Error("a nil result's order")
	}
}

// A 200 whose Content-Type says text or JSON (a proxy's text page, an
// RFC 9457 problem) is not audio or video: Speech and Download wrote it
// to the caller's writer as if it were, and reported success.
func TestR5TextAnswersAreNotMedia(t *testing.T) {
	t.Parallel()
	for _, ct := range []string{"text/plain; charset=utf-8", "application/problem+json", "text/html"} {
		c, n := mbServer(t, 200, ct, `{"title":"Bad Gateway","status":502}`)
		var w bytes.Buffer
		res, err := c.Audio.Speech(context.Background(), &openrouter.SpeechRequest{Model: "openai/gpt-4o-mini-tts", Input: "hi"}, &w)
		if !errors.Is(err, openrouter.ErrMaybeBilled) || w.Len() != 0 || n.Load() != 1 {
			t.Errorf("speech, %s: %+v, %v, %d bytes written, sent %d", ct, res, err, w.Len(), n.Load())
		}
		k, err := c.Videos.Download(context.Background(), "job-1", 0, &w)
		if !errors.Is(err, openrouter.ErrServer) || k != 0 || w.Len() != 0 {
			t.Errorf("download, %s: %d bytes, %v, %d written", ct, k, err, w.Len())
		}
	}
	for _, ct := range []string{"audio/mpeg", "video/mp4", "application/octet-stream", ""} {
		c, _ := mbServer(t, 200, ct, "ID3 bytes")
		var w bytes.Buffer
		if _, err := c.Audio.Speech(context.Background(), &openrouter.SpeechRequest{Model: "m/x", Input: "hi"}, &w); err != nil || w.String() != "ID3 bytes" {
			t.Errorf("speech, %q: %v, %q", ct, err, w.String())
		}
	}
}

// A poll answered with another job's state is not this job's: Get took
// it, and Wait returned it as this job, completed, counting its cost.
func TestR5VideoPollOfAnotherJob(t *testing.T) {
	t.Parallel()
	c, _ := mbServer(t, 200, "application/json", `{"id":"job-other","status":"completed","polling_url":"/api/v1/videos/job-other","usage":{"cost":2}}`)
	if job, err := c.Videos.Get(context.Background(), "job-1"); !errors.Is(err, openrouter.ErrServer) {
		t.Errorf("Get: %+v, %v; want ErrServer", job, err)
	}
	w := openrouter.WithVideoSleep(openrouter.VideoWait{MaxPollErrors: 2}, func(ctx context.Context, d time.Duration, _ <-chan struct{}) (bool, error) {
		return false, nil
	})
	if job, err := c.Videos.Wait(context.Background(), "job-1", w); err == nil || c.Spent() != 0 {
		t.Errorf("Wait: %+v, %v, spent %v", job, err, c.Spent())
	}
	// The guide's signed storage URLs are kept.
	c, _ = mbServer(t, 200, "application/json", `{"id":"job-1","status":"completed","polling_url":"p","unsigned_urls":["u"],"urls":["https://storage.example/v.mp4?sig=1"]}`)
	if job, err := c.Videos.Get(context.Background(), "job-1"); err != nil || len(job.SignedURLs) != 1 || job.URLs[0] != "u" {
		t.Errorf("Get: %+v, %v", job, err)
	}
}

// Events of a type the SDK does not read are passed on whatever their
// members (new event types ship without notice): one whose member
// shares a name with a modelled one but not its type ("delta" an object)
// ended the stream, its answer lost and maybe billed. An event of a type
// the SDK reads still must have its documented shape.
func TestR5UnknownStreamEventsPassOn(t *testing.T) {
	t.Parallel()
	sse := func(events ...string) string {
		var b strings.Builder
		for _, e := range events {
			b.WriteString("data: " + e + "\n\n")
		}
		return b.String()
	}
	created := `{"type":"response.created","sequence_number":0,"response":{"id":"r1","object":"response","status":"in_progress","model":"m/x","output":[]}}`
	done := `{"type":"response.completed","sequence_number":9,"response":{"id":"r1","object":"response","status":"completed","model":"m/x",` +
		`"output":[{"type":"message","id":"m1","role":"assistant","status":"completed","content":[{"type":"output_text","text":"hi","annotations":[]}]}],` +
		`"usage":{"input_tokens":1,"output_tokens":1,"total_tokens":2,"cost":0.5},"truncation":"auto"}}`
	for _, other := range []string{`{"type":"response.audio.delta","sequence_number":3,"delta":{"b64":"AAAA"}}`,
		`{"type":"response.custom","sequence_number":3,"code":5,"response":"x","item":"x","part":[1],"output_index":"1"}`} {
		c, _ := mbServer(t, 200, "text/event-stream", sse(created, other, done))
		s := c.Responses.Stream(context.Background(), &openrouter.ResponseRequest{Model: "m/x", Input: openrouter.ResponseText("hi")})
		var got []openrouter.ResponseEvent
		for ev, err := range s.Events() {
			if err != nil {
				t.Fatalf("%s: %v", other, err)
			}
			got = append(got, ev)
		}
		if len(got) != 3 || got[1].SequenceNumber != 3 || string(got[1].Raw) != other || s.Response().OutputText() != "hi" {
			t.Errorf("%s: events %+v, text %q", other, got, s.Response().OutputText())
		}
		if !strings.Contains(string(s.Response().Raw()), `"truncation":"auto"`) {
			t.Errorf("the final response's JSON is lost: %s", s.Response().Raw())
		}
	}
	bad := `{"type":"response.output_text.delta","sequence_number":3,"output_index":0,"content_index":0,"delta":{"b64":"AAAA"}}`
	c, _ := mbServer(t, 200, "text/event-stream", sse(created, bad, done))
	var err error
	for _, e := range c.Responses.Stream(context.Background(), &openrouter.ResponseRequest{Model: "m/x", Input: openrouter.ResponseText("hi")}).Events() {
		if e != nil {
			err = e
		}
	}
	if !errors.Is(err, openrouter.ErrMaybeBilled) {
		t.Errorf("a text delta not in its shape: %v", err)
	}
}

// Create keeps the response's JSON for the fields the SDK does not model
// (it kept none, where Chat keeps ChatResponse.Raw).
func TestR5ResponseKeepsItsJSON(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.RawReply(200, `{"id":"resp_1","object":"response","status":"completed","model":"m/x","truncation":"auto","safety_identifier":"s1",`+
		`"output":[{"type":"message","id":"m1","role":"assistant","content":[{"type":"output_text","text":"ok","annotations":[]}]}]}`))
	res, err := c.Responses.Create(context.Background(), helloResponse())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if json.Unmarshal(res.Raw(), &m) != nil || m["safety_identifier"] != "s1" || m["truncation"] != "auto" {
		t.Errorf("Raw %s", res.Raw())
	}
	var none *openrouter.Response
	if none.Raw() != nil {
		t.Error("a nil response's Raw")
	}
}

// A Messages answer holding a server tool's result block, whose content
// is a list (Anthropic's web_search_tool_result), decodes, keeping the
// block's Type as the doc comment promises, and the block goes back as
// it came in the next turn; it failed to decode, the whole answer lost.
func TestR5MessagesServerToolBlocks(t *testing.T) {
	t.Parallel()
	block := `{"type":"web_search_tool_result","tool_use_id":"srvtoolu_1","content":[{"type":"web_search_result","url":"https://example.com","title":"x"}]}`
	var res openrouter.MessagesResponse
	if err := json.Unmarshal([]byte(`{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[`+block+`,{"type":"text","text":"hi"}],"stop_reason":"end_turn"}`), &res); err != nil {
		t.Fatal(err)
	}
	if res.Text() != "hi" || res.Content[0].Type != "web_search_tool_result" || res.Content[0].ToolUseID != "srvtoolu_1" {
		t.Fatalf("%+v", res)
	}
	b, err := json.Marshal(openrouter.MessagesMessage{Role: "assistant", Blocks: res.Content})
	if err != nil || !strings.Contains(string(b), block) || !strings.Contains(string(b), `{"type":"text","text":"hi"}`) {
		t.Errorf("sent back as %s, %v", b, err)
	}
}

// VideoWebhookHandler passes on the delivery's idempotency key, which
// ParseVideoWebhook's doc names as what tells repeated deliveries apart;
// the handler dropped it.
func TestR5WebhookIdempotencyKey(t *testing.T) {
	t.Parallel()
	const secret = "whsec_test"
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"type":"video.generation.completed","created_at":"2027-01-15T08:00:00Z","data":{"id":"job-1","status":"completed","polling_url":"p"}}`)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%d,", now.Unix())
	mac.Write(body)
	var got *openrouter.VideoWebhook
	h := openrouter.VideoWebhookHandler(secret, func() time.Time { return now }, func(ev *openrouter.VideoWebhook) { got = ev })
	r := httptest.NewRequest(http.MethodPost, "/hook?openrouter_video_token=orv-1", bytes.NewReader(body))
	r.Header.Set("X-OpenRouter-Signature", fmt.Sprintf("t=%d,v1=%s", now.Unix(), hex.EncodeToString(mac.Sum(nil))))
	r.Header.Set("X-OpenRouter-Idempotency-Key", "job-1-completed")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != http.StatusNoContent || got == nil || got.IdempotencyKey != "job-1-completed" || got.Token != "orv-1" {
		t.Errorf("%d, %+v", rec.Code, got)
	}
}

// A response whose status is "failed" but which gives no error object
// is an *APIError (ErrServer), returned with the Response, in Create, in
// a stream answered with JSON and in a batch result, as a failed stream
// event already was: each returned it as a success, its partial output
// taken for the answer.
func TestR5FailedResponseWithoutErrorObject(t *testing.T) {
	t.Parallel()
	item := `[{"type":"message","id":"m1","role":"assistant","content":[{"type":"output_text","text":"part","annotations":[]}]}]`
	for _, body := range []string{`{"id":"r1","object":"response","status":"failed","model":"m/x","error":null,"output":` + item + `}`,
		`{"id":"r1","object":"response","status":"failed","model":"m/x","output":` + item + `}`} {
		c, n := mbServer(t, 200, "application/json", body)
		req := &openrouter.ResponseRequest{Model: "m/x", Input: openrouter.ResponseText("hi")}
		res, err := c.Responses.Create(context.Background(), req)
		var e *openrouter.APIError
		if !errors.As(err, &e) || !errors.Is(err, openrouter.ErrServer) || res == nil || res.OutputText() != "part" || n.Load() != 1 {
			t.Errorf("Create, %s: %+v, %v", body, res, err)
		}
		var serr error
		for _, err := range c.Responses.Stream(context.Background(), req).Events() {
			if err != nil {
				serr = err
			}
		}
		if !errors.Is(serr, openrouter.ErrServer) {
			t.Errorf("Stream, %s: %v", body, serr)
		}
		r := &openrouter.BatchResult{CustomID: "a", Response: &openrouter.BatchResponse{StatusCode: 200, Body: json.RawMessage(body)}}
		if res, err := r.Responses(); !errors.Is(err, openrouter.ErrServer) || res == nil {
			t.Errorf("batch result, %s: %+v, %v", body, res, err)
		}
	}
}

// The key a server's error message echoes is removed from everything a
// failed response hands the caller, not only from the *APIError: the
// Response's Error and Raw (Create, and a stream answered with JSON),
// and the failed or error event yielded with the error (its Raw,
// Message, Response). Each held the key.
func TestR5FailedResponsesHoldNoKey(t *testing.T) {
	t.Parallel()
	k := ort.DefaultKey
	failed := `{"id":"r1","object":"response","status":"failed","model":"m/x","error":{"code":"server_error","message":"bad key ` + k + `"},"output":[]}`
	req := &openrouter.ResponseRequest{Model: "m/x", Input: openrouter.ResponseText("hi")}
	has := func(v ...any) bool { return strings.Contains(fmt.Sprintf("%s %v %+v", v, v, v), k) }
	for _, ct := range []string{"application/json", "text/event-stream"} {
		c, _ := mbServer(t, 200, ct, failed)
		res, err := c.Responses.Create(context.Background(), req)
		if err == nil || res == nil || has(err, res.Error, res.Raw()) {
			t.Errorf("Create (%s): %v; the key is in the response: %s", ct, err, res.Raw())
		}
	}
	for _, body := range []string{failed, "data: " + `{"type":"response.failed","sequence_number":1,"response":` + failed + "}\n\n",
		"data: " + `{"type":"error","sequence_number":1,"code":"server_error","message":"key ` + k + `","param":"` + k + `"}` + "\n\n",
		"data: " + `{"type":"error","sequence_number":1,"code":500,"message":"key ` + k + `"}` + "\n\n"} {
		c, _ := mbServer(t, 200, "text/event-stream", body)
		s := c.Responses.Stream(context.Background(), req)
		n := 0
		for ev, err := range s.Events() {
			n++
			if err == nil || has(err, ev.Raw, ev.Message, ev.Param, ev.Code) || ev.Response != nil && has(ev.Response.Error, ev.Response.Raw()) {
				t.Errorf("%.60s: the event holds the key or no error: %s, %v", body, ev.Raw, err)
			}
		}
		if r := s.Response(); n != 1 || has(r.Error, r.Raw()) {
			t.Errorf("%.60s: %d events; Response holds the key: %s", body, n, r.Raw())
		}
	}
}

// Input items are sent as the OpenAPI document's ResponsesRequest takes
// them: a function's empty output and a call's empty arguments are sent
// ("" was dropped, the required member missing: a 400 for a function
// that returns nothing); a reasoning item without its id, and output
// parts outside an assistant message with an id, are refused before
// sending (they were sent, and refused by the schema).
func TestR5InputItemsMatchOpenAPI(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	req := helloResponse()
	req.Input = append(req.Input, openrouter.ResponseItem{Type: "function_call", ID: "fc_1", CallID: "c1", Name: "ping"}, openrouter.ResponseFunctionOutput("c1", ""))
	if _, err := c.Responses.Create(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	sent := string(srv.Requests()[0].Raw)
	for _, want := range []string{`"arguments":""`, `"output":""`} {
		if !strings.Contains(sent, want) {
			t.Errorf("%s is not sent: %s", want, sent)
		}
	}
	if n := checkResponsesRequests(t, srv); n != 1 {
		t.Errorf("%d requests", n)
	}
	for name, it := range map[string]openrouter.ResponseItem{
		"reasoning without id":     {Type: "reasoning", Summary: []openrouter.ResponsePart{{Type: "summary_text", Text: "s"}}},
		"output_text in user":      {Type: "message", Role: "user", Content: []openrouter.ResponsePart{{Type: "output_text", Text: "x"}}},
		"assistant output, no id":  {Type: "message", Role: "assistant", Content: []openrouter.ResponsePart{{Type: "output_text", Text: "x"}}},
		"refusal in system":        {Type: "message", Role: "system", ID: "m1", Content: []openrouter.ResponsePart{{Type: "refusal", Refusal: "no"}}},
		"assistant refusal, no id": {Type: "message", Role: "assistant", Content: []openrouter.ResponsePart{{Type: "refusal", Refusal: "no"}}},
	} {
		req := helloResponse()
		req.Input = append(req.Input, it)
		if _, err := c.Responses.Create(context.Background(), req); !errors.Is(err, openrouter.ErrInvalidRequest) {
			t.Errorf("%s: %v; want ErrInvalidRequest", name, err)
		}
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests sent", n)
	}
}

// checkResponsesRequests validates every /responses body the fake
// received against the document's ResponsesRequest, and counts them.
func checkResponsesRequests(t *testing.T, srv *ort.Server) int {
	t.Helper()
	sch, err := openapischema.Compile("openroutertest/testdata/openapi.yaml", "/components/schemas/ResponsesRequest")
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range srv.Requests() {
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.Raw))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(v); err != nil {
			t.Errorf("request %d does not match ResponsesRequest: %v\n%s", i, err, r.Raw)
		}
	}
	return len(srv.Requests())
}

// A Messages batch item is checked as the OpenAPI document's
// MessagesRequest takes it before anything is sent: a text block without
// text, a tool call without its id, a tool result without its call's id,
// a block of a type not modelled made by hand, a tool whose input_schema
// is no object (each was sent, and the stored batch failed validation).
// A thinking block from an answer goes back whole, signature included
// (its thinking and signature were dropped).
func TestR5MessagesItemsMatchOpenAPI(t *testing.T) {
	t.Parallel()
	srv, _, c := batchServer(t)
	user := openrouter.MessagesMessage{Role: "user", Text: "hi"}
	blocks := func(role string, b ...openrouter.MessagesBlock) openrouter.MessagesMessage {
		return openrouter.MessagesMessage{Role: role, Blocks: b}
	}
	call := blocks("assistant", openrouter.MessagesBlock{Type: "tool_use", ID: "t1", Name: "f", Input: json.RawMessage(`{}`)})
	for name, req := range map[string]*openrouter.MessagesRequest{
		"empty text":           {Messages: []openrouter.MessagesMessage{blocks("user", openrouter.MessagesBlock{Type: "text"})}},
		"tool_use without id":  {Messages: []openrouter.MessagesMessage{user, blocks("assistant", openrouter.MessagesBlock{Type: "tool_use", Name: "f"})}},
		"tool_result, no call": {Messages: []openrouter.MessagesMessage{user, call, blocks("user", openrouter.MessagesBlock{Type: "tool_result", Content: "ok"})}},
		"hand-made other type": {Messages: []openrouter.MessagesMessage{blocks("user", openrouter.MessagesBlock{Type: "image"})}},
		"schema not an object": {Messages: []openrouter.MessagesMessage{user}, Tools: []openrouter.MessagesTool{{Name: "f", InputSchema: json.RawMessage(`"x"`)}}},
	} {
		_, err := c.Batches.Submit(context.Background(), &openrouter.BatchRequest{Model: batchModel, Requests: []openrouter.BatchItem{{CustomID: "a", Messages: req}}})
		if !errors.Is(err, openrouter.ErrInvalidRequest) {
			t.Errorf("%s: %v; want ErrInvalidRequest", name, err)
		}
	}
	if n := srv.BatchCount(); n != 0 {
		t.Errorf("%d batches stored", n)
	}
	var res openrouter.MessagesResponse
	thinking := `{"type":"thinking","thinking":"Let me see.","signature":"sig-1"}`
	if err := json.Unmarshal([]byte(`{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[`+thinking+`,{"type":"text","text":"hi"}]}`), &res); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(blocks("assistant", res.Content...))
	if err != nil || !strings.Contains(string(b), thinking) {
		t.Errorf("the thinking block is sent back as %s, %v", b, err)
	}
	req := &openrouter.MessagesRequest{Messages: []openrouter.MessagesMessage{user, blocks("assistant", res.Content...), {Role: "user", Text: "more"}}}
	if _, err := c.Batches.Submit(context.Background(), &openrouter.BatchRequest{Model: batchModel, Requests: []openrouter.BatchItem{{CustomID: "a", Messages: req}}}); err != nil {
		t.Errorf("an answer's blocks sent back: %v", err)
	}
}

// deadlineCtx is a context whose deadline passes when expire is called.
type deadlineCtx struct {
	context.Context
	once sync.Once
	done chan struct{}
}

func newDeadlineCtx() *deadlineCtx {
	return &deadlineCtx{Context: context.Background(), done: make(chan struct{})}
}
func (c *deadlineCtx) Deadline() (time.Time, bool) { return time.Now().Add(time.Hour), true }
func (c *deadlineCtx) Done() <-chan struct{}       { return c.done }
func (c *deadlineCtx) Err() error {
	select {
	case <-c.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}
func (c *deadlineCtx) expire() { c.once.Do(func() { close(c.done) }) }

type expireOnWrite struct {
	bytes.Buffer
	ctx *deadlineCtx
}

func (w *expireOnWrite) Write(p []byte) (int, error) { w.ctx.expire(); return w.Buffer.Write(p) }

// A download cut by the caller's deadline matches ErrTimeout, as every
// other call ended by a deadline does (it matched only
// context.DeadlineExceeded, an untyped "reading the answer" error). The
// deadline passes when the first bytes are written: no timing.
func TestR5DownloadCutByDeadlineIsTimeout(t *testing.T) {
	t.Parallel()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "video/mp4")
		w.WriteHeader(200)
		w.Write([]byte("ftyp some video"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer hs.Close()
	c := openrouter.NewClient(ort.DefaultKey, openrouter.WithBaseURL(hs.URL+"/api/v1"), openrouter.WithLimiter(nil))
	ctx := newDeadlineCtx()
	w := &expireOnWrite{ctx: ctx}
	k, err := c.Videos.Download(ctx, "job-1", 0, w)
	if !errors.Is(err, openrouter.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) || k != int64(w.Len()) || k == 0 {
		t.Errorf("%d bytes (%d written): %v; want ErrTimeout and context.DeadlineExceeded", k, w.Len(), err)
	}
}
