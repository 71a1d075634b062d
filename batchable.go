package openrouter

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// CheckBatchable returns nil when req may go in a batch of chat
// completions, and otherwise an [ErrInvalidRequest] error that says why
// (send such a request with Chat). It reads the body the request encodes
// to, Extra included, so that a field set through Extra is seen as the
// typed one would be. A batch takes text only (no image, audio, video or
// file part, no image or audio output), no fallback models, no plugins,
// no provider preferences (they go on the batch: BatchRequest.Provider)
// and no streaming.
//
// Web search: the Batch API quickstart (its newest page, of August 2026)
// bills web-search calls at the standard rate inside a batch, where the
// older guide said web search is not available; this follows the
// quickstart and lets the web search server tool
// ("openrouter:web_search") in. The web plugin and the ":online" suffix
// (which is that plugin) stay out with every plugin: a plugin in a batch
// item has been seen failing the whole batch.
func CheckBatchable(req *ChatRequest) error {
	if err := req.validate(); err != nil {
		return err
	}
	body, err := req.encode(false)
	if err != nil {
		return invalid("%v", err)
	}
	return checkBatchableBody(body)
}

// batchBody is what checkBatchableBody reads of an encoded chat request.
type batchBody struct {
	Model      string            `json:"model"`
	Models     json.RawMessage   `json:"models"`
	Provider   json.RawMessage   `json:"provider"`
	Plugins    []json.RawMessage `json:"plugins"`
	Stream     json.RawMessage   `json:"stream"`
	Modalities []string          `json:"modalities"`
	Audio      json.RawMessage   `json:"audio"`
	Image      json.RawMessage   `json:"image_config"`
	Tools      []struct {
		Type string `json:"type"`
	} `json:"tools"`
	Messages []struct {
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
}

// batchableTools are the tool types a batch item may carry: functions
// (the caller runs them) and the web search server tool (see
// CheckBatchable).
var batchableTools = map[string]bool{"function": true, "openrouter:web_search": true}

// checkBatchableBody is CheckBatchable on an encoded chat request.
func checkBatchableBody(body []byte) error {
	var b batchBody
	if err := json.Unmarshal(body, &b); err != nil {
		return invalid("the request's body cannot be read as a chat request: %v", err)
	}
	switch {
	case hasJSON(b.Models):
		return invalid("fallback models (models) are not available in a batch; the batch's model runs every request")
	case hasJSON(b.Provider):
		return invalid("provider preferences go on the batch (BatchRequest.Provider: only, allow_fallbacks), not on a request")
	case len(b.Plugins) > 0:
		return invalid("plugins are not available in a batch; send the request with Chat")
	case strings.HasSuffix(b.Model, ":online"):
		return invalid("web search (%s) is not available in a batch; send it with Chat", b.Model)
	case hasJSON(b.Stream) && string(b.Stream) != "false":
		return invalid("a batch request does not stream")
	case hasJSON(b.Audio):
		return invalid("audio output is not available in a batch; send it with Chat")
	case hasJSON(b.Image):
		return invalid("image output (image_config) is not available in a batch; send it with Chat")
	}
	for _, m := range b.Modalities {
		if m != "text" {
			return invalid("%s output is not available in a batch; send it with Chat", m)
		}
	}
	for i, t := range b.Tools {
		if !batchableTools[t.Type] {
			return invalid("tools[%d] is a %q tool: batches take function tools and web search only; send it with Chat", i, t.Type)
		}
	}
	for i, m := range b.Messages {
		if err := textOnly(m.Content); err != nil {
			return invalid("messages[%d]: %v; batches are text only, send it with Chat", i, err)
		}
	}
	return nil
}

// textOnly checks a message's content: a string, or parts all of type
// text.
func textOnly(content json.RawMessage) error {
	if !hasJSON(content) || content[0] != '[' {
		return nil
	}
	var parts []struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(content, &parts); err != nil {
		return errors.New("its content is neither text nor parts")
	}
	for j, p := range parts {
		if p.Type != "text" {
			return fmt.Errorf("part %d is of type %q", j, p.Type)
		}
	}
	return nil
}
