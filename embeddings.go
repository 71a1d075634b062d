package openrouter

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Defaults of the split of a large EmbeddingRequest into requests.
const (
	// DefaultEmbeddingBatchInputs is how many inputs one request carries
	// at most, unless EmbeddingRequest.BatchInputs says otherwise.
	DefaultEmbeddingBatchInputs = 256
	// DefaultEmbeddingBatchTokens is the estimated tokens one request
	// carries at most (four bytes a token), unless BatchTokens says
	// otherwise. An input larger than this goes alone.
	DefaultEmbeddingBatchTokens = 100_000
	// DefaultEmbeddingConcurrency is how many requests are in flight at
	// once, unless Concurrency says otherwise.
	DefaultEmbeddingConcurrency = 4
)

// EmbeddingRequest asks a model for the embeddings of texts, or of token
// arrays (set Input or Tokens, not both). A request larger than one
// request's bounds (BatchInputs, BatchTokens) is split into several, sent
// concurrently through the client's limiter; the results come back in
// input order.
type EmbeddingRequest struct {
	// Model is the embedding model ("openai/text-embedding-3-small");
	// required. See Client.EmbeddingModels.
	Model string
	// Input holds the texts to embed: one or many, none empty.
	Input []string
	// Tokens holds token arrays to embed instead of texts.
	Tokens [][]int
	// Dimensions asks for vectors of this size, for models that can
	// shorten them; 0 means the model's size.
	Dimensions int
	// EncodingFormat is how the vectors travel: "float" (the default) or
	// "base64" (smaller answers). Either way they are decoded into
	// Embeddings.Vectors.
	EncodingFormat string
	// InputType tells models that distinguish them what the inputs are
	// ("search_query", "search_document").
	InputType string
	// Provider holds routing preferences.
	Provider *ProviderPrefs
	// User identifies the end user to OpenRouter.
	User string
	// Extra holds body fields the SDK does not model, keyed by JSON
	// Pointer, with ChatRequest.Extra's rules (a path the typed fields
	// already set is refused). Each request of the split carries them.
	// Embed sends them; the Batch API path refuses them.
	Extra map[string]any

	// BatchInputs, BatchTokens and Concurrency bound the split (they are
	// not sent): inputs per request, estimated tokens per request, and
	// requests in flight. Zero means DefaultEmbeddingBatchInputs,
	// DefaultEmbeddingBatchTokens and DefaultEmbeddingConcurrency.
	BatchInputs, BatchTokens, Concurrency int
}

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

// embeddingBody is the JSON of one request.
type embeddingBody struct {
	Model          string         `json:"model"`
	Input          any            `json:"input"`
	Dimensions     int            `json:"dimensions,omitempty"`
	EncodingFormat string         `json:"encoding_format,omitempty"`
	InputType      string         `json:"input_type,omitempty"`
	Provider       *ProviderPrefs `json:"provider,omitempty"`
	User           string         `json:"user,omitempty"`
}

func (r *EmbeddingRequest) validate() error {
	switch {
	case r == nil:
		return invalid("nil EmbeddingRequest")
	case strings.TrimSpace(r.Model) == "":
		return invalid("embedding request with no model")
	case len(r.Input) > 0 && len(r.Tokens) > 0:
		return invalid("embedding request with both Input and Tokens; set one")
	case len(r.Input) == 0 && len(r.Tokens) == 0:
		return invalid("embedding request with no input")
	case r.Dimensions < 0:
		return invalid("dimensions %d is negative", r.Dimensions)
	case r.EncodingFormat != "" && r.EncodingFormat != "float" && r.EncodingFormat != "base64":
		return invalid("encoding format %q is neither float nor base64", r.EncodingFormat)
	case r.BatchInputs < 0 || r.BatchTokens < 0 || r.Concurrency < 0:
		return invalid("negative BatchInputs, BatchTokens or Concurrency")
	}
	if err := validateExtra(r.Extra); err != nil {
		return err
	}
	for i, s := range r.Input {
		if s == "" {
			return invalid("input[%d] is empty", i)
		}
	}
	for i, t := range r.Tokens {
		if len(t) == 0 {
			return invalid("tokens[%d] is empty", i)
		}
	}
	return nil
}

