package openroutertest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/routerkit/openrouter/openroutertest"
)

// The stored content of a completion validates against the document's
// listGenerationContent answer and holds the prompt and the completion.
func TestGenerationContentMatchesOpenAPI(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer(openroutertest.WithContentLogging())
	t.Cleanup(srv.Close)
	sch := responseSchema(t, "GET", "/generation/content")
	for name, body := range map[string]string{
		"plain":     `{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Hi there"}]}`,
		"reasoning": `{"model":"openai/gpt-4o-mini","reasoning":{"effort":"low"},"messages":[{"role":"user","content":"Think"}]}`,
	} {
		id := postChat(t, srv, body, http.Header{})
		status, ans := send(t, srv, "GET", "/generation/content?id="+id, "", srv.Key, nil)
		if status != http.StatusOK {
			t.Fatalf("%s: status %d: %s", name, status, ans)
		}
		checkAgainst(t, sch, ans)
		var w struct {
			Data struct {
				Input  struct{ Messages []map[string]any }
				Output struct{ Completion, Reasoning *string }
			}
		}
		if err := json.Unmarshal([]byte(ans), &w); err != nil {
			t.Fatal(err)
		}
		if w.Data.Output.Completion == nil || !strings.Contains(*w.Data.Output.Completion, "You said:") || len(w.Data.Input.Messages) != 1 {
			t.Errorf("%s: stored content %s: want the prompt and the echoed completion", name, ans)
		}
		if (w.Data.Output.Reasoning != nil) != (name == "reasoning") {
			t.Errorf("%s: reasoning %v", name, w.Data.Output.Reasoning)
		}
	}
}

// Without Input & Output Logging the content is not stored: 404, while
// the generation itself is found.
func TestGenerationContentNotStoredWithoutLogging(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	id := postChat(t, srv, `{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}`, http.Header{})
	if status, ans := send(t, srv, "GET", "/generation/content?id="+id, "", srv.Key, nil); status != http.StatusNotFound {
		t.Errorf("content without logging: status %d (%s), want 404", status, ans)
	}
	if status, ans := send(t, srv, "GET", "/generation?id="+id, "", srv.Key, nil); status != http.StatusOK {
		t.Errorf("generation: status %d (%s), want 200", status, ans)
	}
	if status, _ := send(t, srv, "GET", "/generation/content?id=gen-unknown", "", srv.Key, nil); status != http.StatusNotFound {
		t.Errorf("unknown generation: status %d, want 404", status)
	}
}

// WithGenerationLag answers 404 to the first lookups of a generation.
func TestGenerationLag(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer(openroutertest.WithGenerationLag(2))
	t.Cleanup(srv.Close)
	id := postChat(t, srv, `{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}`, http.Header{})
	var got []int
	for range 3 {
		status, _ := send(t, srv, "GET", "/generation?id="+id, "", srv.Key, nil)
		got = append(got, status)
	}
	if got[0] != 404 || got[1] != 404 || got[2] != 200 || srv.GenerationLookups() != 3 {
		t.Errorf("statuses %v, lookups %d: want 404 404 200, 3", got, srv.GenerationLookups())
	}
}

// CutAfter cuts a stream after the chunks asked for and a whole answer
// after its headers; the generation is billed and recorded whole.
func TestCutAfterRecordsTheGeneration(t *testing.T) {
	t.Parallel()
	for _, stream := range []bool{true, false} {
		srv := openroutertest.NewServer(openroutertest.WithContentLogging())
		t.Cleanup(srv.Close)
		srv.Enqueue(openroutertest.TextReply("The whole answer, longer than two chunks.").CutAfter(2))
		body := `{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}`
		if stream {
			body = `{"model":"openai/gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hi"}]}`
		}
		req, _ := http.NewRequest("POST", srv.URL+"/chat/completions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+srv.Key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("X-Generation-Id")
		if rerr == nil || id == "" {
			t.Fatalf("stream=%v: read error %v, id %q: want a cut body and an ID", stream, rerr, id)
		}
		if stream && strings.Count(string(b), `"content":"`) != 2 {
			t.Errorf("stream: %d content chunks before the cut, want 2:\n%s", strings.Count(string(b), `"content":"`), b)
		}
		status, ans := send(t, srv, "GET", "/generation/content?id="+id, "", srv.Key, nil)
		if status != 200 || !strings.Contains(ans, `"completion":"The whole answer, longer than two chunks."`) {
			t.Errorf("stream=%v: content %d %s", stream, status, ans)
		}
		if st := srv.Stats(); st.Completions != 1 || srv.Spent() <= 0 {
			t.Errorf("stream=%v: %d completions billed, spent %v: want 1, > 0", stream, st.Completions, srv.Spent())
		}
	}
}

// A stream its script cuts records a cancelled generation, in the
// document's shape.
func TestCancelledGenerationMatchesOpenAPI(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	srv.Enqueue(openroutertest.Reply{Content: "Some text that is cut.", Stream: openroutertest.StreamScript{After: 1, Cut: true}})
	req, _ := http.NewRequest("POST", srv.URL+"/chat/completions", strings.NewReader(`{"model":"openai/gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hi"}]}`))
	req.Header.Set("Authorization", "Bearer "+srv.Key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	status, ans := send(t, srv, "GET", "/generation?id="+resp.Header.Get("X-Generation-Id"), "", srv.Key, nil)
	if status != 200 || !strings.Contains(ans, `"cancelled":true`) || !strings.Contains(ans, `"finish_reason":null`) {
		t.Fatalf("status %d: %s: want a cancelled generation", status, ans)
	}
	checkAgainst(t, responseSchema(t, "GET", "/generation"), ans)
}
