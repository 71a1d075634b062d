package openrouter

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"sync"
)

// ChatRequest is a chat completion request (POST /chat/completions). The
// zero value of a field means "not set"; pointers are used only where zero
// is a real value (temperature 0). Fields the SDK does not know yet go in
// Extra.
type ChatRequest struct {
	// Model is the model ID ("openai/gpt-4o-mini", "x/y:free"). Empty
	// means the client's default model (WithDefaultModel), or the
	// account's default when the client has none.
	Model string `json:"model,omitempty"`
	// Models lists fallback models, tried in order when Model's providers
	// all fail.
	Models []string `json:"models,omitempty"`
	// Messages is the conversation; at least one is required.
	Messages []Message `json:"messages"`

	Temperature       *float64          `json:"temperature,omitempty"` // 0 to 2
	TopP              *float64          `json:"top_p,omitempty"`       // 0 to 1
	MaxTokens         int               `json:"max_tokens,omitempty"`  // completion tokens at most; 0 means unset
	Seed              *int              `json:"seed,omitempty"`
	Stop              []string          `json:"stop,omitempty"` // up to 4
	FrequencyPenalty  *float64          `json:"frequency_penalty,omitempty"`
	PresencePenalty   *float64          `json:"presence_penalty,omitempty"`
	ResponseFormat    *ResponseFormat   `json:"response_format,omitempty"`
	Tools             []Tool            `json:"tools,omitempty"`
	ToolChoice        any               `json:"tool_choice,omitempty"` // "auto", "none", "required", or a ToolChoiceFunction
	Provider          *ProviderPrefs    `json:"provider,omitempty"`
	Plugins           []Plugin          `json:"plugins,omitempty"`
	Reasoning         *Reasoning        `json:"reasoning,omitempty"`
	Modalities        []string          `json:"modalities,omitempty"` // ["image","text"] for image output
	ImageConfig       *ImageConfig      `json:"image_config,omitempty"`
	Usage             *UsageOptions     `json:"usage,omitempty"`
	User              string            `json:"user,omitempty"`
	SessionID         string            `json:"session_id,omitempty"`
	Metadata          map[string]string `json:"metadata,omitempty"`
	ParallelToolCalls *bool             `json:"parallel_tool_calls,omitempty"`

	// Extra holds body fields the SDK does not model yet, sent as given
	// (top_k, min_p, service_tier, ...). A key that names a typed field is
	// refused, so nothing is sent twice or silently replaced.
	Extra map[string]any `json:"-"`
}

// Message is one chat message. Content holds plain text; Parts holds
// multi-part content (text and images) and, when set, Content must be empty.
// In an answer, content sent as an array of parts lands in Parts (Text
// joins their text).
type Message struct {
	Role       string        `json:"role"`
	Content    string        `json:"content"`
	Parts      []ContentPart `json:"-"`
	Name       string        `json:"name,omitempty"`
	ToolCallID string        `json:"tool_call_id,omitempty"`
	ToolCalls  []ToolCall    `json:"tool_calls,omitempty"`
	// Reasoning is the model's reasoning text, in answers.
	Reasoning string `json:"reasoning,omitempty"`
	// Refusal is the model's refusal, in answers.
	Refusal string `json:"refusal,omitempty"`
	// Images are the images an answer carries (data URLs).
	Images []ImagePart `json:"images,omitempty"`
}

// ContentPart is one part of a multi-part message: text or an image.
type ContentPart struct {
	Type     string    `json:"type"` // "text" or "image_url"
	Text     string    `json:"text,omitempty"`
	ImageURL *ImageURL `json:"image_url,omitempty"`
}

// ImageURL is an image given by URL or data URL.
type ImageURL struct {
	URL    string `json:"url"`
	Detail string `json:"detail,omitempty"` // "auto", "low", "high"
}

// ImagePart is an image in an answer: message.images[].
type ImagePart struct {
	Type     string   `json:"type,omitempty"`
	ImageURL ImageURL `json:"image_url"`
}

