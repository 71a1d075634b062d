package openroutertest_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/routerkit/openrouter/openroutertest"
)

type usage struct {
	PromptTokens     int     `json:"prompt_tokens"`
	CompletionTokens int     `json:"completion_tokens"`
	Cost             float64 `json:"cost"`
}

// chatUsage posts body and returns the answer's usage.
func chatUsage(t *testing.T, srv *openroutertest.Server, body string) usage {
	t.Helper()
	status, ans := send(t, srv, "POST", "/chat/completions", body, srv.Key, nil)
	var r struct{ Usage *usage }
	if status != 200 || json.Unmarshal([]byte(ans), &r) != nil || r.Usage == nil {
		t.Fatalf("status %d, %s", status, ans)
	}
	return *r.Usage
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12+1e-9*math.Abs(b) }

// TestPromptTokensCountToolDefinitions: the same conversation with tool
// definitions costs more prompt tokens, and the cost follows them at the
// model's prompt price (RULES.md B3).
func TestPromptTokensCountToolDefinitions(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	plain := chatUsage(t, srv, chatBody(hello, ""))
	tools := `"tools":[{"type":"function","function":{"name":"get_weather","description":"Get the current weather for a city",
		"parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]`
	withTools := chatUsage(t, srv, chatBody(hello, tools))
	if withTools.PromptTokens <= plain.PromptTokens+10 {
		t.Fatalf("prompt tokens %d with a tool definition, %d without: the definition is not counted", withTools.PromptTokens, plain.PromptTokens)
	}
	const promptPrice, completionPrice = 0.00000015, 0.0000006 // openai/gpt-4o-mini in DefaultModels
	for _, u := range []usage{plain, withTools} {
		if want := float64(u.PromptTokens)*promptPrice + float64(u.CompletionTokens)*completionPrice; !near(u.Cost, want) {
			t.Errorf("cost %g for %+v; want %g", u.Cost, u, want)
		}
	}
}

// TestImagePriceIsPerInputImage: pricing.image is charged once per input
// image, which also counts as prompt tokens (RULES.md B4), and never for
// an image the model answers with (RULES.md B5: that is image_output).
func TestImagePriceIsPerInputImage(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer()
	t.Cleanup(srv.Close)
	// google/gemini-2.5-flash-image in DefaultModels.
	const model, promptPrice, completionPrice, imagePrice = "google/gemini-2.5-flash-image", 0.0000003, 0.0000025, 0.001238
	body := func(content, extra string) string {
		return `{"model":"` + model + `","messages":[{"role":"user","content":` + content + `}]` + extra + `}`
	}
	text := chatUsage(t, srv, body(`"Describe it"`, ""))
	twoImages := chatUsage(t, srv, body(`[{"type":"text","text":"Describe it"},{"type":"image_url","image_url":{"url":"`+openroutertest.PNGDataURL+`"}},
		{"type":"image_url","image_url":{"url":"https://example.com/b.png"}}]`, ""))
	if got := twoImages.PromptTokens - text.PromptTokens; got != 2*openroutertest.ImagePromptTokens {
		t.Errorf("two input images add %d prompt tokens; want %d", got, 2*openroutertest.ImagePromptTokens)
	}
	if want := float64(twoImages.PromptTokens)*promptPrice + float64(twoImages.CompletionTokens)*completionPrice + 2*imagePrice; !near(twoImages.Cost, want) {
		t.Errorf("cost with two input images %g; want %g (two at pricing.image)", twoImages.Cost, want)
	}
	drawn := chatUsage(t, srv, body(`"Draw a cat"`, `,"modalities":["image","text"]`))
	if drawn.CompletionTokens < openroutertest.OutputImageTokens {
		t.Fatalf("an image answer has %d completion tokens", drawn.CompletionTokens)
	}
	if want := float64(drawn.PromptTokens)*promptPrice + float64(drawn.CompletionTokens)*completionPrice; !near(drawn.Cost, want) {
		t.Errorf("cost of an image answer %g; want %g: pricing.image is per input image, not per output image", drawn.Cost, want)
	}
}

// TestImageOutputPrice: a model that lists pricing.image_output is
// charged it per output image (RULES.md B5).
func TestImageOutputPrice(t *testing.T) {
	t.Parallel()
	models := openroutertest.DefaultModels()
	var m openroutertest.Model
	for _, x := range models {
		if x.ID == "google/gemini-2.5-flash-image" {
			m = x
		}
	}
	m.Pricing.ImageOutput = "0.04"
	srv := openroutertest.NewServer(openroutertest.WithModels(m))
	t.Cleanup(srv.Close)
	u := chatUsage(t, srv, `{"model":"google/gemini-2.5-flash-image","modalities":["image","text"],"messages":[{"role":"user","content":"Draw"}]}`)
	if want := float64(u.PromptTokens)*0.0000003 + float64(u.CompletionTokens)*0.0000025 + 0.04; !near(u.Cost, want) {
		t.Errorf("cost %g; want %g (one output image at image_output)", u.Cost, want)
	}
}

// TestContextLengthExceeded: a prompt and an output asked for that do not
// fit the model's context window get 400 context_length_exceeded;
// without max_tokens, or with one that fits, the same prompt passes
// (RULES.md C18).
func TestContextLengthExceeded(t *testing.T) {
	t.Parallel()
	models := openroutertest.DefaultModels()
	m := models[0]
	m.ContextLength = 100
	srv := openroutertest.NewServer(openroutertest.WithModels(m))
	t.Cleanup(srv.Close)
	prompt := `[{"role":"user","content":"` + strings.Repeat("word ", 40) + `"}]` // about 50 tokens
	body := func(extra string) string {
		b := `{"model":"` + m.ID + `","messages":` + prompt
		if extra != "" {
			b += "," + extra
		}
		return b + "}"
	}
	for _, extra := range []string{`"max_tokens":60`, `"max_completion_tokens":60`} {
		status, ans := send(t, srv, "POST", "/chat/completions", body(extra), srv.Key, nil)
		var e struct {
			Error struct {
				Message  string
				Metadata map[string]any
			}
		}
		_ = json.Unmarshal([]byte(ans), &e)
		if status != 400 || e.Error.Metadata["error_type"] != "context_length_exceeded" || !strings.Contains(e.Error.Message, "maximum context length is 100 tokens") {
			t.Errorf("%s: %d %s; want 400 context_length_exceeded", extra, status, ans)
		}
	}
	for _, extra := range []string{"", `"max_tokens":40`} {
		if status, ans := send(t, srv, "POST", "/chat/completions", body(extra), srv.Key, nil); status != 200 {
			t.Errorf("%q: %d %s; want 200", extra, status, ans)
		}
	}
}
