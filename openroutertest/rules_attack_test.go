package openroutertest_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/routerkit/openrouter/openroutertest"
)

// The rules found by an adversarial review of the fake against
// OpenRouter's docs: each test sends raw HTTP and fails on a fake that
// is kinder than the API. See also rules_routing_test.go and
// rules_account_test.go.

// availabilityOf decodes an error body with its availability object.
func availabilityOf(t *testing.T, body string) (e struct {
	Code         int
	ErrorType    string `json:"error_type"`
	HTTPStatus   int    `json:"http_status"`
	Availability *struct {
		Code            string
		Retryable       bool
		RequestedModels []string `json:"requested_models"`
		DocsURL         string   `json:"docs_url"`
		Constraint      *struct{ Field, Detail string }
	}
}) {
	t.Helper()
	var env struct{ Error *json.RawMessage }
	if json.Unmarshal([]byte(body), &env) != nil || env.Error == nil || json.Unmarshal(*env.Error, &e) != nil {
		t.Fatalf("not an error body: %s", body)
	}
	return e
}

// TestModelAvailabilityEnvelope: an unknown model is model_not_found and
// a model of another endpoint (an embedding model on /chat/completions,
// a chat model on /embeddings) is wrong_endpoint naming the right one,
// both 400 with error_type invalid_request, http_status and the
// availability object, code kept (RULES.md E1, E4, E7).
func TestModelAvailabilityEnvelope(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	for name, tc := range map[string]struct {
		url, body, code, model, endpoint string
	}{
		"unknown on chat":      {"/chat/completions", `{"model":"acme/fake-1.0","messages":` + hello + `}`, "model_not_found", "acme/fake-1.0", ""},
		"embedding on chat":    {"/chat/completions", `{"model":"openai/text-embedding-3-small","messages":` + hello + `}`, "wrong_endpoint", "openai/text-embedding-3-small", "/embeddings"},
		"chat on embeddings":   {"/embeddings", `{"model":"openai/gpt-4o-mini","input":"hi"}`, "wrong_endpoint", "openai/gpt-4o-mini", "/chat/completions"},
		"unknown on embedding": {"/embeddings", `{"model":"acme/embed","input":"hi"}`, "model_not_found", "acme/embed", ""},
		"chat on images":       {"/images", `{"model":"openai/gpt-4o-mini","prompt":"a cat"}`, "wrong_endpoint", "openai/gpt-4o-mini", "/chat/completions"},
	} {
		status, body := send(t, srv, "POST", tc.url, tc.body, srv.Key, nil)
		e := availabilityOf(t, body)
		a := e.Availability
		switch {
		case status != 400 || e.Code != 400 || e.HTTPStatus != 400 || e.ErrorType != "invalid_request":
			t.Errorf("%s: status %d, code %d, http_status %d, error_type %q; want 400, invalid_request: %s", name, status, e.Code, e.HTTPStatus, e.ErrorType, body)
		case a == nil || a.Code != tc.code || a.Retryable || len(a.RequestedModels) != 1 || a.RequestedModels[0] != tc.model || !strings.HasSuffix(a.DocsURL, "#"+tc.code):
			t.Errorf("%s: availability %+v; want code %s for %s: %s", name, a, tc.code, tc.model, body)
		case tc.endpoint != "" && (a.Constraint == nil || !strings.Contains(a.Constraint.Detail, tc.endpoint)):
			t.Errorf("%s: constraint %+v does not name %s", name, a.Constraint, tc.endpoint)
		}
	}
	if n := srv.Stats().Completions; n != 0 {
		t.Errorf("%d completions billed for refused models", n)
	}
}

// jsonschemaValue decodes a body for a schema's Validate.
func jsonschemaValue(body string) (any, error) {
	return jsonschema.UnmarshalJSON(strings.NewReader(body))
}

