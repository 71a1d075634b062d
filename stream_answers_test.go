package openrouter

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// streamServer answers every request with contentType and body, and
// records the last request body.
func streamServer(t *testing.T, contentType, body string, opts ...Option) (*Client, *[]byte) {
	t.Helper()
	var got []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", contentType)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return NewClient(testKey, append([]Option{WithBaseURL(srv.URL), WithRetry(0, 0, 0), WithLimiter(nil)}, opts...)...), &got
}

const contentChunk = `data: {"id":"g","model":"m/x","choices":[{"index":0,"delta":{"content":"half an ans"}}]}` + "\n\n"

// TestStreamDoneBeforeFinish: [DONE] before any finish reason is a cut
// stream, not a complete answer; the text so far is kept.
func TestStreamDoneBeforeFinish(t *testing.T) {
	t.Parallel()
	c, _ := streamServer(t, "text/event-stream", contentChunk+"data: [DONE]\n\n")
	s := c.ChatStream(context.Background(), chatReq())
	err := streamErr2(s)
	var se *StreamError
	if !errors.As(err, &se) || !errors.Is(err, ErrServer) || !strings.Contains(err.Error(), "before a finish reason") {
		t.Fatalf("err = %v, want a *StreamError for a truncated stream", err)
	}
	if se.Response.Content() != "half an ans" || s.Response().Content() != "half an ans" {
		t.Errorf("the text so far is lost: %q", se.Response.Content())
	}
}

// TestStreamJSONAnswerNotLabelled: a whole JSON answer with a text/plain
// label is read as the answer it is: a completion, or its error.
func TestStreamJSONAnswerNotLabelled(t *testing.T) {
	t.Parallel()
	completion := `{"id":"g","model":"m/x","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"whole"}}]}`
	c, _ := streamServer(t, "text/plain; charset=utf-8", completion)
	s := c.ChatStream(context.Background(), chatReq())
	if err := streamErr2(s); err != nil || s.Response().Content() != "whole" {
		t.Errorf("a completion as text/plain: err %v, content %q", err, s.Response().Content())
	}
	c, _ = streamServer(t, "text/plain", `{"error":{"code":429,"message":"Rate limit exceeded"}}`)
	err := streamErr(c)
	var e *APIError
	if !errors.As(err, &e) || !errors.Is(err, ErrRateLimited) {
		t.Errorf("an error object as text/plain: err = %v", err)
	}
	// Text that is neither says what came.
	c, _ = streamServer(t, "text/html", "<html><title>Gateway says no</title></html>")
	if err := streamErr(c); !errors.Is(err, ErrServer) || !strings.Contains(err.Error(), "Gateway says no") {
		t.Errorf("an HTML page: err = %v", err)
	}
}

// TestStreamToolCallsByID: calls told apart by ID alone (no index) stay
// separate calls; fragments without an ID join their index's call.
func TestStreamToolCallsByID(t *testing.T) {
	t.Parallel()
	ev := func(delta string) string {
		return `data: {"id":"g","choices":[{"index":0,"delta":` + delta + `}]}` + "\n\n"
	}
	body := ev(`{"tool_calls":[{"id":"call_a","type":"function","function":{"name":"f","arguments":"{\"x\":1}"}}]}`) +
		ev(`{"tool_calls":[{"id":"call_b","type":"function","function":{"name":"g","arguments":"{\"y\":"}}]}`) +
		ev(`{"tool_calls":[{"function":{"arguments":"2}"}}]}`) +
		ev(`{"tool_calls":[{"index":1,"id":"call_c","function":{"name":"h","arguments":""}}]}`) +
		ev(`{"tool_calls":[{"index":1,"function":{"arguments":"{}"}}]}`) +
		`data: {"id":"g","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}` + "\n\ndata: [DONE]\n\n"
	c, _ := streamServer(t, "text/event-stream", body)
	s := c.ChatStream(context.Background(), chatReq())
	if err := streamErr2(s); err != nil {
		t.Fatal(err)
	}
	calls := s.Response().Choices[0].Message.ToolCalls
	want := map[string]string{"call_a": `{"x":1}`, "call_b": `{"y":2}`, "call_c": `{}`}
	if len(calls) != len(want) {
		t.Fatalf("%d calls, want %d: %+v", len(calls), len(want), calls)
	}
	for _, tc := range calls {
		if want[tc.ID] != tc.Function.Arguments || !json.Valid([]byte(tc.Function.Arguments)) {
			t.Errorf("call %s: arguments %q, want %q", tc.ID, tc.Function.Arguments, want[tc.ID])
		}
	}
}

