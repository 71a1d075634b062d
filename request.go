package openrouter

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
)

// ChatRequest is a chat completion request (POST /chat/completions). The
// zero value of a field means "not set"; pointers are used only where zero
// is a real value (temperature 0). Fields the SDK does not model yet go in
// Extra.
type ChatRequest struct {
	// Model is the model ID ("openai/gpt-4o-mini", "x/y:free"). Empty,
	// with no Models either, means the client's standard model
	// (Roles.Standard, see WithRoles), or the account's default when that
	// is empty too.
	Model string `json:"model,omitempty"`
	// Models lists fallback models, tried in order when Model's providers
	// all fail.
	Models []string `json:"models,omitempty"`
	// Messages is the conversation; at least one is required.
	Messages []Message `json:"messages"`

	Temperature *float64 `json:"temperature,omitempty"` // 0 to 2
	TopP        *float64 `json:"top_p,omitempty"`       // 0 to 1
	TopK        *int     `json:"top_k,omitempty"`       // 0 or more
	MinP        *float64 `json:"min_p,omitempty"`       // 0 to 1
	TopA        *float64 `json:"top_a,omitempty"`       // 0 to 1
	// MaxTokens bounds the completion (the API's older name); 0 means
	// unset. Set it or MaxCompletionTokens, not both.
	MaxTokens int `json:"max_tokens,omitempty"`
	// MaxCompletionTokens bounds the completion; 0 means unset.
	MaxCompletionTokens int      `json:"max_completion_tokens,omitempty"`
	Seed                *int     `json:"seed,omitempty"`
	Stop                []string `json:"stop,omitempty"`              // up to 4
	FrequencyPenalty    *float64 `json:"frequency_penalty,omitempty"` // -2 to 2
	PresencePenalty     *float64 `json:"presence_penalty,omitempty"`  // -2 to 2
	// RepetitionPenalty is above 0 and at most 2; 1 means no penalty.
	RepetitionPenalty *float64 `json:"repetition_penalty,omitempty"`
	// LogitBias maps token IDs (as strings) to a bias from -100 to 100.
	LogitBias map[string]float64 `json:"logit_bias,omitempty"`
	// Logprobs asks for the log probabilities of the answer's tokens
	// (Choice.Logprobs); TopLogprobs (0 to 20, needs Logprobs) for that
	// many alternatives per token.
	Logprobs    bool `json:"logprobs,omitempty"`
	TopLogprobs int  `json:"top_logprobs,omitempty"`
	// Prediction is the answer's expected text, which lets supported
	// models answer faster when most of it is known.
	Prediction     *Prediction     `json:"prediction,omitempty"`
	ResponseFormat *ResponseFormat `json:"response_format,omitempty"`
	// Tools holds function tools and OpenRouter server tools.
	Tools []Tool `json:"tools,omitempty"`
	// ToolChoice is "auto", "none", "required", or an object naming one
	// function: {"type":"function","function":{"name":"get_weather"}}.
	ToolChoice        any   `json:"tool_choice,omitempty"`
	ParallelToolCalls *bool `json:"parallel_tool_calls,omitempty"`
	// StopServerToolsWhen ends the server-tool loop (any condition stops
	// it).
	StopServerToolsWhen []StopCondition `json:"stop_server_tools_when,omitempty"`
	Provider            *ProviderPrefs  `json:"provider,omitempty"`
	Plugins             []Plugin        `json:"plugins,omitempty"`
	Reasoning           *Reasoning      `json:"reasoning,omitempty"`
	// Verbosity is "low", "medium" or "high": how long the answer is,
	// for the models that take it.
	Verbosity string `json:"verbosity,omitempty"`
	// ServiceTier is "auto", "default", "fast", "flex", "priority" or
	// "scale".
	ServiceTier string       `json:"service_tier,omitempty"`
	Modalities  []string     `json:"modalities,omitempty"` // ["image","text"] for image output
	ImageConfig *ImageConfig `json:"image_config,omitempty"`
	// CacheControl turns on automatic prompt caching: the provider puts a
	// cache breakpoint on the last cacheable block.
	CacheControl *CacheControl `json:"cache_control,omitempty"`
	// PromptCacheKey groups requests that share a prompt prefix, for the
	// providers that route on it.
	PromptCacheKey string            `json:"prompt_cache_key,omitempty"`
	Usage          *UsageOptions     `json:"usage,omitempty"`
	User           string            `json:"user,omitempty"`
	SessionID      string            `json:"session_id,omitempty"` // at most 256 characters
	Metadata       map[string]string `json:"metadata,omitempty"`   // at most 16 pairs
	// Trace is observability metadata passed to the account's broadcast
	// destinations.
	Trace *Trace `json:"trace,omitempty"`
	// Debug asks for debugging output: with ChatStream only, in the first
	// chunk (Chunk.Debug); Chat refuses it.
	Debug *Debug `json:"debug,omitempty"`

	// Extra holds body fields the SDK does not model yet, keyed by JSON
	// Pointer (RFC 6901) into the encoded body: "/top_n" adds a top-level
	// field, "/provider/max_price/video" a nested one (objects on the way
	// are created, or merged into when the SDK produced them),
	// "/messages/0/content/1/cache_control" a field of one content part,
	// "/tools/-" an element appended to an array. A path whose value the
	// typed fields already set, or that overlaps another path of Extra, is
	// refused with [ErrInvalidRequest]: nothing is sent twice or silently
	// replaced.
	Extra map[string]any `json:"-"`
}