// TestRefusesWrongJSONTypes: a ChatRequest field of another JSON type
// than the OpenAPI document gives it is 400 invalid_request, and the
// document's ChatRequest schema refuses the same body (RULES.md C19);
// the same fields with a value of their type pass both.
func TestRefusesWrongJSONTypes(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	sch := componentSchema(t, "ChatRequest")
	fn := func(params string) string {
		return `"tools":[{"type":"function","function":{"name":"f","parameters":` + params + `}}]`
	}
	bad := map[string]string{
		"logprobs":             `"logprobs":"yes"`,
		"parallel_tool_calls":  `"parallel_tool_calls":"x"`,
		"user":                 `"user":42`,
		"models":               `"models":"openai/gpt-4o"`,
		"models item":          `"models":["openai/gpt-4o",7]`,
		"logit_bias":           `"logit_bias":[1]`,
		"logit_bias value":     `"logit_bias":{"50256":"x"}`,
		"stream_options":       `"stream_options":true`,
		"include_usage":        `"stream_options":{"include_usage":"x"}`,
		"image_config value":   `"image_config":{"aspect_ratio":true}`,
		"function parameters":  fn(`"x"`),
		"tools":                `"tools":{"type":"function"}`,
		"metadata":             `"metadata":"x"`,
		"plugins":              `"plugins":{"id":"web"}`,
		"reasoning":            `"reasoning":"high"`,
		"prompt_cache_key":     `"prompt_cache_key":5`,
		"provider":             `"provider":"openai"`,
		"response_format":      `"response_format":"json_object"`,
		"seed":                 `"seed":"1"`,
		"max_completion_token": `"max_completion_tokens":"9"`,
	}
	for name, extra := range bad {
		body := chatBody(hello, extra)
		status, ans := send(t, srv, "POST", "/chat/completions", body, srv.Key, nil)
		if status != 400 || !strings.Contains(ans, "invalid_request") {
			t.Errorf("%s: %s got %d %s; want 400 invalid_request", name, extra, status, ans)
		}
		v, _ := jsonschemaValue(body)
		if sch.Validate(v) == nil {
			t.Errorf("%s: the OpenAPI schema accepts %s: the rule is not the document's", name, extra)
		}
	}
	for _, extra := range []string{`"logprobs":null`, `"parallel_tool_calls":true`, `"user":"u-1"`, `"models":["openai/gpt-4o"]`,
		`"logit_bias":{"50256":-100}`, `"stream_options":{"include_usage":true}`, `"image_config":{"aspect_ratio":"16:9"}`,
		fn(`{"type":"object"}`), `"provider":null`, `"reasoning":{}`, `"prompt_cache_key":null`, `"seed":null`} {
		body := chatBody(hello, extra)
		if status, ans := send(t, srv, "POST", "/chat/completions", body, srv.Key, nil); status != 200 {
			t.Errorf("%s: %d %s; want 200", extra, status, ans)
		}
		v, _ := jsonschemaValue(body)
		if err := sch.Validate(v); err != nil {
			t.Errorf("%s: the OpenAPI schema refuses it: %v", extra, err)
		}
	}
}

// TestLogitBiasRange: a logit_bias value outside -100..100 is 400; the
// ends of the range pass (RULES.md C19, docs parameters page).
func TestLogitBiasRange(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	for extra, want := range map[string]int{`"logit_bias":{"50256":-101}`: 400, `"logit_bias":{"50256":100.5}`: 400,
		`"logit_bias":{"50256":-100,"42":100}`: 200} {
		if st, ans := send(t, srv, "POST", "/chat/completions", chatBody(hello, extra), srv.Key, nil); st != want {
			t.Errorf("%s: %d %.200s, want %d", extra, st, ans, want)
		}
	}
}