// batches splits the inputs into [start, end) ranges within the bounds.
func (r *EmbeddingRequest) batches() [][2]int {
	maxIn, maxTok := r.BatchInputs, r.BatchTokens
	if maxIn == 0 {
		maxIn = DefaultEmbeddingBatchInputs
	}
	if maxTok == 0 {
		maxTok = DefaultEmbeddingBatchTokens
	}
	n := max(len(r.Input), len(r.Tokens))
	var out [][2]int
	start, tok := 0, 0
	for i := 0; i < n; i++ {
		var t int
		if len(r.Input) > 0 {
			t = (len(r.Input[i]) + 3) / 4
		} else {
			t = len(r.Tokens[i])
		}
		if i > start && (i-start >= maxIn || tok+t > maxTok) {
			out = append(out, [2]int{start, i})
			start, tok = i, 0
		}
		tok += t
	}
	return append(out, [2]int{start, n})
}

// embeddingAnswer is the 200 answer of /embeddings.
type embeddingAnswer struct {
	ID    string `json:"id"`
	Model string `json:"model"`
	Data  []struct {
		Index     *int            `json:"index"`
		Embedding embeddingVector `json:"embedding"`
	} `json:"data"`
	Usage *EmbeddingUsage `json:"usage"`
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

// embedFailedHook, when set (by tests), is called when a part of Embed
// has failed and no further part will be sent.
var embedFailedHook func()

// sendParts hands the parts to the workers until one fails (stop) or the
// context ends.
func sendParts(ctx context.Context, parts [][2]int, next chan<- [2]int, stop <-chan struct{}) {
	for _, b := range parts {
		select {
		case <-stop:
			return
		default:
		}
		select {
		case next <- b:
		case <-stop:
			return
		case <-ctx.Done():
			return
		}
	}
}

// add counts an answer (billed, even when unusable) in the result.
func (e *Embeddings) add(ans *embeddingAnswer) {
	if ans == nil {
		return
	}
	e.Requests++
	e.ID = ans.ID
	if e.Model == "" {
		e.Model = ans.Model
	}
	if u := ans.Usage; u != nil {
		e.Usage.PromptTokens += u.PromptTokens
		e.Usage.TotalTokens += u.TotalTokens
		e.Usage.Cost += u.Cost
		e.Usage.IsBYOK = e.Usage.IsBYOK || u.IsBYOK
	}
}

// checkDimensions refuses vectors of different sizes across the parts
// of a split request (each part's answer is checked on its own): they
// cannot be compared, and an index built from them would be wrong.
func (e *Embeddings) checkDimensions(model string) error {
	first := -1
	for i, v := range e.Vectors {
		switch {
		case v == nil:
		case first < 0:
			first = i
		case len(v) != len(e.Vectors[first]):
			return malformed(model, "the parts of the request were answered with vectors of different sizes: input %d has %d dimensions, input %d has %d (a provider of another size answered a part; set Dimensions, or Provider to pin one)",
				first, len(e.Vectors[first]), i, len(v))
		}
	}
	return nil
}

// embedBatch sends inputs [from, to) and returns their vectors in order.
// An answer that arrived but is unusable is returned with the error, so
// that its cost is counted.
func (c *Client) embedBatch(ctx context.Context, req *EmbeddingRequest, from, to int, opts []CallOption) (_ *embeddingAnswer, _ [][]float32, err error) {
	body := embeddingBody{Model: req.Model, Dimensions: req.Dimensions, EncodingFormat: req.EncodingFormat,
		InputType: req.InputType, Provider: req.Provider, User: req.User}
	if len(req.Input) > 0 {
		body.Input = req.Input[from:to]
	} else {
		body.Input = req.Tokens[from:to]
	}
	raw, err := json.Marshal(body)
	if err == nil && len(req.Extra) > 0 {
		raw, err = mergeExtra(raw, req.Extra)
	}
	if err != nil {
		return nil, nil, err
	}
	resp, st, err := c.doAnswer(ctx, http.MethodPost, "/embeddings", raw, req.Model, opts)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	var ans embeddingAnswer
	defer func() { st.endAnswer(ans.answer, err) }()
	if err := st.annotate(c.decodeAnswer(resp, &ans)); err != nil {
		return nil, nil, err
	}
	if ans.Usage != nil {
		c.spend(ctx, &Usage{Cost: ans.Usage.Cost})
	}
	vecs, err := ans.vectors(req.Model, to-from, req.Dimensions)
	return &ans, vecs, st.annotate(err)
}

// vectors returns the answer's want vectors in input order, checking
// that each input has exactly one, all of one size: dims values when
// dims > 0.
func (ans *embeddingAnswer) vectors(model string, want, dims int) ([][]float32, error) {
	if len(ans.Data) != want {
		return nil, malformed(model, "%d embeddings for %d inputs", len(ans.Data), want)
	}
	vecs := make([][]float32, want)
	for i, d := range ans.Data {
		idx := i
		if d.Index != nil {
			idx = *d.Index
		}
		if idx < 0 || idx >= want || vecs[idx] != nil {
			return nil, malformed(model, "embedding index %d out of range or repeated", idx)
		}
		v, err := d.Embedding.v, d.Embedding.err
		if err == nil && len(v) == 0 {
			err = errors.New("no embedding")
		}
		if err != nil {
			return nil, malformed(model, "embedding %d: %v", idx, err)
		}
		if dims > 0 && len(v) != dims {
			return nil, malformed(model, "embedding %d has %d dimensions, %d were asked for", idx, len(v), dims)
		}
		if dims == 0 {
			dims = len(v) // the others must have as many
		}
		vecs[idx] = v
	}
	return vecs, nil
}

// embeddingVector is one answer's embedding, decoded while the answer
// is: encoding/json hands it the value's bytes, which are read once. A
// vector that cannot be decoded keeps its error, so that the answer (and
// its cost) still arrives and vectors reports which embedding failed.
type embeddingVector struct {
	v   []float32
	err error
}

// UnmarshalJSON decodes an embedding sent as an array of numbers or as
// base64 of little-endian float32s. It never fails: see embeddingVector.
func (e *embeddingVector) UnmarshalJSON(raw []byte) error {
	e.v, e.err = decodeVector(raw)
	return nil
}

// decodeVector decodes an embedding sent as an array of numbers or as
// base64 of little-endian float32s.
func decodeVector(raw []byte) ([]float32, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) > 0 && raw[0] == '"':
		return decodeBase64Vector(raw)
	case len(raw) > 0 && raw[0] == '[':
		if v, ok := parseFloats(raw); ok {
			return v, nil
		}
	}
	return nil, fmt.Errorf("neither a number array nor base64: %s", clip(string(raw), 40))
}

