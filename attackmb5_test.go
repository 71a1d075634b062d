package openrouter_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// mb5Server answers every POST with body (typed ctype, status 200) and
// counts the POSTs; the client retries up to 3 times.
func mb5Server(t *testing.T, ctype, body string) (*openrouter.Client, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			n.Add(1)
		}
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("X-Generation-Id", "gen-mb5")
		w.Write([]byte(body))
	}))
	t.Cleanup(hs.Close)
	return openrouter.NewClient(ort.DefaultKey, openrouter.WithBaseURL(hs.URL+"/api/v1"), openrouter.WithLimiter(nil),
		openrouter.WithRetry(3, time.Millisecond, time.Millisecond)), &n
}

// mb5Avail is an availability error whose retryable flag is true: before
// any output it may be sent again; after output it is maybe billed.
const mb5Avail = `{"code":503,"message":"unavailable","metadata":{"error_type":"provider_unavailable"},` +
	`"availability":{"code":"temporarily_unavailable","retryable":true}}`

func sse(events ...string) string {
	var b strings.Builder
	for _, e := range events {
		b.WriteString("data: " + e + "\n\n")
	}
	return b.String()
}

// TestAttackMB5ChatOutputKinds: an availability error inside a 200 chat
// answer is maybe billed once any of the model's output came, whatever
// its kind, and the request is sent once.
func TestAttackMB5ChatOutputKinds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body string
		billed     bool
	}{
		{"content parts", `{"id":"gen-1","choices":[{"index":0,"finish_reason":"error","error":` + mb5Avail + `,"message":{"role":"assistant","content":[{"type":"text","text":"Partial"}]}}]}`, true},
		{"reasoning details only", `{"id":"gen-1","choices":[{"index":0,"finish_reason":"error","error":` + mb5Avail + `,"message":{"role":"assistant","content":"","reasoning_details":[{"type":"reasoning.encrypted","data":"abc"}]}}]}`, true},
		{"whitespace content", `{"id":"gen-1","choices":[{"index":0,"finish_reason":"error","error":` + mb5Avail + `,"message":{"role":"assistant","content":"  "}}]}`, true},
		{"usage with completion tokens", `{"id":"gen-1","choices":[{"index":0,"finish_reason":"error","error":` + mb5Avail + `,"message":{"role":"assistant","content":""}}],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12,"cost":0.001}}`, true},
		{"top-level error, choice content", `{"id":"gen-1","error":` + mb5Avail + `,"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Hi"}}]}`, true},
		{"top-level ERROR, choice content", `{"id":"gen-1","ERROR":` + mb5Avail + `,"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Hi"}}]}`, true},
		{"escaped name", `{"id":"gen-1","\u0065rror":` + mb5Avail + `,"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Hi"}}]}`, true},
		{"spaces around", `{"id":"gen-1", "error" : ` + mb5Avail + ` ,"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Hi"}}]}`, true},
		{"no output", `{"id":"gen-1","choices":[{"index":0,"finish_reason":"error","error":` + mb5Avail + `,"message":{"role":"assistant","content":""}}]}`, false},
		{"role only", `{"id":"gen-1","error":` + mb5Avail + `}`, false},
	} {
		c, n := mb5Server(t, "application/json", tc.body)
		_, err := c.Chat(context.Background(), hello())
		var e *openrouter.APIError
		if !errors.As(err, &e) {
			t.Errorf("%s: %v, want an *APIError", tc.name, err)
			continue
		}
		checkMB5Billed(t, tc.name, err, tc.billed, n.Load())
	}
}

