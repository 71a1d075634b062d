package openrouter

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// The Anthropic Messages shape (POST /messages), as a batch item
// carries it (BatchItem.Messages, endpoint [BatchMessages]) and as its
// result answers (BatchResult.Messages). The fields are those of the
// OpenAPI document's schemas/MessagesRequest and schemas/MessagesResult
// that a text-only batch uses; a field not modelled goes in Extra.

// MessagesRequest is a request in the Anthropic Messages API's shape.
// Messages is required; Model may be left empty in a batch, whose model
// runs every request.
type MessagesRequest struct {
	// Model is the model ("anthropic/claude-sonnet-4"); in a batch, "" or
	// the batch's model.
	Model string `json:"model,omitempty"`
	// MaxTokens bounds the answer; 0 is not sent (the model's default).
	MaxTokens int `json:"max_tokens,omitempty"`
	// System is the system prompt.
	System string `json:"system,omitempty"`
	// Messages alternate user and assistant turns, starting with the user.
	Messages []MessagesMessage `json:"messages"`
	// Tools are the functions the model may call.
	Tools []MessagesTool `json:"tools,omitempty"`
	// Temperature (0 to 1) shapes sampling; nil: the model's default.
	Temperature *float64 `json:"temperature,omitempty"`
	// StopSequences end the answer where the model writes one of them.
	StopSequences []string `json:"stop_sequences,omitempty"`
	// Extra holds body fields this type does not model, keyed by JSON
	// Pointer ("/top_k"), as ChatRequest.Extra does.
	Extra map[string]any `json:"-"`
}

// MessagesMessage is one turn: Role "user" or "assistant", and its
// content as Text or as Blocks (a tool's result, a tool call to answer).
type MessagesMessage struct {
	Role   string
	Text   string
	Blocks []MessagesBlock
}

// MarshalJSON sends the content as a string when it is Text alone.
func (m MessagesMessage) MarshalJSON() ([]byte, error) {
	var content any = m.Text
	if len(m.Blocks) > 0 {
		content = m.Blocks
	}
	return json.Marshal(struct {
		Role    string `json:"role"`
		Content any    `json:"content"`
	}{m.Role, content})
}

// MessagesBlock is one content block. Type says which fields are set:
// "text" (Text); "tool_use" (ID, Name, Input), a call the model makes;
// "tool_result" (ToolUseID, Content), the caller's answer to one. An
// answer's blocks of other types ("thinking", server tools') keep their
// Type; their other fields are not modelled, and are in Raw.
type MessagesBlock struct {
	Type      string          `json:"type"`
	Text      string          `json:"text,omitempty"`
	ID        string          `json:"id,omitempty"`
	Name      string          `json:"name,omitempty"`
	Input     json.RawMessage `json:"input,omitempty"`
	ToolUseID string          `json:"tool_use_id,omitempty"`
	Content   string          `json:"content,omitempty"`
	// Raw is the block as received. A block whose fields are not of the
	// types above (a server tool's result, whose content is a list of
	// blocks) is sent back as Raw holds it.
	Raw    json.RawMessage `json:"-"`
	opaque bool            // decoded from Raw only in part
}

// UnmarshalJSON keeps the block's JSON in Raw. A block whose fields are
// not of the types modelled is not an error: its type and IDs are read,
// and it is kept whole in Raw.
func (b *MessagesBlock) UnmarshalJSON(data []byte) error {
	type plain MessagesBlock
	var p plain
	opaque := false
	if err := json.Unmarshal(data, &p); err != nil {
		var head struct {
			Type      string `json:"type"`
			ID        string `json:"id"`
			Name      string `json:"name"`
			ToolUseID string `json:"tool_use_id"`
		}
		if json.Unmarshal(data, &head) != nil {
			return err
		}
		p, opaque = plain{Type: head.Type, ID: head.ID, Name: head.Name, ToolUseID: head.ToolUseID}, true
	}
	*b = MessagesBlock(p)
	b.Raw, b.opaque = append(json.RawMessage(nil), data...), opaque
	return nil
}

// MarshalJSON sends a block kept whole in Raw, or one of a type not
// modelled ("thinking", with its signature), as it came.
func (b MessagesBlock) MarshalJSON() ([]byte, error) {
	if len(b.Raw) > 0 && (b.opaque || !modelledBlock(b.Type)) {
		return b.Raw, nil
	}
	type plain MessagesBlock
	return json.Marshal(plain(b))
}

// MessagesTool is a function the model may call; InputSchema is the JSON
// Schema of its input.
type MessagesTool struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema"`
}

// MessagesResponse is an answer in the Anthropic Messages API's shape.
type MessagesResponse struct {
	ID    string `json:"id"`
	Type  string `json:"type"` // "message"
	Role  string `json:"role"`
	Model string `json:"model"`
	// Content holds the answer's blocks: text, tool calls.
	Content []MessagesBlock `json:"content"`
	// StopReason is why the answer ended: "end_turn", "max_tokens",
	// "stop_sequence", "tool_use", "refusal", ...
	StopReason   string         `json:"stop_reason"`
	StopSequence *string        `json:"stop_sequence"`
	Usage        *MessagesUsage `json:"usage"`
}

