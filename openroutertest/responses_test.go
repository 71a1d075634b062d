package openroutertest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/routerkit/openrouter/openroutertest"
)

// TestResponsesMatchOpenAPI checks the fake's /responses answers, plain
// and failed, against the document's 200 schema (OpenResponsesResult).
func TestResponsesMatchOpenAPI(t *testing.T) {
	t.Parallel()
	sch := responseSchema(t, "POST", "/responses")
	cases := []struct {
		name, body string
		script     []openroutertest.Reply
		want       string // a fragment the answer holds
	}{
		{name: "text input", body: `{"model":"openai/gpt-4o-mini","input":"Tell me a joke"}`, want: `"text":"You said: Tell me a joke"`},
		{name: "messages, instructions, sampling", body: `{"model":"openai/gpt-4o-mini","instructions":"Be terse.","temperature":0.5,"top_p":0.9,
			"metadata":{"a":"b"},"input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"Hi"}]}]}`, want: `"instructions":"Be terse."`},
		{name: "reasoning", body: `{"model":"openai/gpt-4o-mini","reasoning":{"effort":"low"},"input":"Think"}`, want: `"type":"reasoning"`},
		{name: "json schema", body: `{"model":"openai/gpt-4o-mini","input":"A city","text":{"format":{"type":"json_schema","name":"city",
			"schema":{"type":"object","properties":{"name":{"type":"string"}},"required":["name"],"additionalProperties":false},"strict":true}}}`, want: `{\"name\":`},
		{name: "function call", body: `{"model":"openai/gpt-4o-mini","input":"Weather?","tools":[{"type":"function","name":"get_weather","parameters":{"type":"object"}}]}`,
			script: []openroutertest.Reply{openroutertest.ToolCallReply(openroutertest.ToolCall{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Paris"}`})},
			want:   `"type":"function_call"`},
		{name: "failed", body: `{"model":"openai/gpt-4o-mini","input":"Hi"}`,
			script: []openroutertest.Reply{{Error: &openroutertest.ErrorBody{Code: 429, Message: "Provider rate limited"}}},
			want:   `"error_type":"rate_limit_exceeded"`},
		{name: "length", body: `{"model":"openai/gpt-4o-mini","input":"Hi","max_output_tokens":16}`,
			script: []openroutertest.Reply{{Content: "Cut short", FinishReason: "length"}}, want: `"reason":"max_output_tokens"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv := openroutertest.NewServer()
			t.Cleanup(srv.Close)
			srv.Enqueue(c.script...)
			status, body := send(t, srv, "POST", "/responses", c.body, srv.Key, http.Header{"X-OpenRouter-Metadata": {"enabled"}})
			if status != 200 || !strings.Contains(body, c.want) {
				t.Fatalf("status %d, want %s in: %s", status, c.want, body)
			}
			checkAgainst(t, sch, body)
		})
	}
}

// TestResponseEventsMatchOpenAPI checks each event of the fake's streamed
// responses against the document's StreamEvents schema, and the
// stream's shape: created first, completed last, then [DONE].
func TestResponseEventsMatchOpenAPI(t *testing.T) {
	t.Parallel()
	sch := componentSchema(t, "StreamEvents")
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	srv.Enqueue(openroutertest.Reply{Content: "Sunny, I will check.", ToolCalls: []openroutertest.ToolCall{{Name: "get_weather", Arguments: `{"city":"Paris"}`}}})
	srv.Enqueue(openroutertest.Reply{Content: "Hello there", Error: &openroutertest.ErrorBody{Code: 502, Message: "Upstream failed"}, Stream: openroutertest.StreamScript{After: 1}})
	srv.Enqueue(openroutertest.Reply{Content: "Cut short", FinishReason: "length"})
	for _, name := range []string{"tool call", "error event", "incomplete", "default"} {
		status, ans := send(t, srv, "POST", "/responses", `{"model":"openai/gpt-4o-mini","stream":true,"input":"Hello there"}`, srv.Key, nil)
		if status != 200 {
			t.Fatalf("%s: %d %s", name, status, ans)
		}
		var types []string
		for _, line := range strings.Split(ans, "\n") {
			data, ok := strings.CutPrefix(line, "data: ")
			if !ok || data == "[DONE]" {
				continue
			}
			var ev struct{ Type string }
			_ = json.Unmarshal([]byte(data), &ev)
			types = append(types, ev.Type)
			checkAgainst(t, sch, data)
		}
		last := types[len(types)-1]
		switch {
		case types[0] != "response.created":
			t.Errorf("%s: first event %s", name, types[0])
		case name == "error event" && last != "error":
			t.Errorf("%s: last event %s, want error", name, last)
		case name == "incomplete" && last != "response.incomplete":
			t.Errorf("%s: last event %s, want response.incomplete", name, last)
		case name != "error event" && name != "incomplete" && (last != "response.completed" || !strings.HasSuffix(strings.TrimSpace(ans), "data: [DONE]")):
			t.Errorf("%s: last event %s; want response.completed, then [DONE]", name, last)
		case name == "tool call" && !strings.Contains(strings.Join(types, " "), "response.function_call_arguments.done"):
			t.Errorf("%s: no function call events: %v", name, types)
		}
	}
}

// TestResponsesRefusals checks what the fake refuses with a 400, as the
// docs' "Stateless Only" note says, and that a refused request is not
// billed.
func TestResponsesRefusals(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	for name, body := range map[string]string{
		"store":    `{"model":"openai/gpt-4o-mini","input":"Hi","store":true}`,
		"previous": `{"model":"openai/gpt-4o-mini","input":"Hi","previous_response_id":"resp_1"}`,
		"no input": `{"model":"openai/gpt-4o-mini"}`,
		"unknown":  `{"model":"nobody/nothing","input":"Hi"}`,
	} {
		if status, ans := send(t, srv, "POST", "/responses", body, srv.Key, nil); status != 400 {
			t.Errorf("%s: status %d, want 400: %s", name, status, ans)
		}
	}
	if spent := srv.Spent(); spent != 0 {
		t.Errorf("refused requests spent %v", spent)
	}
}
