package orotel

import (
	"context"
	"encoding/json"

	"github.com/routerkit/openrouter"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// WithContent records a chat call's prompt and completion on its span
// (chat completions only, streamed or not; not the Responses API). Off
// by default: prompts and completions are the caller's data, often
// personal. Without it the Observer reports WantsContent false, and the
// client does not even build the content.
//
// They are recorded as the GenAI semantic conventions' opt-in span
// attributes gen_ai.input.messages and gen_ai.output.messages (semantic
// conventions v1.37.0, "Semantic conventions for generative client AI
// spans", the version whose gen_ai.provider.name this module uses; it
// deprecates the gen_ai.user.message and gen_ai.choice events), each a
// JSON string of its documented shape, as the conventions allow where
// structured attributes are not supported:
//
//	[{"role":"user","parts":[{"type":"text","content":"Hello"}]}]
//	[{"role":"assistant","parts":[{"type":"text","content":"Hi"}],"finish_reason":"stop"}]
//
// The API key is never part of them.
func WithContent() Option { return func(o *Observer) { o.content = true } }

var _ openrouter.ContentObserver = (*Observer)(nil)

// WantsContent implements [openrouter.ContentObserver]: true with
// [WithContent].
func (o *Observer) WantsContent() bool { return o.content }

// CallContent implements [openrouter.ContentObserver]: it sets
// gen_ai.input.messages and gen_ai.output.messages on the call's span
// (see [WithContent]); it does nothing without WithContent.
func (o *Observer) CallContent(ctx context.Context, e openrouter.CallContent) {
	if !o.content {
		return
	}
	span := trace.SpanFromContext(ctx)
	in := make([]semMessage, 0, len(e.Messages))
	for _, m := range e.Messages {
		in = append(in, inputMessage(m))
	}
	attrs := []attribute.KeyValue{attribute.String("gen_ai.input.messages", marshal(in))}
	if e.Completion != "" || e.FinishReason != "" {
		out := semMessage{Role: "assistant", Parts: []semPart{}, FinishReason: e.FinishReason}
		if e.Completion != "" {
			out.Parts = append(out.Parts, semPart{Type: "text", Content: e.Completion})
		}
		attrs = append(attrs, attribute.String("gen_ai.output.messages", marshal([]semMessage{out})))
	}
	span.SetAttributes(attrs...)
}

// semMessage is a message of gen_ai.input.messages or
// gen_ai.output.messages: its role, parts and (output) finish reason.
type semMessage struct {
	Role         string    `json:"role"`
	Parts        []semPart `json:"parts"`
	FinishReason string    `json:"finish_reason,omitempty"`
}

// semPart is a message's part: text, a tool call or a tool call's
// response, as the conventions' JSON schema names them.
type semPart struct {
	Type      string `json:"type"`
	Content   string `json:"content,omitempty"`
	ID        string `json:"id,omitempty"`
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments,omitempty"`
	Response  string `json:"response,omitempty"`
}

// inputMessage is m in the conventions' shape: a tool message is a
// tool_call_response, an assistant's tool calls are tool_call parts.
func inputMessage(m openrouter.Message) semMessage {
	out := semMessage{Role: m.Role, Parts: []semPart{}}
	text := m.Text()
	switch {
	case m.Role == "tool":
		out.Parts = append(out.Parts, semPart{Type: "tool_call_response", ID: m.ToolCallID, Response: text})
	case text != "":
		out.Parts = append(out.Parts, semPart{Type: "text", Content: text})
	}
	for _, tc := range m.ToolCalls {
		out.Parts = append(out.Parts, semPart{Type: "tool_call", ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
	}
	return out
}

// marshal is v's JSON; v holds only strings, which cannot fail.
func marshal(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
