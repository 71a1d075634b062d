package openrouter

import (
	"encoding/json"
	"math"
	"strings"
	"unicode/utf8"
)

// validate checks a ResponseRequest before anything is sent: every
// failure is an ErrInvalidRequest error naming the field.
func (r *ResponseRequest) validate() error {
	if r == nil {
		return invalid("nil ResponseRequest")
	}
	if len(r.Input) == 0 {
		return invalid("input: a response request needs at least one input item (see ResponseText)")
	}
	for i, it := range r.Input {
		if err := it.validate(); err != nil {
			return invalid("input[%d]: %s", i, err.Error())
		}
	}
	for i, m := range r.Models {
		if strings.TrimSpace(m) == "" {
			return invalid("models[%d] is empty", i)
		}
	}
	for i, t := range r.Tools {
		switch {
		case t.Type != "function":
			return invalid("tools[%d].type %q: only function tools are typed; send others through Extra", i, t.Type)
		case t.Name == "":
			return invalid("tools[%d].name is empty", i)
		case len(t.Parameters) > 0 && !json.Valid(t.Parameters):
			return invalid("tools[%d].parameters is not JSON", i)
		}
	}
	if r.ToolChoice != "" && !validChoice(r.ToolChoice, r.Tools) {
		return invalid("tool_choice %q is neither auto, none, required nor the name of a function in tools", r.ToolChoice)
	}
	if err := r.validateNumbers(); err != nil {
		return err
	}
	if f := r.Text; f != nil && f.Format != nil {
		switch f.Format.Type {
		case "text", "json_object":
		case "json_schema":
			if f.Format.Name == "" || len(f.Format.Schema) == 0 || !json.Valid(f.Format.Schema) {
				return invalid("text.format: a json_schema format needs a name and a JSON schema")
			}
		default:
			return invalid("text.format.type %q is neither text, json_object nor json_schema", f.Format.Type)
		}
	}
	if len(r.Metadata) > 16 {
		return invalid("metadata has %d pairs; at most 16", len(r.Metadata))
	}
	for k, v := range r.Metadata {
		if utf8.RuneCountInString(v) > 512 {
			return invalid("metadata[%q] is longer than 512 characters", k)
		}
	}
	if utf8.RuneCountInString(r.User) > 256 || utf8.RuneCountInString(r.SessionID) > 256 {
		return invalid("user and session_id are at most 256 characters")
	}
	for k := range r.Extra {
		if k == "/store" || k == "/previous_response_id" {
			return invalid("Extra[%q]: the Responses API is stateless; send the whole conversation in Input", k)
		}
	}
	return validateExtra(r.Extra)
}

// validateNumbers checks the request's numbers: finite, in range.
func (r *ResponseRequest) validateNumbers() error {
	switch {
	case r.MaxOutputTokens < 0:
		return invalid("max_output_tokens %d is negative", r.MaxOutputTokens)
	case r.Temperature != nil && !(*r.Temperature >= 0 && *r.Temperature <= 2):
		return invalid("temperature %v is not within 0 and 2", *r.Temperature)
	case r.TopP != nil && !(*r.TopP >= 0 && *r.TopP <= 1):
		return invalid("top_p %v is not within 0 and 1", *r.TopP)
	case r.Reasoning != nil && r.Reasoning.MaxTokens < 0:
		return invalid("reasoning.max_tokens %d is negative", r.Reasoning.MaxTokens)
	}
	if p := r.Provider; p != nil && p.MaxPrice != nil {
		for _, v := range []*float64{p.MaxPrice.Prompt, p.MaxPrice.Completion, p.MaxPrice.Request, p.MaxPrice.Image, p.MaxPrice.Audio} {
			if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
				return invalid("provider.max_price: a number must be finite")
			}
		}
	}
	return nil
}

// validChoice reports whether choice is a mode or a function of tools.
func validChoice(choice string, tools []ResponseTool) bool {
	switch choice {
	case "auto", "none", "required":
		return true
	}
	for _, t := range tools {
		if t.Name == choice {
			return true
		}
	}
	return false
}

// validate checks one input item; the error names the field.
func (it *ResponseItem) validate() error {
	if len(it.Raw) > 0 && (it.opaque || !modelledItem(it.Type)) {
		return nil // sent back as it came
	}
	switch it.Type {
	case "message":
		switch it.Role {
		case "user", "system", "developer", "assistant":
		default:
			return invalid("role %q is not user, system, developer or assistant", it.Role)
		}
		if len(it.Content) == 0 {
			return invalid("a message with no content")
		}
		for j, p := range it.Content {
			if err := p.validate(); err != nil {
				return invalid("content[%d]: %s", j, err.Error())
			}
			// An output part is sent back in the assistant message of a
			// response, with its id (OpenAPI schemas/OutputMessage); other
			// messages hold input parts (schemas/EasyInputMessage).
			if (p.Type == "output_text" || p.Type == "refusal") && (it.Role != "assistant" || it.ID == "") {
				return invalid("content[%d]: %s parts belong in an assistant message of a response, with its id; give the text as input_text", j, p.Type)
			}
		}
	case "function_call":
		if it.CallID == "" || it.Name == "" {
			return invalid("a function_call needs call_id and name")
		}
	case "function_call_output":
		if it.CallID == "" {
			return invalid("a function_call_output needs the call_id of its call")
		}
	case "reasoning":
		if it.ID == "" { // OpenAPI schemas/OutputItemReasoning: sent back as it came
			return invalid("a reasoning item needs the id of the response's item")
		}
	default:
		return invalid("type %q is not message, reasoning, function_call or function_call_output", it.Type)
	}
	return nil
}

// validate checks one part of an input message.
func (p *ResponsePart) validate() error {
	switch p.Type {
	case "input_text", "output_text":
		if p.Text == "" {
			return invalid("%s with no text", p.Type)
		}
	case "input_image":
		if p.ImageURL == "" {
			return invalid("input_image with no image_url")
		}
		switch p.Detail {
		case "auto", "high", "low", "original":
		default:
			return invalid("input_image detail %q is not auto, high, low or original", p.Detail)
		}
	case "input_file":
		if p.FileURL == "" && p.FileData == "" {
			return invalid("input_file with neither file_url nor file_data")
		}
	case "input_audio":
		if a := p.InputAudio; a == nil || a.Data == "" || (a.Format != "mp3" && a.Format != "wav") {
			return invalid("input_audio needs its data and a format, mp3 or wav")
		}
	case "input_video":
		if p.VideoURL == "" {
			return invalid("input_video with no video_url")
		}
	case "refusal":
	default:
		return invalid("part type %q is not input_text, input_image, input_file, input_audio or input_video", p.Type)
	}
	return nil
}