// SystemMessage returns a system message with the given text.
func SystemMessage(text string) Message { return Message{Role: "system", Content: text} }

// UserMessage returns a user message with the given text.
func UserMessage(text string) Message { return Message{Role: "user", Content: text} }

// AssistantMessage returns an assistant message with the given text; as the
// last message it acts as a prefill.
func AssistantMessage(text string) Message { return Message{Role: "assistant", Content: text} }

// TextPart returns a text content part.
func TextPart(text string) ContentPart { return ContentPart{Type: "text", Text: text} }

// ImageURLPart returns an image content part for a URL or a data URL.
func ImageURLPart(url string) ContentPart {
	return ContentPart{Type: "image_url", ImageURL: &ImageURL{URL: url}}
}

// ResponseFormat asks for JSON: Type "json_object", or "json_schema" with
// JSONSchema set.
type ResponseFormat struct {
	Type       string      `json:"type"`
	JSONSchema *JSONSchema `json:"json_schema,omitempty"`
}

// JSONSchema is a named JSON Schema for structured outputs.
type JSONSchema struct {
	Name        string          `json:"name"` // [a-zA-Z0-9_-], at most 64 characters
	Description string          `json:"description,omitempty"`
	Strict      bool            `json:"strict,omitempty"`
	Schema      json.RawMessage `json:"schema"`
}

// ProviderPrefs are routing preferences (the request's "provider" object).
type ProviderPrefs struct {
	Order             []string `json:"order,omitempty"`
	AllowFallbacks    *bool    `json:"allow_fallbacks,omitempty"`
	RequireParameters bool     `json:"require_parameters,omitempty"`
	DataCollection    string   `json:"data_collection,omitempty"` // "allow" or "deny"
	ZDR               bool     `json:"zdr,omitempty"`
	Only              []string `json:"only,omitempty"`
	Ignore            []string `json:"ignore,omitempty"`
	Quantizations     []string `json:"quantizations,omitempty"`
	Sort              string   `json:"sort,omitempty"` // "price", "throughput", "latency"
}

// Plugin enables an OpenRouter plugin: ID "response-healing", "web",
// "file-parser", "context-compression". Options are sent beside the id.
type Plugin struct {
	ID      string
	Options map[string]any
}

// MarshalJSON writes {"id": ID, ...Options}.
func (p Plugin) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(p.Options)+1)
	for k, v := range p.Options {
		m[k] = v
	}
	m["id"] = p.ID
	return json.Marshal(m)
}

// Reasoning configures reasoning tokens: Effort or MaxTokens, not both.
type Reasoning struct {
	Effort    string `json:"effort,omitempty"` // "high", "medium", "low", ...
	MaxTokens int    `json:"max_tokens,omitempty"`
	Exclude   bool   `json:"exclude,omitempty"`
	Enabled   *bool  `json:"enabled,omitempty"`
}

// ImageConfig sets image output: AspectRatio ("16:9") and ImageSize ("1K",
// "2K", "4K") where the model supports them.
type ImageConfig struct {
	AspectRatio string `json:"aspect_ratio,omitempty"`
	ImageSize   string `json:"image_size,omitempty"`
}

// UsageOptions is the legacy usage-accounting switch; usage is always
// returned now.
type UsageOptions struct {
	Include bool `json:"include"`
}

// Tool is a function the model may call.
type Tool struct {
	Type     string       `json:"type"` // "function"
	Function ToolFunction `json:"function"`
}

// ToolFunction describes a callable function.
type ToolFunction struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
	Strict      bool            `json:"strict,omitempty"`
}

// ToolCall is a function call made by the model; Arguments is a JSON text.
type ToolCall struct {
	Index    int    `json:"index,omitempty"`
	ID       string `json:"id,omitempty"`
	Type     string `json:"type,omitempty"`
	Function struct {
		Name      string `json:"name,omitempty"`
		Arguments string `json:"arguments,omitempty"`
	} `json:"function"`
}

