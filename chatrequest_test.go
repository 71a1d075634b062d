package openrouter_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// sentBody sends req through the fake server and returns the body it
// received, decoded.
func sentBody(t *testing.T, req *openrouter.ChatRequest) map[string]any {
	t.Helper()
	srv, c, _ := setup(t, nil)
	if _, err := c.Chat(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("server saw %d requests", len(reqs))
	}
	return reqs[0].Body
}

// jsonOf decodes a JSON text, for the expected side of a comparison.
func jsonOf(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return v
}

func TestProviderRoutingOnTheWire(t *testing.T) {
	t.Parallel()
	req := hello()
	req.Provider = &openrouter.ProviderPrefs{
		Order: []string{"openai"}, AllowFallbacks: openrouter.Ptr(false), DataCollection: "deny", ZDR: true,
		Only: []string{"openai", "azure"}, Ignore: []string{"deepinfra"}, Quantizations: []string{"fp8"},
		EnforceDistillableText: true, Sort: "throughput", SortPartition: "none",
		PreferredMinThroughput: &openrouter.Cutoff{P50: 100, P90: 50},
		PreferredMaxLatency:    &openrouter.Cutoff{Value: 3},
		MaxPrice:               &openrouter.MaxPrice{Prompt: openrouter.Ptr(1.0), Completion: openrouter.Ptr(2.5), Request: openrouter.Ptr(0.0), Image: openrouter.Ptr(0.000001)},
	}
	got := sentBody(t, req)["provider"]
	want := jsonOf(t, `{"order":["openai"],"allow_fallbacks":false,"data_collection":"deny","zdr":true,
		"only":["openai","azure"],"ignore":["deepinfra"],"quantizations":["fp8"],"enforce_distillable_text":true,
		"sort":{"by":"throughput","partition":"none"},"preferred_min_throughput":{"p50":100,"p90":50},
		"preferred_max_latency":3,"max_price":{"prompt":"1","completion":"2.5","request":"0","image":"0.000001"}}`)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("provider sent (-want +got):\n%s", diff)
	}

	req = hello()
	req.Provider = &openrouter.ProviderPrefs{Sort: "price"}
	if got := sentBody(t, req)["provider"]; !cmp.Equal(got, jsonOf(t, `{"sort":"price"}`)) {
		t.Errorf("sort without partition sent as %v, want a string", got)
	}
}

