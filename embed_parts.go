package openrouter

import (
	"context"
	"encoding/json"
	"net/http"
)

// embedFailedHook, when set (by tests), is called when a part of Embed
// has failed and no further part will be sent.
var embedFailedHook func()

// sendParts hands the parts to the workers until one fails (stop) or the
// context ends.
func sendParts(ctx context.Context, parts [][2]int, next chan<- [2]int, stop <-chan struct{}) {
	for _, b := range parts {
		select {
		case <-stop:
			return
		default:
		}
		select {
		case next <- b:
		case <-stop:
			return
		case <-ctx.Done():
			return
		}
	}
}

// add counts an answer (billed, even when unusable) in the result.
func (e *Embeddings) add(ans *embeddingAnswer) {
	if ans == nil {
		return
	}
	e.Requests++
	e.ID = ans.ID
	if e.Model == "" {
		e.Model = ans.Model
	}
	if u := ans.Usage; u != nil {
		e.Usage.PromptTokens += u.PromptTokens
		e.Usage.TotalTokens += u.TotalTokens
		e.Usage.Cost += u.Cost
		e.Usage.IsBYOK = e.Usage.IsBYOK || u.IsBYOK
	}
}

// checkDimensions refuses vectors of different sizes across the parts
// of a split request (each part's answer is checked on its own): they
// cannot be compared, and an index built from them would be wrong.
func (e *Embeddings) checkDimensions(model string) error {
	first := -1
	for i, v := range e.Vectors {
		switch {
		case v == nil:
		case first < 0:
			first = i
		case len(v) != len(e.Vectors[first]):
			return malformed(model, "the parts of the request were answered with vectors of different sizes: input %d has %d dimensions, input %d has %d (a provider of another size answered a part; set Dimensions, or Provider to pin one)",
				first, len(e.Vectors[first]), i, len(v))
		}
	}
	return nil
}

// embedBatch sends inputs [from, to) and returns their vectors in order.
// An answer that arrived but is unusable is returned with the error, so
// that its cost is counted.
func (c *Client) embedBatch(ctx context.Context, req *EmbeddingRequest, from, to int, opts []CallOption) (_ *embeddingAnswer, _ [][]float32, err error) {
	body := embeddingBody{Model: req.Model, Dimensions: req.Dimensions, EncodingFormat: req.EncodingFormat,
		InputType: req.InputType, Provider: req.Provider, User: req.User}
	if len(req.Input) > 0 {
		body.Input = req.Input[from:to]
	} else {
		body.Input = req.Tokens[from:to]
	}
	raw, err := json.Marshal(body)
	if err == nil && len(req.Extra) > 0 {
		raw, err = mergeExtra(raw, req.Extra)
	}
	if err != nil {
		return nil, nil, err
	}
	resp, st, err := c.doAnswer(ctx, http.MethodPost, "/embeddings", raw, req.Model, opts)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	var ans embeddingAnswer
	defer func() { st.endAnswer(ans.answer, err) }()
	if err := st.annotate(c.decodeAnswer(resp, &ans)); err != nil {
		return nil, nil, err
	}
	if ans.Usage != nil {
		c.spend(ctx, &Usage{Cost: ans.Usage.Cost})
	}
	vecs, err := ans.vectors(req.Model, to-from, req.Dimensions)
	return &ans, vecs, st.annotate(err)
}
