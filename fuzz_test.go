package openrouter

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
)

// FuzzDecodeAnswer feeds any 200 body to the chat answer's decoding and
// checks: never a panic, an error or an answer (not both), and no text
// of the key in the error. Seeds: testdata/fuzz/FuzzDecodeAnswer.
func FuzzDecodeAnswer(f *testing.F) {
	f.Add([]byte(`{"id":"g","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"hi"}}]}`))
	f.Add([]byte(`{"id":"g","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":[{"type":"text","text":"a"}]}}]}`))
	f.Add([]byte(`{"error":{"code":429,"message":"Rate limit exceeded","metadata":{"headers":{"X-RateLimit-Reset":"1"}}}}`))
	f.Add([]byte(`{"choices":[{"finish_reason":"error","error":{"code":502,"message":"x"}}]}`))
	f.Add([]byte("<html><title>Caf\xe9\xc0</title></html>"))
	f.Add([]byte(`{"choices":[{"message":{"tool_calls":[{"id":"a","function":{"name":"f","arguments":"{}"}}]}}]}`))
	c := NewClient(testKey)
	resp := &http.Response{StatusCode: 200, Header: http.Header{}}
	f.Fuzz(func(t *testing.T, body []byte) {
		var out chatEnvelope
		err := c.redactErr(decodeJSON(resp, body, &out))
		if err == nil {
			if e := c.answerError(out.Error); e != nil {
				err = e
			} else {
				err = c.redactErr(checkAnswer(&out.ChatResponse, "m/x"))
			}
		}
		if err != nil {
			if s := err.Error() + Hint(err); leaks(s) {
				t.Fatalf("the key leaks: %s", s)
			}
		}
	})
}

// FuzzStream feeds any body, under any content type, to ChatStream:
// never a panic, never a hang, an error or a finished answer at the end.
// Seeds: testdata/fuzz/FuzzStream.
func FuzzStream(f *testing.F) {
	f.Add("text/event-stream", []byte(": OPENROUTER PROCESSING\n\ndata: {\"id\":\"g\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"))
	f.Add("text/event-stream", []byte("data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"id\":\"a\",\"function\":{\"arguments\":\"{\"}}]}}]}\n\ndata: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":{\"arguments\":\"}\"}}]},\"finish_reason\":\"tool_calls\"}]}\n\n"))
	f.Add("text/event-stream", []byte("data: {\"error\":{\"code\":502,\"message\":\"x\"}}\n\n"))
	f.Add("text/plain", []byte(`{"choices":[{"finish_reason":"stop","message":{"content":"x"}}]}`))
	f.Add("text/html", []byte("<html><title>\xe9\xc0 down</title>"))
	f.Add("application/json", []byte(`{"error":"bare"}`))
	// The 2026 error model in a stream: an availability error before any
	// content and after some, with and without the finish_reason "error"
	// chunk, in the choice only, and with hostile members.
	f.Add("text/event-stream", []byte("data: {\"id\":\"g\",\"error\":{\"message\":\"m\",\"error_type\":\"rate_limit_exceeded\",\"http_status\":429,\"availability\":{\"code\":\"capacity_exhausted\",\"retryable\":true,\"retry_after\":40}},\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"finish_reason\":\"error\"}]}\n\n"))
	f.Add("text/event-stream", []byte("data: {\"id\":\"g\",\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\ndata: {\"id\":\"g\",\"error\":{\"http_status\":\"404\",\"availability\":{\"code\":\"model_deprecated\",\"fallback_models\":null,\"retry_after\":\"-3\"}}}\n\n"))
	f.Add("text/event-stream", []byte("data: {\"id\":\"g\",\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\ndata: {\"choices\":[{\"delta\":{},\"finish_reason\":\"error\",\"error\":{\"code\":500,\"http_status\":429,\"availability\":{\"code\":\"new_code\",\"retryable\":\"maybe\",\"retry_after\":1e400}}}]}\n\n"))
	f.Add("text/event-stream", []byte("data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"error\"}]}\n\n"))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {contentType}},
				Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
		})}
		c := NewClient(testKey, WithHTTPClient(hc), WithRetry(0, 0, 0), WithLimiter(nil),
			WithAnswerLimits(AnswerLimits{JSON: 1 << 16, SSEEvent: 1 << 12, Stream: 1 << 16}))
		s := c.ChatStream(context.Background(), chatReq())
		var err error
		n := 0
		for _, e := range s.Chunks() {
			n++
			if e != nil {
				err = e
			}
			if n > len(body)+2 {
				t.Fatalf("%d chunks from %d bytes", n, len(body))
			}
		}
		if err != nil && leaks(err.Error()) {
			t.Fatalf("the key leaks: %v", err)
		}
		_ = s.Response()
	})
}

// FuzzRedact: the redactor never panics and leaves no 12-character run of
// the secret in any text, however the key is cut and mixed in.
// Seeds: testdata/fuzz/FuzzRedact.
func FuzzRedact(f *testing.F) {
	f.Add("prefix ", 0, 40, " suffix")
	f.Add("", 9, 70, "")
	f.Add("\xff\xfe", 20, 33, "sk-or-v1-")
	r := newRedactor(testKey)
	f.Fuzz(func(t *testing.T, before string, from, to int, after string) {
		from, to = max(0, min(from, len(testKey))), max(0, min(to, len(testKey)))
		if from > to {
			from, to = to, from
		}
		s := r.String(before + testKey[from:to] + after)
		if leaks(s) {
			t.Fatalf("String left the key in %q", s)
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