// MessagesUsage is the tokens and cost of a Messages answer.
type MessagesUsage struct {
	InputTokens  int `json:"input_tokens"`
	OutputTokens int `json:"output_tokens"`
	// Cost is what OpenRouter charged, in USD (an OpenRouter extension);
	// for a BYOK request, its fee.
	Cost   float64 `json:"cost"`
	IsBYOK bool    `json:"is_byok"`
	// CostDetails holds, for a BYOK request, the upstream provider's
	// charge to the caller's own key.
	CostDetails *CostDetails `json:"cost_details,omitempty"`
	// CacheCreationInputTokens and CacheReadInputTokens are the prompt
	// tokens written to and read from the prompt cache.
	CacheCreationInputTokens int `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int `json:"cache_read_input_tokens"`
}

// Text returns the text of the answer's text blocks, joined.
func (r *MessagesResponse) Text() string {
	if r == nil {
		return ""
	}
	var b strings.Builder
	for _, c := range r.Content {
		if c.Type == "text" {
			b.WriteString(c.Text)
		}
	}
	return b.String()
}

// Cost returns what the answer cost in USD, BYOK charges included (as
// Usage.TotalCost); 0 when it gives no usage.
func (r *MessagesResponse) Cost() float64 {
	if r == nil || r.Usage == nil {
		return 0
	}
	u := Usage{Cost: r.Usage.Cost, IsBYOK: r.Usage.IsBYOK, CostDetails: r.Usage.CostDetails}
	return u.TotalCost()
}

// validate checks what the schema requires and a batch needs: at least
// one message, roles user or assistant, content in each turn, typed
// blocks, named tools with a schema.
func (r *MessagesRequest) validate() error {
	if r == nil {
		return invalid("nil *MessagesRequest")
	}
	if len(r.Messages) == 0 {
		return invalid("messages: at least one message is required")
	}
	if r.MaxTokens < 0 {
		return invalid("max_tokens %d is negative", r.MaxTokens)
	}
	if t := r.Temperature; t != nil && !(*t >= 0 && *t <= 1) {
		return invalid("temperature %v is outside 0..1", *t)
	}
	for i, m := range r.Messages {
		if m.Role != "user" && m.Role != "assistant" {
			return invalid("messages[%d]: role %q: the Messages API takes user and assistant turns (the system prompt is System)", i, m.Role)
		}
		switch {
		case m.Text == "" && len(m.Blocks) == 0:
			return invalid("messages[%d]: no content", i)
		case m.Text != "" && len(m.Blocks) > 0:
			return invalid("messages[%d]: set Text or Blocks, not both (put the text in a text block)", i)
		}
		for j, b := range m.Blocks {
			if err := b.validate(); err != nil {
				return invalid("messages[%d].content[%d]: %v", i, j, err)
			}
		}
	}
	for i, t := range r.Tools {
		if t.Name == "" || !json.Valid(t.InputSchema) || !strings.HasPrefix(strings.TrimSpace(string(t.InputSchema)), "{") {
			return invalid("tools[%d]: a tool needs a name and an input_schema (a JSON Schema object)", i)
		}
	}
	return nil
}

func modelledBlock(t string) bool { return t == "text" || t == "tool_use" || t == "tool_result" }

// validate checks a block as the OpenAPI document's MessagesRequest
// takes it: a text block's text, a tool call's id and name, a tool
// result's tool_use_id; a block of another type is sent as its Raw.
func (b *MessagesBlock) validate() error {
	if len(b.Raw) > 0 && (b.opaque || !modelledBlock(b.Type)) {
		return nil // sent as it came
	}
	switch {
	case b.Type == "":
		return errors.New("a block needs a type")
	case b.Type == "text" && b.Text == "":
		return errors.New("a text block with no text")
	case b.Type == "tool_use" && (b.ID == "" || b.Name == ""):
		return errors.New("a tool_use block needs its id and name")
	case b.Type == "tool_result" && b.ToolUseID == "":
		return errors.New("a tool_result block needs the tool_use_id of its call")
	case !modelledBlock(b.Type):
		return fmt.Errorf("a %s block is sent as it came from an answer (Raw); typed blocks are text, tool_use and tool_result", b.Type)
	}
	return nil
}

// encode validates the request and returns its JSON, Extra merged in.
func (r *MessagesRequest) encode() ([]byte, error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	body, err := json.Marshal(r)
	if err == nil && len(r.Extra) > 0 {
		body, err = mergeExtra(body, r.Extra)
	}
	if err != nil && !errors.Is(err, ErrInvalidRequest) {
		err = invalid("%v", err)
	}
	return body, err
}
