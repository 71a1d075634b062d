package openrouter

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// compatServer is an OpenAI-compatible server (a local model server): its
// catalogue lists IDs with tags and nothing else, and it records the
// models and response formats of the chat requests it gets.
type compatServer struct {
	mu      sync.Mutex
	models  []string
	formats []string
}

func newCompatServer(t *testing.T, opts ...Option) (*Client, *compatServer) {
	t.Helper()
	cs := &compatServer{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasPrefix(r.URL.Path, "/models") {
			_, _ = io.WriteString(w, `{"object":"list","data":[{"id":"tiny:latest","object":"model","owned_by":"library"},{"id":"llama3.2:3b","object":"model"}]}`)
			return
		}
		var req struct {
			Model          string `json:"model"`
			ResponseFormat *struct {
				Type string `json:"type"`
			} `json:"response_format"`
		}
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &req)
		cs.mu.Lock()
		cs.models = append(cs.models, req.Model)
		if req.ResponseFormat != nil {
			cs.formats = append(cs.formats, req.ResponseFormat.Type)
		}
		cs.mu.Unlock()
		_, _ = io.WriteString(w, `{"id":"c","model":"`+req.Model+`","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"{\"A\":1}"}}]}`)
	}))
	t.Cleanup(srv.Close)
	return NewClient(testKey, append([]Option{WithBaseURL(srv.URL), WithRetry(0, 0, 0), WithLimiter(nil)}, opts...)...), cs
}

// TestCompatUnknownParametersKeepStrictMode: a catalogue entry without
// supported_parameters is unknown, so ChatJSON keeps json_schema, and
// CheckRoles does not call the model unsuitable.
func TestCompatUnknownParametersKeepStrictMode(t *testing.T) {
	t.Parallel()
	c, cs := newCompatServer(t, WithRoles(Roles{Standard: "tiny", Deep: "tiny", Rewrite: "tiny", Image: "tiny"}))
	ctx := context.Background()
	m, err := c.Model(ctx, "tiny:latest")
	if err != nil || m.ParametersKnown() || m.SupportsStructuredOutputs() {
		t.Fatalf("Model = %+v, %v", m, err)
	}
	if _, _, err := ChatJSON[struct{ A int }](ctx, c, &ChatRequest{Model: "tiny:latest", Messages: []Message{UserMessage("hi")}}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cs.formats, []string{"json_schema"}) {
		t.Errorf("response formats sent: %v, want the strict json_schema", cs.formats)
	}
	checks, err := c.CheckRoles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range checks {
		if ch.Err != nil {
			t.Errorf("role %s: %v", ch.Role, ch.Err)
		}
	}
	// A catalogue that says "none" is still believed.
	none := Model{ID: "x", SupportedParameters: []string{}}
	if !none.ParametersKnown() || none.SupportsStructuredOutputs() {
		t.Errorf("an empty list is known: %+v", none)
	}
}

// TestCompatModelCheck: WithModelCheck accepts an ID without its default
// tag, presets and aliases, and still refuses an unknown ID, with a
// suggestion for a name:tag catalogue.
func TestCompatModelCheck(t *testing.T) {
	t.Parallel()
	c, cs := newCompatServer(t, WithModelCheck())
	ctx := context.Background()
	for _, id := range []string{"tiny", "tiny:latest", "llama3.2:3b", "@preset/my-preset", "~anthropic/claude-sonnet-latest"} {
		if _, err := c.Chat(ctx, &ChatRequest{Model: id, Messages: []Message{UserMessage("hi")}}); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
	if len(cs.models) != 5 {
		t.Errorf("sent %v", cs.models)
	}
	_, err := c.Chat(ctx, &ChatRequest{Model: "tinny", Messages: []Message{UserMessage("hi")}})
	var e *APIError
	if !errors.As(err, &e) || !errors.Is(err, ErrModelNotFound) || !slices.Contains(e.Suggestions, "tiny:latest") {
		t.Errorf("an unknown ID: %v (suggestions %v)", err, e.Suggestions)
	}
	if _, err := c.Model(ctx, "llama3.2:1b"); !errors.As(err, &e) || !slices.Contains(e.Suggestions, "llama3.2:3b") {
		t.Errorf("another tag: %v", err)
	}
}

// TestCompatTexts: a 404 that is not a generation lookup does not send
// the user to wait for a generation; an empty answer that finished says
// so rather than guessing.
func TestCompatTexts(t *testing.T) {
	t.Parallel()
	e := parseError(404, nil, []byte(`{"error":{"message":"page not found"}}`), time.Time{})
	if h := Hint(e); strings.Contains(h, "generation") || h == "" {
		t.Errorf("404 hint: %q", h)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(404)
		_, _ = io.WriteString(w, `{"error":{"code":404,"message":"Generation not found"}}`)
	}))
	defer srv.Close()
	_, err := NewClient(testKey, WithBaseURL(srv.URL), WithRetry(0, 0, 0)).Generation(context.Background(), "gen-1")
	if h := Hint(err); !strings.Contains(h, "few seconds") {
		t.Errorf("Generation 404 hint: %q", h)
	}
	err = checkAnswer(&ChatResponse{Choices: []Choice{{FinishReason: "stop", Message: Message{Role: "assistant"}}}}, "tiny")
	var ec *EmptyContentError
	if !errors.As(err, &ec) || strings.Contains(ec.Cause, "moderation") || !strings.Contains(ec.Cause, "stop") {
		t.Errorf("an empty answer that stopped: %v", err)
	}
	if err := checkAnswer(&ChatResponse{}, "tiny"); !errors.As(err, &ec) || !strings.Contains(ec.Cause, "no choices") {
		t.Errorf("an answer with no choices: %v", err)
	}
}