// TestAttackMB5StreamOutputKinds: the same in a chat stream, output
// coming in chunks before the error event.
func TestAttackMB5StreamOutputKinds(t *testing.T) {
	t.Parallel()
	errEv := `{"id":"gen-1","object":"chat.completion.chunk","error":` + mb5Avail + `,"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}`
	chunk := func(delta string) string {
		return `{"id":"gen-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":` + delta + `,"finish_reason":null}]}`
	}
	for _, tc := range []struct {
		name   string
		events []string
		billed bool
	}{
		{"whitespace content", []string{chunk(`{"role":"assistant","content":" "}`), errEv}, true},
		{"tool call delta", []string{chunk(`{"role":"assistant","tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":""}}]}`), errEv}, true},
		{"tool call args only", []string{chunk(`{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\""}}]}`), errEv}, true},
		{"reasoning details only", []string{chunk(`{"role":"assistant","content":"","reasoning_details":[{"type":"reasoning.encrypted","data":"abc"}]}`), errEv}, true},
		{"usage chunk", []string{`{"id":"gen-1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12,"cost":0.001}}`, errEv}, true},
		{"role only", []string{chunk(`{"role":"assistant","content":""}`), errEv}, false},
		{"error first", []string{errEv}, false},
		{"choice error", []string{chunk(`{"role":"assistant","content":"Part"}`), `{"id":"gen-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":""},"finish_reason":"error","error":` + mb5Avail + `}]}`}, true},
	} {
		c, n := mb5Server(t, "text/event-stream", sse(tc.events...))
		_, err := drain(c.ChatStream(context.Background(), hello()))
		var e *openrouter.APIError
		if !errors.As(err, &e) {
			t.Errorf("%s: %v, want an *APIError", tc.name, err)
			continue
		}
		if got := errors.Is(err, openrouter.ErrMaybeBilled); got != tc.billed {
			t.Errorf("%s: ErrMaybeBilled = %v, want %v (%v)", tc.name, got, tc.billed, err)
		}
		if n.Load() != 1 {
			t.Errorf("%s: %d requests, want 1", tc.name, n.Load())
		}
	}
}

// TestAttackMB5ResponsesOutputKinds: a Responses stream's failure with an
// availability error is maybe billed once the model's output began.
func TestAttackMB5ResponsesOutputKinds(t *testing.T) {
	t.Parallel()
	created := `{"type":"response.created","response":{"id":"resp_1","object":"response","status":"in_progress","output":[]}}`
	failed := func(output, usage string) string {
		return `{"type":"response.failed","response":{"id":"resp_1","object":"response","status":"failed","output":` + output + usage + `,` +
			`"error":{"code":"server_error","message":"unavailable","error_type":"provider_unavailable","http_status":503,` +
			`"availability":{"code":"temporarily_unavailable","retryable":true}}}}`
	}
	for _, tc := range []struct {
		name   string
		events []string
		billed bool
	}{
		{"item added, empty", []string{created, `{"type":"response.output_item.added","output_index":0,"item":{"type":"message","id":"msg_1","role":"assistant","status":"in_progress","content":[]}}`, failed(`[]`, "")}, true},
		{"unknown event with output index", []string{created, `{"type":"response.image_generation_call.partial_image","output_index":0,"item_id":"ig_1","partial_image_b64":"AAAA"}`, failed(`[]`, "")}, true},
		{"failed response holds output", []string{created, failed(`[{"type":"message","id":"msg_1","role":"assistant","status":"incomplete","content":[{"type":"output_text","text":"Part"}]}]`, "")}, true},
		{"failed response usage", []string{created, failed(`[]`, `,"usage":{"input_tokens":5,"output_tokens":7,"total_tokens":12,"cost":0.001}`)}, true},
		{"unknown event, no output", []string{created, `{"type":"response.queued","sequence_number":2}`, failed(`[]`, "")}, false},
	} {
		c, n := mb5Server(t, "text/event-stream", sse(tc.events...))
		_, _, err := collectEvents(c.Responses.Stream(context.Background(), helloResponse()))
		var e *openrouter.APIError
		if !errors.As(err, &e) || e.Availability == nil {
			t.Errorf("%s: %v, want an availability *APIError", tc.name, err)
			continue
		}
		if got := errors.Is(err, openrouter.ErrMaybeBilled); got != tc.billed {
			t.Errorf("%s: ErrMaybeBilled = %v, want %v (%v)", tc.name, got, tc.billed, err)
		}
		if n.Load() != 1 {
			t.Errorf("%s: %d requests, want 1", tc.name, n.Load())
		}
	}
}

