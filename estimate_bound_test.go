package openrouter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// bigTools is about 30 KB of tool definitions.
func bigTools() []openrouter.Tool {
	var tools []openrouter.Tool
	for i := range 30 {
		props := map[string]any{}
		for j := range 12 {
			props[fmt.Sprintf("field_%d", j)] = map[string]any{"type": "string", "description": strings.Repeat("what this field holds ", 3)}
		}
		schema, _ := json.Marshal(map[string]any{"type": "object", "properties": props})
		tools = append(tools, openrouter.FunctionTool(fmt.Sprintf("tool_%d", i), "A tool of the test.", schema))
	}
	return tools
}

// bigSchema is a json_schema response format of about 10 KB.
func bigSchema() *openrouter.ResponseFormat {
	props := map[string]any{}
	for j := range 100 {
		props[fmt.Sprintf("answer_%d", j)] = map[string]any{"type": "string", "description": "one of the answers asked for"}
	}
	schema, _ := json.Marshal(map[string]any{"type": "object", "properties": props})
	return &openrouter.ResponseFormat{Type: "json_schema", JSONSchema: &openrouter.JSONSchema{Name: "answers", Schema: schema}}
}

// TestEstimateIsAnUpperBoundOfWhatIsBilled: the estimate ignored tool
// definitions (9 prompt tokens for 30 KB of tools), the response_format
// schema and the price per input image, so it was no upper bound. For
// every request shape the SDK sends, the estimate must be at least what
// the fake bills, and count what the body carries.
func TestEstimateIsAnUpperBoundOfWhatIsBilled(t *testing.T) {
	_, c, _ := setup(t, nil)
	ctx := context.Background()
	png := ort.MakePNG(16, 16)
	user := []openrouter.Message{openrouter.UserMessage("Summarise the plot of Hamlet in two lines.")}
	withImage := []openrouter.Message{{Role: "user", Parts: []openrouter.ContentPart{openrouter.TextPart("What is in this picture?"),
		openrouter.ImageURLPart(ort.DataURL("image/png", png))}}}
	tools := bigTools()
	toolsJSON, _ := json.Marshal(tools)
	schema := bigSchema()
	schemaJSON, _ := json.Marshal(schema)
	imageModel, err := c.Model(ctx, "google/gemini-2.5-flash-image")
	if err != nil {
		t.Fatal(err)
	}
	// Besides the fake's bill, the estimate must count the bytes of tools
	// and schemas (four a token at least) and the price of each input
	// image.
	type shape struct {
		estimate func() (*openrouter.CostEstimate, error)
		send     func() error
		tokens   int     // prompt tokens the estimate must count at least
		cost     float64 // cost the estimate must reach at least
	}
	chat := func(req *openrouter.ChatRequest) shape {
		return shape{
			estimate: func() (*openrouter.CostEstimate, error) {
				return c.EstimateCost(ctx, []*openrouter.ChatRequest{req}, openrouter.EstimateOptions{})
			},
			send: func() error { _, err := c.Chat(ctx, req); return err },
		}
	}
	shapes := map[string]shape{}
	shapes["chat text"] = chat(&openrouter.ChatRequest{Model: "openai/gpt-4o-mini", MaxTokens: 300, Messages: user})
	s := chat(&openrouter.ChatRequest{Model: "openai/gpt-4o-mini", MaxTokens: 300, Messages: user, Tools: tools})
	s.tokens = len(toolsJSON) / 4
	shapes["tools"] = s
	s = chat(&openrouter.ChatRequest{Model: "openai/gpt-4o-mini", MaxTokens: 3000, Messages: user, ResponseFormat: schema})
	s.tokens = len(schemaJSON) / 4
	shapes["json_schema"] = s
	s = chat(&openrouter.ChatRequest{Model: "google/gemini-2.5-flash-image", MaxTokens: 300, Messages: withImage})
	// The same request without the image, plus the price per input
	// image (OpenAPI PublicPricing.image).
	textOnly, err := c.EstimateCost(ctx, []*openrouter.ChatRequest{{Model: "google/gemini-2.5-flash-image", MaxTokens: 300,
		Messages: []openrouter.Message{openrouter.UserMessage("What is in this picture?")}}}, openrouter.EstimateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s.cost = textOnly.Cost + imageModel.Pricing.Image
	shapes["input image"] = s
	for name, req := range map[string]openrouter.ImageRequest{
		"image output via chat": {Model: "google/gemini-2.5-flash-image", Prompt: "a red panda"},
		"image API":             {Model: "black-forest-labs/flux.2-pro", Prompt: "a red panda", N: 2, Size: "2K"},
	} {
		shapes[name] = shape{
			estimate: func() (*openrouter.CostEstimate, error) { return c.EstimateImageCost(ctx, req) },
			send:     func() error { _, err := c.GenerateImage(ctx, req); return err },
		}
	}
	emb := &openrouter.EmbeddingRequest{Model: embedModel, Input: []string{"the first text to embed", "a second, longer text to embed than the first"}}
	shapes["embeddings"] = shape{
		estimate: func() (*openrouter.CostEstimate, error) {
			return c.EstimateEmbeddingCost(ctx, emb, openrouter.EstimateOptions{})
		},
		send: func() error { _, err := c.Embed(ctx, emb); return err },
	}
	names := make([]string, 0, len(shapes))
	for name := range shapes {
		names = append(names, name)
	}
	slices.Sort(names) // one order: the bill is a difference of running sums
	for _, name := range names {
		s := shapes[name]
		est, err := s.estimate()
		if err != nil {
			t.Errorf("%s: estimate: %v", name, err)
			continue
		}
		before := c.Spent()
		if err := s.send(); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		// The bill is read from the client's running total: allow for
		// the rounding of a difference of sums.
		billed := (c.Spent() - before) * (1 - 1e-9)
		t.Logf("%s: estimate $%.6f (%d prompt, %d completion tokens), billed $%.6f", name, est.Cost, est.PromptTokens, est.CompletionTokens, billed)
		if billed <= 0 || est.Cost < billed || est.Cost < s.cost || est.PromptTokens < s.tokens {
			t.Errorf("%s: estimate $%g (%d prompt tokens); billed $%g, want at least that, $%g and %d prompt tokens", name, est.Cost, est.PromptTokens, billed, s.cost, s.tokens)
		}
	}
}

// TestEstimateCountsWhatExtraSends: tools set through Extra are in the
// body sent, so in the estimate.
func TestEstimateCountsWhatExtraSends(t *testing.T) {
	_, c, _ := setup(t, nil)
	tools, _ := json.Marshal(bigTools())
	var raw []any
	json.Unmarshal(tools, &raw)
	req := &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", MaxTokens: 10, Messages: []openrouter.Message{openrouter.UserMessage("hi")}}
	plain, err := c.EstimateCost(context.Background(), []*openrouter.ChatRequest{req}, openrouter.EstimateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	req.Extra = map[string]any{"/tools": raw}
	extra, err := c.EstimateCost(context.Background(), []*openrouter.ChatRequest{req}, openrouter.EstimateOptions{})
	if err != nil || extra.PromptTokens-plain.PromptTokens < len(tools)/4 {
		t.Errorf("%d prompt tokens with %d bytes of tools in Extra, %d without (%v)", extra.PromptTokens, len(tools), plain.PromptTokens, err)
	}
}

// TestEstimatePricesFallbacksFromTheBody: fallback models set through
// Extra, or alone without a model, are priced as they are sent.
func TestEstimatePricesFallbacksFromTheBody(t *testing.T) {
	_, c, _ := setup(t, nil)
	ctx := context.Background()
	msg := []openrouter.Message{openrouter.UserMessage("hi")}
	cheap, err := c.EstimateCost(ctx, []*openrouter.ChatRequest{{Model: "openai/gpt-4o-mini", MaxTokens: 100, Messages: msg}}, openrouter.EstimateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for name, req := range map[string]*openrouter.ChatRequest{
		"Extra": {Model: "openai/gpt-4o-mini", MaxTokens: 100, Messages: msg, Extra: map[string]any{"/models": []string{"anthropic/claude-sonnet-4.5"}}},
		"alone": {Models: []string{"openai/gpt-4o-mini", "anthropic/claude-sonnet-4.5"}, MaxTokens: 100, Messages: msg},
	} {
		est, err := c.EstimateCost(ctx, []*openrouter.ChatRequest{req}, openrouter.EstimateOptions{})
		if err != nil || est.Cost < 100*15e-6 || est.Cost <= cheap.Cost {
			t.Errorf("%s: %+v, %v; want the dearer fallback's price", name, est, err)
		}
	}
}

// TestEstimateCountsConditionalPrices: a model's long-context and
// time-window prices (pricing.overrides) may apply, so the estimate takes
// the dearest that may: a long-context price when the prompt may pass its
// threshold, a time window's always, and never a threshold the prompt
// cannot pass.
func TestEstimateCountsConditionalPrices(t *testing.T) {
	c := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"data":[{"id":"m/x","context_length":1000000,"pricing":{"prompt":"0.000001","completion":"0.000002","overrides":[`+
			`{"min_prompt_tokens":1000,"prompt":"0.000003","completion":"0.000004"},`+
			`{"utc_start":100,"utc_end":400,"completion":"0.000005"}]}}]}`)
	})
	ctx := context.Background()
	for _, tc := range []struct {
		text         string
		prompt, comp float64 // the prices the estimate must use
	}{
		{"hi", 1e-6, 5e-6}, // the threshold cannot be passed; the window may apply
		{strings.Repeat("long text ", 400), 3e-6, 5e-6}, // 4000 bytes: the prompt may pass 1000 tokens
	} {
		est, err := c.EstimateCost(ctx, []*openrouter.ChatRequest{{Model: "m/x", MaxTokens: 100, Messages: []openrouter.Message{openrouter.UserMessage(tc.text)}}}, openrouter.EstimateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if want := float64(est.PromptTokens)*tc.prompt + 100*tc.comp; math.Abs(est.Cost-want) > 1e-12 {
			t.Errorf("%d bytes: estimate %v, want %v", len(tc.text), est.Cost, want)
		}
	}
}

// TestEstimateCountsDearerTokenPrices: a prompt written to the cache is
// billed at input_cache_write (dearer than the prompt price at
// Anthropic), reasoning tokens at internal_reasoning when a model has
// it: the estimate prices each part at the dearer price.
func TestEstimateCountsDearerTokenPrices(t *testing.T) {
	c := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"data":[{"id":"m/x","context_length":100000,"pricing":{"prompt":"0.000003","completion":"0.000015","input_cache_write":"0.00000375","internal_reasoning":"0.00002"}}]}`)
	})
	est, err := c.EstimateCost(context.Background(), []*openrouter.ChatRequest{{Model: "m/x", MaxTokens: 10,
		Messages: []openrouter.Message{openrouter.UserMessage("hi")}}}, openrouter.EstimateOptions{})
	if want := float64(est.PromptTokens)*3.75e-6 + 10*20e-6; err != nil || math.Abs(est.Cost-want) > 1e-12 {
		t.Errorf("estimate %+v %v, want cost %v", est, err, want)
	}
}
