package openroutertest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/routerkit/openrouter/openroutertest"
)

func TestRefusesWhatTheAPIRefuses(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	msgs := func(content string) string {
		return `{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":` + content + `}]}`
	}
	for name, tc := range map[string]struct{ body, want string }{
		"unknown part type": {msgs(`[{"type":"pdf","pdf":{"url":"u"}}]`), `messages[0].content[0]: Invalid discriminator value`},
		"image without url": {msgs(`[{"type":"image_url","image_url":{}}]`), `messages[0].content[0]: a "image_url" part lacks`},
		"file without data": {msgs(`[{"type":"file","file":{"filename":"a.pdf"}}]`), `"file" part lacks`},
		"audio no format":   {msgs(`[{"type":"text","text":"a"},{"type":"input_audio","input_audio":{"data":"eA=="}}]`), `messages[0].content[1]`},
		"video missing":     {msgs(`[{"type":"video_url"}]`), `"video_url" part lacks`},
		"image in system":   {`{"model":"openai/gpt-4o-mini","messages":[{"role":"system","content":[{"type":"image_url","image_url":{"url":"u"}}]},{"role":"user","content":"hi"}]}`, `system message takes only text`},
		"unknown tool":      {`{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"openrouter:teleport"}]}`, `tools[0].type`},
		"function no name":  {`{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{}}]}`, `tools[0].function.name`},
		"unknown provider":  {`{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"provider":{"cheapest":true}}`, `provider: Unrecognized key: "cheapest"`},
	} {
		status, body := send(t, srv, "POST", "/chat/completions", tc.body, srv.Key, nil)
		var e struct{ Error struct{ Message string } }
		_ = json.Unmarshal([]byte(body), &e)
		if status != http.StatusBadRequest || !strings.Contains(e.Error.Message, tc.want) {
			t.Errorf("%s: %d %s; want 400 with %q", name, status, body, tc.want)
		}
	}
	// What the API accepts passes.
	ok := msgs(`[{"type":"text","text":"a","cache_control":{"type":"ephemeral"}},{"type":"image_url","image_url":{"url":"u"}},
		{"type":"file","file":{"filename":"a.pdf","file_data":"https://example.com/a.pdf"}},{"type":"file","file":{"file_id":"f1"}},
		{"type":"input_audio","input_audio":{"data":"eA==","format":"wav"}},{"type":"video_url","video_url":{"url":"u"}}]`)
	if status, body := send(t, srv, "POST", "/chat/completions", ok, srv.Key, nil); status != 200 {
		t.Errorf("every known part: %d %s", status, body)
	}
}

func TestAnswersWhatWasAskedFor(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	type answer struct {
		SystemFingerprint string          `json:"system_fingerprint"`
		Metadata          json.RawMessage `json:"openrouter_metadata"`
		Choices           []struct {
			Logprobs *struct {
				Content []struct {
					Token       string
					TopLogprobs []any `json:"top_logprobs"`
				}
			}
			Message struct {
				Reasoning        string
				ReasoningDetails []any `json:"reasoning_details"`
				Annotations      []struct {
					Type        string
					URLCitation struct{ URL string } `json:"url_citation"`
				}
			}
		}
		Usage struct {
			ServerToolUse *struct {
				WebSearchRequests int `json:"web_search_requests"`
			} `json:"server_tool_use_details"`
		}
	}
	ask := func(body string, h http.Header) answer {
		t.Helper()
		status, b := send(t, srv, "POST", "/chat/completions", body, srv.Key, h)
		var a answer
		if status != 200 || json.Unmarshal([]byte(b), &a) != nil || len(a.Choices) != 1 {
			t.Fatalf("%d %s", status, b)
		}
		return a
	}
	plain := ask(`{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"two words"}]}`, nil)
	m := plain.Choices[0]
	if plain.SystemFingerprint != openroutertest.Fingerprint || m.Logprobs != nil || m.Message.Reasoning != "" ||
		len(m.Message.Annotations) != 0 || plain.Metadata != nil || plain.Usage.ServerToolUse != nil {
		t.Errorf("plain answer carries what was not asked: %+v", plain)
	}
	full := ask(`{"model":"openai/gpt-4o-mini","logprobs":true,"top_logprobs":2,"reasoning":{"effort":"low"},
		"tools":[{"type":"openrouter:web_search"}],"messages":[{"role":"user","content":"two words"}]}`,
		http.Header{"X-OpenRouter-Metadata": {"enabled"}})
	c := full.Choices[0]
	if c.Logprobs == nil || len(c.Logprobs.Content) != 4 || c.Logprobs.Content[1].Token != " said:" || len(c.Logprobs.Content[0].TopLogprobs) != 2 {
		t.Errorf("logprobs %+v (answer \"You said: two words\")", c.Logprobs)
	}
	if c.Message.Reasoning == "" || len(c.Message.ReasoningDetails) != 1 {
		t.Errorf("reasoning %q, details %v", c.Message.Reasoning, c.Message.ReasoningDetails)
	}
	if len(c.Message.Annotations) != 1 || c.Message.Annotations[0].Type != "url_citation" || c.Message.Annotations[0].URLCitation.URL == "" {
		t.Errorf("annotations %+v", c.Message.Annotations)
	}
	if full.Usage.ServerToolUse == nil || full.Usage.ServerToolUse.WebSearchRequests != 1 {
		t.Errorf("server tool use %+v", full.Usage.ServerToolUse)
	}
	if !strings.Contains(string(full.Metadata), `"selected":true`) {
		t.Errorf("openrouter_metadata %s", full.Metadata)
	}
	excluded := ask(`{"model":"openai/gpt-4o-mini","reasoning":{"effort":"high","exclude":true},"plugins":[{"id":"web","enabled":false}],"messages":[{"role":"user","content":"x"}]}`, nil)
	if e := excluded.Choices[0].Message; e.Reasoning != "" || len(e.Annotations) != 0 {
		t.Errorf("excluded reasoning or disabled web plugin answered: %+v", e)
	}
}