// parseFloats decodes a JSON array of numbers into a slice allocated
// once at its final size. encoding/json has checked that raw is valid
// JSON; any element that is not a number in float32's range fails.
func parseFloats(raw []byte) ([]float32, bool) {
	body := bytes.TrimSpace(raw[1 : len(raw)-1])
	if len(body) == 0 {
		return nil, false
	}
	v := make([]float32, 0, bytes.Count(body, []byte{','})+1)
	for len(body) > 0 {
		end := bytes.IndexByte(body, ',')
		if end < 0 {
			end = len(body)
		}
		tok := bytes.TrimSpace(body[:end])
		if len(tok) == 0 || tok[0] != '-' && (tok[0] < '0' || tok[0] > '9') {
			return nil, false // a string, null, object, array or bool
		}
		f, err := strconv.ParseFloat(string(tok), 32)
		if err != nil {
			return nil, false
		}
		v = append(v, float32(f))
		if end == len(body) {
			break
		}
		body = body[end+1:]
	}
	return v, true
}

// decodeBase64Vector decodes a JSON string of base64 of little-endian
// float32s.
func decodeBase64Vector(raw []byte) ([]float32, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("neither a number array nor base64: %s", clip(string(raw), 40))
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("bad base64: %v", err)
	}
	if len(b) == 0 || len(b)%4 != 0 {
		return nil, fmt.Errorf("%d bytes of base64 is not a float32 vector", len(b))
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		f := math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			return nil, fmt.Errorf("value %d of the base64 vector is %v", i, f)
		}
		v[i] = f
	}
	return v, nil
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
