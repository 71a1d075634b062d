package openrouter

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The request shapes of a batch. The batch quickstart (docs
// batch-quickstart.mdx, "Use different API shapes") lists chat
// completions, Responses and Anthropic Messages besides embeddings:
// "Set the top-level endpoint to choose the request shape used by every
// body in the batch", and "All requests in one batch use the same
// top-level endpoint. To mix API shapes, submit separate batches."
// Batches.Submit infers the endpoint from the items and refuses a mix
// before sending anything.

// BatchResponses is the endpoint of a batch of Responses API requests
// (BatchItem.Responses).
const BatchResponses = "/v1/responses"

// BatchMessages is the endpoint of a batch of Anthropic Messages API
// requests (BatchItem.Messages).
const BatchMessages = "/v1/messages"

// endpoint is the endpoint of the shape the item carries, "" when it
// carries none.
func (it *BatchItem) endpoint() string {
	switch {
	case it.Body != nil:
		return BatchChatCompletions
	case it.Responses != nil:
		return BatchResponses
	case it.Messages != nil:
		return BatchMessages
	}
	return ""
}

// shapes counts the shapes the item carries; one is required.
func (it *BatchItem) shapes() int {
	n := 0
	for _, set := range []bool{it.Body != nil, it.Responses != nil, it.Messages != nil} {
		if set {
			n++
		}
	}
	return n
}

// batchEndpoint is the endpoint of a batch: BatchRequest.Endpoint, or
// the shape of its first request, or chat completions.
func batchEndpoint(req *BatchRequest) (string, error) {
	endpoint := req.Endpoint
	if endpoint == "" && len(req.Requests) > 0 {
		endpoint = req.Requests[0].endpoint()
	}
	switch endpoint {
	case "":
		return BatchChatCompletions, nil
	case BatchChatCompletions, BatchResponses, BatchMessages:
		return endpoint, nil
	}
	return "", invalid("batch endpoint %q: Batches.Submit builds %s, %s and %s batches (embeddings: Batches.SubmitEmbeddings)",
		endpoint, BatchChatCompletions, BatchResponses, BatchMessages)
}

// encodeItem checks one request of a batch of endpoint and model and
// returns its body. first is the batch's first request, whose
// response_format a Google batch's requests must share.
func encodeItem(i int, it, first *BatchItem, endpoint, model string) ([]byte, error) {
	switch n := it.shapes(); {
	case n == 0:
		return nil, invalid("requests[%d] (%s): nil Body", i, it.CustomID)
	case n > 1:
		return nil, invalid("requests[%d] (%s): set one of Body, Responses and Messages", i, it.CustomID)
	case it.endpoint() != endpoint:
		return nil, invalid("requests[%d] (%s) is a %s request in a %s batch: a batch has one endpoint; submit separate batches", i, it.CustomID, it.endpoint(), endpoint)
	}
	var body []byte
	var err error
	switch endpoint {
	case BatchResponses:
		body, err = responsesItem(it.Responses, model)
	case BatchMessages:
		body, err = messagesItem(it.Messages, model)
	default:
		body, err = chatItem(it.Body, first.Body, model)
	}
	if err != nil {
		return nil, fmt.Errorf("requests[%d] (%s): %w", i, it.CustomID, err)
	}
	return body, nil
}

// chatItem is the body of a chat completion in a batch of model.
func chatItem(req, first *ChatRequest, model string) ([]byte, error) {
	if err := CheckBatchable(req); err != nil {
		return nil, err
	}
	if req.Model != "" && req.Model != model {
		return nil, invalid("model %q differs from the batch's %q", req.Model, model)
	}
	if strings.HasPrefix(model, "google/") && formatKey(req) != formatKey(first) {
		return nil, invalid("its response_format differs from the first request's; a Google batch takes one (none, json_object, or json_schema with one schema)")
	}
	body, err := req.encode(false)
	if err != nil {
		return nil, invalid("%v", err)
	}
	return body, nil
}

// responsesItem is the body of a Responses request in a batch of model.
// The quickstart's limitations: text only ("the Responses input_image
// and input_file parts" are rejected); as for chat, the batch's model
// and provider settings apply to every request. The encoded body is
// checked, so that what Extra or an item kept raw adds is seen.
func responsesItem(req *ResponseRequest, model string) ([]byte, error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	b := req.wire(false)
	body, err := b.encode(req.Extra)
	if err != nil {
		return nil, err
	}
	return body, batchableShape(body, model, "input", responsesMedia, "Responses.Create")
}

// messagesItem is the body of a Messages request in a batch of model.
// The quickstart's limitations: text only ("the Anthropic image and
// document blocks" are rejected); its encoded body is checked as a
// Responses item's is.
func messagesItem(req *MessagesRequest, model string) ([]byte, error) {
	body, err := req.encode()
	if err != nil {
		return nil, err
	}
	return body, batchableShape(body, model, "messages", messagesMedia, "the sync API")
}

// responsesMedia and messagesMedia are the content parts a batch refuses
// in each shape: "validation rejects any request that carries image,
// audio, video, or file content parts" (the quickstart's Limitations).
var (
	responsesMedia = map[string]bool{"input_image": true, "input_file": true, "input_audio": true, "input_video": true}
	messagesMedia  = map[string]bool{"image": true, "document": true}
)

// batchableShape is checkBatchableBody for an encoded Responses or
// Messages body: its model is the batch's, it has no fallback models,
// provider preferences, plugins or stream, and no media part in its
// list ("input" or "messages"); sync names the call to send it with.
func batchableShape(body []byte, model, list string, media map[string]bool, sync string) error {
	var b map[string]json.RawMessage
	if err := json.Unmarshal(body, &b); err != nil {
		return invalid("the request's body cannot be read: %v", err)
	}
	var m string
	_ = json.Unmarshal(b["model"], &m)
	switch {
	case m != "" && m != model:
		return invalid("model %q differs from the batch's %q", m, model)
	case hasJSON(b["models"]):
		return invalid("fallback models are not available in a batch; the batch's model runs every request")
	case hasJSON(b["provider"]):
		return invalid("provider preferences go on the batch (BatchRequest.Provider: only, allow_fallbacks), not on a request")
	case hasJSON(b["plugins"]):
		return invalid("plugins are not available in a batch; send the request with %s", sync)
	case hasJSON(b["stream"]) && string(b["stream"]) != "false":
		return invalid("a batch request does not stream")
	}
	var items []json.RawMessage
	if json.Unmarshal(b[list], &items) != nil {
		return nil // a string input: text
	}
	for i, it := range items {
		if t, at := mediaPart(it, media); t != "" {
			return invalid("%s[%d]%s is an %s part; batches are text only, send it with %s", list, i, at, t, sync)
		}
	}
	return nil
}

// mediaPart finds a part of a media type in an item's content (or a
// function or tool result's output or content, which may hold parts), and
// returns its type and its path below the item. Other members, such as a
// tool call's arguments, hold no parts and are not read.
func mediaPart(raw json.RawMessage, media map[string]bool) (typ, at string) {
	var obj struct {
		Type    string          `json:"type"`
		Content json.RawMessage `json:"content"`
		Output  json.RawMessage `json:"output"`
	}
	if json.Unmarshal(raw, &obj) != nil {
		return "", ""
	}
	if media[obj.Type] {
		return obj.Type, ""
	}
	for _, sub := range []struct {
		name string
		raw  json.RawMessage
	}{{"content", obj.Content}, {"output", obj.Output}} {
		var parts []json.RawMessage
		if json.Unmarshal(sub.raw, &parts) != nil {
			continue
		}
		for j, p := range parts {
			if t, below := mediaPart(p, media); t != "" {
				return t, fmt.Sprintf(".%s[%d]%s", sub.name, j, below)
			}
		}
	}
	return "", ""
}

// Responses returns the request's answer in the Responses API's shape
// (a batch of [BatchResponses]), or the error a Responses.Create call
// would have returned for it: an *[APIError] for an error answer or a
// failed response (with the Response, whose usage was billed), and an
// *APIError matching [ErrServer] for an answer that is no usable
// response.
func (r *BatchResult) Responses() (*Response, error) {
	body, err := r.body()
	if err != nil {
		return nil, err
	}
	res := &Response{}
	if err := r.decode(body, res); err != nil {
		return nil, err
	}
	if obj, errorType := res.errorObject(); hasJSON(obj) {
		e := errorFromObject(withErrorType(obj, errorType))
		e.RequestID = res.ID
		return res, r.finish(e)
	}
	if err := res.check(res.Model); err != nil {
		return res, r.annotate(err)
	}
	return res, nil
}

// Messages returns the request's answer in the Anthropic Messages API's
// shape (a batch of [BatchMessages]), or the error of an error answer
// (an *[APIError]); an answer that is not a message is an *APIError
// matching [ErrServer].
func (r *BatchResult) Messages() (*MessagesResponse, error) {
	body, err := r.body()
	if err != nil {
		return nil, err
	}
	var env struct {
		MessagesResponse
		Error json.RawMessage `json:"error"`
	}
	if err := r.decode(body, &env); err != nil {
		return nil, err
	}
	res := &env.MessagesResponse
	if hasJSON(env.Error) {
		e := errorFromObject(env.Error)
		e.RequestID = res.ID
		return nil, r.finish(e)
	}
	if res.Type != "message" {
		return res, r.annotate(malformed(res.Model, "the answer is no message (type %q): %s", res.Type, excerpt(body)))
	}
	return res, nil
}

// shape is the answer shape of a result's body: "response" (Responses),
// "message" (Messages), or "" (a chat completion, or no body).
func (r *BatchResult) shape() string {
	if r.Response == nil || !hasJSON(r.Response.Body) {
		return ""
	}
	var b struct {
		Object string `json:"object"`
		Type   string `json:"type"`
	}
	if json.Unmarshal(r.Response.Body, &b) != nil {
		return ""
	}
	switch {
	case b.Object == "response":
		return "response"
	case b.Type == "message":
		return "message"
	}
	return ""
}
