package openroutertest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/routerkit/openrouter/openroutertest"
)

// errorOf decodes OpenRouter's error body.
func errorOf(t *testing.T, body string) (code int, message string) {
	t.Helper()
	var e struct {
		Error *struct {
			Code    int
			Message string
		}
	}
	if json.Unmarshal([]byte(body), &e) != nil || e.Error == nil {
		t.Fatalf("not an error body: %s", body)
	}
	return e.Error.Code, e.Error.Message
}

// TestAuthAndModelErrors: no key is 401 "No auth credentials found", an
// unknown key 401 "User not found.", an unknown model 400 "<id> is not a
// valid model ID", tools on a model without them 404; each body's
// error.code equals the status (RULES.md A1, A2, E1, E4, C13).
func TestAuthAndModelErrors(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	tools := `"tools":[{"type":"function","function":{"name":"f"}}]`
	for name, tc := range map[string]struct {
		key, body string
		status    int
		message   string
	}{
		"A1 no key":      {"", chatBody(hello, ""), 401, "No auth credentials found"},
		"A2 unknown key": {"sk-or-v1-unknown", chatBody(hello, ""), 401, "User not found."},
		"E4 bad model":   {srv.Key, `{"model":"acme/fake-1.0","messages":` + hello + `}`, 400, "acme/fake-1.0 is not a valid model ID"},
		"C13 no tools":   {srv.Key, `{"model":"mistralai/mistral-nemo","messages":` + hello + `,` + tools + `}`, 404, "No endpoints found that support tool use"},
	} {
		status, body := send(t, srv, "POST", "/chat/completions", tc.body, tc.key, nil)
		code, msg := errorOf(t, body)
		if status != tc.status || code != tc.status || !strings.HasPrefix(msg, tc.message) {
			t.Errorf("%s: %d, code %d, %q; want %d with %q", name, status, code, msg, tc.status, tc.message)
		}
	}
}

// TestGenerationIDHeader: a 200, streamed or not, carries X-Generation-Id
// equal to the body's id, usage, and no X-RateLimit-* header (RULES.md
// B1, B2, A5); a stream is text/event-stream ending in [DONE] (S1).
func TestGenerationIDHeader(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	for _, stream := range []bool{false, true} {
		body := chatBody(hello, "")
		if stream {
			body = chatBody(hello, `"stream":true`)
		}
		req, _ := http.NewRequest("POST", srv.URL+"/chat/completions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+srv.Key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("X-Generation-Id")
		if resp.StatusCode != 200 || id == "" || !strings.Contains(string(raw), `"id":"`+id+`"`) || !strings.Contains(string(raw), `"usage":{`) {
			t.Errorf("stream %v: %d, X-Generation-Id %q, body %.300s", stream, resp.StatusCode, id, raw)
		}
		for k := range resp.Header {
			if strings.HasPrefix(strings.ToLower(k), "x-ratelimit") {
				t.Errorf("stream %v: a successful answer carries %s", stream, k)
			}
		}
		if stream && (!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") || !strings.HasSuffix(strings.TrimSpace(string(raw)), "data: [DONE]")) {
			t.Errorf("stream: Content-Type %q, end %q", resp.Header.Get("Content-Type"), raw[max(0, len(raw)-20):])
		}
	}
}

// TestStreamValidationErrorIsJSON: a malformed streamed request gets a
// JSON 400, not an event stream (RULES.md S2).
func TestStreamValidationErrorIsJSON(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	status, body := send(t, srv, "POST", "/chat/completions", chatBody(`[{"role":"tool","content":"x"}]`, `"stream":true`), srv.Key, nil)
	if code, _ := errorOf(t, body); status != 400 || code != 400 || strings.Contains(body, "data:") {
		t.Errorf("%d %s; want a JSON 400", status, body)
	}
}

// TestBatchSubmissionEnvelope: the envelope errors are 400 at submission
// (RULES.md T2, T3, T5); a good one is 202 validating with results and
// usage null (T1).
func TestBatchSubmissionEnvelope(t *testing.T) {
	t.Parallel()
	srv, _ := batchServer(t)
	req := `"requests":[{"custom_id":"a","body":` + userBody("hi") + `}]`
	for name, tc := range map[string]struct{ body, want string }{
		"T2 requests first": {`{` + req + `,"endpoint":"/v1/chat/completions","model":"openai/gpt-4o-mini"}`, "before requests"},
		"T3 bad endpoint":   {`{"endpoint":"/v1/completions","model":"openai/gpt-4o-mini",` + req + `}`, "endpoint must be one of"},
		"T3 no model":       {`{"endpoint":"/v1/chat/completions",` + req + `}`, "before requests"},
		"T3 empty requests": {`{"endpoint":"/v1/chat/completions","model":"openai/gpt-4o-mini","requests":[]}`, "non-empty"},
		"T3 repeated id":    {`{"endpoint":"/v1/chat/completions","model":"openai/gpt-4o-mini","requests":[{"custom_id":"a","body":{}},{"custom_id":"a","body":{}}]}`, "unique"},
		"T21 provider keys": {`{"endpoint":"/v1/chat/completions","model":"openai/gpt-4o-mini","provider":{"zdr":true},` + req + `}`, "provider"},
		"T5 window":         {`{"endpoint":"/v1/chat/completions","model":"openai/gpt-4o-mini","completion_window":"48h",` + req + `}`, "24h"},
	} {
		status, body := send(t, srv, "POST", "/batches", tc.body, srv.Key, nil)
		if code, msg := errorOf(t, body); status != 400 || code != 400 || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: %d %q; want 400 with %q", name, status, msg, tc.want)
		}
	}
	status, body := send(t, srv, "POST", "/batches", `{"endpoint":"/v1/chat/completions","model":"openai/gpt-4o-mini",`+req+`}`, srv.Key, nil)
	var b map[string]any
	_ = json.Unmarshal([]byte(body), &b)
	if status != 202 || b["status"] != "validating" || b["object"] != "batch" || b["results"] != nil || b["usage"] != nil {
		t.Errorf("submit: %d %s; want 202 validating, results and usage null", status, body)
	}
}

