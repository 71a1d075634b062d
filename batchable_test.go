package openrouter_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/routerkit/openrouter"
)

// TestCheckBatchableReadsTheEncodedBody: CheckBatchable read the typed
// fields only, so image output, plugins, provider preferences, fallback
// models or an image part set through Extra went into a batch, where the
// one item failed the whole batch. It now reads the encoded body. Each
// request here is a valid Chat request: the refusal must be the batch's.
func TestCheckBatchableReadsTheEncodedBody(t *testing.T) {
	msg := []openrouter.Message{openrouter.UserMessage("hi")}
	parts := []openrouter.Message{{Role: "user", Parts: []openrouter.ContentPart{openrouter.TextPart("see")}}}
	for name, tc := range map[string]struct {
		msgs  []openrouter.Message
		extra map[string]any
		says  string
	}{
		"modalities":   {msg, map[string]any{"/modalities": []string{"image", "text"}}, "image output"},
		"image_config": {msg, map[string]any{"/image_config": map[string]any{"aspect_ratio": "16:9"}}, "image output"},
		"audio":        {msg, map[string]any{"/audio": map[string]any{"voice": "alloy", "format": "wav"}}, "audio output"},
		"plugins":      {msg, map[string]any{"/plugins": []map[string]any{{"id": "file-parser"}}}, "plugins"},
		"provider":     {msg, map[string]any{"/provider/order": []string{"openai"}}, "provider preferences"},
		"models":       {msg, map[string]any{"/models": []string{"a/b", "c/d"}}, "fallback models"},
		"image part":   {parts, map[string]any{"/messages/0/content/-": map[string]any{"type": "image_url", "image_url": map[string]string{"url": "https://example.com/a.png"}}}, `"image_url"`},
		"server tool":  {msg, map[string]any{"/tools": []map[string]any{{"type": "openrouter:datetime"}}}, "openrouter:datetime"},
	} {
		req := &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", Messages: tc.msgs, Extra: tc.extra}
		err := openrouter.CheckBatchable(req)
		if !errors.Is(err, openrouter.ErrInvalidRequest) || !strings.Contains(err.Error(), tc.says) || strings.Contains(err.Error(), "Extra[") {
			t.Errorf("%s: %v, want a batch refusal that says %q", name, err, tc.says)
		}
	}
	for name, req := range map[string]*openrouter.ChatRequest{
		"ordinary Extra":  {Messages: msg, Extra: map[string]any{"/top_k": 3}},
		"text modalities": {Messages: msg, Extra: map[string]any{"/modalities": []string{"text"}}},
		"text parts":      {Messages: parts},
		"web search tool": {Messages: msg, Tools: []openrouter.Tool{openrouter.ServerTool("openrouter:web_search", nil)}},
	} {
		if err := openrouter.CheckBatchable(req); err != nil {
			t.Errorf("%s: %v, want batchable", name, err)
		}
	}
}
