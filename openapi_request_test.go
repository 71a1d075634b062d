package openrouter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/internal/openapischema"
	"github.com/routerkit/openrouter/openroutertest"
)

// chatRequestSchema is the OpenAPI document's ChatRequest schema, compiled
// once (the document is the fake server's test data).
var chatRequestSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	return openapischema.Compile("openroutertest/testdata/openapi.yaml", "/components/schemas/ChatRequest")
})

// TestRequestsMatchOpenAPI checks the bodies the SDK sends, with every
// typed field it has, against the OpenAPI document's ChatRequest.
func TestRequestsMatchOpenAPI(t *testing.T) {
	t.Parallel()
	sch, err := chatRequestSchema()
	if err != nil {
		t.Fatal(err)
	}
	img, err := openrouter.ImageInputPart(openrouter.ImageInput{Data: openroutertest.MakePNG(1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	full := &openrouter.ChatRequest{
		Model: "openai/gpt-4o-mini", Models: []string{"anthropic/claude-haiku-4.5"},
		Messages: []openrouter.Message{
			{Role: "system", Parts: []openrouter.ContentPart{openrouter.CachedTextPart("Be terse.", "5m")}},
			{Role: "user", Parts: []openrouter.ContentPart{openrouter.TextPart("Look"), img,
				openrouter.FilePart("a.pdf", "https://example.com/a.pdf"), openrouter.AudioPart([]byte("RIFF"), "wav"),
				openrouter.VideoURLPart("https://example.com/v.mp4")}},
		},
		Temperature: openrouter.Ptr(0.2), TopP: openrouter.Ptr(0.9), TopK: openrouter.Ptr(40), MinP: openrouter.Ptr(0.1), TopA: openrouter.Ptr(0.1),
		MaxCompletionTokens: 100, Seed: openrouter.Ptr(1), Stop: []string{"\n"},
		FrequencyPenalty: openrouter.Ptr(0.1), PresencePenalty: openrouter.Ptr(0.1), RepetitionPenalty: openrouter.Ptr(1.1),
		LogitBias: map[string]float64{"50256": -100}, Logprobs: true, TopLogprobs: 2,
		Prediction: &openrouter.Prediction{Type: "content", Content: "x"},
		Tools: []openrouter.Tool{openrouter.FunctionTool("get_weather", "Weather", json.RawMessage(`{"type":"object","properties":{}}`)),
			openrouter.ServerTool(openrouter.ServerToolWebSearch, openrouter.WebSearchParams{MaxResults: 3, SearchContextSize: "low"}),
			openrouter.ServerTool(openrouter.ServerToolWebFetch, openrouter.WebFetchParams{MaxUses: 2}),
			openrouter.ServerTool(openrouter.ServerToolDatetime, openrouter.DatetimeParams{Timezone: "Europe/Paris"})},
		ToolChoice: "auto", ParallelToolCalls: openrouter.Ptr(true),
		StopServerToolsWhen: []openrouter.StopCondition{openrouter.StopAfterSteps(3), openrouter.StopOnToolCall("f"),
			openrouter.StopAfterTokens(100), openrouter.StopAfterCost(0.5), openrouter.StopOnFinishReason("length")},
		Provider: &openrouter.ProviderPrefs{Order: []string{"openai"}, AllowFallbacks: openrouter.Ptr(false), RequireParameters: true,
			DataCollection: "deny", ZDR: true, Only: []string{"openai"}, Ignore: []string{"azure"}, Quantizations: []string{"fp8"},
			EnforceDistillableText: true, Sort: "price", SortPartition: "model",
			PreferredMinThroughput: &openrouter.Cutoff{P90: 50}, PreferredMaxLatency: &openrouter.Cutoff{Value: 2},
			MaxPrice: &openrouter.MaxPrice{Prompt: openrouter.Ptr(1.0), Completion: openrouter.Ptr(2.0), Request: openrouter.Ptr(0.0), Image: openrouter.Ptr(0.01), Audio: openrouter.Ptr(1.0)}},
		Plugins:      []openrouter.Plugin{openrouter.FileParserPlugin(openrouter.PDFEngineMistralOCR), {ID: "response-healing"}},
		Reasoning:    &openrouter.Reasoning{Effort: "low", Exclude: true, Summary: "concise"},
		Verbosity:    "low",
		ServiceTier:  "flex",
		Modalities:   []string{"text"},
		CacheControl: openrouter.EphemeralCache("1h"), PromptCacheKey: "k",
		User: "u1", SessionID: "s1", Metadata: map[string]string{"a": "b"},
		Trace: &openrouter.Trace{TraceID: "t", TraceName: "n"},
	}
	plainSort := *full
	plainSort.Provider = &openrouter.ProviderPrefs{Sort: "throughput"}
	plainSort.Reasoning = &openrouter.Reasoning{MaxTokens: 1000}
	// Every field at once: require_parameters with parameters no one model
	// has, which OpenRouter (and the fake, by default) would filter out.
	srv, c, _ := setup(t, []openroutertest.Option{openroutertest.WithRequireParameters(false)})
	for name, req := range map[string]*openrouter.ChatRequest{"every field": full, "plain sort, budget": &plainSort, "minimal": hello()} {
		if _, err := c.Chat(context.Background(), req); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		reqs := srv.Requests()
		raw := reqs[len(reqs)-1].Raw
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(v); err != nil {
			t.Errorf("%s: the body does not match ChatRequest: %v\nbody: %s", name, err, raw)
		}
	}
	streamed := hello()
	streamed.Debug = &openrouter.Debug{EchoUpstreamBody: true}
	if _, err := collect(c.ChatStream(context.Background(), streamed)); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(reqs[len(reqs)-1].Raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(v); err != nil {
		t.Errorf("streamed with debug: the body does not match ChatRequest: %v", err)
	}
	// The check can fail: an unknown provider key is refused by the
	// document (additionalProperties: false).
	v, _ = jsonschema.UnmarshalJSON(strings.NewReader(`{"messages":[{"role":"user","content":"x"}],"provider":{"sort_by":"price"}}`))
	if sch.Validate(v) == nil {
		t.Error("a body with an unknown provider key validated")
	}
}