// Ptr returns a pointer to v, for the optional fields of a request:
// Temperature: openrouter.Ptr(0.2).
func Ptr[T any](v T) *T { return &v }

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidRequest, fmt.Sprintf(format, args...))
}

var validRoles = map[string]bool{"system": true, "developer": true, "user": true, "assistant": true, "tool": true}

// validate checks the request before it is sent.
func (r *ChatRequest) validate() error {
	if r == nil {
		return invalid("nil *ChatRequest")
	}
	if strings.ContainsAny(r.Model, " \t\r\n") {
		return invalid("model %q contains white space", r.Model)
	}
	if len(r.Messages) == 0 {
		return invalid("no messages")
	}
	for i, m := range r.Messages {
		if !validRoles[m.Role] {
			return invalid("messages[%d]: role %q is not system, developer, user, assistant or tool", i, m.Role)
		}
		if m.Content != "" && len(m.Parts) > 0 {
			return invalid("messages[%d]: both Content and Parts are set; use one", i)
		}
		if m.Content == "" && len(m.Parts) == 0 && len(m.ToolCalls) == 0 {
			return invalid("messages[%d]: no content", i)
		}
		for j, p := range m.Parts {
			textOK := p.Type == "text" && p.Text != "" && p.ImageURL == nil
			imageOK := p.Type == "image_url" && p.Text == "" && p.ImageURL != nil && p.ImageURL.URL != ""
			if !textOK && !imageOK {
				return invalid("messages[%d].parts[%d]: a part is type \"text\" with Text, or \"image_url\" with an ImageURL", i, j)
			}
		}
	}
	if t := r.Temperature; t != nil && (*t < 0 || *t > 2) {
		return invalid("temperature %v is outside 0..2", *t)
	}
	if p := r.TopP; p != nil && (*p < 0 || *p > 1) {
		return invalid("top_p %v is outside 0..1", *p)
	}
	if r.MaxTokens < 0 {
		return invalid("max_tokens %d is negative", r.MaxTokens)
	}
	if len(r.Stop) > 4 {
		return invalid("%d stop sequences; at most 4", len(r.Stop))
	}
	if f := r.ResponseFormat; f != nil {
		switch f.Type {
		case "json_object", "text":
		case "json_schema":
			if f.JSONSchema == nil || f.JSONSchema.Name == "" || len(f.JSONSchema.Schema) == 0 {
				return invalid("response_format json_schema needs JSONSchema with a Name and a Schema")
			}
		default:
			return invalid("response_format type %q is not json_object, json_schema or text", f.Type)
		}
	}
	for k := range r.Extra {
		if chatFields[k] || k == "stream" {
			return invalid("Extra[%q] names a typed field of ChatRequest; set that field instead", k)
		}
	}
	return nil
}

// checkFinite refuses a NaN or infinite number in the request's fields
// (structs and pointers followed), naming the field: JSON has no such
// numbers, and the encoder's own error names none. The fields to look at
// are found once per type, so a call costs a few field reads.
func checkFinite(r *ChatRequest) error {
	root := reflect.ValueOf(r).Elem()
next:
	for _, ff := range chatFloats() {
		v := root
		for _, i := range ff.index {
			for v.Kind() == reflect.Pointer {
				if v.IsNil() {
					continue next
				}
				v = v.Elem()
			}
			v = v.Field(i)
		}
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				continue next
			}
			v = v.Elem()
		}
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			return invalid("%s is %v; a number must be finite", ff.name, f)
		}
	}
	return nil
}

// floatField is the place of a float in a request: the field indexes
// from the top (pointers followed), and its JSON path.
type floatField struct {
	index []int
	name  string
}

var chatFloats = sync.OnceValue(func() []floatField {
	return floatFields(reflect.TypeOf(ChatRequest{}), nil, "", map[reflect.Type]bool{})
})