// TestBatchLifecycle: the status runs validating, in_progress,
// finalizing, completed (RULES.md T10); usage is null until completed,
// then about half the sync price (T18); request_counts count failed
// requests (T16); each row has exactly one of response and error (T12);
// a request body naming another model fails the batch (T4); cancelling a
// finished batch is refused (T19).
func TestBatchLifecycle(t *testing.T) {
	t.Parallel()
	srv, clock := batchServer(t)
	srv.FailBatchRequest("r1", openroutertest.BatchFailure{Status: 429, Message: "Rate limit exceeded", AsError: true})
	id := submitBatch(t, srv, "openai/gpt-4o-mini", userBody("hello there"), userBody("b"), userBody("c"))
	var seen []string
	for i := 0; i < 15; i++ {
		status, body := send(t, srv, "GET", "/batches/"+id, "", srv.Key, nil)
		var b struct {
			Status string
			Usage  *struct{ Cost float64 }
		}
		if status != 200 || json.Unmarshal([]byte(body), &b) != nil {
			t.Fatalf("%d %s", status, body)
		}
		if (b.Usage != nil) != (b.Status == "completed") {
			t.Errorf("status %s with usage %v", b.Status, b.Usage)
		}
		if len(seen) == 0 || seen[len(seen)-1] != b.Status {
			seen = append(seen, b.Status)
		}
		clock.Advance(30 * time.Second)
	}
	if strings.Join(seen, ",") != "validating,in_progress,finalizing,completed" {
		t.Errorf("statuses %v", seen)
	}
	b := getBatch(t, srv, id)
	if b.RequestCounts.Total != 3 || b.RequestCounts.Completed != 2 || b.RequestCounts.Failed != 1 {
		t.Errorf("request_counts %+v; want 3 total, 2 completed, 1 failed", b.RequestCounts)
	}
	rows, _ := allResults(t, srv, id, 10)
	for _, r := range rows {
		hasErr := len(r.Error) > 0 && string(r.Error) != "null"
		if (r.Response != nil) == hasErr {
			t.Errorf("row %s: response %v, error %s; want exactly one", r.CustomID, r.Response != nil, r.Error)
		}
	}
	sync := chatUsage(t, srv, chatBody(`[{"role":"user","content":"hello there"}]`, ""))
	var row resultRow
	for _, r := range rows {
		if r.CustomID == "r0" {
			row = r
		}
	}
	_, ans := send(t, srv, "GET", "/batches/"+id+"/results?limit=10", "", srv.Key, nil)
	if row.Response == nil || !strings.Contains(ans, `"cost":`) {
		t.Fatalf("no r0 row: %s", ans)
	}
	var page struct {
		Data []struct {
			CustomID string `json:"custom_id"`
			Response *struct{ Body struct{ Usage usage } }
		}
	}
	_ = json.Unmarshal([]byte(ans), &page)
	for _, r := range page.Data {
		if r.CustomID == "r0" && !near(r.Response.Body.Usage.Cost, sync.Cost/2) {
			t.Errorf("batch cost %g; want half the sync cost %g", r.Response.Body.Usage.Cost, sync.Cost)
		}
	}
	if status, _ := send(t, srv, "POST", "/batches/"+id+"/cancel", "", srv.Key, nil); status != 409 {
		t.Errorf("cancelling a completed batch: %d; want 409", status)
	}
	failsValidation(t, "T4 other model", "openai/gpt-4o-mini",
		[]string{userBody("a"), `{"model":"anthropic/claude-haiku-4.5","messages":` + hello + `}`}, "requests[1] (r1)", "differs")
}

// TestMidStreamError: an error after the stream started is a data event
// with a top-level error and one choice finishing with "error", and the
// stream ends there (RULES.md E6).
func TestMidStreamError(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	srv.Enqueue(openroutertest.Reply{Content: "partial answer", Error: &openroutertest.ErrorBody{Code: 502, Message: "Provider disconnected",
		Metadata: map[string]any{"error_type": "provider_unavailable"}}, Stream: openroutertest.StreamScript{After: 1}})
	status, body := send(t, srv, "POST", "/chat/completions", chatBody(hello, `"stream":true`), srv.Key, nil)
	var last string
	for _, line := range strings.Split(body, "\n") {
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			last = data
		}
	}
	var ev struct {
		Error   *struct{ Code int }
		Choices []struct {
			FinishReason string `json:"finish_reason"`
		}
	}
	if status != 200 || json.Unmarshal([]byte(last), &ev) != nil || ev.Error == nil || ev.Error.Code != 502 ||
		len(ev.Choices) != 1 || ev.Choices[0].FinishReason != "error" {
		t.Errorf("%d, last event %s; want an error event finishing with error, and nothing after it", status, last)
	}
}