// Prediction is a predicted output: {"type":"content","content":...}.
type Prediction struct {
	Type    string `json:"type"` // "content"
	Content string `json:"content"`
}

// Trace is observability metadata; known keys have their fields, more go
// in Extra ("/trace/custom_key").
type Trace struct {
	TraceID        string `json:"trace_id,omitempty"`
	TraceName      string `json:"trace_name,omitempty"`
	SpanName       string `json:"span_name,omitempty"`
	GenerationName string `json:"generation_name,omitempty"`
	ParentSpanID   string `json:"parent_span_id,omitempty"`
}

// Debug holds debugging switches: EchoUpstreamBody puts the body sent to
// the provider in the first chunk of a stream.
type Debug struct {
	EchoUpstreamBody bool `json:"echo_upstream_body,omitempty"`
}

// Message is one chat message. Content holds plain text; Parts holds
// multi-part content (text, images, files, audio, video) and, when set,
// Content must be empty. In an answer, content sent as an array of parts
// lands in Parts (Text joins their text). An assistant Message taken from
// an answer can be sent back as it is on the next turn: its
// ReasoningDetails go back unmodified, as reasoning models require.
type Message struct {
	Role       string        `json:"role"`
	Content    string        `json:"content"`
	Parts      []ContentPart `json:"-"`
	Name       string        `json:"name,omitempty"`
	ToolCallID string        `json:"tool_call_id,omitempty"`
	ToolCalls  []ToolCall    `json:"tool_calls,omitempty"`
	// Reasoning is the model's reasoning text, in answers.
	Reasoning string `json:"reasoning,omitempty"`
	// ReasoningDetails are the model's reasoning blocks
	// ({"type":"reasoning.text"|"reasoning.summary"|"reasoning.encrypted",
	// ...}), kept byte for byte so that they can be sent back.
	ReasoningDetails []json.RawMessage `json:"reasoning_details,omitempty"`
	// Refusal is the model's refusal, in answers.
	Refusal string `json:"refusal,omitempty"`
	// Images are the images an answer carries (data URLs).
	Images []ImagePart `json:"images,omitempty"`
	// Annotations are the answer's citations (web search results); they
	// are not sent back.
	Annotations []Annotation `json:"annotations,omitempty"`
	// Audio is the answer's audio output; it is not sent back.
	Audio *AudioOutput `json:"audio,omitempty"`
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
	// Effort is "max", "xhigh", "high", "medium", "low", "minimal" or
	// "none".
	Effort string `json:"effort,omitempty"`
	// MaxTokens is a reasoning token budget.
	MaxTokens int `json:"max_tokens,omitempty"`
	// Exclude hides the reasoning text from the answer; the model still
	// reasons (and the tokens are billed).
	Exclude bool `json:"exclude,omitempty"`
	// Enabled true turns reasoning on at the default effort; false off.
	Enabled *bool `json:"enabled,omitempty"`
	// Summary asks for a reasoning summary: "auto", "concise" or
	// "detailed".
	Summary string `json:"summary,omitempty"`
}

