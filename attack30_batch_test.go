package openrouter_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/routerkit/openrouter"
)

// What a batch refuses in a chat item (CheckBatchable reads the encoded
// body, Extra included) it refuses in a Responses or Messages item too,
// however the field was set: through Extra, in an input item kept raw, or
// nested in a tool's result; the quickstart's media parts include audio
// and video. Before, only the typed fields were read, so each of these was
// sent. A Messages turn with both Text and Blocks is refused (Blocks were
// sent and Text silently dropped). A tool call's own arguments are not
// content: a "type" there is no part.
func TestBatchShapesRefuseWhatExtraAddsBeforeSending(t *testing.T) {
	t.Parallel()
	srv, _, c := batchServer(t)
	msgs := func(extra map[string]any, turns ...openrouter.MessagesMessage) *openrouter.BatchRequest {
		if len(turns) == 0 {
			turns = []openrouter.MessagesMessage{{Role: "user", Text: "hi"}}
		}
		return &openrouter.BatchRequest{Model: batchModel, Requests: []openrouter.BatchItem{{CustomID: "a",
			Messages: &openrouter.MessagesRequest{Messages: turns, Extra: extra}}}}
	}
	resp := func(extra map[string]any, input ...openrouter.ResponseItem) *openrouter.BatchRequest {
		if len(input) == 0 {
			input = openrouter.ResponseText("hi")
		}
		return &openrouter.BatchRequest{Model: batchModel, Requests: []openrouter.BatchItem{{CustomID: "a",
			Responses: &openrouter.ResponseRequest{Input: input, Extra: extra}}}}
	}
	image := map[string]any{"type": "image", "source": map[string]any{"type": "url", "url": "https://example.com/a.png"}}
	var rawImage openrouter.ResponseItem
	if err := json.Unmarshal([]byte(`{"type":"message","role":"user","content":[{"type":"input_audio","input_audio":{"data":"AAAA","format":"mp3"}}]}`), &rawImage); err != nil {
		t.Fatal(err)
	}
	for name, req := range map[string]*openrouter.BatchRequest{
		"messages image through Extra": msgs(map[string]any{"/messages/-": map[string]any{"role": "user", "content": []any{image}}}),
		"messages image in a tool result": msgs(nil, openrouter.MessagesMessage{Role: "user", Blocks: []openrouter.MessagesBlock{{Type: "text", Text: "hi"}}},
			openrouter.MessagesMessage{Role: "assistant", Blocks: []openrouter.MessagesBlock{{Type: "tool_use", ID: "t1", Name: "f", Input: json.RawMessage(`{}`)}}},
			openrouter.MessagesMessage{Role: "user", Blocks: []openrouter.MessagesBlock{{Type: "tool_result", ToolUseID: "t1"}}}),
		"messages provider":        msgs(map[string]any{"/provider": map[string]any{"only": []string{"openai"}}}),
		"messages plugins":         msgs(map[string]any{"/plugins": []any{map[string]any{"id": "web"}}}),
		"messages fallback models": msgs(map[string]any{"/models": []any{"openai/gpt-4o"}}),
		"messages other model":     msgs(map[string]any{"/model": "openai/gpt-4o"}),
		"messages text and blocks": msgs(nil, openrouter.MessagesMessage{Role: "user", Text: "lost", Blocks: []openrouter.MessagesBlock{{Type: "text", Text: "kept"}}}),
		"responses image through Extra": resp(map[string]any{"/input/-": map[string]any{"type": "message", "role": "user",
			"content": []any{map[string]any{"type": "input_image", "image_url": "https://example.com/a.png"}}}}),
		"responses audio in a raw item": resp(nil, rawImage),
		"responses provider":            resp(map[string]any{"/provider": map[string]any{"only": []string{"openai"}}}),
		"responses plugins":             resp(map[string]any{"/plugins": []any{map[string]any{"id": "web"}}}),
		"responses fallback models":     resp(map[string]any{"/models": []any{"openai/gpt-4o"}}),
	} {
		if name == "messages image in a tool result" {
			// The tool result's content is blocks, one of them an image.
			req.Requests[0].Messages.Extra = map[string]any{"/messages/2/content/0/content": []any{image}}
		}
		_, err := c.Batches.Submit(context.Background(), req)
		if !errors.Is(err, openrouter.ErrInvalidRequest) {
			t.Errorf("%s: Submit = %v; want ErrInvalidRequest", name, err)
		}
	}
	if n := srv.BatchStats().Submits; n != 0 {
		t.Errorf("%d submissions reached the server", n)
	}
	toolArgs := msgs(nil, openrouter.MessagesMessage{Role: "user", Text: "draw"},
		openrouter.MessagesMessage{Role: "assistant", Blocks: []openrouter.MessagesBlock{{Type: "tool_use", ID: "t1", Name: "draw", Input: json.RawMessage(`{"type":"image"}`)}}},
		openrouter.MessagesMessage{Role: "user", Blocks: []openrouter.MessagesBlock{{Type: "tool_result", ToolUseID: "t1", Content: "done"}}})
	if _, err := c.Batches.Submit(context.Background(), toolArgs); err != nil {
		t.Errorf("a tool call whose arguments hold a \"type\" was refused: %v", err)
	}
}

// A BYOK Messages answer costs what its usage says, the upstream
// provider's charge included, as BatchResult.Cost and Response.Cost say
// for the same answer; before, MessagesResponse.Cost dropped
// usage.cost_details (the field was not even decoded).
func TestMessagesCostIncludesBYOKUpstream(t *testing.T) {
	t.Parallel()
	body := `{"id":"msg_1","type":"message","role":"assistant","model":"anthropic/claude-sonnet-4","content":[{"type":"text","text":"hi"}],
		"stop_reason":"end_turn","stop_sequence":null,
		"usage":{"input_tokens":10,"output_tokens":5,"cost":0.001,"is_byok":true,"cost_details":{"upstream_inference_cost":0.02}}}`
	r := &openrouter.BatchResult{CustomID: "a", Response: &openrouter.BatchResponse{StatusCode: 200, Body: json.RawMessage(body)}}
	m, err := r.Messages()
	if err != nil {
		t.Fatalf("Messages: %v", err)
	}
	const want = 0.021
	if got := m.Cost(); got < want-1e-12 || got > want+1e-12 {
		t.Errorf("MessagesResponse.Cost() = %v; want %v (fee plus upstream)", got, want)
	}
	if got := r.Cost(); got < want-1e-12 || got > want+1e-12 {
		t.Errorf("BatchResult.Cost() = %v; want %v", got, want)
	}
}
