package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
)

// defaultCoverModel draws the covers: a model of the image API, which
// takes an output format and a compression (chat-completion image models
// answer PNG only).
const defaultCoverModel = "black-forest-labs/flux.2-pro"

// maxCoverTitle bounds the title put in a cover's prompt, so that the
// estimate, made before the titles exist, prices the longest prompt.
const maxCoverTitle = 200

// coverConfig is how covers are drawn: an SEO page ships compressed
// images sized for its layout.
type coverConfig struct {
	format      string // webp, jpeg, png; "" for the model's default
	compression int    // 0-100, for webp and jpeg
	size        string // resolution tier
	aspect      string
}

var defaultCover = coverConfig{format: "webp", compression: 80, size: "1K", aspect: "16:9"}

func (cc coverConfig) String() string {
	s := strings.TrimSpace(cc.format + " " + cc.size + " " + cc.aspect)
	if cc.format == "webp" || cc.format == "jpeg" {
		s += fmt.Sprintf(", compression %d", cc.compression)
	}
	return s
}

// request is the cover of an article titled title.
func (cc coverConfig) request(title string) openrouter.ImageRequest {
	if len(title) > maxCoverTitle {
		title = title[:maxCoverTitle]
	}
	req := openrouter.ImageRequest{
		Prompt:      "A clean, modern cover illustration for a blog article titled: " + title + ". No text in the image.",
		AspectRatio: cc.aspect, Size: cc.size, OutputFormat: cc.format,
	}
	if cc.format == "webp" || cc.format == "jpeg" {
		req.OutputCompression = openrouter.Ptr(cc.compression)
	}
	return req
}

// coverEstimate is the covers' part of the run's estimate: the covers of
// the articles the run priced (those not taken from the journal).
func coverEstimate(ctx context.Context, c *openrouter.Client, cfg config, rep *bulk.Report[article, output]) (*openrouter.CostEstimate, error) {
	var reqs []openrouter.ImageRequest
	for _, r := range rep.Results {
		if !r.Resumed {
			reqs = append(reqs, cfg.cover.request(strings.Repeat("W", maxCoverTitle)))
		}
	}
	if len(reqs) == 0 {
		return &openrouter.CostEstimate{}, nil
	}
	return c.EstimateImageCosts(ctx, reqs)
}
