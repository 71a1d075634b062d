package openroutertest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/routerkit/openrouter/openroutertest"
)

// The rules found by an adversarial review of the fake against
// OpenRouter's docs: each test sends raw HTTP and fails on a fake that
// is kinder than the API.

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

// TestKeysAPIRefusesBadValues: POST /keys refuses an expires_at that is
// not a UTC date-time, PATCH /keys/{hash} refuses a field of the wrong
// type (and leaves the key as it was: "disabled": "true" must not
// enable it), and GET /keys refuses a negative or non-integer offset
// (RULES.md K1-K3).
func TestKeysAPIRefusesBadValues(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	m := srv.ManagementKey
	for _, exp := range []string{"tomorrow", "2030-01-01", "2030-01-01T00:00:00+02:00"} {
		if st, _ := keyCall(t, srv, "POST", "/keys", m, `{"name":"a","expires_at":"`+exp+`"}`); st != 400 {
			t.Errorf("POST /keys expires_at %q: %d, want 400", exp, st)
		}
	}
	for _, exp := range []string{"2030-01-01T00:00:00Z", "2030-01-01T00:00:00.5+00:00"} {
		if st, _ := keyCall(t, srv, "POST", "/keys", m, `{"name":"a","expires_at":"`+exp+`"}`); st != 201 {
			t.Errorf("POST /keys expires_at %q: %d, want 201", exp, st)
		}
	}
	st, created := keyCall(t, srv, "POST", "/keys", m, `{"name":"b"}`)
	hash, _ := created["data"].(map[string]any)["hash"].(string)
	if st != 201 || hash == "" {
		t.Fatalf("POST /keys: %d %v", st, created)
	}
	if st, _ := keyCall(t, srv, "PATCH", "/keys/"+hash, m, `{"disabled":true}`); st != 200 {
		t.Fatalf("PATCH disabled true: %d", st)
	}
	for _, body := range []string{`{"disabled":"false"}`, `{"name":""}`, `{"name":7}`, `{"limit":-1}`, `{"limit":"5"}`,
		`{"include_byok_in_limit":1}`, `{"limit_reset":"yearly"}`} {
		if st, _ := keyCall(t, srv, "PATCH", "/keys/"+hash, m, body); st != 400 {
			t.Errorf("PATCH %s: %d, want 400", body, st)
		}
	}
	_, got := keyCall(t, srv, "GET", "/keys/"+hash, m, "")
	if d, _ := got["data"].(map[string]any); d == nil || d["disabled"] != true || d["name"] != "b" {
		t.Errorf("a refused PATCH changed the key: %v", d)
	}
	for _, q := range []string{"-1", "abc", "1.5"} {
		if st, _ := keyCall(t, srv, "GET", "/keys?offset="+q, m, ""); st != 400 {
			t.Errorf("GET /keys?offset=%s: %d, want 400", q, st)
		}
	}
	if st, _ := keyCall(t, srv, "GET", "/keys?offset=1", m, ""); st != 200 {
		t.Errorf("GET /keys?offset=1: %d, want 200", st)
	}
}

// TestManagementKeyCannotSubmitBatches: POST /batches with the management
// key is 403, like every inference route, and creates no batch
// (RULES.md A3).
func TestManagementKeyCannotSubmitBatches(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	body := `{"endpoint":"/v1/chat/completions","model":"openai/gpt-4o-mini","requests":[{"custom_id":"a","body":{"messages":` + hello + `}}]}`
	if st, ans := send(t, srv, "POST", "/batches", body, srv.ManagementKey, nil); st != 403 {
		t.Errorf("POST /batches with the management key: %d %s, want 403", st, ans)
	}
	if st, ans := send(t, srv, "GET", "/batches", "", srv.Key, nil); st != 200 || !strings.Contains(ans, `"data":[]`) {
		t.Errorf("a refused submission left a batch: %d %s", st, ans)
	}
	if st, ans := send(t, srv, "POST", "/batches", body, srv.Key, nil); st != 202 {
		t.Errorf("POST /batches with the ordinary key: %d %s, want 202", st, ans)
	}
}

