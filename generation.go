package openrouter

import (
	"context"
	"errors"
	"net/url"
)

// GenerationContent is the stored prompt and completion of a past
// generation (GET /generation/content). OpenRouter stores them only for
// accounts with Input & Output Logging on, and only for generations made
// after it was turned on.
type GenerationContent struct {
	// Messages are the request's messages as stored (JSON objects);
	// Prompt is the prompt of a completions-API request instead.
	Messages []any
	Prompt   string
	// Completion is the answer's text; Reasoning its reasoning, "" when
	// there was none. HasCompletion is false when no completion was
	// stored (null), which is not the same as an empty answer.
	Completion    string
	Reasoning     string
	HasCompletion bool
	// Failure is the stored error of a generation that failed; nil when
	// it succeeded.
	Failure *GenerationFailure
}

// GenerationFailure is the error a failed generation ended with.
type GenerationFailure struct {
	Status       int    `json:"status"`
	Message      string `json:"message"`
	ProviderName string `json:"provider_name"`
}

// GenerationContent returns the stored prompt and completion of a past
// generation, by its ID (ChatResponse.ID, ResponseInfo.RequestID, or the
// GenerationID of a lost answer's error). When the account does not
// store content (Input & Output Logging off), or the generation is not
// recorded yet, the error matches [ErrNotFound]; a key without the right
// to read it gets [ErrForbidden].
func (c *Client) GenerationContent(ctx context.Context, id string, opts ...CallOption) (*GenerationContent, error) {
	if id == "" {
		return nil, invalid("empty generation ID")
	}
	var w struct {
		Data *struct {
			Input struct {
				Messages []any  `json:"messages"`
				Prompt   string `json:"prompt"`
			} `json:"input"`
			Output struct {
				Completion *string `json:"completion"`
				Reasoning  *string `json:"reasoning"`
			} `json:"output"`
			Error *GenerationFailure `json:"error"`
		} `json:"data"`
	}
	// The answer's "error" is a field of its own (the generation's
	// failure), not an error of the call: decodeBody, not decodeAnswer.
	if err := c.getWith(ctx, "/generation/content?id="+url.QueryEscape(id), &w, opts, c.decodeBody); err != nil {
		var e *APIError
		if errors.As(err, &e) && e.Is(ErrNotFound) {
			e.hint = "OpenRouter stores a generation's content only when the account's Input & Output Logging is on (Observability settings), and records a generation a few seconds after it ends: check both, and the ID."
		}
		return nil, err
	}
	if w.Data == nil {
		return nil, noData("/generation/content")
	}
	d := w.Data
	gc := &GenerationContent{Messages: d.Input.Messages, Prompt: d.Input.Prompt, Failure: d.Error,
		HasCompletion: d.Output.Completion != nil}
	if d.Output.Completion != nil {
		gc.Completion = *d.Output.Completion
	}
	if d.Output.Reasoning != nil {
		gc.Reasoning = *d.Output.Reasoning
	}
	return gc, nil
}
