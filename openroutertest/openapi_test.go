package openroutertest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/routerkit/openrouter/internal/openapischema"
	"github.com/routerkit/openrouter/openroutertest"
)

// The fake server's answers are checked against OpenRouter's OpenAPI
// document (MIT, as of August 2026). testdata/openapi.yaml holds the part
// of it this fake serves: those operations and the components they
// reference, unchanged. Every 200 the fake serves must validate
// against the schema the document gives that operation's 200 answer,
// $refs to components resolved. A new endpoint of the fake adds rows to
// the table of TestAnswersMatchOpenAPI.

// responseSchema compiles the schema of the 200 answer of method path.
func responseSchema(t *testing.T, method, path string) *jsonschema.Schema {
	t.Helper()
	esc := strings.NewReplacer("~", "~0", "/", "~1").Replace
	return compileAt(t, "/paths/"+esc(path)+"/"+strings.ToLower(method)+"/responses/200/content/application~1json/schema")
}

// componentSchema compiles the component schema of the given name.
func componentSchema(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	return compileAt(t, "/components/schemas/"+name)
}

// compileAt compiles the schema at a JSON Pointer into the document.
func compileAt(t *testing.T, pointer string) *jsonschema.Schema {
	t.Helper()
	sch, err := openapischema.Compile("testdata/openapi.yaml", pointer)
	if err != nil {
		t.Fatalf("compiling the schema at %s: %v", pointer, err)
	}
	return sch
}

// call is one request to the fake server and the document path whose
// 200 schema its answer must match.
type call struct {
	name        string
	method, url string // url relative to the server's base URL
	schemaPath  string // the path as the document names it
	body        string
	key         string // "" for the server's key, "management" for its management key
	// before, when set, runs first (a chat completion for /generation).
	before func(t *testing.T, srv *openroutertest.Server) string
}

func TestAnswersMatchOpenAPI(t *testing.T) {
	t.Parallel()
	chat := func(body string) call {
		return call{method: "POST", url: "/chat/completions", schemaPath: "/chat/completions", body: body}
	}
	png := openroutertest.PNGDataURL
	calls := []call{
		withName("chat plain", chat(`{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}`)),
		withName("chat with tools", chat(`{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Weather?"}],
			"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}},{"type":"openrouter:web_search"}]}`)),
		withName("chat with image input", chat(`{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},
			{"type":"image_url","image_url":{"url":"`+png+`"}}]}]}`)),
		withName("chat image output", chat(`{"model":"google/gemini-2.5-flash-image","modalities":["image","text"],"messages":[{"role":"user","content":"A cat"}]}`)),
		withName("chat logprobs, web search, reasoning", chat(`{"model":"openai/gpt-4o-mini","logprobs":true,"top_logprobs":2,
			"plugins":[{"id":"web"}],"reasoning":{"effort":"low"},"messages":[{"role":"user","content":"News?"}]}`)),
		withName("chat json", chat(`{"model":"openai/gpt-4o-mini","response_format":{"type":"json_object"},"messages":[{"role":"user","content":"JSON please"}]}`)),
		{name: "models", method: "GET", url: "/models", schemaPath: "/models"},
		{name: "models, all", method: "GET", url: "/models?output_modalities=all", schemaPath: "/models"},
		{name: "key", method: "GET", url: "/key", schemaPath: "/key"},
		{name: "credits", method: "GET", url: "/credits", schemaPath: "/credits", key: "management"},
		{name: "generation", method: "GET", schemaPath: "/generation", before: func(t *testing.T, srv *openroutertest.Server) string {
			id := postChat(t, srv, `{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}`, http.Header{})
			return "/generation?id=" + id
		}},
		// The endpoints beyond chat.
		{name: "embeddings", method: "POST", url: "/embeddings", schemaPath: "/embeddings",
			body: `{"model":"openai/text-embedding-3-small","input":["a cat","a dog"]}`},
		{name: "embeddings base64", method: "POST", url: "/embeddings", schemaPath: "/embeddings",
			body: `{"model":"openai/text-embedding-3-small","input":"a cat","encoding_format":"base64"}`},
		{name: "embedding models", method: "GET", url: "/embeddings/models", schemaPath: "/embeddings/models"},
		{name: "images", method: "POST", url: "/images", schemaPath: "/images",
			body: `{"model":"black-forest-labs/flux.2-pro","prompt":"A lighthouse"}`},
		{name: "image models", method: "GET", url: "/images/models", schemaPath: "/images/models"},
		{name: "image model endpoints", method: "GET", url: "/images/models/black-forest-labs/flux.2-pro/endpoints",
			schemaPath: "/images/models/{author}/{slug}/endpoints"},
		{name: "keys", method: "GET", url: "/keys", schemaPath: "/keys", key: "management"},
		{name: "activity", method: "GET", url: "/activity", schemaPath: "/activity", key: "management"},
		{name: "model endpoints", method: "GET", url: "/models/openai/gpt-4o-mini/endpoints", schemaPath: "/models/{author}/{slug}/endpoints"},
		{name: "providers", method: "GET", url: "/providers", schemaPath: "/providers"},
		{name: "user models", method: "GET", url: "/models/user", schemaPath: "/models/user"},
		{name: "model count", method: "GET", url: "/models/count", schemaPath: "/models/count"},
	}
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			url := c.url
			if c.before != nil {
				url = c.before(t, srv)
			}
			key := srv.Key
			if c.key == "management" {
				key = srv.ManagementKey
			}
			status, body := send(t, srv, c.method, url, c.body, key, nil)
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, body)
			}
			checkAgainst(t, responseSchema(t, c.method, c.schemaPath), body)
		})
	}
}

