package bulk_test

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
)

// TestBillCountsImages checks that a job's estimate counts each item's
// image requests beside its chat request, is at least what the run
// spent, and that an item whose images cannot be built stops the
// estimate.
func TestBillCountsImages(t *testing.T) {
	_, c := setup(t, nil)
	ctx := context.Background()
	chat := func(s string) (*openrouter.ChatRequest, error) {
		return &openrouter.ChatRequest{Model: "openai/gpt-4o-mini", MaxTokens: 50, Messages: []openrouter.Message{openrouter.UserMessage(s)}}, nil
	}
	cover := func(s string) openrouter.ImageRequest {
		return openrouter.ImageRequest{Model: "black-forest-labs/flux.2-pro", Prompt: "cover: " + s, N: 2, Size: "2K",
			OutputFormat: "webp", OutputCompression: openrouter.Ptr(75)}
	}
	images := func(s string) ([]openrouter.ImageRequest, error) { return []openrouter.ImageRequest{cover(s)}, nil }
	work := func(ctx context.Context, s string) (string, error) {
		req, _ := chat(s)
		if _, err := c.Chat(ctx, req); err != nil {
			return "", err
		}
		_, err := c.GenerateImage(ctx, cover(s))
		return "", err
	}
	its := items(3)
	rep, err := bulk.Runner[string, string]{Bill: &bulk.Bill[string]{Client: c, Request: chat, Images: images}}.Run(ctx, its, work)
	if err != nil {
		t.Fatal(err)
	}
	var reqs []*openrouter.ChatRequest
	var imgs []openrouter.ImageRequest
	for _, it := range its {
		r, _ := chat(it)
		reqs = append(reqs, r)
		imgs = append(imgs, cover(it))
	}
	chatEst, err := c.EstimateCost(ctx, reqs, openrouter.EstimateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	imgEst, err := c.EstimateImageCosts(ctx, imgs)
	if err != nil {
		t.Fatal(err)
	}
	e := rep.Estimate
	if e == nil || e.Requests != 6 || e.OutputImages != 6 || math.Abs(e.Cost-chatEst.Cost-imgEst.Cost) > 1e-9 || imgEst.Cost < 6*0.03 {
		t.Fatalf("estimate %+v; chat %.4f, images %.4f", e, chatEst.Cost, imgEst.Cost)
	}
	if spent := c.Spent(); spent <= 0 || e.Cost < spent {
		t.Fatalf("estimate %.4f, spent %.4f", e.Cost, spent)
	}
	broken := func(string) ([]openrouter.ImageRequest, error) { return nil, errors.New("no title") }
	if _, err := (bulk.Runner[string, string]{Bill: &bulk.Bill[string]{Client: c, Images: broken}}).Run(ctx, its, work); err == nil {
		t.Fatal("an item whose images cannot be built was left out of the estimate")
	}
}
