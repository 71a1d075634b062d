package openrouter

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
)

// ResponsesService calls OpenRouter's Responses API (POST /responses),
// in OpenAI's Responses format, generally available since
// 2026-07-25. Reach it as Client.Responses. Its calls go through the
// client's one request path: the same limiter, retries, money rules,
// typed errors, redaction, bounds, per-call options and hooks as Chat.
//
// The API is stateless: OpenRouter stores no response, so a conversation
// is sent in full each time (append a Response's Output to the next
// request's Input); store and previous_response_id are refused.
//
//	res, err := c.Responses.Create(ctx, &openrouter.ResponseRequest{
//		Model: "openai/gpt-4o-mini",
//		Input: openrouter.ResponseText("Tell me a joke"),
//	})
//	fmt.Println(res.OutputText())
type ResponsesService struct{ c *Client }

// ResponseItem is one item of a conversation: an input or output
// message, a reasoning item, a function call or a function's output. Type
// says which, and which fields are set:
//   - "message": Role ("user", "system", "developer", "assistant") and
//     Content;
//   - "reasoning": Summary, Content (reasoning text), EncryptedContent;
//   - "function_call": CallID, Name, Arguments (JSON text);
//   - "function_call_output": CallID and Output.
//
// Items of other types (server tools' calls) keep their JSON in Raw, and
// are sent back as they came.
type ResponseItem struct {
	Type   string `json:"type"`
	ID     string `json:"id,omitempty"`
	Status string `json:"status,omitempty"`
	Role   string `json:"role,omitempty"`
	// Content holds a message's parts, or a reasoning item's text.
	Content []ResponsePart `json:"content,omitempty"`
	// Summary is a reasoning item's summary parts ("summary_text").
	Summary          []ResponsePart `json:"summary,omitempty"`
	EncryptedContent string         `json:"encrypted_content,omitempty"`
	CallID           string         `json:"call_id,omitempty"`
	Name             string         `json:"name,omitempty"`
	Arguments        string         `json:"arguments,omitempty"`
	Output           string         `json:"output,omitempty"`
	// Raw is the item as received. An item of a type not modelled here,
	// or whose fields are not of the types above (a function output given
	// as parts), is sent back as Raw holds it.
	Raw    json.RawMessage `json:"-"`
	opaque bool            // decoded from Raw only in part: sent back as Raw
}

// ResponsePart is one part of a message: "input_text", "input_image"
// (ImageURL, a URL or data URL, and Detail), "input_file" (FileURL, or
// FileData, a data URL, with Filename), "input_audio" (InputAudio) or
// "input_video" (VideoURL, a URL or data URL) in an input;
// "output_text" (Text, Annotations) or "refusal" in an output;
// "summary_text" and "reasoning_text" in a reasoning item.
type ResponsePart struct {
	Type       string         `json:"type"`
	Text       string         `json:"text,omitempty"`
	ImageURL   string         `json:"image_url,omitempty"`
	Detail     string         `json:"detail,omitempty"`
	FileURL    string         `json:"file_url,omitempty"`
	FileData   string         `json:"file_data,omitempty"`
	Filename   string         `json:"filename,omitempty"`
	InputAudio *ResponseAudio `json:"input_audio,omitempty"`
	VideoURL   string         `json:"video_url,omitempty"`
	Refusal    string         `json:"refusal,omitempty"`
	// Annotations are the output text's citations, as sent.
	Annotations []json.RawMessage `json:"annotations,omitempty"`
}

// ResponseAudio is the audio of an input_audio part: Data in base64 and
// its Format, "mp3" or "wav" (OpenAPI schemas/InputAudio).
type ResponseAudio struct {
	Data   string `json:"data"`
	Format string `json:"format"`
}

// MarshalJSON sends a reasoning item's summary, a function call's
// arguments and a function output's output even when empty (the API
// requires them), and an item of a type not modelled as it came.
func (it ResponseItem) MarshalJSON() ([]byte, error) {
	if len(it.Raw) > 0 && (it.opaque || !modelledItem(it.Type)) {
		return it.Raw, nil
	}
	type plain ResponseItem
	switch it.Type {
	case "function_call": // arguments are required, "" included
		return json.Marshal(struct {
			plain
			Arguments string `json:"arguments"`
		}{plain(it), it.Arguments})
	case "function_call_output": // so is the output: a function may return ""
		return json.Marshal(struct {
			plain
			Output string `json:"output"`
		}{plain(it), it.Output})
	case "reasoning":
	default:
		return json.Marshal(plain(it))
	}
	summary := it.Summary
	if summary == nil {
		summary = []ResponsePart{}
	}
	return json.Marshal(struct {
		plain
		Summary []ResponsePart `json:"summary"`
	}{plain(it), summary})
}

