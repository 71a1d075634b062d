package openrouter

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// EstimateImageCost estimates what GenerateImage may cost at most for
// req, on the path GenerateImage would take: a chat image model is
// priced as EstimateCost prices the chat request it sends (input images,
// the output image's tokens and the price per output image included); a
// model of the image API from its endpoints' pricing lines, at the
// dearest endpoint (see ImageModelEndpoints), each line counted at its
// bound (per image: N; per megapixel: N images of the requested size, or
// 1K; per token: the prompt's bound and imageOutputTokens an image). A
// pricing line of a unit not known here cannot be bounded: that is an
// [ErrInvalidRequest] error.
func (c *Client) EstimateImageCost(ctx context.Context, req ImageRequest) (*CostEstimate, error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	model := req.Model
	if model == "" {
		model = c.Roles().Image
	}
	entry := c.catalog.entry(model)
	if entry == nil && ctx != nil {
		if m := c.imageAPIModel(ctx, model, nil); m != nil {
			return c.estimateImageAPI(ctx, req, model)
		}
	}
	creq, err := req.chatRequest(model, entry)
	if err != nil {
		return nil, err
	}
	return c.EstimateCost(ctx, []*ChatRequest{creq}, EstimateOptions{})
}

// estimateImageAPI prices a request of POST /images at the dearest of
// the model's endpoints.
func (c *Client) estimateImageAPI(ctx context.Context, req ImageRequest, model string) (*CostEstimate, error) {
	eps, err := c.ImageModelEndpoints(ctx, model)
	if err != nil {
		return nil, fmt.Errorf("pricing %s: %w", model, err)
	}
	if len(eps) == 0 {
		return nil, invalid("%s lists no endpoint, so no price: no upper bound can be given", model)
	}
	n := max(req.N, 1)
	q := imageQuantities{images: float64(n), inputs: float64(len(req.Inputs)),
		prompt:     float64((len(req.Prompt)+bytesPerToken-1)/bytesPerToken + len(req.Inputs)*imagePartTokens),
		megapixels: megapixels(req.Size)}
	est := &CostEstimate{Requests: 1, PromptTokens: int(q.prompt), CompletionTokens: n * imageOutputTokens,
		InputImages: len(req.Inputs), OutputImages: n}
	for _, ep := range eps {
		cost, err := q.cost(ep.Pricing)
		if err != nil {
			return nil, fmt.Errorf("pricing %s at %s: %w", model, ep.ProviderName, err)
		}
		est.Cost = max(est.Cost, cost)
	}
	return est, nil
}

// imageQuantities are the bounds an image API request is priced at.
type imageQuantities struct {
	images, inputs, prompt, megapixels float64
}

// cost sums an endpoint's pricing lines, each at its bound; of the
// variants of one line (qualities, sizes), the dearest counts.
func (q imageQuantities) cost(lines []ImagePricing) (float64, error) {
	dearest := map[string]float64{}
	for _, l := range lines {
		input := strings.HasPrefix(l.Billable, "input")
		var n float64
		switch {
		case l.Unit == "image" && input:
			n = q.inputs
		case l.Unit == "image":
			n = q.images
		case l.Unit == "megapixel" && input:
			n = q.inputs * megapixels("4K") // the inputs' size is not known: the largest
		case l.Unit == "megapixel":
			n = q.images * q.megapixels
		case l.Unit == "token" && input:
			n = q.prompt
		case l.Unit == "token":
			n = q.images * imageOutputTokens
		case l.Unit == "request":
			n = 1
		default:
			return 0, invalid("a price per %q (of %s) cannot be bounded", l.Unit, l.Billable)
		}
		k := l.Billable + "/" + l.Unit
		dearest[k] = max(dearest[k], n*l.CostUSD)
	}
	sum := 0.0
	for _, v := range dearest {
		sum += v
	}
	return sum, nil
}

// megapixels is the most pixels, in millions, an image of size ("1K",
// "2K", "4K"; "" is 1K, the default) has: a square of that many
// thousand-and-twenty-four pixels a side (other aspect ratios have
// fewer).
func megapixels(size string) float64 {
	k := 1.0
	if f, err := strconv.ParseFloat(strings.TrimSuffix(size, "K"), 64); err == nil && f > 0 {
		k = f
	}
	side := k * 1024
	return side * side / 1e6
}

// EstimateEmbeddingCost estimates what Embed (or, with o.Batch,
// SubmitEmbeddingBatch) may cost at most for req, from the price of the
// model in the embedding models' catalogue (EmbeddingModels): each text
// is counted a token a byte (no tokenizer makes more), each token array
// at its length; with o.Batch the tokens are priced at BatchDiscount.
func (c *Client) EstimateEmbeddingCost(ctx context.Context, req *EmbeddingRequest, o EstimateOptions) (*CostEstimate, error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	models, err := c.EmbeddingModels(ctx)
	if err != nil {
		return nil, fmt.Errorf("pricing %s: %w", req.Model, err)
	}
	var m *Model
	for i := range models {
		if models[i].ID == req.Model {
			m = &models[i]
		}
	}
	if m == nil {
		return nil, fmt.Errorf("%w: %s is not in the embedding models' catalogue", ErrModelNotFound, req.Model)
	}
	if m.Pricing.Variable {
		return nil, invalid("%s has a variable price: no upper bound can be given", req.Model)
	}
	tokens := 0
	for _, s := range req.Input {
		tokens += len(s)
	}
	for _, t := range req.Tokens {
		tokens += len(t)
	}
	requests := len(req.batches())
	factor := 1.0
	if o.Batch {
		factor = BatchDiscount
	}
	return &CostEstimate{Requests: requests, PromptTokens: tokens, Batch: o.Batch,
		Cost: float64(tokens)*m.Pricing.Prompt*factor + float64(requests)*m.Pricing.Request}, nil
}
