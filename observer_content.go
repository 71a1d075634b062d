package openrouter

import (
	"context"
	"net/http"
)

// ContentObserver is an [Observer] that also sees a chat call's prompt
// and completion (found by a type assertion in [WithObserver], which
// also asks WantsContent once: an observer that answers false is treated
// as one without the method, and the client builds no content for it).
// It covers chat completions, streamed or not (Chat, ChatStream, and
// GenerateImage, which is a chat completion); the Responses API and
// other endpoints report no content.
//
// Content is what the other events never hold: the caller's prompt and
// the model's answer. Record it only where the caller asked for it. It
// never holds the API key.
type ContentObserver interface {
	// WantsContent reports whether the observer records content.
	WantsContent() bool
	// CallContent is called once per chat call that has a CallStart,
	// just before its CallEnd, with the same context.
	CallContent(ctx context.Context, e CallContent)
}

// CallContent is a chat call's prompt and completion. Its slices are the
// caller's: an observer must not change or retain them.
type CallContent struct {
	Model string
	// Messages are the request's messages, as the caller gave them.
	Messages []Message
	// Completion is the answer's first choice's text; "" when no answer
	// was read (a failed call) or it has none.
	Completion string
	// FinishReason is the first choice's finish reason, when known.
	FinishReason string
}

// doChat is doAnswer for a chat completion: the observer's
// ContentObserver, when there is one, gets req's messages at the call's
// end.
func (c *Client) doChat(ctx context.Context, req *ChatRequest, body []byte, model string, stream bool, opts []CallOption) (*http.Response, *callState, error) {
	sc := &stateCtx{}
	sc.st.endLater, sc.st.stream = true, stream
	if c.cfg.obsExt.content != nil {
		sc.st.content = req
	}
	return c.doCall(ctx, sc, http.MethodPost, "/chat/completions", body, model, opts)
}

// observeContent tells the ContentObserver the call's prompt and its
// answer r (nil: none read).
func (st *callState) observeContent(r *ChatResponse) {
	co := st.client.cfg.obsExt.content
	if co == nil || st.content == nil {
		return
	}
	co.CallContent(st.obsCtx, CallContent{Model: st.model, Messages: st.content.Messages, Completion: r.Content(), FinishReason: r.FinishReason()})
}
