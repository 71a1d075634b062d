package orotel_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
	orotel "github.com/routerkit/openrouter/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// contentSetup is a fake server and a client whose observer records
// content (WithContent), with its span recorder.
func contentSetup(t *testing.T) (*openroutertest.Server, *openrouter.Client, *tracetest.SpanRecorder) {
	t.Helper()
	o, sr, _, _ := newObserver(t, orotel.WithContent())
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	return srv, srv.Client(openrouter.WithObserver(o), openrouter.WithLimiter(nil), openrouter.WithRetry(3, 0, 0)), sr
}

// semMessages decodes a gen_ai.*.messages attribute.
type semMessages []struct {
	Role  string `json:"role"`
	Parts []struct {
		Type    string `json:"type"`
		Content string `json:"content"`
	} `json:"parts"`
	FinishReason string `json:"finish_reason"`
}

// With WithContent, a chat call's span holds its prompt in
// gen_ai.input.messages and its completion in gen_ai.output.messages, in
// the conventions' shape, for Chat and ChatStream.
func TestContentWithOption(t *testing.T) {
	_, c, sr := contentSetup(t)
	r, err := c.Chat(context.Background(), hello())
	if err != nil {
		t.Fatal(err)
	}
	var streamed strings.Builder
	for ch, err := range c.ChatStream(context.Background(), hello()).Chunks() {
		if err != nil {
			t.Fatal(err)
		}
		streamed.WriteString(ch.Content())
	}
	calls, _ := split(sr.Ended())
	if len(calls) != 2 {
		t.Fatalf("%d call spans, want 2", len(calls))
	}
	for i, want := range []string{r.Content(), streamed.String()} {
		a := attrs(calls[i].Attributes())
		var in, out semMessages
		if err := json.Unmarshal([]byte(a["gen_ai.input.messages"].AsString()), &in); err != nil {
			t.Fatalf("span %d input: %v", i, err)
		}
		if err := json.Unmarshal([]byte(a["gen_ai.output.messages"].AsString()), &out); err != nil {
			t.Fatalf("span %d output: %v", i, err)
		}
		if len(in) != 1 || in[0].Role != "user" || len(in[0].Parts) != 1 || in[0].Parts[0].Type != "text" || in[0].Parts[0].Content != "Hello" {
			t.Errorf("span %d input = %+v", i, in)
		}
		if want == "" || len(out) != 1 || out[0].Role != "assistant" || len(out[0].Parts) != 1 || out[0].Parts[0].Content != want || out[0].FinishReason != "stop" {
			t.Errorf("span %d output = %+v, want %q", i, out, want)
		}
	}
}

// Without WithContent, the Observer wants no content and no span holds
// a successful call's prompt or completion.
func TestContentNotWithoutOption(t *testing.T) {
	_, c, sr, reader, _ := setup(t)
	req := hello()
	req.Messages[0].Content = "SECRET-PROMPT"
	r, err := c.Chat(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	for ch, err := range c.ChatStream(context.Background(), req).Chunks() {
		if err != nil {
			t.Fatal(err)
		}
		_ = ch
	}
	allEnded(t, sr, reader)
	if !strings.Contains(r.Content(), "SECRET-PROMPT") {
		t.Fatalf("the fake's completion %q does not echo the prompt: the test proves nothing", r.Content())
	}
	for _, s := range spanTexts(sr.Ended()) {
		if strings.Contains(s, "SECRET-PROMPT") {
			t.Errorf("a span holds the prompt or completion: %s", s)
		}
	}
	o, err := orotel.New(sdktrace.NewTracerProvider(), sdkmetric.NewMeterProvider())
	if err != nil {
		t.Fatal(err)
	}
	if o.WantsContent() {
		t.Error("an Observer without WithContent wants content")
	}
}

// Even with WithContent, the API key is in no span: neither a failed
// call's (an error echoing the key) nor a successful one's.
func TestKeyInNoSpanWithContent(t *testing.T) {
	srv, c, sr := contentSetup(t)
	key := srv.Key
	srv.Enqueue(openroutertest.Reply{Status: 503, Error: &openroutertest.ErrorBody{Code: 503, Message: "no such key " + key}},
		openroutertest.Reply{Status: 401, Error: &openroutertest.ErrorBody{Code: 401, Message: "bad key " + key}})
	if _, err := c.Chat(context.Background(), hello()); err == nil {
		t.Fatal("want an error")
	}
	if _, err := c.Chat(context.Background(), hello()); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range spanTexts(sr.Ended()) {
		if strings.Contains(s, key) {
			t.Errorf("a span holds the key: %s", s)
		}
		found = found || strings.Contains(s, `"content":"Hello"`)
	}
	if !found {
		t.Error("no span holds the prompt: WithContent recorded nothing")
	}
}