// TestAttackMB5ResponsesCreateFailedWithOutput: Create answered with a
// failed response that holds output (or charged usage) and an
// availability error: the model ran, so the error is maybe billed; the
// same failure without output is not.
func TestAttackMB5ResponsesCreateFailedWithOutput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, output, usage string
		billed              bool
	}{
		{"output item", `[{"type":"message","id":"msg_1","role":"assistant","status":"incomplete","content":[{"type":"output_text","text":"Part"}]}]`, "", true},
		{"charged usage", `[]`, `,"usage":{"input_tokens":5,"output_tokens":7,"total_tokens":12,"cost":0.001}`, true},
		{"nothing", `[]`, "", false},
	} {
		body := `{"id":"resp_1","object":"response","status":"failed","output":` + tc.output + tc.usage + `,` +
			`"error":{"code":"server_error","message":"unavailable","error_type":"provider_unavailable","http_status":503,` +
			`"availability":{"code":"temporarily_unavailable","retryable":true}}}`
		c, n := mb5Server(t, "application/json", body)
		_, err := c.Responses.Create(context.Background(), helloResponse())
		var e *openrouter.APIError
		if !errors.As(err, &e) || e.Availability == nil {
			t.Errorf("%s: %v, want an availability *APIError", tc.name, err)
			continue
		}
		checkMB5Billed(t, tc.name, err, tc.billed, n.Load())
	}
}

// TestAttackMB5DuplicateErrorMember: a 200 chat answer with an error
// member followed by a null one of the same name (encoding/json keeps
// the last) is the error, maybe billed, not a success; a GET's is the
// error too.
func TestAttackMB5DuplicateErrorMember(t *testing.T) {
	t.Parallel()
	for _, dup := range []string{`"Error":null`, `"error":null`, `"\u0065rror":null`} {
		body := `{"id":"gen-1","error":{"code":502,"message":"Provider disconnected"},"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Hi"}}],` + dup + `}`
		c, n := mb5Server(t, "application/json", body)
		_, err := c.Chat(context.Background(), hello())
		if !errors.Is(err, openrouter.ErrServer) || !errors.Is(err, openrouter.ErrMaybeBilled) || n.Load() != 1 {
			t.Errorf("chat, then %s: %v after %d requests, want the error, maybe billed, sent once", dup, err, n.Load())
		}
		if _, err := c.Credits(context.Background()); !errors.Is(err, openrouter.ErrServer) {
			t.Errorf("credits, then %s: %v, want the error", dup, err)
		}
	}
}

// TestAttackMB5StreamDuplicateErrorMember: in a chat stream, an error
// event whose "error" member is followed by a null one, and a 200
// answered with JSON so, are the error, not a chunk or a completion.
func TestAttackMB5StreamDuplicateErrorMember(t *testing.T) {
	t.Parallel()
	errObj := `"error":{"code":502,"message":"Provider disconnected"}`
	for _, tc := range []struct{ name, ctype, body string }{
		{"event", "text/event-stream", sse(`{"id":"gen-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}`,
			`{"id":"gen-1","object":"chat.completion.chunk",`+errObj+`,"choices":[{"index":0,"delta":{"content":" there"},"finish_reason":"stop"}],"ERROR":null}`)},
		{"JSON answer", "application/json", `{"id":"gen-1",` + errObj + `,"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Hi"}}],"Error":null}`},
	} {
		c, n := mb5Server(t, tc.ctype, tc.body)
		_, err := drain(c.ChatStream(context.Background(), hello()))
		if !errors.Is(err, openrouter.ErrServer) || !errors.Is(err, openrouter.ErrMaybeBilled) || n.Load() != 1 {
			t.Errorf("%s: %v after %d requests, want the error, maybe billed, sent once", tc.name, err, n.Load())
		}
	}
}

