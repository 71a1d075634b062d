package openrouter

import (
	"encoding/json"
	"strings"
)

// ChatResponse is a chat completion.
type ChatResponse struct {
	ID                string   `json:"id"` // the generation ID ("gen-..."), for Client.Generation
	Model             string   `json:"model"`
	Provider          string   `json:"provider,omitempty"`
	Created           int64    `json:"created,omitempty"` // Unix seconds
	SystemFingerprint string   `json:"system_fingerprint,omitempty"`
	Choices           []Choice `json:"choices"`
	Usage             *Usage   `json:"usage,omitempty"`
	// ServiceTier is the tier the provider served the request in.
	ServiceTier string `json:"service_tier,omitempty"`
	// RouterMetadata is how OpenRouter routed the request, sent when the
	// request carried X-OpenRouter-Metadata: enabled.
	RouterMetadata *RouterMetadata `json:"openrouter_metadata,omitempty"`

	// MaybeBilled counts the earlier attempts of this call that reached
	// the server and lost their answer (a connection cut after the
	// request was written): each may have been billed besides this
	// answer. It is set by the client, not sent by the API; 0 is the
	// usual case.
	MaybeBilled int `json:"-"`
	// Recovered reports an answer lost on the way and read back from
	// OpenRouter's stored generation (see [WithAnswerRecovery]); set by
	// the client.
	Recovered bool `json:"-"`

	raw []byte
}

// Raw returns the answer's JSON body as received, for fields the SDK does
// not model; nil for an answer folded from a stream. The caller must not
// modify it.
func (r *ChatResponse) Raw() json.RawMessage {
	if r == nil {
		return nil
	}
	return r.raw
}

// keepRaw keeps the body an answer was decoded from (see decodeJSON).
func (r *ChatResponse) keepRaw(b []byte) { r.raw = b }

// Choice is one completion choice.
type Choice struct {
	Index   int     `json:"index"`
	Message Message `json:"message"`
	// FinishReason is OpenRouter's normalized reason: "stop", "length",
	// "tool_calls", "content_filter" or "error".
	FinishReason string `json:"finish_reason,omitempty"`
	// NativeFinishReason is the provider's own reason.
	NativeFinishReason string `json:"native_finish_reason,omitempty"`
	// Logprobs are the tokens' log probabilities, when asked for.
	Logprobs *Logprobs `json:"logprobs,omitempty"`
	// Error is set when FinishReason is "error".
	Error json.RawMessage `json:"error,omitempty"`
}

// Usage is the token and cost accounting of a completion.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
	// Cost is what OpenRouter charged the account's credits, in USD. For a
	// BYOK request it is OpenRouter's fee only: the provider billed the
	// caller's own key CostDetails.UpstreamInferenceCost more. TotalCost
	// adds both.
	Cost                    float64                  `json:"cost"`
	IsBYOK                  bool                     `json:"is_byok,omitempty"`
	PromptTokensDetails     *PromptTokensDetails     `json:"prompt_tokens_details,omitempty"`
	CompletionTokensDetails *CompletionTokensDetails `json:"completion_tokens_details,omitempty"`
	CostDetails             *CostDetails             `json:"cost_details,omitempty"`
	// ServerToolUse counts the server tools used (web searches, ...).
	ServerToolUse *ServerToolUse `json:"server_tool_use_details,omitempty"`
}

// TotalCost returns what the completion cost in all, in USD: Cost, plus
// for a BYOK request the upstream provider's charge to the caller's key.
func (u *Usage) TotalCost() float64 {
	if u == nil {
		return 0
	}
	c := u.Cost
	if d := u.CostDetails; u.IsBYOK && d != nil && d.UpstreamInferenceCost != nil {
		c += *d.UpstreamInferenceCost
	}
	return c
}

// PromptTokensDetails breaks the prompt tokens down: CachedTokens were
// read from the prompt cache, CacheWriteTokens written to it.
type PromptTokensDetails struct {
	CachedTokens     int `json:"cached_tokens,omitempty"`
	CacheWriteTokens int `json:"cache_write_tokens,omitempty"`
	AudioTokens      int `json:"audio_tokens,omitempty"`
	VideoTokens      int `json:"video_tokens,omitempty"`
}

// CompletionTokensDetails breaks the completion tokens down.
type CompletionTokensDetails struct {
	ReasoningTokens          int `json:"reasoning_tokens,omitempty"`
	ImageTokens              int `json:"image_tokens,omitempty"`
	AudioTokens              int `json:"audio_tokens,omitempty"`
	AcceptedPredictionTokens int `json:"accepted_prediction_tokens,omitempty"`
	RejectedPredictionTokens int `json:"rejected_prediction_tokens,omitempty"`
}

