package openrouter

import (
	"context"
	"encoding/json"
	"errors"
)

// ResponseRequest is a request of the Responses API. Model (or Models)
// and Input are required; a zero field is not sent.
type ResponseRequest struct {
	// Model is the model ("openai/gpt-4o-mini"); when empty, the first of
	// Models, else the client's standard model (see Roles).
	Model string
	// Models are fallbacks tried in order when Model fails.
	Models []string
	// Input is the conversation: messages, and the function calls and
	// their outputs of earlier turns. ResponseText makes a one-message
	// input; ResponseMessage one message.
	Input []ResponseItem
	// Instructions is the system prompt.
	Instructions string
	// Tools are the functions the model may call (ResponseFunctionTool).
	Tools []ResponseTool
	// ToolChoice is "auto", "none", "required", or the name of a function
	// the model must call; "" leaves the choice to the model.
	ToolChoice string
	// ParallelToolCalls allows several function calls in one answer.
	ParallelToolCalls *bool
	// Reasoning configures the reasoning of models that have it.
	Reasoning *ResponseReasoning
	// Text sets the output's format (ResponseJSONSchema) and verbosity.
	Text *ResponseTextConfig
	// MaxOutputTokens bounds the output, reasoning included; 0: the model's.
	MaxOutputTokens int
	// Temperature (0 to 2) and TopP (0 to 1) shape sampling; nil: the
	// model's default.
	Temperature, TopP *float64
	// Provider holds routing preferences.
	Provider *ProviderPrefs
	// Metadata is attached to the request: at most 16 pairs, values of at
	// most 512 characters.
	Metadata map[string]string
	// User identifies the end user; SessionID groups requests (each at
	// most 256 characters).
	User, SessionID string
	// Trace is observability metadata passed to the account's broadcast
	// destinations, as ChatRequest.Trace; a client with a TraceObserver
	// (the OpenTelemetry module) fills in the caller's span when the
	// request sets no trace IDs.
	Trace *Trace
	// Extra holds body fields this type does not model, keyed by JSON
	// Pointer ("/top_k", "/plugins"), as ChatRequest.Extra does. A path
	// the typed fields already set is refused, as is "/stream".
	Extra map[string]any
}

// ResponseTool is a tool the model may call; see ResponseFunctionTool.
type ResponseTool struct {
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters"`
	Strict      *bool           `json:"strict,omitempty"`
}

// ResponseReasoning configures reasoning: Effort ("minimal", "low",
// "medium", "high", ...), or MaxTokens, a budget; Summary asks for a
// summary ("auto", "concise", "detailed").
type ResponseReasoning struct {
	Effort    string `json:"effort,omitempty"`
	Summary   string `json:"summary,omitempty"`
	MaxTokens int    `json:"max_tokens,omitempty"`
	Enabled   *bool  `json:"enabled,omitempty"`
}

// ResponseTextConfig sets the output's Format (nil: text) and Verbosity
// ("low", "medium", "high").
type ResponseTextConfig struct {
	Format    *ResponseTextFormat `json:"format,omitempty"`
	Verbosity string              `json:"verbosity,omitempty"`
}

// ResponseTextFormat is an output format: Type "text", "json_object", or
// "json_schema" with Name and Schema (see ResponseJSONSchema).
type ResponseTextFormat struct {
	Type   string          `json:"type"`
	Name   string          `json:"name,omitempty"`
	Schema json.RawMessage `json:"schema,omitempty"`
	Strict *bool           `json:"strict,omitempty"`
}

// ResponseText returns an input of one user message holding text.
func ResponseText(text string) []ResponseItem { return []ResponseItem{ResponseMessage("user", text)} }

// ResponseMessage returns a message item of the role holding text.
func ResponseMessage(role, text string) ResponseItem {
	return ResponseItem{Type: "message", Role: role, Content: []ResponsePart{{Type: "input_text", Text: text}}}
}

// ResponseImagePart returns an input_image part: url is an https URL or
// a data URL (see ImageInputPart for one made from bytes), at detail
// "auto".
func ResponseImagePart(url string) ResponsePart {
	return ResponsePart{Type: "input_image", ImageURL: url, Detail: "auto"}
}

// ResponseFunctionOutput returns the item that answers the function call
// callID with output.
func ResponseFunctionOutput(callID, output string) ResponseItem {
	return ResponseItem{Type: "function_call_output", CallID: callID, Output: output}
}

