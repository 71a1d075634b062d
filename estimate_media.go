package openrouter

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/routerkit/openrouter/internal/dataurl"
)

// EstimateImageCost estimates what GenerateImage may cost at most for
// req: EstimateImageCosts of req alone.
func (c *Client) EstimateImageCost(ctx context.Context, req ImageRequest) (*CostEstimate, error) {
	return c.EstimateImageCosts(ctx, []ImageRequest{req})
}

// EstimateImageCosts estimates what GenerateImage may cost at most for
// each of reqs, summed, on the path GenerateImage would take: a chat
// image model is priced as EstimateCost prices the chat request it sends
// (input images, the output image's tokens and the price per output
// image included); a model of the image API from its endpoints' pricing
// lines (ImageModelEndpoints, read once a model), at the dearest
// endpoint, each line counted at its bound: per image, N (and the
// references for input lines); per megapixel, N images of the requested
// resolution's square (1K when none is asked), and each reference at 4K;
// per token, the prompt's bound and imageOutputTokens an image. Of a
// line's variants, those naming the requested quality or resolution
// count, else the dearest. A request GenerateImage would refuse is
// refused here the same way, and a pricing line of a unit not known here
// cannot be bounded: both are [ErrInvalidRequest] errors.
func (c *Client) EstimateImageCosts(ctx context.Context, reqs []ImageRequest) (*CostEstimate, error) {
	total := &CostEstimate{}
	endpoints := map[string][]ImageEndpoint{}
	var chat []*ChatRequest
	for i := range reqs {
		e, creq, err := c.estimateImage(ctx, &reqs[i], endpoints)
		if err != nil {
			if len(reqs) > 1 {
				err = fmt.Errorf("image request %d: %w", i, err)
			}
			return nil, err
		}
		total.Add(e)
		if creq != nil {
			chat = append(chat, creq)
		}
	}
	if len(chat) > 0 {
		e, err := c.EstimateCost(ctx, chat, EstimateOptions{})
		if err != nil {
			return nil, err
		}
		total.Add(e)
	}
	return total, nil
}

// estimateImage prices req when its model is of the image API, or
// returns the chat request to price; endpoints caches the models'
// endpoints.
func (c *Client) estimateImage(ctx context.Context, req *ImageRequest, endpoints map[string][]ImageEndpoint) (*CostEstimate, *ChatRequest, error) {
	if err := req.validate(); err != nil {
		return nil, nil, err
	}
	model := req.Model
	if model == "" {
		model = c.Roles().Image
	}
	entry := c.catalog.entry(model)
	if entry == nil && ctx != nil {
		if m := c.imageAPIModel(ctx, model, nil); m != nil {
			if _, err := req.imagesBody(m); err != nil {
				return nil, nil, err
			}
			eps, ok := endpoints[model]
			if !ok {
				var err error
				if eps, err = c.ImageModelEndpoints(ctx, model); err != nil {
					return nil, nil, fmt.Errorf("pricing %s: %w", model, err)
				}
				endpoints[model] = eps
			}
			e, err := req.priceImageAPI(model, eps)
			return e, nil, err
		}
	}
	creq, err := req.chatRequest(model, entry)
	return nil, creq, err
}

// priceImageAPI prices a request of POST /images at the dearest of the
// model's endpoints.
func (req *ImageRequest) priceImageAPI(model string, eps []ImageEndpoint) (*CostEstimate, error) {
	if len(eps) == 0 {
		return nil, invalid("%s lists no endpoint, so no price: no upper bound can be given", model)
	}
	n := max(req.N, 1)
	q := imageQuantities{images: float64(n), inputs: float64(len(req.Inputs)),
		prompt:     float64((len(req.Prompt)+bytesPerToken-1)/bytesPerToken + len(req.Inputs)*imagePartTokens),
		megapixels: megapixels(req.Size), inputMP: inputMegapixels(req.Inputs), quality: req.Quality, size: req.Size}
	est := &CostEstimate{Requests: 1, PromptTokens: int(q.prompt), CompletionTokens: n * imageOutputTokens,
		InputImages: len(req.Inputs), OutputImages: n}
	for _, ep := range eps {
		if len(ep.Pricing) == 0 {
			return nil, invalid("%s at %s lists no price: no upper bound can be given", model, ep.ProviderName)
		}
		cost, err := q.cost(ep.Pricing)
		if err != nil {
			return nil, fmt.Errorf("pricing %s at %s: %w", model, ep.ProviderName, err)
		}
		est.Cost = max(est.Cost, cost)
	}
	return est, nil
}

