package openroutertest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

var schemaNameRe = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// jsonSchema returns the request's response_format json_schema: its name,
// strictness and schema; ok is false when there is none.
func (r Request) jsonSchema() (name string, strict bool, sch map[string]any, ok bool) {
	var f struct {
		Type       string `json:"type"`
		JSONSchema struct {
			Name   string         `json:"name"`
			Strict bool           `json:"strict"`
			Schema map[string]any `json:"schema"`
		} `json:"json_schema"`
	}
	if json.Unmarshal(r.ResponseFormat, &f) != nil || f.Type != "json_schema" {
		return "", false, nil, false
	}
	return f.JSONSchema.Name, f.JSONSchema.Strict, f.JSONSchema.Schema, true
}

// checkSchema returns what a provider would reject in a json_schema
// response format: a bad name, and in strict mode an object that allows
// additional properties or does not require all of its properties.
func checkSchema(name string, strict bool, sch map[string]any) string {
	if !schemaNameRe.MatchString(name) {
		return fmt.Sprintf("Invalid 'response_format.json_schema.name': %q must match ^[a-zA-Z0-9_-]{1,64}$", name)
	}
	if sch == nil {
		return "Invalid schema for response_format: missing 'schema'"
	}
	if !strict {
		return ""
	}
	var walk func(s map[string]any, ctx string) string
	walk = func(s map[string]any, ctx string) string {
		if props, ok := s["properties"].(map[string]any); ok {
			if ap, ok := s["additionalProperties"].(bool); !ok || ap {
				return fmt.Sprintf("Invalid schema for response_format '%s': In context=(%s), 'additionalProperties' is required to be supplied and to be false.", name, ctx)
			}
			req, _ := s["required"].([]any)
			have := map[string]bool{}
			for _, r := range req {
				if rs, ok := r.(string); ok {
					have[rs] = true
				}
			}
			for k, p := range props {
				if !have[k] {
					return fmt.Sprintf("Invalid schema for response_format '%s': In context=(%s), 'required' is required to be supplied and to be an array including every key in properties. Missing '%s'.", name, ctx, k)
				}
				if ps, ok := p.(map[string]any); ok {
					if msg := walk(ps, ctx+"'properties', '"+k+"'"); msg != "" {
						return msg
					}
				}
			}
		}
		if items, ok := s["items"].(map[string]any); ok {
			return walk(items, ctx+"'items'")
		}
		return ""
	}
	return walk(sch, "")
}

// jsonReply answers a JSON request: a value of the schema (plausible
// title, meta description and content for an article), or {"answer": ...}
// for json_object.
func jsonReply(req Request) Reply {
	_, _, sch, ok := req.jsonSchema()
	if !ok {
		sch, ok = schemaInSystemMessage(req)
	}
	if !ok {
		b, _ := json.Marshal(map[string]string{"answer": clipText(req.LastUserText(), 200)})
		return TextReply(string(b))
	}
	article := articleOf(req.LastUserText())
	b, _ := json.Marshal(sample(sch, "", article))
	return TextReply(string(b))
}

// schemaInSystemMessage finds a JSON Schema a client put in a system
// message for a json_object request (after the words "JSON Schema").
func schemaInSystemMessage(req Request) (map[string]any, bool) {
	for _, m := range req.Messages {
		if m.Role != "system" {
			continue
		}
		if _, rest, ok := strings.Cut(m.Text, "JSON Schema"); ok {
			if i := strings.Index(rest, "{"); i >= 0 {
				var sch map[string]any
				if json.NewDecoder(strings.NewReader(rest[i:])).Decode(&sch) == nil {
					return sch, true
				}
			}
		}
	}
	return nil, false
}

// articleOf returns the text between <article> and </article>, or all of
// text.
func articleOf(text string) string {
	if _, rest, ok := strings.Cut(text, "<article>"); ok {
		body, _, _ := strings.Cut(rest, "</article>")
		return strings.TrimSpace(body)
	}
	return text
}

// sample makes a value valid against the schema s, for a property named
// name, drawing text from article.
func sample(s map[string]any, name, article string) any {
	typ := s["type"]
	if list, ok := typ.([]any); ok && len(list) > 0 {
		typ = list[0]
	}
	if enum, ok := s["enum"].([]any); ok && len(enum) > 0 {
		return enum[0]
	}
	num := func(k string) (float64, bool) { f, ok := s[k].(float64); return f, ok }
	switch typ {
	case "object":
		out := map[string]any{}
		props, _ := s["properties"].(map[string]any)
		for k, p := range props {
			if ps, ok := p.(map[string]any); ok {
				out[k] = sample(ps, k, article)
			}
		}
		return out
	case "array":
		n := 1
		if m, ok := num("minItems"); ok && m > 1 {
			n = int(m)
		}
		items, _ := s["items"].(map[string]any)
		out := make([]any, n)
		for i := range out {
			out[i] = sample(items, name, article)
		}
		return out
	case "integer", "number":
		if m, ok := num("minimum"); ok {
			return m
		}
		if m, ok := num("maximum"); ok && m < 1 {
			return m
		}
		return 1
	case "boolean":
		return true
	case "string":
		text := stringFor(name, article)
		if m, ok := num("maxLength"); ok && len([]rune(text)) > int(m) {
			whole := clipText(text, int(m))
			if lo, ok := num("minLength"); ok && len([]rune(whole)) < int(lo) {
				whole = string([]rune(text)[:int(m)]) // no room to end on a word
			}
			text = whole
		}
		if m, ok := num("minLength"); ok {
			for len([]rune(text)) < int(m) {
				text += " " + stringFor(name, article)
			}
		}
		return text
	}
	return nil
}

// stringFor drafts a string for a property by its name.
func stringFor(name, article string) string {
	lines := strings.Split(strings.TrimSpace(article), "\n")
	first := strings.TrimSpace(strings.TrimLeft(lines[0], "# "))
	switch strings.ToLower(name) {
	case "title", "headline":
		if first == "" {
			return "A fresh look at the subject"
		}
		return "Rewritten: " + clipText(first, 80)
	case "meta_description", "description", "summary":
		body := strings.Join(strings.Fields(strings.Join(lines[min(1, len(lines)-1):], " ")), " ")
		if body == "" {
			body = first
		}
		return clipText(body, 150)
	case "content", "body", "text", "article":
		if strings.TrimSpace(article) == "" {
			return "Content."
		}
		return strings.TrimSpace(article)
	}
	return "example"
}

// clipText cuts s to at most n runes, at the end of a word when there is
// one to cut at (a description cut mid-word reads like a bug of the
// caller's), else at n.
func clipText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := string(r[:n])
	if r[n] != ' ' {
		if i := strings.LastIndexByte(cut, ' '); i > 0 {
			cut = cut[:i]
		}
	}
	if trimmed := strings.TrimRight(cut, " ,;:"); trimmed != "" {
		return trimmed
	}
	return string(r[:n])
}
