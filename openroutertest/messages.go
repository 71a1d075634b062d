package openroutertest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// The message rules of the OpenAPI document's schemas/ChatRequest (RULES.md C1-C5,
// C7): which roles exist, which fields each role requires.

// roles are the message roles of the schemas/ChatMessages discriminator (RULES.md
// C2, OpenAPI components/schemas/ChatMessages).
var roles = map[string]bool{"system": true, "developer": true, "user": true, "assistant": true, "tool": true}

// toolNameRe is a function tool's name: a-z, A-Z, 0-9, underscores and
// dashes, at most 64 (RULES.md C7, OpenAPI schemas/ChatFunctionTool.function.name).
var toolNameRe = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// checkMessages returns why the API would refuse the messages array, or "".
func checkMessages(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		// RULES.md C1: schemas/ChatRequest.required lists messages.
		return `Input required: specify "messages"`
	}
	var msgs []map[string]json.RawMessage
	if json.Unmarshal(raw, &msgs) != nil {
		return "messages: Expected array of message objects"
	}
	if len(msgs) == 0 {
		// RULES.md C1: messages.minItems is 1.
		return `Input required: specify "messages" (messages: Array must contain at least 1 element(s))`
	}
	for i, m := range msgs {
		if msg := checkMessage(m); msg != "" {
			return fmt.Sprintf("messages[%d].%s", i, msg)
		}
	}
	return ""
}

// checkMessage checks one message against the schema of its role.
func checkMessage(m map[string]json.RawMessage) string {
	var role string
	if json.Unmarshal(m["role"], &role) != nil || !roles[role] {
		// RULES.md C2: OpenAPI schemas/ChatMessages, discriminator propertyName role.
		return fmt.Sprintf("role: Invalid discriminator value %s. Expected 'system' | 'user' | 'assistant' | 'tool' | 'developer'", orMissing(m["role"]))
	}
	content := strings.TrimSpace(string(m["content"]))
	hasContent := content != "" && content != "null"
	if role != "assistant" && !hasContent {
		// RULES.md C3: schemas/ChatSystemMessage, schemas/ChatDeveloperMessage,
		// schemas/ChatUserMessage and schemas/ChatToolMessage require content.
		return "content: Required"
	}
	if hasContent && !strings.HasPrefix(content, "[") && !strings.HasPrefix(content, `"`) {
		// RULES.md C3: content is a string or an array of parts.
		return "content: Expected string or array of content parts"
	}
	if role == "tool" {
		// RULES.md C4: schemas/ChatToolMessage requires tool_call_id.
		var id string
		if json.Unmarshal(m["tool_call_id"], &id) != nil || id == "" {
			return "tool_call_id: Required"
		}
	}
	if raw, ok := m["tool_calls"]; ok && role == "assistant" && string(raw) != "null" {
		return checkToolCalls(raw)
	}
	return ""
}

// checkToolCalls checks an assistant message's tool_calls: each has a
// string id, type "function" and a function with a string name and a
// string of arguments, not an object (RULES.md C20: OpenAPI
// schemas/ChatToolCall requires id, type, function; function requires
// name and arguments, both strings).
func checkToolCalls(raw json.RawMessage) string {
	var calls []map[string]json.RawMessage
	if json.Unmarshal(raw, &calls) != nil {
		return "tool_calls: Expected array"
	}
	for i, c := range calls {
		var id, typ string
		var f map[string]json.RawMessage
		switch {
		case json.Unmarshal(c["id"], &id) != nil:
			return fmt.Sprintf("tool_calls[%d].id: Required string", i)
		case json.Unmarshal(c["type"], &typ) != nil || typ != "function":
			return fmt.Sprintf("tool_calls[%d].type: Invalid enum value %s. Expected 'function'", i, orMissing(c["type"]))
		case json.Unmarshal(c["function"], &f) != nil || f == nil:
			return fmt.Sprintf("tool_calls[%d].function: Required", i)
		case jsonKind(f["name"]) != "string":
			return fmt.Sprintf("tool_calls[%d].function.name: Expected string", i)
		case jsonKind(f["arguments"]) != "string":
			return fmt.Sprintf("tool_calls[%d].function.arguments: Expected string (the arguments as JSON text), received %s", i, orMissing(f["arguments"]))
		}
	}
	return ""
}

// checkTools checks the function tools' names (RULES.md C7); checkRequest
// checks the tools' types.
func checkTools(tools []map[string]json.RawMessage) string {
	for i, t := range tools {
		var typ string
		_ = json.Unmarshal(t["type"], &typ)
		if typ != "function" {
			continue
		}
		var f struct{ Name string }
		if json.Unmarshal(t["function"], &f) == nil && f.Name != "" && !toolNameRe.MatchString(f.Name) {
			return fmt.Sprintf("tools[%d].function.name: %q must match ^[a-zA-Z0-9_-]{1,64}$", i, f.Name)
		}
	}
	return ""
}

// orMissing quotes a raw JSON value for a message, or says it is missing.
func orMissing(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "(missing)"
	}
	return string(raw)
}
