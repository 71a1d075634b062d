package openrouter

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// BatchEmbeddings is the endpoint of a batch of embedding requests,
// the one Batches.SubmitEmbeddings builds.
const BatchEmbeddings = "/v1/embeddings"

// embeddingBatchID is the custom ID of the batch request that carries
// inputs [from, to) of an EmbeddingRequest whose digest is sum: results
// map back to inputs by it, and a batch of other inputs (another job's,
// of the same model and size) does not carry the same custom IDs.
func embeddingBatchID(from, to int, sum string) string {
	return fmt.Sprintf("emb-%d-%d-%s", from, to, sum)
}

// embeddingDigest is a digest of what an embeddings batch's answers
// depend on: the model, the inputs and the options sent.
func embeddingDigest(req *EmbeddingRequest) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	_ = enc.Encode([]any{req.Model, req.Input, req.Tokens, req.Dimensions, req.EncodingFormat, req.User})
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// parseEmbeddingBatchID reads an embeddingBatchID back, checked against
// the n inputs of the request and its digest sum. An ID without a digest
// (a batch submitted by an earlier version) is read too.
func parseEmbeddingBatchID(id string, n int, sum string) (from, to int, ok bool) {
	parts := strings.SplitN(strings.TrimPrefix(id, "emb-"), "-", 3)
	if !strings.HasPrefix(id, "emb-") || len(parts) < 2 || len(parts) == 3 && parts[2] != sum {
		return 0, 0, false
	}
	from, err1 := strconv.Atoi(parts[0])
	to, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || from < 0 || to <= from || to > n {
		return 0, 0, false
	}
	return from, to, true
}