// decodeContentParts finishes decoding an answer whose message content
// came as an array of parts: encoding/json has filled in everything else
// and stopped only at those arrays, which land in Message.Parts here.
func decodeContentParts(body []byte, out any) error {
	holder, ok := out.(interface{ chatResponse() *ChatResponse })
	if !ok {
		return &json.UnmarshalTypeError{Value: "array", Field: "message.content"}
	}
	var w struct {
		Choices []struct {
			Message struct {
				Content json.RawMessage `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return err
	}
	r := holder.chatResponse()
	for i, ch := range w.Choices {
		c := ch.Message.Content
		if len(c) == 0 || c[0] == '"' || string(c) == "null" || i >= len(r.Choices) {
			continue
		}
		if c[0] != '[' {
			return &json.UnmarshalTypeError{Value: string(c[:min(len(c), 20)]), Field: "message.content"}
		}
		if err := json.Unmarshal(c, &r.Choices[i].Message.Parts); err != nil {
			return err
		}
	}
	return nil
}

func (r *ChatResponse) chatResponse() *ChatResponse { return r }

// Content returns the first choice's text, or "" when there is none.
func (r *ChatResponse) Content() string {
	if r == nil || len(r.Choices) == 0 {
		return ""
	}
	return r.Choices[0].Message.Text()
}

// FinishReason returns the first choice's finish reason.
func (r *ChatResponse) FinishReason() string {
	if r == nil || len(r.Choices) == 0 {
		return ""
	}
	return r.Choices[0].FinishReason
}

// Cost returns what the completion cost in all, in USD (Usage.TotalCost:
// OpenRouter's charge plus, for BYOK, the provider's charge to the
// caller's key); 0 when the answer reports no usage.
func (r *ChatResponse) Cost() float64 {
	if r == nil {
		return 0
	}
	return r.Usage.TotalCost()
}

// EmptyContentError is returned, matching [ErrEmptyContent], for a 200
// whose choices carry no content, no image and no tool call.
type EmptyContentError struct {
	Model              string
	FinishReason       string
	NativeFinishReason string
	// Cause is the likely cause, from the finish reason.
	Cause string
	// Response is the answer as received (usage and cost included).
	Response *ChatResponse
}

// Error says that the answer was empty, and its likely cause.
func (e *EmptyContentError) Error() string {
	s := "openrouter: empty content from " + e.Model
	if e.FinishReason != "" {
		s += " (finish_reason " + e.FinishReason + ")"
	}
	return s + ": " + e.Cause
}

// Unwrap returns [ErrEmptyContent].
func (e *EmptyContentError) Unwrap() error { return ErrEmptyContent }

// emptyCause names the likely cause of an empty answer, from what the
// answer says; it guesses only when the answer says nothing.
func emptyCause(choices int, finish, native string, u *Usage) string {
	switch {
	case choices == 0:
		return "the answer has no choices"
	case finish == "content_filter" || strings.Contains(strings.ToLower(native), "safety"):
		return "the answer was withheld by moderation (content_filter)"
	case finish == "length" && u != nil && u.CompletionTokensDetails != nil &&
		u.CompletionTokensDetails.ReasoningTokens > 0 && u.CompletionTokensDetails.ReasoningTokens >= u.CompletionTokens:
		return "max_tokens was spent on reasoning before any answer"
	case finish == "length":
		return "the prompt filled the context window or max_tokens is too low"
	case finish == "stop" || finish == "end_turn":
		return "the model ended its answer (" + finish + ") without writing anything"
	case finish == "tool_calls":
		return "the finish reason says tool calls, but none came"
	case finish != "":
		return "the model finished (" + finish + ") without writing anything"
	default:
		return "the model returned nothing (moderation, a cold start, or a prompt too long for the model)"
	}
}

// choiceError returns the error of a choice that finished with "error".
func choiceError(r *ChatResponse, model string) error {
	for i := range r.Choices {
		ch := &r.Choices[i]
		if ch.FinishReason == "error" || len(ch.Error) > 0 && string(ch.Error) != "null" {
			e := errorFromObject(ch.Error)
			e.Model, e.RequestID, e.Response = model, r.ID, r
			return e
		}
	}
	return nil
}

// checkAnswer turns an error hidden in a 200 answer into a typed error: a
// choice that finished with "error", or choices with nothing in them.
func checkAnswer(r *ChatResponse, model string) error {
	if err := choiceError(r, model); err != nil {
		return err
	}
	for i := range r.Choices {
		m := &r.Choices[i].Message
		if strings.TrimSpace(m.Text()) != "" || len(m.Images) > 0 || len(m.ToolCalls) > 0 {
			return nil
		}
	}
	e := &EmptyContentError{Model: r.Model, Response: r}
	if e.Model == "" {
		e.Model = model
	}
	if len(r.Choices) > 0 {
		e.FinishReason, e.NativeFinishReason = r.Choices[0].FinishReason, r.Choices[0].NativeFinishReason
	}
	e.Cause = emptyCause(len(r.Choices), e.FinishReason, e.NativeFinishReason, r.Usage)
	return e
}
