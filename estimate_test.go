package openrouter_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

func TestEstimateCost(t *testing.T) {
	srv := openroutertest.NewServer()
	defer srv.Close()
	c := srv.Client()
	ctx := context.Background()
	msg := []openrouter.Message{openrouter.UserMessage("abcdefghi")}
	reqs := []*openrouter.ChatRequest{
		{Model: "openai/gpt-4o-mini", MaxTokens: 100, Messages: msg},
		{Model: "openai/gpt-4o-mini", Messages: msg},                                                                  // bounded by the model's 16384
		{Model: "openai/gpt-4o-mini", Models: []string{"anthropic/claude-sonnet-4.5"}, MaxTokens: 100, Messages: msg}, // the dearer fallback
	}
	prompt := make([]float64, len(reqs)) // each request's prompt bound, from its body
	for i, r := range reqs {
		e, err := c.EstimateCost(ctx, reqs[i:i+1], openrouter.EstimateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		prompt[i] = float64(e.PromptTokens)
		if len(r.Messages[0].Content)/3 >= e.PromptTokens { // the body is more than its message
			t.Errorf("request %d: %d prompt tokens", i, e.PromptTokens)
		}
	}
	fallback := prompt[2]*3e-6 + 100*15e-6 // runs sync even in batch mode: a batch takes no fallback models
	want := prompt[0]*0.15e-6 + 100*0.6e-6 + prompt[1]*0.15e-6 + 16384*0.6e-6 + fallback
	est, err := c.EstimateCost(ctx, reqs, openrouter.EstimateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if est.Requests != 3 || est.PromptTokens != int(prompt[0]+prompt[1]+prompt[2]) || est.CompletionTokens != 16584 || math.Abs(est.Cost-want) > 1e-12 {
		t.Errorf("estimate %+v, want cost %v", est, want)
	}
	batch, err := c.EstimateCost(ctx, reqs, openrouter.EstimateOptions{Batch: true})
	if wantBatch := (want-fallback)/2 + fallback; err != nil || math.Abs(batch.Cost-wantBatch) > 1e-12 || !batch.Batch {
		t.Errorf("batch estimate %+v %v, want %v", batch, err, wantBatch)
	}
	_, err = c.EstimateCost(ctx, []*openrouter.ChatRequest{{Model: "no/such-model", Messages: msg}}, openrouter.EstimateOptions{})
	if !errors.Is(err, openrouter.ErrModelNotFound) {
		t.Errorf("unknown model: %v", err)
	}
	if _, err := c.EstimateCost(ctx, []*openrouter.ChatRequest{{}}, openrouter.EstimateOptions{}); !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("empty request: %v", err)
	}
}

func TestCheckFunds(t *testing.T) {
	srv := openroutertest.NewServer(openroutertest.WithCredits(0.001), openroutertest.WithKeyLimit(0.001))
	defer srv.Close()
	est := &openrouter.CostEstimate{Requests: 10, Cost: 0.003, Batch: true}
	for _, tc := range []struct {
		mgmt    []openrouter.Option
		credits string
	}{{nil, "credits left: unknown"}, {[]openrouter.Option{openrouter.WithManagementKey(srv.ManagementKey)}, "credits left: $0.0010"}} {
		c := openrouter.NewClient(srv.Key, append(tc.mgmt, openrouter.WithBaseURL(srv.URL))...)
		f, err := c.CheckFunds(context.Background(), est)
		var ie *openrouter.InsufficientFundsError
		if !errors.As(err, &ie) || !errors.Is(err, openrouter.ErrInsufficientCredits) {
			t.Fatalf("CheckFunds: %v", err)
		}
		msg := err.Error()
		for _, s := range []string{"$0.0030", "$0.0010 is available", tc.credits, "key limit left: $0.0010"} {
			if !strings.Contains(msg, s) {
				t.Errorf("%q does not say %q", msg, s)
			}
		}
		if f == nil || f.KeyRemaining == nil || *f.KeyRemaining != 0.001 {
			t.Errorf("funds %+v", f)
		}
		if openrouter.Hint(err) == "" {
			t.Error("no hint")
		}
		if _, err := c.CheckFunds(context.Background(), &openrouter.CostEstimate{Cost: 0.0005}); err != nil {
			t.Errorf("an estimate the funds cover: %v", err)
		}
	}
	unlimited := openroutertest.NewServer()
	defer unlimited.Close()
	f, err := unlimited.Client().CheckFunds(context.Background(), est)
	if _, known := f.Available(); err != nil || known {
		t.Errorf("no limit and no management key: %+v %v; want unknown funds and no refusal", f, err)
	}
}
