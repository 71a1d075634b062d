package openrouter

import "strings"

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
