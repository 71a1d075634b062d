package openrouter

import (
	"context"
	"math"
	"sync"
)

// Embeddings is the answer to an EmbeddingRequest.
type Embeddings struct {
	// Vectors holds one vector per input, in input order, all of one
	// size. After a failed request of a split one, the inputs it carried
	// (and those of the parts not sent after it) have nil vectors.
	Vectors [][]float32
	// Model is the model that answered; ID the last answer's ID.
	Model, ID string
	// Usage sums the usage of every request sent.
	Usage EmbeddingUsage
	// Requests is how many requests answered (and were billed), an
	// unusable answer included.
	Requests int
}

// EmbeddingUsage is the tokens and cost of embeddings.
type EmbeddingUsage struct {
	PromptTokens int     `json:"prompt_tokens"`
	TotalTokens  int     `json:"total_tokens"`
	Cost         float64 `json:"cost"` // USD
	IsBYOK       bool    `json:"is_byok,omitempty"`
}

// Cost returns the cost the answers report, in USD.
func (e *Embeddings) Cost() float64 {
	if e == nil {
		return 0
	}
	return e.Usage.Cost
}

// Embed returns the embeddings of the request's inputs, one vector per
// input in input order, decoded into float32 whichever encoding
// travelled. A large request is split (see EmbeddingRequest) and its
// parts sent concurrently; each answer's cost is added to the client's
// spending as it arrives. When a part fails, no further part is sent,
// but the parts already sent run to their end (they are billed); Embed
// returns the first error together with the Embeddings of the parts that
// answered: the inputs of a failed or unsent part have nil vectors. Parts
// answered with vectors of different sizes (different providers, say)
// are refused the same way: an [ErrServer] error beside the Embeddings.
func (c *Client) Embed(ctx context.Context, req *EmbeddingRequest, opts ...CallOption) (*Embeddings, error) {
	if ctx == nil {
		return nil, invalid("nil context")
	}
	if err := req.validate(); err != nil {
		return nil, err
	}
	// One call: one timeout for all parts, one ResponseInfo adding them up.
	ctx, cancelCall, opts, err := prepareCall(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer cancelCall()
	batches := req.batches()
	n := max(len(req.Input), len(req.Tokens))
	res := &Embeddings{Vectors: make([][]float32, n)}
	workers := req.Concurrency
	if workers == 0 {
		workers = DefaultEmbeddingConcurrency
	}
	workers = min(workers, len(batches))

	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
		next     = make(chan [2]int)
		stop     = make(chan struct{}) // closed at the first failure
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range next {
				ans, vecs, err := c.embedBatch(ctx, req, b[0], b[1], opts)
				mu.Lock()
				res.add(ans)
				if err == nil {
					copy(res.Vectors[b[0]:b[1]], vecs)
				} else if firstErr == nil {
					// No part is sent after this one; the parts already
					// sent run to their end: they are billed, so their
					// vectors are kept.
					firstErr = err
					close(stop)
					if embedFailedHook != nil {
						embedFailedHook()
					}
				}
				mu.Unlock()
			}
		}()
	}
	sendParts(ctx, batches, next, stop)
	close(next)
	wg.Wait()
	if firstErr == nil {
		firstErr = res.checkDimensions(req.Model)
	}
	if firstErr != nil {
		if res.Requests == 0 {
			return nil, firstErr
		}
		return res, firstErr
	}
	if err := ctx.Err(); err != nil { // the caller's context ended before every part was sent
		return res, err
	}
	return res, nil
}

// EmbeddingModels returns the embedding models (GET /embeddings/models),
// which the chat catalogue of Models does not list.
func (c *Client) EmbeddingModels(ctx context.Context, opts ...CallOption) ([]Model, error) {
	var out struct {
		Data []Model `json:"data"`
	}
	if err := c.getJSON(ctx, "/embeddings/models", &out, opts); err != nil {
		return nil, err
	}
	return out.Data, nil
}

// Cosine returns the cosine similarity of two vectors of the same length
// (0 when either is zero or their lengths differ).
func Cosine(a, b []float32) float64 {
	if len(a) != len(b) {
		return 0
	}
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}
