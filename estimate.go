package openrouter

import (
	"context"
	"errors"
	"fmt"
)

// BatchDiscount is the share of the per-token price a batch request
// typically pays (OpenRouter bills batches at about half price; web search
// and some caching components are not discounted).
const BatchDiscount = 0.5

// imagePartTokens is the prompt tokens an input image is counted as: a
// high-detail image is about a thousand on most models.
const imagePartTokens = 1000

// messageOverheadTokens is the tokens each message adds around its text.
const messageOverheadTokens = 4

// EstimateOptions configures EstimateCost.
type EstimateOptions struct {
	// Batch prices the per-token part at the batch price (the
	// catalogue's ":batch" entry of the model, else BatchDiscount of the
	// sync price), for the requests that can go in a batch (see
	// CheckBatchable); the others run sync, at the sync price.
	Batch bool
}

// CostEstimate is what a set of chat requests may cost, before they are
// sent. Tokens are estimated from the messages' text (three bytes a token,
// which overcounts most text); the answers are counted at their bound
// (max_tokens, or the model's maximum output), so Cost is an upper bound,
// not a forecast.
type CostEstimate struct {
	Requests         int
	PromptTokens     int     // estimated
	CompletionTokens int     // the bound: max_tokens, or the model's maximum output
	Cost             float64 // USD, upper bound
	Batch            bool    // priced at the batch price
}

// EstimateCost estimates what reqs may cost at most, from the catalogue's
// prices (a request with fallback models is priced at its dearest
// model). A model missing from the catalogue is an error
// ([ErrModelNotFound]), and one with a variable price (a router such as
// openrouter/auto) an [ErrInvalidRequest] error: neither can be bounded.
func (c *Client) EstimateCost(ctx context.Context, reqs []*ChatRequest, o EstimateOptions) (*CostEstimate, error) {
	est := &CostEstimate{Requests: len(reqs), Batch: o.Batch}
	models := map[string]*Model{}
	batchModels := map[string]*Model{} // the ":batch" entries, nil when none
	for i, req := range reqs {
		if err := req.validate(); err != nil {
			return nil, fmt.Errorf("requests[%d]: %w", i, err)
		}
		ids := append([]string{req.Model}, req.Models...)
		if ids[0] == "" {
			ids[0] = c.cfg.roles.Standard
		}
		prompt := promptTokens(req)
		discount := o.Batch && CheckBatchable(req) == nil
		var cost float64
		out := 0
		for _, id := range ids {
			if id == "" {
				return nil, invalid("requests[%d]: no model, and the client has no standard model", i)
			}
			m, ok := models[id]
			if !ok {
				var err error
				if m, err = c.Model(ctx, id); err != nil {
					return nil, fmt.Errorf("requests[%d]: pricing %s: %w", i, id, err)
				}
				models[id] = m
			}
			if m.Pricing.Variable {
				return nil, invalid("requests[%d]: %s has a variable price (a router): no upper bound can be given; name the model it would pick", i, id)
			}
			n := completionBound(req, m, prompt)
			p, factor := m.Pricing, 1.0
			if discount {
				bm, ok := batchModels[id]
				if !ok {
					var err error
					if bm, err = c.Model(ctx, id+":batch"); err != nil && !errors.Is(err, ErrModelNotFound) {
						return nil, fmt.Errorf("requests[%d]: pricing %s in a batch: %w", i, id, err)
					}
					batchModels[id] = bm
				}
				if bm != nil && !bm.Pricing.Variable {
					p = bm.Pricing // the catalogue's batch price
				} else {
					factor = BatchDiscount
				}
			}
			tokens := (float64(prompt)*p.Prompt + float64(n)*p.Completion) * factor
			if c := tokens + m.Pricing.Request; c >= cost {
				cost, out = c, n
			}
		}
		est.PromptTokens += prompt
		est.CompletionTokens += out
		est.Cost += cost
	}
	return est, nil
}

// promptTokens estimates a request's prompt tokens from its messages.
func promptTokens(req *ChatRequest) int {
	n := 0
	for _, m := range req.Messages {
		n += messageOverheadTokens + estimateTokens(m.Content)
		for _, p := range m.Parts {
			if p.Type == "text" {
				n += estimateTokens(p.Text)
			} else {
				n += imagePartTokens
			}
		}
	}
	return n
}

// completionBound is the most completion tokens a request may be billed:
// max_tokens, else the model's maximum output, else what its context
// leaves after the prompt.
func completionBound(req *ChatRequest, m *Model, prompt int) int {
	switch {
	case req.MaxTokens > 0:
		return req.MaxTokens
	case m.TopProvider.MaxCompletionTokens > 0:
		return m.TopProvider.MaxCompletionTokens
	case m.ContextLength > prompt:
		return m.ContextLength - prompt
	}
	return 0
}