// PDF engines of the file-parser plugin.
const (
	PDFEngineMistralOCR   = "mistral-ocr"   // OCR, for scans; billed per page
	PDFEngineNative       = "native"        // the model reads the PDF itself
	PDFEngineCloudflareAI = "cloudflare-ai" // text extraction, free
	PDFEnginePDFText      = "pdf-text"      // text extraction, free (older name)
)

// FileParserPlugin returns the file-parser plugin that reads the PDFs of
// file parts with the given engine (PDFEngineMistralOCR, ...).
func FileParserPlugin(pdfEngine string) Plugin {
	return Plugin{ID: "file-parser", Options: map[string]any{"pdf": map[string]string{"engine": pdfEngine}}}
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

// Ptr returns a pointer to v, for the optional fields of a request:
// Temperature: openrouter.Ptr(0.2).
func Ptr[T any](v T) *T { return &v }

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidRequest, fmt.Sprintf(format, args...))
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

// wireMessage is the JSON form of a Message: content is a string or parts.
type wireMessage struct {
	Role       string            `json:"role"`
	Content    any               `json:"content"`
	Name       string            `json:"name,omitempty"`
	ToolCallID string            `json:"tool_call_id,omitempty"`
	ToolCalls  []ToolCall        `json:"tool_calls,omitempty"`
	Reasoning  string            `json:"reasoning,omitempty"`
	Details    []json.RawMessage `json:"reasoning_details,omitempty"`
	Refusal    string            `json:"refusal,omitempty"`
	Images     []ImagePart       `json:"images,omitempty"`
}

// MarshalJSON writes content as a string, as an array of parts, or as null
// for an assistant message that only calls tools.
func (m Message) MarshalJSON() ([]byte, error) { return json.Marshal(m.wire()) }

func (m *Message) wire() wireMessage {
	w := wireMessage{Role: m.Role, Name: m.Name, ToolCallID: m.ToolCallID, ToolCalls: m.ToolCalls,
		Reasoning: m.Reasoning, Details: m.ReasoningDetails, Refusal: m.Refusal, Images: m.Images}
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

// extraSets reports whether Extra sets the field at pointer, or a field
// inside it.
func (r *ChatRequest) extraSets(pointer string) bool { return extraSetsIn(r.Extra, pointer) }

// extraSetsIn is extraSets for the Extra of any request.
func extraSetsIn(extra map[string]any, pointer string) bool {
	for k := range extra {
		if k == pointer || strings.HasPrefix(k, pointer+"/") {
			return true
		}
	}
	return false
}

// streamOptions is the stream_options of a streamed request.
type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// encode returns the request's JSON body with Extra merged in, keys sorted,
// and "stream": true when stream is set. A plain request is written by
// appendPlain (chatencode.go), any other by marshal.
func (r *ChatRequest) encode(stream bool) ([]byte, error) {
	// A stream asks for its usage: OpenAI-compatible servers send it only
	// then (OpenRouter always does, and accepts the field).
	streamOpts := stream && !r.extraSets("/stream_options")
	body, ok := r.appendPlain(make([]byte, 0, r.plainSize()), stream, streamOpts)
	if !ok {
		var err error
		if body, err = r.marshal(stream, streamOpts); err != nil {
			return nil, err
		}
	}
	if len(r.Extra) == 0 {
		return body, nil
	}
	return mergeExtra(body, r.Extra)
}

// plainSize is a capacity for a plain request's body: its texts and
// room for the keys around them.
func (r *ChatRequest) plainSize() int {
	n := 128 + len(r.Model)
	for i := range r.Messages {
		n += 32 + len(r.Messages[i].Role) + len(r.Messages[i].Content)
	}
	return n
}

// marshal encodes the request with encoding/json. Messages are converted
// to their wire form here, once, rather than through a MarshalJSON call
// each.
func (r *ChatRequest) marshal(stream, streamOpts bool) ([]byte, error) {
	type wire ChatRequest
	msgs := make([]wireMessage, len(r.Messages))
	for i := range r.Messages {
		msgs[i] = r.Messages[i].wire()
	}
	var so *streamOptions
	if streamOpts {
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
	return body, nil
}
