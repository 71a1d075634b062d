package openrouter

import "encoding/json"

// Annotation is a citation in an answer: Type "url_citation" with
// URLCitation, from web search.
type Annotation struct {
	Type        string       `json:"type"`
	URLCitation *URLCitation `json:"url_citation,omitempty"`
}

// URLCitation is a web page an answer cites; StartIndex and EndIndex
// delimit the cited span of the answer's text.
type URLCitation struct {
	URL        string `json:"url"`
	Title      string `json:"title,omitempty"`
	Content    string `json:"content,omitempty"`
	StartIndex int    `json:"start_index,omitempty"`
	EndIndex   int    `json:"end_index,omitempty"`
}

// AudioOutput is the audio of an answer: Data in base64, its Transcript.
type AudioOutput struct {
	ID         string `json:"id,omitempty"`
	Data       string `json:"data,omitempty"`
	ExpiresAt  int64  `json:"expires_at,omitempty"` // Unix seconds
	Transcript string `json:"transcript,omitempty"`
}

// Logprobs are the log probabilities of an answer's tokens, asked for
// with ChatRequest.Logprobs.
type Logprobs struct {
	Content []TokenLogprob `json:"content"`
	Refusal []TokenLogprob `json:"refusal,omitempty"`
}

// TokenLogprob is one token of an answer, its log probability and, with
// ChatRequest.TopLogprobs, the likeliest alternatives.
type TokenLogprob struct {
	Token       string       `json:"token"`
	Logprob     float64      `json:"logprob"`
	Bytes       []int        `json:"bytes"`
	TopLogprobs []TopLogprob `json:"top_logprobs"`
}

// TopLogprob is an alternative token and its log probability.
type TopLogprob struct {
	Token   string  `json:"token"`
	Logprob float64 `json:"logprob"`
	Bytes   []int   `json:"bytes"`
}

// RouterMetadata is how OpenRouter routed a request (the answer's
// openrouter_metadata, sent when the request carries the header
// X-OpenRouter-Metadata: enabled).
type RouterMetadata struct {
	Requested string `json:"requested"`
	Strategy  string `json:"strategy"`
	Region    string `json:"region"`
	Summary   string `json:"summary"`
	Attempt   int    `json:"attempt"`
	IsBYOK    bool   `json:"is_byok"`
	Endpoints struct {
		Total     int `json:"total"`
		Available []struct {
			Model    string `json:"model"`
			Provider string `json:"provider"`
			Selected bool   `json:"selected"`
		} `json:"available"`
	} `json:"endpoints"`
	// Raw is the whole object, for the fields not modelled here
	// (attempts, pipeline, params).
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes the object and keeps it in Raw.
func (m *RouterMetadata) UnmarshalJSON(b []byte) error {
	type plain RouterMetadata
	if err := json.Unmarshal(b, (*plain)(m)); err != nil {
		return err
	}
	m.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// SelectedProvider returns the provider of the endpoint that served the
// request, or "".
func (m *RouterMetadata) SelectedProvider() string {
	if m == nil {
		return ""
	}
	for _, e := range m.Endpoints.Available {
		if e.Selected {
			return e.Provider
		}
	}
	return ""
}

// CostDetails breaks a completion's cost down. UpstreamInferenceCost is
// what the provider charged on the caller's own key (BYOK); it is nil when
// OpenRouter's credits paid for the inference.
type CostDetails struct {
	UpstreamInferenceCost            *float64 `json:"upstream_inference_cost"`
	UpstreamInferencePromptCost      float64  `json:"upstream_inference_prompt_cost"`
	UpstreamInferenceCompletionsCost float64  `json:"upstream_inference_completions_cost"`
}

// ServerToolUse counts the server tools a completion used.
type ServerToolUse struct {
	WebSearchRequests  int `json:"web_search_requests,omitempty"`
	ToolCallsRequested int `json:"tool_calls_requested,omitempty"`
	ToolCallsExecuted  int `json:"tool_calls_executed,omitempty"`
}