// TestImagesRefusesWhatTheSchemaRefuses: POST /images refuses an
// aspect_ratio, background, output_format or quality outside the
// document's enumerations, an output_compression outside 0-100, more
// than 16 input_references, and a transparent background in jpeg, with
// 400 and no charge; the document's schema refuses the same bodies
// (RULES.md I1).
func TestImagesRefusesWhatTheSchemaRefuses(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	sch := componentSchema(t, "ImageGenerationRequest")
	body := func(extra string) string {
		return `{"model":"black-forest-labs/flux.2-pro","prompt":"a lighthouse",` + extra + `}`
	}
	refs := strings.TrimSuffix(strings.Repeat(`{"type":"image_url","image_url":{"url":"`+openroutertest.PNGDataURL+`"}},`, 17), ",")
	for extra, docsOnly := range map[string]bool{
		`"aspect_ratio":"7:3"`:                              false,
		`"background":"clear"`:                              false,
		`"output_format":"gif"`:                             false,
		`"quality":"ultra"`:                                 false,
		`"output_compression":101`:                          true,
		`"input_references":[` + refs + `]`:                 false,
		`"background":"transparent","output_format":"jpeg"`: true,
	} {
		st, ans := send(t, srv, "POST", "/images", body(extra), srv.Key, nil)
		if st != 400 {
			t.Errorf("%.60s: %d %.200s, want 400", extra, st, ans)
		}
		v, _ := jsonschemaValue(body(extra))
		if !docsOnly && sch.Validate(v) == nil {
			t.Errorf("%.60s: the OpenAPI schema accepts it", extra)
		}
	}
	if srv.Spent() != 0 || srv.ImageRequests() != 0 {
		t.Errorf("refused image requests were billed: $%g, %d answered", srv.Spent(), srv.ImageRequests())
	}
	for _, extra := range []string{`"aspect_ratio":"21:9"`, `"background":"transparent","output_format":"webp"`, `"quality":"high","output_compression":80`} {
		if st, ans := send(t, srv, "POST", "/images", body(extra), srv.Key, nil); st != 200 {
			t.Errorf("%s: %d %.200s, want 200", extra, st, ans)
		}
	}
}

