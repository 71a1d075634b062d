package openroutertest

import "fmt"

// ToolCall is a function call a scripted answer asks for.
type ToolCall struct {
	// ID is the call's ID; empty means "call_<n>", n its place in the
	// answer.
	ID   string
	Name string
	// Arguments is the arguments' JSON text, sent as it is (so that a
	// test can send invalid ones).
	Arguments string
}

// ToolCallReply is a 200 whose assistant message asks for the given tool
// calls, with finish reason "tool_calls" and no content.
func ToolCallReply(calls ...ToolCall) Reply {
	return Reply{ToolCalls: calls, FinishReason: "tool_calls"}
}

// toolCallsJSON is message.tool_calls for calls.
func toolCallsJSON(calls []ToolCall) []map[string]any {
	out := make([]map[string]any, len(calls))
	for i, c := range calls {
		id := c.ID
		if id == "" {
			id = fmt.Sprintf("call_%d", i)
		}
		out[i] = map[string]any{"id": id, "type": "function",
			"function": map[string]any{"name": c.Name, "arguments": c.Arguments}}
	}
	return out
}