func TestMetadataAnswerMatchesOpenAPI(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	status, body := send(t, srv, "POST", "/chat/completions", `{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}`,
		srv.Key, http.Header{"X-OpenRouter-Metadata": {"enabled"}})
	if status != 200 || !strings.Contains(body, `"openrouter_metadata"`) {
		t.Fatalf("status %d, body %s: want openrouter_metadata", status, body)
	}
	checkAgainst(t, responseSchema(t, "POST", "/chat/completions"), body)
}

func withName(name string, c call) call { c.name = name; return c }

func checkAgainst(t *testing.T, sch *jsonschema.Schema, body string) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(body))
	if err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, body)
	}
	if err := sch.Validate(v); err != nil {
		t.Errorf("answer does not match the OpenAPI document: %v\nanswer: %.600s", err, body)
	}
}

func send(t *testing.T, srv *openroutertest.Server, method, url, body, key string, h http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// postChat sends a chat completion and returns its ID.
func postChat(t *testing.T, srv *openroutertest.Server, body string, h http.Header) string {
	t.Helper()
	status, ans := send(t, srv, "POST", "/chat/completions", body, srv.Key, h)
	var r struct{ ID string }
	if status != 200 || json.Unmarshal([]byte(ans), &r) != nil || r.ID == "" {
		t.Fatalf("chat: status %d, %s", status, ans)
	}
	return r.ID
}

func TestStreamChunksMatchOpenAPI(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	sch := componentSchema(t, "ChatStreamChunk")
	for name, body := range map[string]string{
		"plain": `{"model":"openai/gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hello there"}]}`,
		"everything asked": `{"model":"openai/gpt-4o-mini","stream":true,"logprobs":true,"top_logprobs":1,"reasoning":{"enabled":true},
			"plugins":[{"id":"web"}],"messages":[{"role":"user","content":"Hello there"}]}`,
		"image": `{"model":"google/gemini-2.5-flash-image","stream":true,"modalities":["image","text"],"messages":[{"role":"user","content":"A cat"}]}`,
	} {
		status, ans := send(t, srv, "POST", "/chat/completions", body, srv.Key, http.Header{"X-OpenRouter-Metadata": {"enabled"}})
		if status != 200 {
			t.Fatalf("%s: %d %s", name, status, ans)
		}
		n := 0
		for _, line := range strings.Split(ans, "\n") {
			data, ok := strings.CutPrefix(line, "data: ")
			if !ok || data == "[DONE]" {
				continue
			}
			n++
			checkAgainst(t, sch, data)
		}
		if n < 3 {
			t.Errorf("%s: %d chunks", name, n)
		}
		if name == "everything asked" {
			for _, want := range []string{`"logprobs":{"content":[{`, `"reasoning_details":[{`, `"annotations":[{`, `"openrouter_metadata":{`, `"system_fingerprint":"` + openroutertest.Fingerprint} {
				if !strings.Contains(ans, want) {
					t.Errorf("%s: the stream lacks %s", name, want)
				}
			}
		}
	}
}
