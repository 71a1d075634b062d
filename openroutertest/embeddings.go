package openroutertest

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// EmbeddingDimensions is the size of the fake's vectors when a request
// asks for none.
const EmbeddingDimensions = 256

// MaxEmbeddingInputs is how many inputs one /embeddings request may carry;
// more get 400, as a provider's batch limit would.
const MaxEmbeddingInputs = 2048

func nowUTC() string { return time.Now().UTC().Format(time.RFC3339Nano) }

// DefaultEmbeddingModels returns the embedding catalogue of
// GET /embeddings/models.
func DefaultEmbeddingModels() []Model {
	small := textModel("openai/text-embedding-3-small", "OpenAI: Text Embedding 3 Small", 8192, 0, "0.00000002", "0", []string{})
	small.Architecture = Architecture{Modality: "text->embeddings", InputModalities: []string{"text"},
		OutputModalities: []string{"embeddings"}, Tokenizer: "GPT"}
	large := small
	large.ID, large.CanonicalSlug, large.Name = "openai/text-embedding-3-large", "openai/text-embedding-3-large", "OpenAI: Text Embedding 3 Large"
	large.Pricing.Prompt = "0.00000013"
	return []Model{small, large}
}

// WithEmbeddingModels replaces the embedding catalogue (default
// DefaultEmbeddingModels()).
func WithEmbeddingModels(models ...Model) Option {
	return func(s *Server) { s.ext.embeddingModels = models }
}

// EmbeddingRequestSizes returns how many inputs each /embeddings request
// carried, in the order they arrived.
func (s *Server) EmbeddingRequestSizes() []int {
	s.ext.mu.Lock()
	defer s.ext.mu.Unlock()
	return append([]int(nil), s.ext.embeddingSizes...)
}

func (s *Server) embeddingModel(id string) (Model, bool) {
	s.ext.mu.Lock()
	defer s.ext.mu.Unlock()
	for _, m := range s.ext.embeddingModels {
		if m.ID == id {
			return m, true
		}
	}
	return Model{}, false
}

func (s *Server) handleEmbeddingModels(w http.ResponseWriter, r *http.Request) {
	s.ext.mu.Lock()
	models := append([]Model(nil), s.ext.embeddingModels...)
	s.ext.mu.Unlock()
	writeJSON(w, http.StatusOK, modelList(models))
}

// handleEmbeddings serves POST /embeddings. Its vectors are hashed bags
// of words: deterministic, and texts that share words are close, so that
// similarity search works offline.
func (s *Server) handleEmbeddings(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r, s.Key, s.ManagementKey) {
		return
	}
	var req struct {
		Model          string          `json:"model"`
		Input          json.RawMessage `json:"input"`
		Dimensions     *int            `json:"dimensions"`
		EncodingFormat string          `json:"encoding_format"`
		InputType      *string         `json:"input_type"`
		User           *string         `json:"user"`
		Provider       map[string]json.RawMessage
	}
	if !decodeBody(w, r, &req) {
		return
	}
	bad := func(msg string) {
		writeError(w, http.StatusBadRequest, ErrorBody{Code: 400, Message: msg})
	}
	for k := range req.Provider {
		if !providerKeys[k] {
			// RULES.md M1: the OpenAPI provider preferences of
			// createEmbeddings take no other keys (additionalProperties: false).
			bad("provider: Unrecognized key: " + strconv.Quote(k))
			return
		}
	}
	m, ok := s.embeddingModel(req.Model)
	if !ok {
		// RULES.md E4, E7: model_not_found, or wrong_endpoint for a chat model.
		writeError(w, http.StatusBadRequest, s.modelRefusal(req.Model, "/embeddings"))
		return
	}
	inputs, err := embeddingInputs(req.Input)
	switch {
	case err != "":
		bad(err)
		return
	case len(inputs) > MaxEmbeddingInputs:
		bad("Too many inputs: " + strconv.Itoa(len(inputs)) + " (at most " + strconv.Itoa(MaxEmbeddingInputs) + " per request)")
		return
	case req.Dimensions != nil && (*req.Dimensions < 1 || *req.Dimensions > 3072):
		bad("dimensions must be between 1 and 3072")
		return
	case req.EncodingFormat != "" && req.EncodingFormat != "float" && req.EncodingFormat != "base64":
		bad("encoding_format must be float or base64")
		return
	}
	dims := EmbeddingDimensions
	if req.Dimensions != nil {
		dims = *req.Dimensions
	}
	s.ext.mu.Lock()
	s.ext.embeddingSizes = append(s.ext.embeddingSizes, len(inputs))
	s.ext.mu.Unlock()
	data, tokens := embeddingData(inputs, dims, req.EncodingFormat)
	price, _ := strconv.ParseFloat(m.Pricing.Prompt, 64)
	cost := float64(tokens) * price
	id, ok := s.charge(m.ID, tokens, 0, cost)
	if !ok {
		writeNoCredits(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": "embd-" + id, "object": "list", "model": m.ID, "data": data,
		"usage": map[string]any{"prompt_tokens": tokens, "total_tokens": tokens, "cost": cost, "is_byok": false}})
}