// TestAttackMB5JSONFallbackAfterOutput: ChatJSON with a fallback model
// does not send the fallback after an availability error that followed
// output of any kind (maybe billed: a second generation behind the
// caller's back), and does after one with no output (no endpoint could
// serve the first model).
func TestAttackMB5JSONFallbackAfterOutput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, message string
		usage         string
		requests      int32
	}{
		{"content parts", `{"role":"assistant","content":[{"type":"text","text":"{\"A\":"}]}`, "", 1},
		{"reasoning blocks", `{"role":"assistant","content":"","reasoning_details":[{"type":"reasoning.encrypted","data":"x"}]}`, "", 1},
		{"charged usage", `{"role":"assistant","content":""}`, `,"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8,"cost":0.0001}`, 1},
		{"no output", `{"role":"assistant","content":""}`, "", 2},
	} {
		body := `{"id":"gen-1","choices":[{"index":0,"finish_reason":"error","error":` + mb5Avail + `,"message":` + tc.message + `}]` + tc.usage + `}`
		c, n := mb5Server(t, "application/json", body)
		_, _, err := openrouter.ChatJSON[mbResult](context.Background(), c, hello(), openrouter.JSONFallbackModels("anthropic/claude-sonnet-4.5"))
		if err == nil || n.Load() != tc.requests {
			t.Errorf("%s: %v after %d requests, want an error after %d", tc.name, err, n.Load(), tc.requests)
		}
		if billed := errors.Is(err, openrouter.ErrMaybeBilled); billed != (tc.requests == 1) {
			t.Errorf("%s: ErrMaybeBilled = %v (%v)", tc.name, billed, err)
		}
	}
}

// TestAttackMB5CallerDeadlineNotCallTimeout: the caller's own deadline,
// shorter than CallTimeout, cutting an answer's body is not named as the
// CallTimeout (which did not pass); the error is a timeout all the same.
// The server never finishes the body, so the caller's deadline is what
// ends each call.
func TestAttackMB5CallerDeadlineNotCallTimeout(t *testing.T) {
	t.Parallel()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		_, _ = w.Write([]byte(`{"id":"gen-1","choices":[`))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(hs.Close)
	c := openrouter.NewClient(ort.DefaultKey, openrouter.WithBaseURL(hs.URL), openrouter.WithLimiter(nil), openrouter.WithRetry(0, time.Millisecond, time.Minute),
		openrouter.WithStreamTimeouts(0, 0))
	timeout := openrouter.CallTimeout(time.Hour)
	for name, call := range map[string]func(ctx context.Context) error{
		"chat":    func(ctx context.Context) error { _, err := c.Chat(ctx, hello(), timeout); return err },
		"credits": func(ctx context.Context) error { _, err := c.Credits(ctx, timeout); return err },
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		err := call(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "CallTimeout") {
			t.Errorf("%s: err = %v, want context.DeadlineExceeded, not naming CallTimeout (it did not pass)", name, err)
		}
	}
}

// TestAttackMB5StreamAnsweredWithJSON: a stream request answered with
// JSON holding output and an availability error (a chat completion with
// content, a failed response with an output item) is maybe billed, as
// the same answer to Chat or Create is.
func TestAttackMB5StreamAnsweredWithJSON(t *testing.T) {
	t.Parallel()
	c, n := mb5Server(t, "application/json", `{"id":"gen-1","error":`+mb5Avail+`,"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Hi"}}]}`)
	if _, err := drain(c.ChatStream(context.Background(), hello())); !errors.Is(err, openrouter.ErrMaybeBilled) || n.Load() != 1 {
		t.Errorf("chat stream: %v after %d requests, want maybe billed, sent once", err, n.Load())
	}
	c, n = mb5Server(t, "application/json", `{"id":"resp_1","object":"response","status":"failed","output":[{"type":"message","id":"msg_1","role":"assistant","status":"incomplete","content":[{"type":"output_text","text":"Part"}]}],`+
		`"error":{"code":"server_error","message":"unavailable","error_type":"provider_unavailable","http_status":503,"availability":{"code":"temporarily_unavailable","retryable":true}}}`)
	if _, _, err := collectEvents(c.Responses.Stream(context.Background(), helloResponse())); !errors.Is(err, openrouter.ErrMaybeBilled) || n.Load() != 1 {
		t.Errorf("responses stream: %v after %d requests, want maybe billed, sent once", err, n.Load())
	}
}

// checkMB5Billed checks that err matches ErrMaybeBilled exactly when
// billed, and that a maybe-billed call was sent once (requests).
func checkMB5Billed(t *testing.T, name string, err error, billed bool, requests int32) {
	t.Helper()
	if got := errors.Is(err, openrouter.ErrMaybeBilled); got != billed {
		t.Errorf("%s: ErrMaybeBilled = %v, want %v (%v)", name, got, billed, err)
	}
	if billed && requests != 1 {
		t.Errorf("%s: %d requests, want 1", name, requests)
	}
}