// UnmarshalJSON keeps the item's JSON in Raw. An item whose fields are
// not of the types modelled (a server tool's call, say) is not an error:
// its type and ID are read, and it is kept whole in Raw.
func (it *ResponseItem) UnmarshalJSON(b []byte) error {
	type plain ResponseItem
	var p plain
	opaque := false
	if err := json.Unmarshal(b, &p); err != nil {
		var head struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		}
		if json.Unmarshal(b, &head) != nil {
			return err
		}
		p, opaque = plain{Type: head.Type, ID: head.ID}, true
	}
	*it = ResponseItem(p)
	it.Raw, it.opaque = append(json.RawMessage(nil), b...), opaque
	return nil
}

func modelledItem(t string) bool {
	switch t {
	case "message", "reasoning", "function_call", "function_call_output":
		return true
	}
	return false
}

// Response is the answer of the Responses API.
type Response struct {
	ID          string `json:"id"`
	Object      string `json:"object"`
	CreatedAt   int64  `json:"created_at"`
	CompletedAt int64  `json:"completed_at,omitempty"`
	Model       string `json:"model"`
	// Status is "completed", "incomplete" (see IncompleteDetails),
	// "failed", "in_progress", "cancelled" or "queued".
	Status string `json:"status"`
	// Output holds the answer's items: messages, reasoning, function calls.
	Output []ResponseItem `json:"output"`
	// IncompleteDetails says why an incomplete answer stopped
	// ("max_output_tokens", "content_filter").
	IncompleteDetails *struct {
		Reason string `json:"reason"`
	} `json:"incomplete_details,omitempty"`
	Usage       *ResponseUsage `json:"usage,omitempty"`
	ServiceTier string         `json:"service_tier,omitempty"`
	// RouterMetadata is OpenRouter's routing record, when asked for.
	RouterMetadata *RouterMetadata `json:"openrouter_metadata,omitempty"`
	// Error is the error object of a failed response ({"code",
	// "message"}); ErrorType its canonical type ("rate_limit_exceeded",
	// "authentication", ...). Create and Stream return it as an *APIError.
	Error     json.RawMessage `json:"error,omitempty"`
	ErrorType string          `json:"error_type,omitempty"`
	// MaybeBilled counts earlier attempts of this call that were sent and
	// lost (each may have been billed besides this answer).
	MaybeBilled int `json:"-"`

	raw []byte
}

// Raw returns the response's JSON as received, for the fields the SDK
// does not model (truncation, the request's settings as the API echoes
// them, fields added later); for a stream, the response member of its
// last response event; nil when there was none. The caller must not
// modify it.
func (r *Response) Raw() json.RawMessage {
	if r == nil {
		return nil
	}
	return r.raw
}

// UnmarshalJSON decodes a response and keeps its JSON for Raw.
func (r *Response) UnmarshalJSON(b []byte) error {
	type plain Response
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*r = Response(p)
	if string(b) != "null" {
		r.raw = append([]byte(nil), b...)
	}
	return nil
}

// ResponseUsage is the tokens and cost of a response.
type ResponseUsage struct {
	InputTokens        int `json:"input_tokens"`
	OutputTokens       int `json:"output_tokens"`
	TotalTokens        int `json:"total_tokens"`
	InputTokensDetails struct {
		CachedTokens     int `json:"cached_tokens"`
		CacheWriteTokens int `json:"cache_write_tokens,omitempty"`
	} `json:"input_tokens_details"`
	OutputTokensDetails struct {
		ReasoningTokens int `json:"reasoning_tokens"`
	} `json:"output_tokens_details"`
	// Cost is what OpenRouter charged, in USD; for a BYOK request, its fee.
	Cost        float64 `json:"cost"`
	IsBYOK      bool    `json:"is_byok,omitempty"`
	CostDetails *struct {
		UpstreamInferenceCost *float64 `json:"upstream_inference_cost"`
	} `json:"cost_details,omitempty"`
}

// usage is the chat form of u, for the client's spending total.
func (u *ResponseUsage) usage() *Usage {
	if u == nil {
		return nil
	}
	out := &Usage{PromptTokens: u.InputTokens, CompletionTokens: u.OutputTokens, TotalTokens: u.TotalTokens, Cost: u.Cost, IsBYOK: u.IsBYOK}
	if u.CostDetails != nil {
		out.CostDetails = &CostDetails{UpstreamInferenceCost: u.CostDetails.UpstreamInferenceCost}
	}
	return out
}

// OutputText returns the text of the answer's messages, joined.
func (r *Response) OutputText() string {
	if r == nil {
		return ""
	}
	var b strings.Builder
	for _, it := range r.Output {
		if it.Type != "message" {
			continue
		}
		for _, p := range it.Content {
			if p.Type == "output_text" {
				b.WriteString(p.Text)
			}
		}
	}
	return b.String()
}

// FunctionCalls returns the function calls the answer asks for.
func (r *Response) FunctionCalls() []ResponseItem {
	if r == nil {
		return nil
	}
	var out []ResponseItem
	for _, it := range r.Output {
		if it.Type == "function_call" {
			out = append(out, it)
		}
	}
	return out
}

