package openroutertest

import (
	"encoding/json"
	"net/http"
)

// Request is a chat completion request as the server received it.
type Request struct {
	Model          string
	Messages       []RequestMessage
	ResponseFormat json.RawMessage // the response_format object, if sent
	Modalities     []string
	ImageConfig    map[string]any
	Stream         bool
	HasTools       bool
	// Body is the whole JSON body, decoded.
	Body map[string]any
	// Raw is the body as sent.
	Raw    []byte
	Header http.Header

	srv *Server
}

// RequestMessage is one message of a Request; Text joins its text parts.
type RequestMessage struct {
	Role string
	Text string
}

// LastUserText returns the text of the last user message.
func (r Request) LastUserText() string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if r.Messages[i].Role == "user" {
			return r.Messages[i].Text
		}
	}
	return ""
}

// ResponseFormatType returns response_format.type ("json_object",
// "json_schema") or "".
func (r Request) ResponseFormatType() string {
	var f struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(r.ResponseFormat, &f)
	return f.Type
}

// WantsImage reports whether the request asked for image output.
func (r Request) WantsImage() bool {
	for _, m := range r.Modalities {
		if m == "image" {
			return true
		}
	}
	return false
}

func parseRequest(raw []byte, h http.Header) (Request, error) {
	req := Request{Raw: raw, Header: h.Clone()}
	var w struct {
		Model    string `json:"model"`
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
		ResponseFormat json.RawMessage `json:"response_format"`
		Modalities     []string        `json:"modalities"`
		ImageConfig    map[string]any  `json:"image_config"`
		Stream         bool            `json:"stream"`
		Tools          []any           `json:"tools"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return req, err
	}
	_ = json.Unmarshal(raw, &req.Body)
	req.Model, req.ResponseFormat, req.Modalities = w.Model, w.ResponseFormat, w.Modalities
	req.ImageConfig, req.Stream, req.HasTools = w.ImageConfig, w.Stream, len(w.Tools) > 0
	for _, m := range w.Messages {
		rm := RequestMessage{Role: m.Role}
		var s string
		var parts []struct{ Type, Text string }
		if json.Unmarshal(m.Content, &s) == nil {
			rm.Text = s
		} else if json.Unmarshal(m.Content, &parts) == nil {
			for _, p := range parts {
				rm.Text += p.Text
			}
		}
		req.Messages = append(req.Messages, rm)
	}
	return req, nil
}

// requestProblem returns why OpenRouter would refuse a chat completion
// body with a 400 (RULES.md E3, C1-C12), or "".
func requestProblem(raw []byte, perr error) string {
	if perr != nil {
		return "Invalid JSON body: " + perr.Error()
	}
	return checkRequest(raw)
}
