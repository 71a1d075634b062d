package openrouter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// BatchDiscount is the share of the per-token price a batch request
// typically pays (OpenRouter bills batches at about half price; web search
// and some caching components are not discounted).
const BatchDiscount = 0.5

// Bounds the estimates use. They are meant to be above what any model
// bills, so that an estimate is an upper bound, not a forecast.
const (
	// bytesPerToken: the encoded body's text is counted a token each
	// three bytes, more than most tokenizers make of English or JSON.
	bytesPerToken = 3
	// imagePartTokens is the prompt tokens an input image is counted as:
	// more than the largest documented count (about 1,600 for Claude,
	// 2,500 for GPT-4.1 mini's patches, 1,290 for Gemini).
	imagePartTokens = 2500
	// imageOutputTokens is the completion tokens an output image is
	// counted as: gpt-image-1's largest, high-quality image bills 6,240;
	// Gemini's bill 1,290 to 2,000.
	imageOutputTokens = 6240
)

// EstimateOptions configures EstimateCost.
type EstimateOptions struct {
	// Batch prices the per-token part at the batch price (the
	// catalogue's ":batch" entry of the model, else BatchDiscount of the
	// sync price), for the requests that can go in a batch (see
	// CheckBatchable); the others run sync, at the sync price.
	Batch bool
}

// CostEstimate is what a set of requests may cost, before they are sent.
// Everything is counted from the request bodies as they would be sent
// (Extra included): the prompt from the body's bytes (three a token:
// messages, tool definitions, the response_format schema), each input
// image at the most tokens a model counts for one plus the model's price
// per input image; the answer at its bound (max_tokens, or the model's
// maximum output), each output image at the most tokens an image is
// billed plus the price per output image. Each token is priced at the
// dearest price that may apply: cache writes, reasoning, image tokens,
// long-context and time-window prices (Pricing.Overrides). A web search
// is counted once. Cost is an upper bound, not a forecast.
type CostEstimate struct {
	Requests         int
	PromptTokens     int     // the bound
	CompletionTokens int     // the bound: max_tokens, or the model's maximum output, and output images
	InputImages      int     // images sent
	OutputImages     int     // images asked for
	Cost             float64 // USD, upper bound
	Batch            bool    // priced at the batch price
}

// Add adds o's figures to e's (an estimate of two parts: the requests
// that go in a batch and those sent sync, say).
func (e *CostEstimate) Add(o *CostEstimate) {
	if o == nil {
		return
	}
	e.Requests += o.Requests
	e.PromptTokens += o.PromptTokens
	e.CompletionTokens += o.CompletionTokens
	e.InputImages += o.InputImages
	e.OutputImages += o.OutputImages
	e.Cost += o.Cost
	e.Batch = e.Batch || o.Batch
}

// EstimateCost estimates what reqs may cost at most, from the catalogue's
// prices (a request with fallback models is priced at its dearest
// model). A model missing from the catalogue is an error
// ([ErrModelNotFound]), and one with a variable price (a router such as
// openrouter/auto) an [ErrInvalidRequest] error: neither can be bounded.
func (c *Client) EstimateCost(ctx context.Context, reqs []*ChatRequest, o EstimateOptions) (*CostEstimate, error) {
	est := &CostEstimate{Batch: o.Batch}
	p := pricer{c: c, models: map[string]*Model{}, batchModels: map[string]*Model{}}
	for i, req := range reqs {
		e, err := p.chat(ctx, req, o.Batch)
		if err != nil {
			return nil, fmt.Errorf("requests[%d]: %w", i, err)
		}
		e.Batch = false
		est.Add(e)
	}
	return est, nil
}

// pricer prices chat requests, reading each model's catalogue entry once.
type pricer struct {
	c           *Client
	models      map[string]*Model
	batchModels map[string]*Model // the ":batch" entries, nil when none
}

// chat estimates one request.
func (p *pricer) chat(ctx context.Context, req *ChatRequest, batch bool) (*CostEstimate, error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	if req.Model == "" && len(req.Models) == 0 {
		cp := *req
		cp.Model = p.c.Roles().Standard
		req = &cp
	}
	body, err := req.encode(false)
	if err != nil {
		return nil, invalid("%v", err)
	}
	s, err := shapeOf(body)
	if err != nil {
		return nil, err
	}
	discount := batch && checkBatchableBody(body) == nil
	est := &CostEstimate{Requests: 1, PromptTokens: s.prompt, InputImages: s.inputImages, OutputImages: s.outputImages}
	for _, id := range s.models { // the model, then the fallbacks: the dearest counts
		if id == "" {
			return nil, invalid("no model, and the client has no standard model")
		}
		m, err := p.model(ctx, id)
		if err != nil {
			return nil, err
		}
		if m.Pricing.Variable {
			return nil, invalid("%s has a variable price (a router): no upper bound can be given; name the model it would pick", id)
		}
		pr, factor := m.Pricing, 1.0
		if discount {
			if pr, factor, err = p.batchPrice(ctx, id, m); err != nil {
				return nil, err
			}
		}
		if cost, out := s.cost(m, pr, factor); cost >= est.Cost {
			est.Cost, est.CompletionTokens = cost, out
		}
	}
	return est, nil
}