// Cost returns what the response cost in USD, BYOK charges included.
func (r *Response) Cost() float64 {
	if r == nil {
		return 0
	}
	return r.Usage.usage().TotalCost()
}

// Create sends the request and returns the response. Errors match the
// sentinels of this package: HTTP failures as *[APIError]; a response
// whose status is "failed" as an *APIError (matched from its error_type:
// a rate limit is [ErrRateLimited]) returned together with the Response,
// whose usage was billed; an answer that is not a usable response (no
// output item, an item not in the documented shape) as an *APIError
// matching [ErrServer], with the Response as it came. An answer lost
// after the request was written matches [ErrMaybeBilled] and is not
// sent again (see the package doc's Retries section).
func (s *ResponsesService) Create(ctx context.Context, req *ResponseRequest, opts ...CallOption) (_ *Response, err error) {
	c := s.client()
	body, model, err := c.encodeResponse(ctx, req, false)
	if err != nil {
		return nil, err
	}
	resp, st, err := c.doAnswer(ctx, http.MethodPost, "/responses", body, model, opts)
	if err != nil {
		return nil, c.suggestModels(err, model)
	}
	defer resp.Body.Close()
	// A 200 is a response, whose "error" is set when it failed, or an
	// OpenRouter error object alone.
	r := &Response{}
	defer func() { st.endAnswer(r.answer, err) }()
	if err := c.decodeBody(resp, r); err != nil {
		return nil, st.annotate(c.redactErr(err))
	}
	c.spend(ctx, r.Usage.usage())
	r.MaybeBilled = st.maybeBilled
	if st.call != nil {
		st.call.answered(&ChatResponse{ID: r.ID, Model: r.Model}) // for CallResponseInto
	}
	c.redactFailed(r)
	if e := c.responseError(r.errorObject()); e != nil {
		e.RequestID = r.ID
		if r.hasOutput() {
			e.markAnswered(true) // the model ran, whatever the error says (an availability error)
		}
		if r.ID == "" {
			return nil, st.annotate(e) // an error object alone
		}
		return r, st.annotate(e)
	}
	if err := r.check(model); err != nil {
		return r, st.annotate(err)
	}
	return r, nil
}

// check returns an *APIError matching [ErrServer] for a response that is
// not what the API promises: no output item (unless incomplete), an item
// with no type, or a message, reasoning or function call whose fields
// are not of the documented types (kept whole in its Raw).
func (r *Response) check(model string) error {
	if len(r.Output) == 0 && r.Status != "incomplete" {
		return malformed(model, "a %q response with no output item", r.Status)
	}
	for i, it := range r.Output {
		switch {
		case it.Type == "":
			return malformed(model, "output[%d] has no type: %s", i, excerpt(it.Raw))
		case it.opaque && it.Type != "function_call_output" && modelledItem(it.Type):
			return malformed(model, "output[%d] (%s) is not in the documented shape: %s", i, it.Type, excerpt(it.Raw))
		}
	}
	return nil
}

// failedResponse is the error object of a failed response that gives
// none.
var failedResponse = json.RawMessage(`{"code":"server_error","message":"the response failed"}`)

// errorObject returns the response's error object and error_type: a
// "failed" response without one stands for a server error; nil for a
// response that did not fail.
func (r *Response) errorObject() (json.RawMessage, string) {
	if r.Status == "failed" && !hasJSON(r.Error) {
		return failedResponse, r.ErrorType
	}
	return r.Error, r.ErrorType
}

// redactFailed removes the key from a failed response's error object and
// JSON, which the caller gets besides the (redacted) *APIError: the
// server's message may echo the key.
func (c *Client) redactFailed(r *Response) {
	if r == nil || (!hasJSON(r.Error) && r.Status != "failed") {
		return
	}
	rd := c.redactor()
	r.Error, r.raw = rd.Bytes(r.Error), rd.Bytes(r.raw)
}

// responseError is the *APIError of a response's error object, nil when
// there is none. The Responses API's codes are coarse ("server_error"
// stands for many failures); its error_type, when sent, is the precise
// one and decides the sentinel.
func (c *Client) responseError(obj json.RawMessage, errorType string) *APIError {
	if len(obj) == 0 || string(obj) == "null" {
		return nil
	}
	return c.answerError(withErrorType(obj, errorType))
}

// withErrorType is a response's error object with its error_type added,
// when the object has none of its own.
func withErrorType(obj json.RawMessage, errorType string) json.RawMessage {
	if errorType != "" {
		var m map[string]json.RawMessage
		if json.Unmarshal(obj, &m) == nil && m != nil {
			if _, ok := m["error_type"]; !ok {
				m["error_type"], _ = json.Marshal(errorType)
				obj, _ = json.Marshal(m)
			}
		}
	}
	return obj
}

// client is the service's client; a nil service (a Client not made by
// NewClient) has none, and its calls fail with ErrInvalidRequest.
func (s *ResponsesService) client() *Client {
	if s == nil {
		return nil
	}
	return s.c
}
