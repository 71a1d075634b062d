package openroutertest

import (
	"encoding/json"
	"fmt"
	"strings"
)

// serverTools are the server tool types the API accepts in "tools".
var serverTools = map[string]bool{
	"openrouter:web_search": true, "openrouter:web_fetch": true, "openrouter:datetime": true,
	"openrouter:image_generation": true, "openrouter:experimental__search_models": true,
	"openrouter:advisor": true, "openrouter:bash": true, "openrouter:files": true,
	"openrouter:fusion": true, "openrouter:subagent": true,
	"web_search": true, "web_search_preview": true, "web_search_preview_2025_03_11": true, "web_search_2025_08_26": true,
}

// providerKeys are the keys of the "provider" object; the API refuses
// others (additionalProperties: false).
var providerKeys = map[string]bool{
	"allow_fallbacks": true, "data_collection": true, "enforce_distillable_text": true, "ignore": true,
	"max_price": true, "only": true, "order": true, "preferred_max_latency": true,
	"preferred_min_throughput": true, "quantizations": true, "require_parameters": true, "sort": true, "zdr": true,
}

// checkRequest returns why the API would refuse the body with a 400, or
// "": messages breaking their role's schema (messages.go), content parts
// of an unknown type or without their object, tools of an unknown type or
// a bad name, parameters out of range (params.go), unknown provider
// preferences.
func checkRequest(raw []byte) string {
	var w struct {
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
		Tools    []map[string]json.RawMessage `json:"tools"`
		Provider map[string]json.RawMessage   `json:"provider"`
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(raw, &top) != nil {
		return "" // reported as invalid JSON elsewhere
	}
	// RULES.md C19: a field of the wrong JSON type is refused first, so
	// that the typed decoding below cannot skip the other checks.
	if msg := checkTypes(top); msg != "" {
		return msg
	}
	if json.Unmarshal(raw, &w) != nil {
		return "" // reported as invalid JSON elsewhere
	}
	if msg := checkMessages(top["messages"]); msg != "" {
		return msg
	}
	for i, m := range w.Messages {
		c := strings.TrimSpace(string(m.Content))
		if !strings.HasPrefix(c, "[") {
			continue
		}
		var parts []map[string]json.RawMessage
		if err := json.Unmarshal(m.Content, &parts); err != nil {
			return fmt.Sprintf("messages[%d].content: %v", i, err)
		}
		for j, p := range parts {
			if msg := checkPart(p, m.Role); msg != "" {
				return fmt.Sprintf("messages[%d].content[%d]: %s", i, j, msg)
			}
		}
	}
	for i, t := range w.Tools {
		var typ string
		_ = json.Unmarshal(t["type"], &typ)
		switch {
		case typ == "function":
			var f struct{ Name string }
			if json.Unmarshal(t["function"], &f) != nil || f.Name == "" {
				return fmt.Sprintf("tools[%d].function.name: Required", i)
			}
		case !serverTools[typ]:
			return fmt.Sprintf("tools[%d].type: Invalid input: %q is not function or a server tool", i, typ)
		}
	}
	if msg := checkTools(w.Tools); msg != "" {
		return msg
	}
	if msg := checkParams(top); msg != "" {
		return msg
	}
	for k := range w.Provider {
		if !providerKeys[k] {
			return fmt.Sprintf("provider: Unrecognized key: %q", k)
		}
	}
	return ""
}

// checkPart checks one content part the way the API's schema does.
func checkPart(p map[string]json.RawMessage, role string) string {
	var typ string
	_ = json.Unmarshal(p["type"], &typ)
	has := func(obj string, fields ...string) bool {
		var m map[string]any
		if json.Unmarshal(p[obj], &m) != nil || m == nil {
			return false
		}
		for _, f := range fields {
			if s, _ := m[f].(string); s == "" {
				return false
			}
		}
		return true
	}
	ok := false
	switch typ {
	case "text":
		var s string
		ok = json.Unmarshal(p["text"], &s) == nil
	case "image_url":
		ok = has("image_url", "url")
	case "file":
		ok = has("file", "file_data") || has("file", "file_id")
	case "input_audio":
		ok = has("input_audio", "data", "format")
	case "video_url", "input_video":
		ok = has(typ, "url")
	default:
		return fmt.Sprintf("Invalid discriminator value: type %q is not text, image_url, file, input_audio or video_url", typ)
	}
	if !ok {
		return fmt.Sprintf("a %q part lacks its %q object or a required field of it", typ, typ)
	}
	if (role == "system" || role == "developer") && typ != "text" {
		return "a " + role + " message takes only text parts"
	}
	return ""
}
