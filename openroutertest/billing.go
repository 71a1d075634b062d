package openroutertest

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// ImagePromptTokens is the number of prompt tokens the fake counts for
// each input image (an image_url part), on top of what pricing.image
// charges for it (RULES.md B4).
const ImagePromptTokens = 258

// OutputImageTokens is the number of completion tokens the fake counts
// for each image it answers with.
const OutputImageTokens = 1290

// promptTokens counts a request's prompt tokens: the messages' text, the
// assistants' tool calls, the tool definitions (RULES.md B3: docs
// guides/features/server-tools/tool-search.mdx, "Tool definitions are
// charged as input tokens on every turn") and ImagePromptTokens for each
// input image (RULES.md B4); it also returns the number of input images.
func promptTokens(req Request) (prompt, images int) {
	for _, m := range req.Messages {
		prompt += tokens(m.Text)
	}
	if tools, ok := req.Body["tools"]; ok && tools != nil {
		b, _ := json.Marshal(tools)
		prompt += tokens(string(b))
	}
	msgs, _ := req.Body["messages"].([]any)
	for _, m := range msgs {
		mm, _ := m.(map[string]any)
		if calls, ok := mm["tool_calls"]; ok && calls != nil {
			b, _ := json.Marshal(calls)
			prompt += tokens(string(b))
		}
		parts, _ := mm["content"].([]any)
		for _, p := range parts {
			if pm, _ := p.(map[string]any); pm["type"] == "image_url" {
				images++
			}
		}
	}
	return prompt + images*ImagePromptTokens, images
}

// cost is what a completion costs at the model's prices (RULES.md B6):
// tokens at pricing.prompt and pricing.completion, pricing.request once,
// pricing.image per INPUT image (OpenAPI schemas/PublicPricing.image, "Price in
// USD per input image") and pricing.image_output per output image
// (schemas/PublicPricing.image_output, "Price in USD per output image").
func (m Model) cost(prompt, completion, inputImages, outputImages int) float64 {
	p := func(s string) float64 { f, _ := strconv.ParseFloat(s, 64); return f }
	return float64(prompt)*p(m.Pricing.Prompt) + float64(completion)*p(m.Pricing.Completion) +
		float64(inputImages)*p(m.Pricing.Image) + float64(outputImages)*p(m.Pricing.ImageOutput) + p(m.Pricing.Request)
}

// contextProblem returns OpenRouter's message when the prompt and the
// output asked for (max_completion_tokens, or max_tokens) do not fit the
// model's context window, or "" (RULES.md C18: docs
// api_reference/errors-and-debugging.mdx, "Typed error codes",
// context_length_exceeded, 400: "The combined input and output tokens
// exceed the model's context window").
func contextProblem(m Model, req Request) string {
	if m.ContextLength <= 0 {
		return ""
	}
	prompt, _ := promptTokens(req)
	out := 0
	for _, key := range []string{"max_completion_tokens", "max_tokens"} {
		if f, ok := req.Body[key].(float64); ok && f > 0 {
			out = int(f)
			break
		}
	}
	if prompt+out <= m.ContextLength {
		return ""
	}
	return fmt.Sprintf("This endpoint's maximum context length is %d tokens. However, you requested about %d tokens (%d of text input, %d in the output). Please reduce the length of either one.",
		m.ContextLength, prompt+out, prompt, out)
}