// TestScriptedReplyNeedsAKey: a chat request with no key or an unknown
// key gets 401 even when a reply is queued, and the queued reply waits
// for the next good request (RULES.md A7).
func TestScriptedReplyNeedsAKey(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	srv.Enqueue(openroutertest.TextReply("scripted"))
	for _, key := range []string{"", "sk-or-v1-unknown"} {
		if st, ans := send(t, srv, "POST", "/chat/completions", chatBody(hello, ""), key, nil); st != 401 {
			t.Errorf("key %q with a queued reply: %d %.200s, want 401", key, st, ans)
		}
	}
	if srv.Pending() != 1 {
		t.Errorf("refused requests took the script: %d pending, want 1", srv.Pending())
	}
	if st, ans := send(t, srv, "POST", "/chat/completions", chatBody(hello, ""), srv.Key, nil); st != 200 || !strings.Contains(ans, "scripted") {
		t.Errorf("the good request: %d %.200s, want the scripted reply", st, ans)
	}
}

// TestAssistantToolCallsShape: an assistant message's tool_calls must be
// ChatToolCall objects: arguments as a JSON string (not an object), type
// "function", an id and a function name; each break is 400, and the
// document's ChatRequest schema refuses the same body (RULES.md C20).
func TestAssistantToolCallsShape(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	sch := componentSchema(t, "ChatRequest")
	conv := func(call string) string {
		return chatBody(`[{"role":"user","content":"weather?"},{"role":"assistant","content":null,"tool_calls":[`+call+`]},
			{"role":"tool","tool_call_id":"c1","content":"sunny"}]`, `"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]`)
	}
	for _, call := range []string{
		`{"id":"c1","type":"function","function":{"name":"f","arguments":{"city":"Paris"}}}`,
		`{"id":"c1","type":"function","function":{"name":"f"}}`,
		`{"id":"c1","type":"tool","function":{"name":"f","arguments":"{}"}}`,
		`{"type":"function","function":{"name":"f","arguments":"{}"}}`,
		`{"id":"c1","type":"function","function":{"arguments":"{}"}}`,
	} {
		st, ans := send(t, srv, "POST", "/chat/completions", conv(call), srv.Key, nil)
		if st != 400 || !strings.Contains(ans, "tool_calls[0]") {
			t.Errorf("%s: %d %.200s, want 400 naming tool_calls[0]", call, st, ans)
		}
		if v, _ := jsonschemaValue(conv(call)); sch.Validate(v) == nil {
			t.Errorf("%s: the OpenAPI schema accepts it", call)
		}
	}
	good := conv(`{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"city\":\"Paris\"}"}}`)
	if st, ans := send(t, srv, "POST", "/chat/completions", good, srv.Key, nil); st != 200 {
		t.Errorf("a well-formed tool call: %d %.200s", st, ans)
	}
	if v, _ := jsonschemaValue(good); sch.Validate(v) != nil {
		t.Errorf("the OpenAPI schema refuses the well-formed call: %v", sch.Validate(v))
	}
}

// TestReasoningEffortOrMaxTokens: reasoning with both effort and
// max_tokens is 400; either alone passes (RULES.md C21).
func TestReasoningEffortOrMaxTokens(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	for extra, want := range map[string]int{
		`"reasoning":{"effort":"high","max_tokens":2000}`: 400,
		`"reasoning":{"effort":"high"}`:                   200,
		`"reasoning":{"max_tokens":2000}`:                 200,
		`"reasoning":{"effort":null,"max_tokens":2000}`:   200,
	} {
		if st, ans := send(t, srv, "POST", "/chat/completions", chatBody(hello, extra), srv.Key, nil); st != want {
			t.Errorf("%s: %d %.200s, want %d", extra, st, ans, want)
		}
	}
}

// TestGenerationNeedsAnID: GET /generation without an id, or with an
// empty one, is 400, not a 404 lookup (RULES.md G1).
func TestGenerationNeedsAnID(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	for _, q := range []string{"/generation", "/generation?id="} {
		if st, ans := send(t, srv, "GET", q, "", srv.Key, nil); st != 400 {
			t.Errorf("GET %s: %d %s, want 400", q, st, ans)
		}
	}
	if st, _ := send(t, srv, "GET", "/generation?id=gen-unknown", "", srv.Key, nil); st != 404 {
		t.Errorf("GET /generation?id=gen-unknown: %d, want 404", st)
	}
}