func TestContentPartsOnTheWire(t *testing.T) {
	t.Parallel()
	img, err := openrouter.ImageInputPart(openrouter.ImageInput{Data: openroutertest.MakePNG(1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	req := hello()
	req.Messages = []openrouter.Message{
		{Role: "system", Parts: []openrouter.ContentPart{openrouter.CachedTextPart("Long instructions.", "1h")}},
		{Role: "user", Parts: []openrouter.ContentPart{
			openrouter.TextPart("Look:"),
			img,
			openrouter.ImageURLPart("https://example.com/a.jpg"),
			openrouter.FilePart("doc.pdf", "https://example.com/doc.pdf"),
			openrouter.FileDataPart("b.pdf", "application/pdf", []byte("%PDF-1.4")),
			openrouter.AudioPart([]byte("RIFF"), "wav"),
			openrouter.VideoURLPart("https://example.com/clip.mp4"),
		}},
	}
	req.Plugins = []openrouter.Plugin{openrouter.FileParserPlugin(openrouter.PDFEngineCloudflareAI)}
	body := sentBody(t, req)
	want := jsonOf(t, `[
		{"role":"system","content":[{"type":"text","text":"Long instructions.","cache_control":{"type":"ephemeral","ttl":"1h"}}]},
		{"role":"user","content":[
			{"type":"text","text":"Look:"},
			{"type":"image_url","image_url":{"url":"`+openroutertest.DataURL("image/png", openroutertest.MakePNG(1, 1))+`"}},
			{"type":"image_url","image_url":{"url":"https://example.com/a.jpg"}},
			{"type":"file","file":{"filename":"doc.pdf","file_data":"https://example.com/doc.pdf"}},
			{"type":"file","file":{"filename":"b.pdf","file_data":"data:application/pdf;base64,JVBERi0xLjQ="}},
			{"type":"input_audio","input_audio":{"data":"UklGRg==","format":"wav"}},
			{"type":"video_url","video_url":{"url":"https://example.com/clip.mp4"}}]}]`)
	if diff := cmp.Diff(want, body["messages"]); diff != "" {
		t.Errorf("messages sent (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(jsonOf(t, `[{"id":"file-parser","pdf":{"engine":"cloudflare-ai"}}]`), body["plugins"]); diff != "" {
		t.Errorf("plugins sent (-want +got):\n%s", diff)
	}
}

func TestServerToolsOnTheWire(t *testing.T) {
	t.Parallel()
	req := hello()
	req.Tools = []openrouter.Tool{
		openrouter.FunctionTool("get_weather", "Weather", json.RawMessage(`{"type":"object"}`)),
		openrouter.ServerTool(openrouter.ServerToolWebSearch, openrouter.WebSearchParams{MaxResults: 3, Engine: "exa",
			AllowedDomains: []string{"go.dev"}, UserLocation: &openrouter.UserLocation{Type: "approximate", Country: "FR"}}),
		openrouter.ServerTool(openrouter.ServerToolWebFetch, nil),
		openrouter.ServerTool(openrouter.ServerToolDatetime, openrouter.DatetimeParams{Timezone: "Europe/Paris"}),
		openrouter.ServerTool(openrouter.ServerToolWebFetch, openrouter.WebFetchParams{MaxUses: 2}),
	}
	req.StopServerToolsWhen = []openrouter.StopCondition{openrouter.StopAfterSteps(5), openrouter.StopAfterCost(0.5),
		openrouter.StopOnToolCall("finalize"), openrouter.StopAfterTokens(10000), openrouter.StopOnFinishReason("length")}
	body := sentBody(t, req)
	want := jsonOf(t, `[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object"}}},
		{"type":"openrouter:web_search","parameters":{"max_results":3,"engine":"exa","allowed_domains":["go.dev"],"user_location":{"type":"approximate","country":"FR"}}},
		{"type":"openrouter:web_fetch"},
		{"type":"openrouter:datetime","parameters":{"timezone":"Europe/Paris"}},
		{"type":"openrouter:web_fetch","parameters":{"max_uses":2}}]`)
	if diff := cmp.Diff(want, body["tools"]); diff != "" {
		t.Errorf("tools sent (-want +got):\n%s", diff)
	}
	want = jsonOf(t, `[{"type":"step_count_is","step_count":5},{"type":"max_cost","max_cost_in_dollars":0.5},
		{"type":"has_tool_call","tool_name":"finalize"},{"type":"max_tokens_used","max_tokens":10000},
		{"type":"finish_reason_is","reason":"length"}]`)
	if diff := cmp.Diff(want, body["stop_server_tools_when"]); diff != "" {
		t.Errorf("stop_server_tools_when sent (-want +got):\n%s", diff)
	}
}

func TestRemainingRequestFieldsOnTheWire(t *testing.T) {
	t.Parallel()
	req := hello()
	req.TopK, req.MinP, req.TopA, req.RepetitionPenalty = openrouter.Ptr(0), openrouter.Ptr(0.1), openrouter.Ptr(0.2), openrouter.Ptr(1.1)
	req.LogitBias = map[string]float64{"50256": -100}
	req.Logprobs, req.TopLogprobs = true, 5
	req.MaxCompletionTokens = 100
	req.Prediction = &openrouter.Prediction{Type: "content", Content: "Hello"}
	req.Verbosity, req.ServiceTier = "low", "flex"
	req.CacheControl = openrouter.EphemeralCache("")
	req.PromptCacheKey = "k1"
	req.Trace = &openrouter.Trace{TraceID: "t1", SpanName: "s"}
	req.Reasoning = &openrouter.Reasoning{MaxTokens: 2000, Exclude: true, Enabled: openrouter.Ptr(true), Summary: "concise"}
	body := sentBody(t, req)
	delete(body, "messages")
	want := jsonOf(t, `{"model":"openai/gpt-4o-mini","top_k":0,"min_p":0.1,"top_a":0.2,"repetition_penalty":1.1,
		"logit_bias":{"50256":-100},"logprobs":true,"top_logprobs":5,"max_completion_tokens":100,
		"prediction":{"type":"content","content":"Hello"},"verbosity":"low","service_tier":"flex",
		"cache_control":{"type":"ephemeral"},"prompt_cache_key":"k1","trace":{"trace_id":"t1","span_name":"s"},
		"reasoning":{"max_tokens":2000,"exclude":true,"enabled":true,"summary":"concise"}}`)
	if diff := cmp.Diff(want, any(body)); diff != "" {
		t.Errorf("body sent (-want +got):\n%s", diff)
	}
}

func TestExtraReachesNestedPaths(t *testing.T) {
	t.Parallel()
	req := hello()
	req.Messages = []openrouter.Message{{Role: "user", Parts: []openrouter.ContentPart{openrouter.TextPart("a"), openrouter.TextPart("b")}}}
	req.Provider = &openrouter.ProviderPrefs{MaxPrice: &openrouter.MaxPrice{Prompt: openrouter.Ptr(1.0)}}
	req.Tools = []openrouter.Tool{openrouter.ServerTool(openrouter.ServerToolDatetime, nil)}
	req.Trace = &openrouter.Trace{TraceID: "t"}
	req.Extra = map[string]any{
		"/top_n":                               3,
		"/provider/max_price/video":            "0.5",
		"/messages/0/content/1/cache_control":  map[string]string{"type": "ephemeral"},
		"/tools/-":                             map[string]string{"type": "openrouter:subagent"},
		"/trace/custom~1key":                   "v",
		"/prompt_cache_options/retention/kind": "long",
	}
	body := sentBody(t, req)
	want := jsonOf(t, `{"model":"openai/gpt-4o-mini",
		"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b","cache_control":{"type":"ephemeral"}}]}],
		"provider":{"max_price":{"prompt":"1","video":"0.5"}},
		"tools":[{"type":"openrouter:datetime"},{"type":"openrouter:subagent"}],
		"trace":{"trace_id":"t","custom/key":"v"},
		"prompt_cache_options":{"retention":{"kind":"long"}},
		"top_n":3}`)
	if diff := cmp.Diff(want, any(body)); diff != "" {
		t.Errorf("body sent (-want +got):\n%s", diff)
	}
}

func TestExtraNeverSendsAFieldTwice(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	base := func() *openrouter.ChatRequest {
		r := hello()
		r.Provider = &openrouter.ProviderPrefs{Sort: "price", MaxPrice: &openrouter.MaxPrice{Prompt: openrouter.Ptr(1.0)}}
		return r
	}
	for name, tc := range map[string]struct {
		extra map[string]any
		want  string // in the error
	}{
		"typed top-level":    {map[string]any{"/model": "x/y"}, `Extra["/model"]: the request already sets`},
		"typed nested":       {map[string]any{"/provider/max_price/prompt": "2"}, `already sets`},
		"typed sort":         {map[string]any{"/provider/sort": "latency"}, `already sets`},
		"array element":      {map[string]any{"/messages/0": map[string]any{}}, `already sets this element`},
		"index out of range": {map[string]any{"/messages/3/name": "x"}, `is not an index`},
		"into a scalar":      {map[string]any{"/model/x": 1}, `not an object or an array`},
		"overlap":            {map[string]any{"/a": map[string]any{}, "/a/b": 1}, `overlap`},
		"not a pointer":      {map[string]any{"top_k": 1}, `JSON Pointer`},
		"bad escape":         {map[string]any{"/a~2": 1}, `escaped`},
		"empty segment":      {map[string]any{"/a//b": 1}, `empty path segment`},
		"stream":             {map[string]any{"/stream": true}, `stream is set by the method`},
		"append mid-path":    {map[string]any{"/messages/-/x": 1}, `last segment`},
	} {
		r := base()
		r.Extra = tc.extra
		_, err := c.Chat(context.Background(), r)
		if !errors.Is(err, openrouter.ErrInvalidRequest) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want ErrInvalidRequest with %q", name, err, tc.want)
		}
	}
	if n := srv.Stats().Requests; n != 0 {
		t.Errorf("server saw %d requests, want 0", n)
	}
}

func TestNewFieldsValidatedBeforeSending(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	msgs := []openrouter.Message{openrouter.UserMessage("hi")}
	part := func(p openrouter.ContentPart) []openrouter.Message {
		return []openrouter.Message{{Role: "user", Parts: []openrouter.ContentPart{p}}}
	}
	nan := math.NaN()
	for name, tc := range map[string]struct {
		req   openrouter.ChatRequest
		field string // named in the error
	}{
		"models":            {openrouter.ChatRequest{Messages: msgs, Models: []string{"a/b", "c d"}}, "models[1]"},
		"modality":          {openrouter.ChatRequest{Messages: msgs, Modalities: []string{"video"}}, "modalities[0]"},
		"plugin id":         {openrouter.ChatRequest{Messages: msgs, Plugins: []openrouter.Plugin{{}}}, "plugins[0]: no ID"},
		"plugin option id":  {openrouter.ChatRequest{Messages: msgs, Plugins: []openrouter.Plugin{{ID: "web", Options: map[string]any{"id": "x"}}}}, "plugins[0]"},
		"temperature NaN":   {openrouter.ChatRequest{Messages: msgs, Temperature: &nan}, "temperature"},
		"top_p Inf":         {openrouter.ChatRequest{Messages: msgs, TopP: openrouter.Ptr(math.Inf(1))}, "top_p"},
		"top_k":             {openrouter.ChatRequest{Messages: msgs, TopK: openrouter.Ptr(-1)}, "top_k"},
		"min_p":             {openrouter.ChatRequest{Messages: msgs, MinP: openrouter.Ptr(1.5)}, "min_p"},
		"top_a":             {openrouter.ChatRequest{Messages: msgs, TopA: openrouter.Ptr(-0.5)}, "top_a"},
		"repetition 0":      {openrouter.ChatRequest{Messages: msgs, RepetitionPenalty: openrouter.Ptr(0.0)}, "repetition_penalty"},
		"presence":          {openrouter.ChatRequest{Messages: msgs, PresencePenalty: openrouter.Ptr(2.5)}, "presence_penalty"},
		"frequency NaN":     {openrouter.ChatRequest{Messages: msgs, FrequencyPenalty: &nan}, "frequency_penalty"},
		"logit_bias":        {openrouter.ChatRequest{Messages: msgs, LogitBias: map[string]float64{"1": 101}}, "logit_bias"},
		"top_logprobs":      {openrouter.ChatRequest{Messages: msgs, Logprobs: true, TopLogprobs: 21}, "top_logprobs"},
		"top_logprobs only": {openrouter.ChatRequest{Messages: msgs, TopLogprobs: 2}, "top_logprobs"},
		"both max tokens":   {openrouter.ChatRequest{Messages: msgs, MaxTokens: 5, MaxCompletionTokens: 5}, "max_completion_tokens"},
		"max_completion":    {openrouter.ChatRequest{Messages: msgs, MaxCompletionTokens: -1}, "max_completion_tokens"},
		"verbosity":         {openrouter.ChatRequest{Messages: msgs, Verbosity: "loud"}, "verbosity"},
		"service_tier":      {openrouter.ChatRequest{Messages: msgs, ServiceTier: "gold"}, "service_tier"},
		"prediction":        {openrouter.ChatRequest{Messages: msgs, Prediction: &openrouter.Prediction{Type: "text"}}, "prediction.type"},
		"cache ttl":         {openrouter.ChatRequest{Messages: msgs, CacheControl: openrouter.EphemeralCache("2h")}, "cache_control.ttl"},
		"session_id":        {openrouter.ChatRequest{Messages: msgs, SessionID: strings.Repeat("s", 257)}, "session_id"},
		"effort":            {openrouter.ChatRequest{Messages: msgs, Reasoning: &openrouter.Reasoning{Effort: "huge"}}, "reasoning.effort"},
		"effort and budget": {openrouter.ChatRequest{Messages: msgs, Reasoning: &openrouter.Reasoning{Effort: "high", MaxTokens: 10}}, "reasoning.effort and reasoning.max_tokens"},
		"summary":           {openrouter.ChatRequest{Messages: msgs, Reasoning: &openrouter.Reasoning{Summary: "long"}}, "reasoning.summary"},
		"sort":              {openrouter.ChatRequest{Messages: msgs, Provider: &openrouter.ProviderPrefs{Sort: "cheapest"}}, "provider.sort"},
		"partition alone":   {openrouter.ChatRequest{Messages: msgs, Provider: &openrouter.ProviderPrefs{SortPartition: "model"}}, "provider.sort.partition"},
		"max_price NaN":     {openrouter.ChatRequest{Messages: msgs, Provider: &openrouter.ProviderPrefs{MaxPrice: &openrouter.MaxPrice{Prompt: &nan}}}, "provider.max_price.prompt"},
		"max_price empty":   {openrouter.ChatRequest{Messages: msgs, Provider: &openrouter.ProviderPrefs{MaxPrice: &openrouter.MaxPrice{}}}, "provider.max_price"},
		"cutoff both":       {openrouter.ChatRequest{Messages: msgs, Provider: &openrouter.ProviderPrefs{PreferredMaxLatency: &openrouter.Cutoff{Value: 1, P90: 2}}}, "provider.preferred_max_latency"},
		"cutoff negative":   {openrouter.ChatRequest{Messages: msgs, Provider: &openrouter.ProviderPrefs{PreferredMinThroughput: &openrouter.Cutoff{P50: -1}}}, "provider.preferred_min_throughput"},
		"quantization":      {openrouter.ChatRequest{Messages: msgs, Provider: &openrouter.ProviderPrefs{Quantizations: []string{"fp7"}}}, "provider.quantizations"},
		"data_collection":   {openrouter.ChatRequest{Messages: msgs, Provider: &openrouter.ProviderPrefs{DataCollection: "maybe"}}, "provider.data_collection"},
		"part type":         {openrouter.ChatRequest{Messages: part(openrouter.ContentPart{Type: "pdf", Text: "x"})}, "messages[0].content[0].type"},
		"part two fields":   {openrouter.ChatRequest{Messages: part(openrouter.ContentPart{Type: "text", Text: "x", VideoURL: &openrouter.VideoURL{URL: "u"}})}, "messages[0].content[0]"},
		"file without data": {openrouter.ChatRequest{Messages: part(openrouter.FilePart("a.pdf", ""))}, "messages[0].content[0]"},
		"audio no format":   {openrouter.ChatRequest{Messages: part(openrouter.AudioPart([]byte("x"), ""))}, "messages[0].content[0]"},
		"image detail":      {openrouter.ChatRequest{Messages: part(openrouter.ContentPart{Type: "image_url", ImageURL: &openrouter.ImageURL{URL: "u", Detail: "max"}})}, "image_url.detail"},
		"cache on image":    {openrouter.ChatRequest{Messages: part(openrouter.ContentPart{Type: "image_url", ImageURL: &openrouter.ImageURL{URL: "u"}, CacheControl: openrouter.EphemeralCache("")})}, "cache_control"},
		"image in system":   {openrouter.ChatRequest{Messages: []openrouter.Message{{Role: "system", Parts: []openrouter.ContentPart{openrouter.ImageURLPart("u")}}}}, "system message takes only text"},
		"tool name":         {openrouter.ChatRequest{Messages: msgs, Tools: []openrouter.Tool{openrouter.FunctionTool("get weather", "", nil)}}, "tools[0].function.name"},
		"tool type":         {openrouter.ChatRequest{Messages: msgs, Tools: []openrouter.Tool{{Type: "retrieval"}}}, "tools[0].type"},
		"tool params":       {openrouter.ChatRequest{Messages: msgs, Tools: []openrouter.Tool{openrouter.FunctionTool("f", "", json.RawMessage(`{`))}}, "tools[0].function.parameters"},
		"server tool func":  {openrouter.ChatRequest{Messages: msgs, Tools: []openrouter.Tool{{Type: openrouter.ServerToolWebSearch, Function: openrouter.ToolFunction{Name: "f"}}}}, "tools[0]"},
		"stop condition":    {openrouter.ChatRequest{Messages: msgs, StopServerToolsWhen: []openrouter.StopCondition{openrouter.StopAfterSteps(0)}}, "stop_server_tools_when[0]"},
		"stop type":         {openrouter.ChatRequest{Messages: msgs, StopServerToolsWhen: []openrouter.StopCondition{{Type: "never"}}}, "stop_server_tools_when[0].type"},
	} {
		req := tc.req
		_, err := c.Chat(context.Background(), &req)
		if !errors.Is(err, openrouter.ErrInvalidRequest) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: err = %v, want ErrInvalidRequest naming %q", name, err, tc.field)
		}
	}
	if n := srv.Stats().Requests; n != 0 {
		t.Errorf("server saw %d requests, want 0", n)
	}
}

func TestImageInputPartRefusesBadInput(t *testing.T) {
	t.Parallel()
	for name, in := range map[string]openrouter.ImageInput{
		"neither": {}, "both": {Data: []byte{1}, URL: "u"}, "not an image": {Data: []byte("hello")},
	} {
		if _, err := openrouter.ImageInputPart(in); !errors.Is(err, openrouter.ErrInvalidRequest) {
			t.Errorf("%s: err = %v, want ErrInvalidRequest", name, err)
		}
	}
	p, err := openrouter.ImageInputPart(openrouter.ImageInput{URL: "https://example.com/a.png"})
	if err != nil || p.ImageURL == nil || p.ImageURL.URL != "https://example.com/a.png" {
		t.Errorf("URL input: %+v, %v", p, err)
	}
}

func TestChatJSONHealingPluginSentOnce(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	req := &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", Messages: []openrouter.Message{openrouter.UserMessage("Rewrite: x")},
		Plugins: []openrouter.Plugin{{ID: "response-healing"}, openrouter.FileParserPlugin(openrouter.PDFEngineNative)}}
	type answer struct {
		Answer string `json:"answer"`
	}
	if _, _, err := openrouter.ChatJSON[answer](context.Background(), c, req, openrouter.JSONResponseHealing()); err != nil {
		t.Fatal(err)
	}
	want := jsonOf(t, `[{"id":"response-healing"},{"id":"file-parser","pdf":{"engine":"native"}}]`)
	if diff := cmp.Diff(want, srv.Requests()[0].Body["plugins"]); diff != "" {
		t.Errorf("plugins sent (-want +got):\n%s", diff)
	}
}

func TestDebugEchoesTheUpstreamBodyInStreamsOnly(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	req := hello()
	req.Debug = &openrouter.Debug{EchoUpstreamBody: true}
	if _, err := c.Chat(context.Background(), req); !errors.Is(err, openrouter.ErrInvalidRequest) || !strings.Contains(err.Error(), "debug") {
		t.Errorf("Chat with Debug: err = %v, want ErrInvalidRequest naming debug", err)
	}
	s := c.ChatStream(context.Background(), req)
	var debug json.RawMessage
	for ch, err := range s.Chunks() {
		if err != nil {
			t.Fatal(err)
		}
		if ch.Debug != nil {
			debug = ch.Debug
		}
	}
	if !strings.Contains(string(debug), `"echo_upstream_body":{`) || !strings.Contains(string(debug), `"model":"openai/gpt-4o-mini"`) {
		t.Errorf("debug chunk = %s", debug)
	}
	if got := srv.Requests()[0].Body["debug"]; !cmp.Equal(got, jsonOf(t, `{"echo_upstream_body":true}`)) {
		t.Errorf("debug sent as %v", got)
	}
	if s.Response().Content() != "You said: Hello" {
		t.Errorf("content %q", s.Response().Content())
	}
}