// cost is the most a request of this shape costs on model m, its tokens
// at the prices pr times factor (the batch discount, when pr are the sync
// prices), and the completion tokens it is bounded by.
func (s chatShape) cost(m *Model, pr Pricing, factor float64) (float64, int) {
	pr = pr.dearest(s.prompt)
	text, images := s.completionBound(m), s.outputImages*imageOutputTokens
	// A prompt written to the provider's cache is billed at the cache
	// write price, dearer than the prompt's at some providers (Anthropic:
	// 1.25 times), whether the request asks for caching or the provider
	// caches by itself.
	// Reasoning tokens are within the completion's bound, at their own
	// price when the model has one.
	tokens := float64(s.prompt)*max(pr.Prompt, pr.InputCacheWrite) + float64(text)*max(pr.Completion, pr.InternalReasoning) +
		float64(images)*max(pr.Completion, pr.ImageToken)
	// Prices per request, image and search are not discounted in a batch.
	fixed := m.Pricing.Request + float64(s.inputImages)*m.Pricing.Image + float64(s.outputImages)*m.Pricing.ImageOutput
	if s.webSearch {
		fixed += m.Pricing.WebSearch
	}
	return tokens*factor + fixed, text + images
}

// model returns id's catalogue entry.
func (p *pricer) model(ctx context.Context, id string) (*Model, error) {
	if m, ok := p.models[id]; ok {
		return m, nil
	}
	m, err := p.c.Model(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("pricing %s: %w", id, err)
	}
	p.models[id] = m
	return m, nil
}

// batchPrice returns the per-token prices of id in a batch: its
// ":batch" entry's, else m's with BatchDiscount as the factor.
func (p *pricer) batchPrice(ctx context.Context, id string, m *Model) (Pricing, float64, error) {
	bm, ok := p.batchModels[id]
	if !ok {
		var err error
		if bm, err = p.c.Model(ctx, id+":batch"); err != nil && !errors.Is(err, ErrModelNotFound) {
			return Pricing{}, 0, fmt.Errorf("pricing %s in a batch: %w", id, err)
		}
		p.batchModels[id] = bm
	}
	if bm != nil && !bm.Pricing.Variable {
		return bm.Pricing, 1, nil // the catalogue's batch price
	}
	return m.Pricing, BatchDiscount, nil
}

// chatShape is what the price of an encoded chat request depends on.
type chatShape struct {
	models       []string // the model, then the fallback models
	prompt       int      // tokens: the body's bytes but the images', plus imagePartTokens an image
	inputImages  int
	outputImages int // 1 when image output is asked for: one answer, one image
	webSearch    bool
	maxTokens    int // max_tokens or max_completion_tokens, 0 when neither
}

// shapeOf reads an encoded chat request's chatShape.
func shapeOf(body []byte) (chatShape, error) {
	var b struct {
		Model               string   `json:"model"`
		Models              []string `json:"models"`
		Modalities          []string `json:"modalities"`
		MaxTokens           int      `json:"max_tokens"`
		MaxCompletionTokens int      `json:"max_completion_tokens"`
		Plugins             []struct {
			ID string `json:"id"`
		} `json:"plugins"`
		Tools []struct {
			Type string `json:"type"`
		} `json:"tools"`
		Messages []struct {
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	var s chatShape
	if err := json.Unmarshal(body, &b); err != nil {
		return s, invalid("the request's body cannot be read as a chat request: %v", err)
	}
	imageBytes := 0
	for _, m := range b.Messages {
		if len(m.Content) == 0 || m.Content[0] != '[' {
			continue
		}
		var parts []json.RawMessage
		_ = json.Unmarshal(m.Content, &parts) // a string content is counted as bytes
		for _, part := range parts {
			var t struct {
				Type string `json:"type"`
			}
			if json.Unmarshal(part, &t) == nil && t.Type == "image_url" {
				s.inputImages++
				imageBytes += len(part)
			}
		}
	}
	s.prompt = (len(body)-imageBytes+bytesPerToken-1)/bytesPerToken + s.inputImages*imagePartTokens
	if slices.Contains(b.Modalities, "image") {
		s.outputImages = 1
	}
	s.models = append([]string{b.Model}, b.Models...)
	if b.Model == "" && len(b.Models) > 0 { // the fallbacks alone: the first runs first
		s.models = b.Models
	}
	s.webSearch = strings.HasSuffix(b.Model, ":online")
	for _, pl := range b.Plugins {
		s.webSearch = s.webSearch || pl.ID == "web"
	}
	for _, t := range b.Tools {
		s.webSearch = s.webSearch || strings.Contains(t.Type, "web_search")
	}
	s.maxTokens = b.MaxTokens
	if b.MaxCompletionTokens > 0 && (s.maxTokens == 0 || b.MaxCompletionTokens < s.maxTokens) {
		s.maxTokens = b.MaxCompletionTokens
	}
	return s, nil
}

// completionBound is the most text completion tokens a request may be
// billed: its max_tokens, else the model's maximum output, else what its
// context leaves after the prompt.
func (s chatShape) completionBound(m *Model) int {
	switch {
	case s.maxTokens > 0:
		return s.maxTokens
	case m.TopProvider.MaxCompletionTokens > 0:
		return m.TopProvider.MaxCompletionTokens
	case m.ContextLength > s.prompt:
		return m.ContextLength - s.prompt
	}
	return 0
}

// dearest returns p with each token price raised to that of the
// overrides that may apply to a prompt of at most prompt tokens: those
// whose min_prompt_tokens it may pass, and those of any time window (when
// the request runs is not known: a batch runs within 24 hours).
func (p Pricing) dearest(prompt int) Pricing {
	for _, o := range p.Overrides {
		if float64(prompt) <= o.MinPromptTokens {
			continue
		}
		p.Prompt = max(p.Prompt, o.Prompt)
		p.Completion = max(p.Completion, o.Completion)
		p.InputCacheWrite = max(p.InputCacheWrite, o.InputCacheWrite)
	}
	return p
}
