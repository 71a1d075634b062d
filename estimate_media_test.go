package openrouter_test

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// imageAPIServer serves one image API model, x/img, whose endpoints
// carry the pricing lines given.
func imageAPIServer(t *testing.T, endpoints string) *openrouter.Client {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/images/models":
			io.WriteString(w, `{"data":[{"id":"x/img","name":"img","architecture":{"input_modalities":["text","image"],"output_modalities":["image"]}}]}`)
		case "/api/v1/images/models/x/img/endpoints":
			io.WriteString(w, `{"endpoints":`+endpoints+`}`)
		default:
			t.Errorf("%s %s: an estimate sends no request", r.Method, r.URL.Path)
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return openrouter.NewClient(ort.DefaultKey, openrouter.WithBaseURL(srv.URL+"/api/v1"), openrouter.WithLimiter(nil))
}

// TestEstimateImageAPIPricingLines: each pricing line of the image API
// is counted at its bound (images, megapixels of the size asked for,
// tokens), the dearest variant of a line and the dearest endpoint; a
// unit that cannot be bounded is refused.
func TestEstimateImageAPIPricingLines(t *testing.T) {
	c := imageAPIServer(t, `[
		{"provider_name":"A","pricing":[
			{"billable":"output_image","unit":"megapixel","cost_usd":0.01},
			{"billable":"input_image","unit":"image","cost_usd":0.002},
			{"billable":"output_image","unit":"image","cost_usd":0.03,"variant":"low"},
			{"billable":"output_image","unit":"image","cost_usd":0.05,"variant":"high"}]},
		{"provider_name":"B","pricing":[{"billable":"output_image","unit":"token","cost_usd":0.00001}]}]`)
	req := openrouter.ImageRequest{Model: "x/img", Prompt: "a cat", N: 2, Size: "2K", Inputs: []openrouter.ImageInput{{URL: "https://example.com/a.png"}}}
	est, err := c.EstimateImageCost(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	mp := 2048.0 * 2048 / 1e6
	a := 2*mp*0.01 + 1*0.002 + 2*0.05 // the high variant, not low and high
	b := 2 * 6240 * 0.00001
	if want := math.Max(a, b); math.Abs(est.Cost-want) > 1e-12 || est.OutputImages != 2 || est.InputImages != 1 {
		t.Errorf("estimate %+v; want cost %v (endpoint A %v, B %v)", est, want, a, b)
	}
	c = imageAPIServer(t, `[{"provider_name":"A","pricing":[{"billable":"output_video","unit":"second","cost_usd":0.1}]}]`)
	if _, err := c.EstimateImageCost(context.Background(), req); !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("a price per second: %v; want ErrInvalidRequest", err)
	}
}