// TestBatchTakesAtMost5000Requests: a submission of 5,001 requests is
// refused with a 400 and stores no batch; 5,000 are accepted (RULES.md
// T22).
func TestBatchTakesAtMost5000Requests(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	submission := func(n int) string {
		var b strings.Builder
		b.WriteString(`{"endpoint":"/v1/chat/completions","model":"openai/gpt-4o-mini","requests":[`)
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"custom_id":"r%d","body":{"messages":[{"role":"user","content":"hi"}]}}`, i)
		}
		b.WriteString(`]}`)
		return b.String()
	}
	if st, ans := send(t, srv, "POST", "/batches", submission(openroutertest.MaxBatchRequests+1), srv.Key, nil); st != 400 {
		t.Errorf("5,001 requests: %d %.200s, want 400", st, ans)
	}
	if _, ans := send(t, srv, "GET", "/batches", "", srv.Key, nil); !strings.Contains(ans, `"data":[]`) {
		t.Errorf("a refused submission was stored: %.200s", ans)
	}
	if st, ans := send(t, srv, "POST", "/batches", submission(openroutertest.MaxBatchRequests), srv.Key, nil); st != 202 {
		t.Errorf("5,000 requests: %d %.200s, want 202", st, ans)
	}
}

// TestActivityGroupBy: GET /activity refuses a group_by other than
// "workspace"; with group_by=workspace every row carries workspace_id,
// and without it none does (RULES.md K4).
func TestActivityGroupBy(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	day := time.Now().UTC().AddDate(0, 0, -2).Format("2006-01-02")
	srv.AddActivity(openroutertest.ActivityRow{Date: day, Model: "openai/gpt-4o-mini", ModelPermaslug: "openai/gpt-4o-mini",
		EndpointID: "e1", ProviderName: "OpenAI", Usage: 0.5, Requests: 3})
	if st, _ := keyCall(t, srv, "GET", "/activity?group_by=model", srv.ManagementKey, ""); st != 400 {
		t.Errorf("group_by=model: %d, want 400", st)
	}
	for q, want := range map[string]bool{"": false, "?group_by=workspace": true} {
		st, ans := keyCall(t, srv, "GET", "/activity"+q, srv.ManagementKey, "")
		rows, _ := ans["data"].([]any)
		if st != 200 || len(rows) != 1 {
			t.Fatalf("/activity%s: %d %v", q, st, ans)
		}
		ws, has := rows[0].(map[string]any)["workspace_id"]
		if has != want || (want && ws == "") {
			t.Errorf("/activity%s: workspace_id %v (present %v), want present %v", q, ws, has, want)
		}
	}
}

// TestEmbeddingsRequestRules: POST /embeddings refuses an unknown
// provider preference (400, nothing billed) and accepts the multimodal
// input form the OpenAPI document lists, one vector per input, while an
// empty content array or an empty text part is 400; the document's
// request schema agrees on each body (RULES.md M1, M2).
func TestEmbeddingsRequestRules(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	sch := compileAt(t, "/paths/~1embeddings/post/requestBody/content/application~1json/schema")
	body := func(extra string) string {
		return `{"model":"openai/text-embedding-3-small",` + extra + `}`
	}
	for _, extra := range []string{`"input":"hi","provider":{"bogus":1}`, `"input":[{"content":[]}]`,
		`"input":[{"content":[{"type":"text","text":""}]}]`, `"input":[{"content":[{"type":"image_url"}]}]`} {
		if st, ans := send(t, srv, "POST", "/embeddings", body(extra), srv.Key, nil); st != 400 {
			t.Errorf("%s: %d %.200s, want 400", extra, st, ans)
		}
		if v, _ := jsonschemaValue(body(extra)); sch.Validate(v) == nil {
			t.Errorf("%s: the OpenAPI schema accepts it", extra)
		}
	}
	if srv.Spent() != 0 {
		t.Errorf("refused embeddings were billed: $%g", srv.Spent())
	}
	mm := `"input":[{"content":[{"type":"text","text":"a red fox"},{"type":"image_url","image_url":{"url":"` + openroutertest.PNGDataURL + `"}}]},
		{"content":[{"type":"input_audio","input_audio":{"data":"data:audio/wav;base64,UklGR","format":"wav"}}]}],"provider":{"only":["openai"]}`
	if v, _ := jsonschemaValue(body(mm)); sch.Validate(v) != nil {
		t.Fatalf("the OpenAPI schema refuses the multimodal body: %v", sch.Validate(v))
	}
	st, ans := send(t, srv, "POST", "/embeddings", body(mm), srv.Key, nil)
	var r struct{ Data []struct{ Index int } }
	if st != 200 || json.Unmarshal([]byte(ans), &r) != nil || len(r.Data) != 2 || r.Data[1].Index != 1 {
		t.Errorf("multimodal input: %d %.300s; want 200 with 2 vectors", st, ans)
	}
}

// TestFreeModelMinuteLimitCarriesRateLimitHeaders: the 429 of the
// free-model per-minute limit, one of OpenRouter's own platform limits,
// carries X-RateLimit-Limit, -Remaining and -Reset without any option
// (RULES.md A6). Three requests at one a minute hold a 429 even if a
// minute turns between two of them.
func TestFreeModelMinuteLimitCarriesRateLimitHeaders(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer(openroutertest.WithFreeModelLimits(1, 0))
	t.Cleanup(srv.Close)
	body := `{"model":"meta-llama/llama-3.3-70b-instruct:free","messages":` + hello + `}`
	for i := 0; i < 3; i++ {
		req, _ := http.NewRequest("POST", srv.URL+"/chat/completions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+srv.Key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests {
			continue
		}
		for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
			if resp.Header.Get(h) == "" {
				t.Errorf("the free-model minute 429 lacks %s", h)
			}
		}
		return
	}
	t.Fatal("three requests at one a minute got no 429")
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

// TestRequireParameters: with provider.require_parameters true, a
// parameter the model's supported_parameters lacks (top_k on a model
// without it; a json_schema response_format on a model without
// structured_outputs) is 404 constraint_filtered with excluded_by
// require_parameters and a constraint naming the parameter, nothing
// billed; without require_parameters, or with only supported
// parameters, the request is answered (RULES.md R1, with
// WithRequireParameters(true)).
func TestRequireParameters(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer(openroutertest.WithRequireParameters(true))
	t.Cleanup(srv.Close)
	schema := `"response_format":{"type":"json_schema","json_schema":{"name":"x","strict":true,"schema":{"type":"object","properties":{"a":{"type":"string"}},"required":["a"],"additionalProperties":false}}}`
	nemo := func(extra string) string {
		return `{"model":"mistralai/mistral-nemo","messages":` + hello + `,` + extra + `}`
	}
	for extra, param := range map[string]string{
		`"provider":{"require_parameters":true},"top_k":3`: "top_k",
		`"provider":{"require_parameters":true},` + schema: "structured_outputs",
	} {
		st, body := send(t, srv, "POST", "/chat/completions", nemo(extra), srv.Key, nil)
		var e struct {
			Error struct {
				Code         int
				Availability struct {
					Code       string
					ExcludedBy []string `json:"excluded_by"`
					Constraint struct{ Field, Detail string }
				}
			}
		}
		_ = json.Unmarshal([]byte(body), &e)
		a := e.Error.Availability
		if st != 404 || e.Error.Code != 404 || a.Code != "constraint_filtered" || len(a.ExcludedBy) != 1 || a.ExcludedBy[0] != "require_parameters" ||
			a.Constraint.Field != "require_parameters" || !strings.Contains(a.Constraint.Detail, param) {
			t.Errorf("%.60s: %d %.300s; want 404 constraint_filtered naming %s", extra, st, body, param)
		}
	}
	if srv.Spent() != 0 {
		t.Errorf("refused requests were billed: $%g", srv.Spent())
	}
	for _, body := range []string{nemo(`"top_k":3`), nemo(`"provider":{"require_parameters":true},"temperature":0.5`),
		chatBody(hello, `"provider":{"require_parameters":true},"temperature":0.5,`+schema)} {
		if st, ans := send(t, srv, "POST", "/chat/completions", body, srv.Key, nil); st != 200 {
			t.Errorf("%.120s: %d %.200s, want 200", body, st, ans)
		}
	}
}

// TestRequireParametersIsOffByDefault: without WithRequireParameters the
// server answers a require_parameters request whatever its parameters
// (RULES.md R1, the option's default).
func TestRequireParametersIsOffByDefault(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	body := `{"model":"mistralai/mistral-nemo","messages":` + hello + `,"provider":{"require_parameters":true},"top_k":3}`
	if st, ans := send(t, srv, "POST", "/chat/completions", body, srv.Key, nil); st != 200 {
		t.Errorf("%d %.200s, want 200", st, ans)
	}
}

// TestAffordabilityCheck: by default (WithAffordabilityCheck), a request
// whose largest output (max_tokens, else the model's max completion
// tokens) the credits or the key's limit cannot pay is 402 "requires
// more credits, or fewer max_tokens" with the limit_source of the
// smaller of the two, nothing billed; a small max_tokens passes
// (RULES.md B7).
func TestAffordabilityCheck(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		opts   []openroutertest.Option
		source string
	}{
		"credits":   {[]openroutertest.Option{openroutertest.WithCredits(0.001)}, "openrouter_credits"},
		"key limit": {[]openroutertest.Option{openroutertest.WithCredits(10), openroutertest.WithKeyLimit(0.001)}, openroutertest.KeyLimit},
	} {
		srv := openroutertest.NewServer(tc.opts...) // the check is on by default
		t.Cleanup(srv.Close)
		st, body := send(t, srv, "POST", "/chat/completions", chatBody(hello, ""), srv.Key, nil)
		var e struct {
			Error struct {
				Message  string
				Metadata map[string]any
			}
		}
		_ = json.Unmarshal([]byte(body), &e)
		// gpt-4o-mini: 16384 output tokens at $0.0000006 cost more than $0.001.
		if st != 402 || !strings.Contains(e.Error.Message, "requires more credits, or fewer max_tokens. You requested up to 16384 tokens, but can only afford 1666") ||
			e.Error.Metadata["limit_source"] != tc.source {
			t.Errorf("%s: %d %s; want 402 naming 16384 and 1666 tokens, limit_source %s", name, st, body, tc.source)
		}
		if srv.Spent() != 0 {
			t.Errorf("%s: the refused request was billed: $%g", name, srv.Spent())
		}
		if st, ans := send(t, srv, "POST", "/chat/completions", chatBody(hello, `"max_tokens":100`), srv.Key, nil); st != 200 {
			t.Errorf("%s: max_tokens 100: %d %.200s, want 200", name, st, ans)
		}
	}
	srv := openroutertest.NewServer(openroutertest.WithCredits(0.001), openroutertest.WithAffordabilityCheck(false))
	t.Cleanup(srv.Close)
	if st, _ := send(t, srv, "POST", "/chat/completions", chatBody(hello, ""), srv.Key, nil); st != 200 {
		t.Errorf("WithAffordabilityCheck(false): %d, want 200", st)
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

// TestModelsFallbackList: without model, the first entry of models
// serves and is billed; an unknown model or one whose context the
// request exceeds falls back to the next entry; the answer names the
// model used; when none serves, the first candidate's error comes back
// (RULES.md R2).
func TestModelsFallbackList(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	answer := func(body string) (int, string, float64) {
		st, ans := send(t, srv, "POST", "/chat/completions", body, srv.Key, nil)
		var r struct {
			Model string
			Usage struct{ Cost float64 }
		}
		_ = json.Unmarshal([]byte(ans), &r)
		return st, r.Model, r.Usage.Cost
	}
	_, _, haikuCost := answer(`{"model":"anthropic/claude-haiku-4.5","messages":` + hello + `}`)
	for body, want := range map[string]string{
		`{"models":["anthropic/claude-haiku-4.5","openai/gpt-4o-mini"],"messages":` + hello + `}`:                              "anthropic/claude-haiku-4.5",
		`{"model":"acme/none","models":["openai/gpt-4o-mini"],"messages":` + hello + `}`:                                       "openai/gpt-4o-mini",
		`{"model":"openai/gpt-4o-mini","models":["anthropic/claude-sonnet-4.5"],"max_tokens":500000,"messages":` + hello + `}`: "anthropic/claude-sonnet-4.5",
	} {
		if st, model, _ := answer(body); st != 200 || model != want {
			t.Errorf("%s: %d, model %q; want 200 from %s", body, st, model, want)
		}
	}
	if _, _, cost := answer(`{"models":["anthropic/claude-haiku-4.5"],"messages":` + hello + `}`); cost != haikuCost || cost == 0 {
		t.Errorf("billed $%g through models, $%g with model: the model used sets the price", cost, haikuCost)
	}
	st, body := send(t, srv, "POST", "/chat/completions", `{"model":"acme/one","models":["acme/two"],"messages":`+hello+`}`, srv.Key, nil)
	if e := availabilityOf(t, body); st != 400 || e.Availability == nil || e.Availability.Code != "model_not_found" ||
		strings.Join(e.Availability.RequestedModels, ",") != "acme/one,acme/two" {
		t.Errorf("no candidate: %d %s; want model_not_found requesting acme/one and acme/two", st, body)
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