// imageQuantities are the bounds an image API request is priced at;
// quality and size are the request's, as a pricing line's variant may
// name them.
type imageQuantities struct {
	images, inputs, prompt, megapixels float64
	// inputMP bounds the inputs' megapixels, summed.
	inputMP       float64
	quality, size string
}

// inputMegapixels bounds the megapixels of inputs, summed: each at 4K
// (an input given by URL is not read), or at its own size when its bytes
// say it is larger.
func inputMegapixels(inputs []ImageInput) float64 {
	sum := 0.0
	for _, in := range inputs {
		mp := megapixels("4K")
		if len(in.Data) > 0 {
			if d, err := dataurl.Identify(in.Data, ""); err == nil {
				mp = max(mp, float64(d.Width)*float64(d.Height)/1e6)
			}
		}
		sum += mp
	}
	return sum
}

// cost sums an endpoint's pricing lines, each at its bound; of the
// variants of one line (same billable and unit), the dearest of those
// the request does not rule out, or of all when it rules them all out.
func (q imageQuantities) cost(lines []ImagePricing) (float64, error) {
	dearest, kept := map[string]float64{}, map[string]float64{}
	for _, l := range lines {
		n, err := q.quantity(l)
		if err != nil {
			return 0, err
		}
		k := l.Billable + "/" + l.Unit
		dearest[k] = max(dearest[k], n*l.CostUSD)
		if !q.rulesOut(l.Variant) {
			kept[k] = max(kept[k], n*l.CostUSD)
		}
	}
	sum := 0.0
	for k, v := range dearest {
		if w, ok := kept[k]; ok {
			v = w
		}
		sum += v
	}
	return sum, nil
}

// rulesOut reports whether a pricing line's variant is a quality or a
// resolution other than the one the request set. A variant not known as
// either, or of a dimension left to the provider (unset, quality
// "auto"), may apply: it is not ruled out.
func (q imageQuantities) rulesOut(variant string) bool {
	if variant == "" {
		return false
	}
	isQuality := slices.ContainsFunc(imageQualities, func(v string) bool { return strings.EqualFold(v, variant) })
	isSize := imageSizeRe.MatchString(strings.ToUpper(variant))
	switch {
	case isQuality && q.quality != "" && q.quality != "auto":
		return !strings.EqualFold(variant, q.quality)
	case isSize && q.size != "":
		return !strings.EqualFold(variant, q.size)
	}
	return false
}

// quantity is the bound of what a pricing line counts.
func (q imageQuantities) quantity(l ImagePricing) (float64, error) {
	input := strings.HasPrefix(l.Billable, "input")
	switch {
	case l.Unit == "image" && input:
		return q.inputs, nil
	case l.Unit == "image":
		return q.images, nil
	case l.Unit == "megapixel" && input:
		return q.inputMP, nil
	case l.Unit == "megapixel":
		return q.images * q.megapixels, nil
	case l.Unit == "token" && input:
		return q.prompt, nil
	case l.Unit == "token":
		return q.images * imageOutputTokens, nil
	case l.Unit == "request":
		return 1, nil
	}
	return 0, invalid("a price per %q (of %s) cannot be bounded", l.Unit, l.Billable)
}

// megapixels is the most pixels, in millions, an image of resolution
// size has ("1K", "2K", "4K", "512"; "" is 1K, the default): a square of
// that many thousand-and-twenty-four pixels a side, or of "512" pixels
// (other aspect ratios have fewer).
func megapixels(size string) float64 {
	side := 1024.0
	if k, ok := strings.CutSuffix(size, "K"); ok {
		if f, err := strconv.ParseFloat(k, 64); err == nil && f > 0 {
			side = f * 1024
		}
	} else if f, err := strconv.ParseFloat(size, 64); err == nil && f > 0 {
		side = f
	}
	return side * side / 1e6
}

// EstimateEmbeddingCost estimates what Embed (or, with o.Batch,
// Batches.SubmitEmbeddings) may cost at most for req, from the price of the
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
