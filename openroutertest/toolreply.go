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

// toolCallDeltas streams tool calls as OpenAI-style deltas: per call, a
// first delta with its index, ID and name and the first half of its
// arguments, then one with the rest of the arguments and the index only.
func toolCallDeltas(calls []ToolCall) []map[string]any {
	var out []map[string]any
	for i, c := range toolCallsJSON(calls) {
		args := calls[i].Arguments
		half := len(args) / 2
		fn := c["function"].(map[string]any)
		out = append(out,
			map[string]any{"tool_calls": []any{map[string]any{"index": i, "id": c["id"], "type": "function",
				"function": map[string]any{"name": fn["name"], "arguments": args[:half]}}}},
			map[string]any{"tool_calls": []any{map[string]any{"index": i, "function": map[string]any{"arguments": args[half:]}}}})
	}
	return out
}