// floatFields lists the float fields of struct type t and of the structs
// it holds (directly or by pointer).
func floatFields(t reflect.Type, index []int, path string, seen map[reflect.Type]bool) []floatField {
	if seen[t] {
		return nil
	}
	seen[t] = true
	defer delete(seen, t)
	var out []floatField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if path != "" {
			name = path + "." + name
		}
		idx := append(append([]int(nil), index...), i)
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch ft.Kind() {
		case reflect.Float32, reflect.Float64:
			out = append(out, floatField{idx, name})
		case reflect.Struct:
			out = append(out, floatFields(ft, idx, name, seen)...)
		}
	}
	return out
}

// chatFields is the set of JSON names of ChatRequest's typed fields.
var chatFields = func() map[string]bool {
	m := map[string]bool{}
	t := reflect.TypeOf(ChatRequest{})
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			m[name] = true
		}
	}
	return m
}()

// wireMessage is the JSON form of a Message: content is a string or parts.
type wireMessage struct {
	Role       string      `json:"role"`
	Content    any         `json:"content"`
	Name       string      `json:"name,omitempty"`
	ToolCallID string      `json:"tool_call_id,omitempty"`
	ToolCalls  []ToolCall  `json:"tool_calls,omitempty"`
	Reasoning  string      `json:"reasoning,omitempty"`
	Refusal    string      `json:"refusal,omitempty"`
	Images     []ImagePart `json:"images,omitempty"`
}

// MarshalJSON writes content as a string, as an array of parts, or as null
// for an assistant message that only calls tools.
func (m Message) MarshalJSON() ([]byte, error) { return json.Marshal(m.wire()) }

func (m *Message) wire() wireMessage {
	w := wireMessage{Role: m.Role, Name: m.Name, ToolCallID: m.ToolCallID, ToolCalls: m.ToolCalls,
		Reasoning: m.Reasoning, Refusal: m.Refusal, Images: m.Images}
	switch {
	case len(m.Parts) > 0:
		w.Content = m.Parts
	case m.Content != "" || len(m.ToolCalls) == 0:
		w.Content = m.Content
	}
	return w
}

// Text returns the message's text: Content, or the text parts joined.
func (m Message) Text() string {
	if len(m.Parts) == 0 {
		return m.Content
	}
	var b strings.Builder
	for _, p := range m.Parts {
		if p.Type == "text" {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

// streamOptions is the stream_options of a streamed request.
type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// encode returns the request's JSON body with Extra merged in, keys sorted,
// and "stream": true when stream is set. Messages are converted to their
// wire form here, once, rather than through a MarshalJSON call each.
func (r *ChatRequest) encode(stream bool) ([]byte, error) {
	type wire ChatRequest
	msgs := make([]wireMessage, len(r.Messages))
	for i := range r.Messages {
		msgs[i] = r.Messages[i].wire()
	}
	// A stream asks for its usage: OpenAI-compatible servers send it only
	// then (OpenRouter always does, and accepts the field).
	var so *streamOptions
	if _, set := r.Extra["stream_options"]; stream && !set {
		so = &streamOptions{IncludeUsage: true}
	}
	// NaN and infinities are found by the encoder, on the error path only
	// (checkFinite then names the field): the hot path pays nothing.
	body, err := json.Marshal(struct {
		*wire
		Messages      []wireMessage  `json:"messages"`
		Stream        bool           `json:"stream,omitempty"`
		StreamOptions *streamOptions `json:"stream_options,omitempty"`
	}{(*wire)(r), msgs, stream, so})
	if err != nil {
		if ferr := checkFinite(r); ferr != nil {
			return nil, ferr
		}
		return nil, err
	}
	if len(r.Extra) == 0 {
		return body, nil
	}
	keys := make([]string, 0, len(r.Extra))
	for k := range r.Extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	body = body[:len(body)-1] // drop the closing brace
	for _, k := range keys {
		v, err := json.Marshal(r.Extra[k])
		if err != nil {
			return nil, invalid("Extra[%q]: %v", k, err)
		}
		kq, _ := json.Marshal(k)
		body = append(append(append(append(body, ','), kq...), ':'), v...)
	}
	return append(body, '}'), nil
}