// TestStreamAsksForUsage: a streamed request carries
// stream_options.include_usage (OpenAI-compatible servers send usage only
// then); a non-streamed one does not, and the caller's own Extra wins.
func TestStreamAsksForUsage(t *testing.T) {
	t.Parallel()
	c, got := streamServer(t, "text/event-stream", contentChunk+`data: {"id":"g","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`+"\n\n")
	_ = streamErr(c)
	var body struct {
		Stream        bool `json:"stream"`
		StreamOptions *struct {
			IncludeUsage bool `json:"include_usage"`
		} `json:"stream_options"`
	}
	if err := json.Unmarshal(*got, &body); err != nil || !body.Stream || body.StreamOptions == nil || !body.StreamOptions.IncludeUsage {
		t.Errorf("streamed request body: %s", *got)
	}
	b, _ := chatReq().encode(false)
	if strings.Contains(string(b), "stream_options") {
		t.Errorf("a non-streamed request: %s", b)
	}
	req := chatReq()
	req.Extra = map[string]any{"/stream_options": map[string]bool{"include_usage": false}}
	b, _ = req.encode(true)
	if strings.Count(string(b), "stream_options") != 1 || !strings.Contains(string(b), `"include_usage":false`) {
		t.Errorf("the caller's stream_options: %s", b)
	}
}

// gateLimiter holds every request at its gate until open is closed.
type gateLimiter struct {
	entered chan struct{}
	open    chan struct{}
}

func (g *gateLimiter) Acquire(ctx context.Context) (func(Outcome), error) {
	g.entered <- struct{}{}
	select {
	case <-g.open:
		return func(Outcome) {}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// TestStreamFirstChunkTimerStartsAtSend: the first-chunk wait does not
// run while the request waits at the limiter's gate (a stream held at a
// 429 gate used to time out before it was sent); it starts once the
// request is written.
func TestStreamFirstChunkTimerStartsAtSend(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, contentChunk+`data: {"id":"g","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`+"\n\n")
	}))
	defer srv.Close()
	gate := &gateLimiter{entered: make(chan struct{}, 1), open: make(chan struct{})}
	c := NewClient(testKey, WithBaseURL(srv.URL), WithRetry(0, 0, 0), WithLimiter(gate), WithStreamTimeouts(30e9, 0))
	timers := ManualTimers(c)
	done := make(chan error, 1)
	go func() { done <- streamErr(c) }()
	<-gate.entered
	select {
	case <-timers:
		t.Fatal("the first-chunk timer started while the request waited at the gate")
	default:
	}
	close(gate.open)
	<-timers // started once the request was written
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestStreamChoiceErrorKept: a streamed choice that finishes with
// "error" gives the provider's error, not a generic one.
func TestStreamChoiceErrorKept(t *testing.T) {
	t.Parallel()
	c, _ := streamServer(t, "text/event-stream", contentChunk+
		`data: {"id":"g","choices":[{"index":0,"delta":{},"finish_reason":"error","error":{"code":502,"message":"Upstream overloaded"}}]}`+"\n\n")
	err := streamErr(c)
	var e *APIError
	if !errors.As(err, &e) || e.Message != "Upstream overloaded" || !errors.Is(err, ErrServer) {
		t.Errorf("err = %v", err)
	}
	if e != nil && (e.Response == nil || e.Response.Content() != "half an ans") {
		t.Errorf("the text so far is lost")
	}
}