// ResponseFunctionTool returns a function tool; parameters is its JSON
// Schema (an object schema).
func ResponseFunctionTool(name, description string, parameters json.RawMessage) ResponseTool {
	return ResponseTool{Type: "function", Name: name, Description: description, Parameters: parameters}
}

// ResponseJSONSchema returns a text configuration asking for JSON that
// matches schema, strictly.
func ResponseJSONSchema(name string, schema json.RawMessage) *ResponseTextConfig {
	return &ResponseTextConfig{Format: &ResponseTextFormat{Type: "json_schema", Name: name, Schema: schema, Strict: Ptr(true)}}
}

// responseBody is the JSON of a ResponseRequest.
type responseBody struct {
	Model             string              `json:"model,omitempty"`
	Models            []string            `json:"models,omitempty"`
	Input             []ResponseItem      `json:"input"`
	Instructions      string              `json:"instructions,omitempty"`
	Tools             []ResponseTool      `json:"tools,omitempty"`
	ToolChoice        any                 `json:"tool_choice,omitempty"`
	ParallelToolCalls *bool               `json:"parallel_tool_calls,omitempty"`
	Reasoning         *ResponseReasoning  `json:"reasoning,omitempty"`
	Text              *ResponseTextConfig `json:"text,omitempty"`
	MaxOutputTokens   int                 `json:"max_output_tokens,omitempty"`
	Temperature       *float64            `json:"temperature,omitempty"`
	TopP              *float64            `json:"top_p,omitempty"`
	Provider          *ProviderPrefs      `json:"provider,omitempty"`
	Metadata          map[string]string   `json:"metadata,omitempty"`
	User              string              `json:"user,omitempty"`
	SessionID         string              `json:"session_id,omitempty"`
	Trace             *Trace              `json:"trace,omitempty"`
	Stream            bool                `json:"stream,omitempty"`
}

// encodeResponse validates a request and returns its body and model,
// with the client's standard model when the request names none.
func (c *Client) encodeResponse(ctx context.Context, req *ResponseRequest, stream bool) ([]byte, string, error) {
	switch {
	case c == nil:
		return nil, "", invalid("nil *Client: create it with NewClient")
	case ctx == nil:
		return nil, "", invalid("nil context")
	}
	if err := req.validate(); err != nil {
		return nil, "", err
	}
	b := req.wire(stream)
	b.Trace = c.broadcastTrace(ctx, req.Trace, req.Extra) // observer.go
	if b.Model == "" && len(b.Models) == 0 {
		b.Model = c.Roles().Standard
	}
	model := b.Model
	if model == "" {
		model = b.Models[0]
	}
	if c.cfg.modelCheck { // WithModelCheck: the models are looked up first
		for _, m := range append([]string{b.Model}, b.Models...) {
			if m == "" || uncheckable(m) {
				continue
			}
			if _, err := c.usableModel(ctx, m, nil); err != nil {
				return nil, "", err
			}
		}
	}
	body, err := b.encode(req.Extra)
	if err != nil {
		return nil, "", err
	}
	return body, model, nil
}

// wire is the JSON form of a validated request, its model as given.
func (req *ResponseRequest) wire(stream bool) responseBody {
	b := responseBody{Model: req.Model, Models: req.Models, Input: req.Input, Instructions: req.Instructions, Tools: req.Tools,
		ParallelToolCalls: req.ParallelToolCalls, Reasoning: req.Reasoning, Text: req.Text, MaxOutputTokens: req.MaxOutputTokens,
		Temperature: req.Temperature, TopP: req.TopP, Provider: req.Provider, Metadata: req.Metadata, User: req.User,
		SessionID: req.SessionID, Trace: req.Trace, Stream: stream}
	switch req.ToolChoice {
	case "":
	case "auto", "none", "required":
		b.ToolChoice = req.ToolChoice
	default:
		b.ToolChoice = map[string]string{"type": "function", "name": req.ToolChoice}
	}
	return b
}

// encode marshals the body with the request's Extra merged in; an error
// matches [ErrInvalidRequest].
func (b *responseBody) encode(extra map[string]any) ([]byte, error) {
	body, err := json.Marshal(b)
	if err == nil && len(extra) > 0 {
		body, err = mergeExtra(body, extra)
	}
	if err != nil && !errors.Is(err, ErrInvalidRequest) {
		err = invalid("%v", err)
	}
	return body, err
}
