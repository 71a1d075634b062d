package openroutertest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/routerkit/openrouter/openroutertest"
)

// chatBody is a chat completion body with the given messages (a JSON
// array) and extra top-level fields (a JSON object's inside, or "").
func chatBody(messages, extra string) string {
	b := `{"model":"openai/gpt-4o-mini","messages":` + messages
	if extra != "" {
		b += "," + extra
	}
	return b + "}"
}

const hello = `[{"role":"user","content":"hi"}]`

// TestRefusesWhatTheChatSchemaRefuses sends, with raw HTTP, bodies that
// break a rule of RULES.md (C1-C12) and checks each gets 400 with
// OpenRouter's error body (error.code 400, error_type invalid_request),
// and that the OpenAPI document's ChatRequest schema refuses it too
// where the rule comes from the document.
func TestRefusesWhatTheChatSchemaRefuses(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	sch := componentSchema(t, "ChatRequest")
	for name, tc := range map[string]struct {
		body, want string
		docsOnly   bool // the rule is from the docs pages, not the schema
	}{
		"C1 no messages":        {`{"model":"openai/gpt-4o-mini"}`, `"messages"`, false},
		"C1 empty messages":     {chatBody(`[]`, ""), `at least 1`, false},
		"C2 unknown role":       {chatBody(`[{"role":"robot","content":"hi"}]`, ""), `messages[0].role: Invalid discriminator value "robot"`, false},
		"C2 no role":            {chatBody(`[{"content":"hi"}]`, ""), `messages[0].role`, false},
		"C3 user no content":    {chatBody(`[{"role":"user"}]`, ""), `messages[0].content: Required`, false},
		"C3 system null":        {chatBody(`[{"role":"system","content":null},{"role":"user","content":"hi"}]`, ""), `messages[0].content: Required`, false},
		"C3 content a number":   {chatBody(`[{"role":"user","content":42}]`, ""), `messages[0].content`, false},
		"C4 tool no call id":    {chatBody(`[{"role":"user","content":"hi"},{"role":"tool","content":"42"}]`, ""), `messages[1].tool_call_id: Required`, false},
		"C4 tool no content":    {chatBody(`[{"role":"user","content":"hi"},{"role":"tool","tool_call_id":"call_1"}]`, ""), `messages[1].content: Required`, false},
		"C7 tool name spaces":   {chatBody(hello, `"tools":[{"type":"function","function":{"name":"get weather"}}]`), `tools[0].function.name`, true},
		"C7 tool name too long": {chatBody(hello, `"tools":[{"type":"function","function":{"name":"`+strings.Repeat("a", 65)+`"}}]`), `tools[0].function.name`, false},
		"C8 temperature 3":      {chatBody(hello, `"temperature":3`), `temperature`, true},
		"C8 temperature string": {chatBody(hello, `"temperature":"hot"`), `temperature`, false},
		"C8 top_p 1.5":          {chatBody(hello, `"top_p":1.5`), `top_p`, true},
		"C8 presence -3":        {chatBody(hello, `"presence_penalty":-3`), `presence_penalty`, true},
		"C8 max_tokens 0":       {chatBody(hello, `"max_tokens":0`), `max_tokens`, true},
		"C8 max_tokens 1.5":     {chatBody(hello, `"max_tokens":1.5`), `max_tokens`, false},
		"C8 top_logprobs 21":    {chatBody(hello, `"logprobs":true,"top_logprobs":21`), `top_logprobs`, true},
		"C8 top_logprobs alone": {chatBody(hello, `"top_logprobs":2`), `logprobs must be set`, true},
		"C9 five stops":         {chatBody(hello, `"stop":["a","b","c","d","e"]`), `stop`, false},
		"C10 video output":      {chatBody(hello, `"modalities":["text","video"]`), `modalities[1]`, false},
		"C11 unknown format":    {chatBody(hello, `"response_format":{"type":"yaml"}`), `response_format.type`, false},
		"C11 schema no name":    {chatBody(hello, `"response_format":{"type":"json_schema","json_schema":{"schema":{"type":"object"}}}`), `response_format.json_schema.name: Required`, false},
		"C12 long session":      {chatBody(hello, `"session_id":"`+strings.Repeat("s", 257)+`"`), `session_id`, false},
		"C12 metadata key 65":   {chatBody(hello, `"metadata":{"`+strings.Repeat("k", 65)+`":"v"}`), `keys are at most 64`, true},
		"C12 metadata number":   {chatBody(hello, `"metadata":{"a":1}`), `metadata`, false},
		"E3 not JSON":           {`{"model":`, `Invalid JSON body`, true},
		"C14 service tier":      {chatBody(hello, `"service_tier":"turbo"`), `service_tier`, false},
		"C14 effort":            {chatBody(hello, `"reasoning":{"effort":"huge"}`), `reasoning.effort`, false},
		"C14 effort shorthand":  {chatBody(hello, `"reasoning_effort":"huge"`), `reasoning_effort`, false},
		"C14 efforts differ":    {chatBody(hello, `"reasoning_effort":"low","reasoning":{"effort":"high"}`), `reasoning_effort "low"`, true},
		"C14 summary":           {chatBody(hello, `"reasoning":{"summary":"long"}`), `reasoning.summary`, false},
		"C15 tool choice":       {chatBody(hello, `"tool_choice":"always"`), `tool_choice`, false},
		"C15 function no name":  {chatBody(hello, `"tool_choice":{"type":"function"}`), `tool_choice.function.name`, true},
		"C16 plugin":            {chatBody(hello, `"plugins":[{"id":"teleport"}]`), `plugins[0].id`, false},
		"C17 sort":              {chatBody(hello, `"provider":{"sort":"random"}`), `provider.sort`, false},
		"C17 sort by":           {chatBody(hello, `"provider":{"sort":{"by":"random"}}`), `provider.sort.by`, false},
		"C17 data collection":   {chatBody(hello, `"provider":{"data_collection":"maybe"}`), `provider.data_collection`, false},
		"C17 quantization":      {chatBody(hello, `"provider":{"quantizations":["fp8","fp128"]}`), `provider.quantizations[1]`, false},
	} {
		status, body := send(t, srv, "POST", "/chat/completions", tc.body, srv.Key, nil)
		var e struct {
			Error struct {
				Code     int
				Message  string
				Metadata map[string]any
			}
		}
		_ = json.Unmarshal([]byte(body), &e)
		if status != http.StatusBadRequest || e.Error.Code != 400 || !strings.Contains(e.Error.Message, tc.want) ||
			e.Error.Metadata["error_type"] != "invalid_request" {
			t.Errorf("%s: %d %s; want 400, error_type invalid_request, a message with %q", name, status, body, tc.want)
		}
		if tc.docsOnly {
			continue
		}
		var v any
		if err := json.Unmarshal([]byte(tc.body), &v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if sch.Validate(v) == nil {
			t.Errorf("%s: the OpenAPI ChatRequest schema accepts the body the fake refuses", name)
		}
	}
	if st := srv.Stats(); st.Completions != 0 || srv.Spent() != 0 {
		t.Errorf("refused requests were answered or billed: %d completions, $%g", st.Completions, srv.Spent())
	}
}

// TestAcceptsWhatTheChatSchemaAccepts: every role with its fields, and
// each parameter at the edge of its range, is answered 200, and the
// OpenAPI ChatRequest schema accepts the same bodies.
func TestAcceptsWhatTheChatSchemaAccepts(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	sch := componentSchema(t, "ChatRequest")
	conversation := `[{"role":"system","content":"Be terse."},{"role":"developer","content":[{"type":"text","text":"No emojis."}]},
		{"role":"user","content":"Weather in Paris?","name":"ann"},
		{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{}"}}]},
		{"role":"tool","tool_call_id":"call_1","content":"sunny"},{"role":"assistant"},{"role":"user","content":"And tomorrow?"}]`
	for name, body := range map[string]string{
		"every role":   chatBody(conversation, `"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]`),
		"range edges":  chatBody(hello, `"temperature":2,"top_p":0,"frequency_penalty":-2,"presence_penalty":2,"max_tokens":1,"logprobs":true,"top_logprobs":20,"top_k":0`),
		"nulls":        chatBody(hello, `"temperature":null,"max_tokens":null,"stop":null,"seed":null`),
		"four stops":   chatBody(hello, `"stop":["a","b","c","d"],"modalities":["text"],"session_id":"`+strings.Repeat("s", 256)+`"`),
		"json_schema":  chatBody(hello, `"response_format":{"type":"json_schema","json_schema":{"name":"w","schema":{"type":"object"}}}`),
		"empty string": chatBody(`[{"role":"user","content":""}]`, ""),
		"enums": chatBody(hello, `"service_tier":"flex","reasoning_effort":"high","reasoning":{"effort":"high","summary":"concise"},
			"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"function","function":{"name":"f"}},
			"plugins":[{"id":"web"},{"id":"response-healing"}],"provider":{"sort":{"by":"latency","partition":"none"},"data_collection":"deny","quantizations":["fp8","bf16"]}`),
		"sort name": chatBody(hello, `"provider":{"sort":"price"},"tool_choice":"required","tools":[{"type":"function","function":{"name":"f"}}]`),
	} {
		if status, ans := send(t, srv, "POST", "/chat/completions", body, srv.Key, nil); status != 200 {
			t.Errorf("%s: %d %s", name, status, ans)
		}
		var v any
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := sch.Validate(v); err != nil {
			t.Errorf("%s: the OpenAPI ChatRequest schema refuses it: %v", name, err)
		}
	}
}

// TestMalformedRequestDoesNotTakeAScriptedReply: a scripted reply waits
// for a request OpenRouter would accept; a malformed one gets its 400
// (RULES.md E2) and leaves the queue as it was.
func TestMalformedRequestDoesNotTakeAScriptedReply(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	srv.Enqueue(openroutertest.TextReply("scripted"))
	if status, body := send(t, srv, "POST", "/chat/completions", chatBody(`[{"role":"tool","content":"x"}]`, ""), srv.Key, nil); status != 400 {
		t.Fatalf("malformed request: %d %s; want 400", status, body)
	}
	if srv.Pending() != 1 {
		t.Fatalf("the malformed request took the scripted reply: %d pending", srv.Pending())
	}
	status, body := send(t, srv, "POST", "/chat/completions", chatBody(hello, ""), srv.Key, nil)
	if status != 200 || !strings.Contains(body, `"scripted"`) {
		t.Errorf("valid request: %d %s; want the scripted reply", status, body)
	}
}