// SubmitEmbeddings submits req as a batch of embedding requests
// (endpoint [BatchEmbeddings]), at about half the price of Embed, answered
// within 24 hours: the inputs are split as Embed splits them
// (BatchInputs, BatchTokens), one batch request each, under custom IDs
// that say which inputs each carries. Follow the batch with Batches.Wait and
// read the vectors with Batches.EmbeddingResults, given the same req.
//
// The Batch API takes neither InputType nor Provider on an embedding
// request: they are refused ([ErrInvalidRequest]); send such a request
// with Embed. A submission is never sent twice blindly; a lost answer is
// settled as Batches.Submit settles it: a batch found is returned only when
// proven the submission's (finished, with results under this request's
// custom IDs, which carry a digest of its model, inputs and options);
// otherwise a *[BatchSubmitError] lists the candidates, whose results
// Batches.EmbeddingResults reads only if they are this request's.
func (s *BatchesService) SubmitEmbeddings(ctx context.Context, req *EmbeddingRequest, opts ...CallOption) (*Batch, error) {
	c := s.client()
	body, marker, err := c.encodeEmbeddingBatch(req)
	if err != nil {
		return nil, err
	}
	if ctx == nil {
		return nil, invalid("nil context")
	}
	ctx, cancel, opts, err := prepareCall(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer cancel()
	b, err := c.submitOnce(ctx, body, marker.Model, opts)
	if err == nil || !maybeStored(err) {
		return b, err
	}
	if ctx.Err() != nil {
		return nil, &BatchSubmitError{Marker: marker, Err: err}
	}
	// Adopted only when proven: finished, with results under this
	// request's custom IDs (which carry its digest).
	ids := &BatchRequest{}
	sum := embeddingDigest(req)
	for _, p := range req.batches() {
		ids.Requests = append(ids.Requests, BatchItem{CustomID: embeddingBatchID(p[0], p[1], sum)})
	}
	return c.adoptProven(ctx, marker, ids, err, opts)
}

// embeddingBatchBody is the body of one request of an embeddings batch:
// the batch names the model.
type embeddingBatchBody struct {
	Input          any    `json:"input"`
	Dimensions     int    `json:"dimensions,omitempty"`
	EncodingFormat string `json:"encoding_format,omitempty"`
	User           string `json:"user,omitempty"`
}

// encodeEmbeddingBatch validates req for a batch and returns the batch's
// body (endpoint and model before requests, as the server requires) and
// marker.
func (c *Client) encodeEmbeddingBatch(req *EmbeddingRequest) ([]byte, BatchMarker, error) {
	if err := req.validate(); err != nil {
		return nil, BatchMarker{}, err
	}
	if req.InputType != "" || req.Provider != nil {
		return nil, BatchMarker{}, invalid("the Batch API takes no input_type and no provider preferences on an embedding request; send it with Embed")
	}
	if len(req.Extra) > 0 {
		return nil, BatchMarker{}, invalid("Extra is not sent through the Batch API's embedding requests; send the request with Embed")
	}
	parts, sum := req.batches(), embeddingDigest(req)
	m, err := c.batchMarker(&BatchRequest{Model: req.Model, Requests: make([]BatchItem, len(parts))})
	if err != nil {
		return nil, m, err
	}
	m.Endpoint = BatchEmbeddings
	var b bytes.Buffer
	b.WriteString(`{"endpoint":`)
	writeJSONValue(&b, m.Endpoint)
	b.WriteString(`,"model":`)
	writeJSONValue(&b, m.Model)
	b.WriteString(`,"requests":[`)
	for i, p := range parts {
		body := embeddingBatchBody{Dimensions: req.Dimensions, EncodingFormat: req.EncodingFormat, User: req.User}
		if len(req.Input) > 0 {
			body.Input = req.Input[p[0]:p[1]]
		} else {
			body.Input = req.Tokens[p[0]:p[1]]
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"custom_id":`)
		writeJSONValue(&b, embeddingBatchID(p[0], p[1], sum))
		b.WriteString(`,"body":`)
		writeJSONValue(&b, body)
		b.WriteByte('}')
	}
	b.WriteString("]}")
	return b.Bytes(), m, nil
}

// EmbeddingResults reads the results of a finished batch that
// Batches.SubmitEmbeddings submitted for req, into Embeddings as Embed
// returns them: one vector per input, in input order, all of one size,
// the usage summed over the answers. Every answer is read, even after one
// fails (each was billed): the first error is returned beside the
// Embeddings, the inputs of a failed request having nil vectors. A result
// whose custom ID names no inputs of req (the batch of another request)
// is such an error.
func (s *BatchesService) EmbeddingResults(ctx context.Context, id string, req *EmbeddingRequest, opts ...CallOption) (*Embeddings, error) {
	c := s.client()
	if err := req.validate(); err != nil {
		return nil, err
	}
	n, sum := max(len(req.Input), len(req.Tokens)), embeddingDigest(req)
	res := &Embeddings{Vectors: make([][]float32, n)}
	var firstErr error
	keep := func(err error) {
		if firstErr == nil {
			firstErr = err
		}
	}
	for r, err := range c.Batches.Results(ctx, id, opts...) {
		if err != nil {
			keep(err)
			break
		}
		ans, vecs, err := r.embeddings(req, n, sum)
		res.add(ans)
		if ans == nil { // not an embeddings answer, but what it cost was billed
			res.Usage.Cost += r.Cost()
		}
		if err != nil {
			keep(fmt.Errorf("batch request %s: %w", r.CustomID, err))
			continue
		}
		from, _, _ := parseEmbeddingBatchID(r.CustomID, n, sum)
		copy(res.Vectors[from:], vecs)
	}
	if firstErr == nil {
		firstErr = res.checkDimensions(req.Model)
	}
	if firstErr == nil {
		for i, v := range res.Vectors {
			if v == nil {
				firstErr = malformed(req.Model, "the batch has no result for input %d", i)
				break
			}
		}
	}
	if firstErr != nil && res.Requests == 0 {
		return nil, firstErr
	}
	return res, firstErr
}

// embeddings decodes an embeddings batch result: its answer (nil when it
// has none: an error result) and the vectors of the inputs its custom ID
// names.
func (r *BatchResult) embeddings(req *EmbeddingRequest, n int, sum string) (*embeddingAnswer, [][]float32, error) {
	from, to, ok := parseEmbeddingBatchID(r.CustomID, n, sum)
	if !ok {
		return nil, nil, malformed(req.Model, "custom ID %q names no inputs of this request (%d inputs)", r.CustomID, n)
	}
	if hasJSON(r.Error) {
		e := errorFromObject(r.Error)
		e.RequestID = r.ID
		return nil, nil, r.finish(e)
	}
	if r.Response == nil {
		return nil, nil, malformed(req.Model, "batch result %q has neither a response nor an error", r.CustomID)
	}
	if status := r.Response.StatusCode; status >= 400 {
		e := parseError(status, nil, r.Response.Body, time.Now())
		if e.RequestID == "" {
			e.RequestID = r.Response.RequestID
		}
		return nil, nil, r.finish(e)
	}
	var ans embeddingAnswer
	if err := json.Unmarshal(r.Response.Body, &ans); err != nil {
		return nil, nil, malformed(req.Model, "the answer is not an embeddings answer: %v", err)
	}
	vecs, err := ans.vectors(req.Model, to-from, req.Dimensions)
	return &ans, vecs, err
}