// embeddingData is the data of an embeddings answer: one vector of dims
// values per input, encoded as format asks ("base64" or float), and the
// tokens the inputs count (their words).
func embeddingData(inputs [][]string, dims int, format string) ([]map[string]any, int) {
	tokens := 0
	data := make([]map[string]any, len(inputs))
	for i, in := range inputs {
		tokens += len(in)
		vec := bagOfWords(in, dims)
		var emb any = vec
		if format == "base64" {
			b := make([]byte, 4*len(vec))
			for j, f := range vec {
				binary.LittleEndian.PutUint32(b[4*j:], math.Float32bits(f))
			}
			emb = base64.StdEncoding.EncodeToString(b)
		}
		data[i] = map[string]any{"object": "embedding", "index": i, "embedding": emb}
	}
	return data, tokens
}

// embeddingInputs turns the request's input (a string, strings, tokens,
// or token arrays) into one word list per input, tokens as words.
func embeddingInputs(raw json.RawMessage) ([][]string, string) {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		if one == "" {
			return nil, "input must not be empty"
		}
		return [][]string{words(one)}, ""
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil && len(many) > 0 {
		out := make([][]string, len(many))
		for i, t := range many {
			if t == "" {
				return nil, "input[" + strconv.Itoa(i) + "] must not be empty"
			}
			out[i] = words(t)
		}
		return out, ""
	}
	var toks []float64
	if json.Unmarshal(raw, &toks) == nil && len(toks) > 0 {
		return [][]string{tokenWords(toks)}, ""
	}
	if out, msg, ok := multimodalInputs(raw); ok {
		return out, msg
	}
	var arrays [][]float64
	if json.Unmarshal(raw, &arrays) == nil && len(arrays) > 0 {
		out := make([][]string, len(arrays))
		for i, a := range arrays {
			if len(a) == 0 {
				return nil, "input[" + strconv.Itoa(i) + "] must not be empty"
			}
			out[i] = tokenWords(a)
		}
		return out, ""
	}
	return nil, "input must be a string, an array of strings, token arrays, or multimodal inputs"
}

// embeddingMediaPart reports whether p is a media part of an embedding
// input: image_url with its url, or input_audio, input_video or
// input_file with their media object (the OpenAPI input audio, video
// and file part schemas).
func embeddingMediaPart(typ string, p map[string]json.RawMessage) bool {
	var media map[string]any
	switch typ {
	case "image_url":
		var u struct{ URL string }
		return json.Unmarshal(p["image_url"], &u) == nil && u.URL != ""
	case "input_audio", "input_video", "input_file":
		return json.Unmarshal(p[typ], &media) == nil && media != nil
	}
	return false
}

// multimodalInputs reads the fifth input form of the OpenAPI document's
// createEmbeddings request: an array of {content: [parts]}, each part
// text (non-empty), image_url{url}, input_audio, input_video or
// input_file (RULES.md M2). ok is false when raw is not of that form. A non-text
// part embeds as one word naming its type.
func multimodalInputs(raw json.RawMessage) (out [][]string, msg string, ok bool) {
	var items []struct {
		Content []map[string]json.RawMessage `json:"content"`
	}
	var probe []map[string]json.RawMessage
	if json.Unmarshal(raw, &probe) != nil || len(probe) == 0 || json.Unmarshal(raw, &items) != nil {
		return nil, "", false
	}
	for i, it := range items {
		if len(it.Content) == 0 {
			return nil, fmt.Sprintf("input[%d].content: Array must contain at least 1 element(s)", i), true
		}
		var ws []string
		for j, p := range it.Content {
			var typ, text string
			_ = json.Unmarshal(p["type"], &typ)
			switch _ = json.Unmarshal(p["text"], &text); {
			case typ == "text" && text != "":
				ws = append(ws, words(text)...)
			case typ != "text" && embeddingMediaPart(typ, p):
				ws = append(ws, "#"+typ)
			default:
				return nil, fmt.Sprintf("input[%d].content[%d]: not a text, image_url, input_audio, input_video or input_file part", i, j), true
			}
		}
		out = append(out, ws)
	}
	return out, "", true
}

func tokenWords(toks []float64) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = "#" + strconv.FormatFloat(t, 'f', -1, 64)
	}
	return out
}

// words splits a text into lower-case words of three letters or more,
// each at least one token.
func words(text string) []string {
	f := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	out := f[:0]
	for _, w := range f {
		if len(w) >= 3 && !stopWords[w] {
			out = append(out, w)
		}
	}
	if len(out) == 0 {
		return []string{strings.ToLower(text)}
	}
	return out
}

var stopWords = map[string]bool{"the": true, "and": true, "for": true, "are": true, "but": true, "not": true,
	"you": true, "your": true, "with": true, "that": true, "this": true, "from": true, "have": true, "was": true,
	"were": true, "they": true, "their": true, "its": true, "can": true, "will": true, "into": true, "than": true,
	"then": true, "them": true, "what": true, "when": true, "which": true, "who": true, "how": true, "all": true}

// bagOfWords hashes each word to a signed unit in one of dims slots and
// normalises the sum: texts sharing words get a high cosine.
func bagOfWords(ws []string, dims int) []float32 {
	v := make([]float64, dims)
	for _, w := range ws {
		h := fnv.New64a()
		_, _ = h.Write([]byte(w))
		x := h.Sum64()
		sign := 1.0
		if x>>63 == 1 {
			sign = -1
		}
		v[x%uint64(dims)] += sign
	}
	var n float64
	for _, f := range v {
		n += f * f
	}
	out := make([]float32, dims)
	if n == 0 {
		out[0] = 1
		return out
	}
	n = math.Sqrt(n)
	for i, f := range v {
		out[i] = float32(f / n)
	}
	return out
}
