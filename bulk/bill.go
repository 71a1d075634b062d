package bulk

import (
	"context"
	"errors"
	"fmt"

	"github.com/routerkit/openrouter"
)

// Bill asks a run to estimate its cost before it starts: the items'
// requests are priced from the client's catalogue
// (openrouter.Client.EstimateCost: tokens bounded from the encoded
// bodies, tools, schemas and images included, the answers counted at
// their max_tokens bound, so an upper bound), at
// the batch price for the items RunBatch puts in a batch. The estimate is
// set in Report.Estimate, beside what the run actually spent.
type Bill[T any] struct {
	// Client prices the requests and reads the funds. Required.
	Client *openrouter.Client
	// Request builds an item's chat request. In RunBatch, nil means
	// BatchMode.Request; in Run it is required. An item whose request
	// cannot be built is left out of the estimate, and so is one whose
	// Request returns ErrSync in RunBatch (its sync path is the caller's:
	// a long article RewriteMode rewrites in sections, say).
	Request func(item T) (*openrouter.ChatRequest, error)
	// Images builds an item's image requests (an article's cover, say),
	// priced with its chat request by
	// openrouter.Client.EstimateImageCosts (each image model's endpoints
	// read once), so that the estimate counts them; nil means none. An
	// item whose image requests cannot be built is an error: an estimate
	// that leaves out images it knows of is no bound. With Images set,
	// Request may be nil in Run (a job of images only).
	Images func(item T) ([]openrouter.ImageRequest, error)
	// RequireFunds refuses to start, with an
	// *openrouter.InsufficientFundsError (matching
	// openrouter.ErrInsufficientCredits) that gives the estimate, the
	// credits left and the key's remaining limit, a job that the smaller
	// of the two known figures cannot cover. Nothing is sent then.
	RequireFunds bool
}

// checkBill estimates the cost of the items not yet done, and checks the
// funds when asked. m is the batch mode (nil for Run).
func (r *runner[T, R]) checkBill(ctx context.Context, items []T, m *BatchMode[T, R]) error {
	bill := r.b.Bill
	if bill == nil {
		return nil
	}
	request := bill.Request
	if request == nil && m != nil {
		request = m.Request
	}
	if bill.Client == nil || request == nil && bill.Images == nil {
		return fmt.Errorf("%w: bulk.Bill needs a Client and a Request function", openrouter.ErrInvalidRequest)
	}
	var sync, batch []*openrouter.ChatRequest
	var images []openrouter.ImageRequest
	for i, it := range items {
		if r.rep.Results[i].Resumed || r.paid != nil && r.paid[i] {
			continue // done, or paid for by an earlier run: only what is left to buy
		}
		if bill.Images != nil {
			imgs, err := bill.Images(it)
			if err != nil {
				return fmt.Errorf("bulk: the image requests of item %d: %w", i, err)
			}
			images = append(images, imgs...)
		}
		if request == nil {
			continue
		}
		req, err := request(it)
		if errors.Is(err, ErrSync) && m != nil && m.Sync != nil {
			continue // priced by the caller's own path: unknown here
		}
		if err != nil || req == nil {
			continue
		}
		model := req.Model
		if model == "" {
			model = bill.Client.Roles().Standard
		}
		if m != nil && openrouter.CheckBatchable(req) == nil && (m.Batchable == nil || m.Batchable(model)) {
			batch = append(batch, req)
		} else {
			sync = append(sync, req)
		}
	}
	est := &openrouter.CostEstimate{Batch: len(batch) > 0}
	for _, part := range []struct {
		reqs  []*openrouter.ChatRequest
		batch bool
	}{{sync, false}, {batch, true}} {
		if len(part.reqs) == 0 {
			continue
		}
		e, err := bill.Client.EstimateCost(ctx, part.reqs, openrouter.EstimateOptions{Batch: part.batch})
		if err != nil {
			return fmt.Errorf("bulk: estimating the job's cost: %w", err)
		}
		est.Add(e)
	}
	if len(images) > 0 {
		e, err := bill.Client.EstimateImageCosts(ctx, images)
		if err != nil {
			return fmt.Errorf("bulk: estimating the job's images: %w", err)
		}
		est.Add(e)
	}
	r.rep.Estimate = est
	if !bill.RequireFunds || est.Requests == 0 {
		return nil // nothing left to buy: a run that only collects is never refused
	}
	funds, err := bill.Client.CheckFunds(ctx, est)
	r.rep.Funds = funds
	if err != nil {
		return fmt.Errorf("bulk: the job was not started: %w", err)
	}
	return nil
}
