package openrouter_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// pricedImageModel is an image model whose endpoint has pricing lines of
// every unit, some in quality variants.
func pricedImageModel() ort.ImageModel {
	m := ort.DefaultImageModels()[0]
	m.Pricing = []ort.ImagePrice{
		{Billable: "output_image", Unit: "image", CostUSD: 0.02, Variant: "low"},
		{Billable: "output_image", Unit: "image", CostUSD: 0.05, Variant: "high"},
		{Billable: "output_image", Unit: "image", CostUSD: 0.03, Variant: "medium"},
		{Billable: "output_image", Unit: "megapixel", CostUSD: 0.004},
		{Billable: "output_image", Unit: "token", CostUSD: 0.000002},
		{Billable: "input_reference", Unit: "image", CostUSD: 0.003},
		{Billable: "input_image", Unit: "megapixel", CostUSD: 0.001},
		{Billable: "input_text", Unit: "token", CostUSD: 0.0000005},
	}
	return m
}

// TestImageEstimateBoundsTheBill checks, for every shape of image request
// (n, resolution, quality, format, references), that EstimateImageCost
// is at least what the fake billed, by the pricing lines as the OpenAPI
// document defines them, and that EstimateImageCosts reads the model's
// endpoints once for many requests.
func TestImageEstimateBoundsTheBill(t *testing.T) {
	var endpointReads atomic.Int32
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if strings.HasSuffix(r.URL.Path, "/endpoints") {
			endpointReads.Add(1)
		}
		return http.DefaultTransport.RoundTrip(r)
	})}
	_, c, _ := setup(t, []ort.Option{ort.WithImageModels(pricedImageModel())}, openrouter.WithHTTPClient(hc))
	ctx := context.Background()
	ref := openrouter.ImageInput{Data: ort.MakePNG(300, 200)}
	var all []openrouter.ImageRequest
	for _, n := range []int{0, 1, 3} {
		for _, size := range []string{"", "1K", "2K", "4K"} {
			for _, quality := range []string{"", "low", "medium", "high", "auto"} {
				for _, refs := range [][]openrouter.ImageInput{nil, {ref, ref}} {
					for _, format := range []string{"", "webp"} {
						req := openrouter.ImageRequest{Model: "black-forest-labs/flux.2-pro", Prompt: "a cover for an article about tides",
							N: n, Size: size, Quality: quality, Inputs: refs, OutputFormat: format}
						if format == "webp" {
							req.OutputCompression = openrouter.Ptr(70)
						}
						est, err := c.EstimateImageCost(ctx, req)
						if err != nil {
							t.Fatal(err)
						}
						res, err := c.GenerateImage(ctx, req)
						if err != nil {
							t.Fatal(err)
						}
						if billed := res.Cost(); billed <= 0 || est.Cost < billed-1e-12 {
							t.Errorf("%+v: estimate %.6f, billed %.6f", req, est.Cost, billed)
						}
						all = append(all, req)
					}
				}
			}
		}
	}
	endpointReads.Store(0)
	sum, err := c.EstimateImageCosts(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Requests != len(all) || sum.Cost < c.Spent()-1e-9 {
		t.Fatalf("%d requests priced at %.4f; %d sent, billed %.4f", sum.Requests, sum.Cost, len(all), c.Spent())
	}
	if n := endpointReads.Load(); n != 1 {
		t.Fatalf("the endpoints were read %d times for %d requests of one model", n, len(all))
	}
}
