package openrouter

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

// Model is an entry of OpenRouter's model catalogue.
type Model struct {
	ID            string // "anthropic/claude-haiku-4.5", "x/y:free"
	CanonicalSlug string
	Name          string
	Description   string
	Created       time.Time
	// ContextLength is the context window in tokens; 0 when unknown.
	ContextLength    int
	InputModalities  []string // "text", "image", "file", "audio", "video"
	OutputModalities []string // "text", "image", ...
	Tokenizer        string
	Pricing          Pricing
	// SupportedParameters lists the request parameters some provider of
	// the model honours ("structured_outputs", "tools", ...). It is nil
	// when the catalogue does not say (OpenAI-compatible servers list
	// none): unknown, not "none" (see ParametersKnown).
	SupportedParameters []string
	TopProvider         TopProvider
	// ExpirationDate is when the model is retired ("2026-01-31"); "" when
	// none is announced.
	ExpirationDate string
	// ImageAPIOnly reports an image model served only by the dedicated
	// image API (POST /images), absent from /models: GenerateImage sends
	// it there.
	ImageAPIOnly bool
	// imageParams is an image API model's capability descriptors (what
	// GenerateImage checks a request against); nil otherwise.
	imageParams map[string]ImageCapability
}

// Pricing is a model's price in USD per unit: per token for Prompt,
// Completion, InternalReasoning, ImageToken and the cache prices; per
// request, input image (Image), output image (ImageOutput) and web search
// for the others (the OpenAPI document's public pricing schema). The API sends
// decimal strings; these are numbers.
type Pricing struct {
	Prompt, Completion, Request, Image, WebSearch      float64
	InternalReasoning, InputCacheRead, InputCacheWrite float64
	ImageOutput, ImageToken                            float64
	// Overrides are the conditional prices beside these, the default
	// ones (long-context prices, time windows), in the catalogue's order.
	Overrides []PriceOverride
	// Variable reports a price the catalogue gives as variable ("-1": a
	// router such as openrouter/auto, priced by the model it picks); the
	// variable prices read as 0.
	Variable bool
}

// PriceOverride is a conditional price of a model: it applies when the
// request's prompt has more than MinPromptTokens tokens (0: any) and,
// when UTCStart != UTCEnd, within that daily UTC window (HHMM numbers,
// start inclusive, end exclusive). A price it leaves unset (0) keeps the
// base price.
type PriceOverride struct {
	Prompt, Completion, InputCacheRead, InputCacheWrite float64
	MinPromptTokens                                     float64
	UTCStart, UTCEnd                                    float64
}

// TopProvider is the limits of a model's main provider.
type TopProvider struct {
	ContextLength       int
	MaxCompletionTokens int
	IsModerated         bool
}

// Supports reports whether the model lists param among its supported
// parameters.
func (m *Model) Supports(param string) bool { return slices.Contains(m.SupportedParameters, param) }

// ParametersKnown reports whether the catalogue listed the model's
// supported parameters (an empty list included). When it did not,
// Supports reports false for every parameter, and the client does not
// take that as a refusal: ChatJSON keeps the strict json_schema mode.
func (m *Model) ParametersKnown() bool { return m.SupportedParameters != nil }

// OutputsImage reports whether the model can answer with images.
func (m *Model) OutputsImage() bool { return slices.Contains(m.OutputModalities, "image") }

// SupportsStructuredOutputs reports whether the model accepts a
// json_schema response format (supported parameter "structured_outputs").
func (m *Model) SupportsStructuredOutputs() bool { return m.Supports("structured_outputs") }

// Cost returns the price in USD of a request of promptTokens and
// completionTokens tokens, the per-request price included.
func (m *Model) Cost(promptTokens, completionTokens int) float64 {
	return float64(promptTokens)*m.Pricing.Prompt + float64(completionTokens)*m.Pricing.Completion + m.Pricing.Request
}

// UnmarshalJSON decodes the API's shape: modalities under architecture,
// prices as strings (numbers are accepted too), nullable numbers.
func (m *Model) UnmarshalJSON(b []byte) error {
	var w struct {
		ID            string   `json:"id"`
		CanonicalSlug string   `json:"canonical_slug"`
		Name          string   `json:"name"`
		Description   string   `json:"description"`
		Created       float64  `json:"created"`
		ContextLength *float64 `json:"context_length"`
		Architecture  struct {
			InputModalities  []string `json:"input_modalities"`
			OutputModalities []string `json:"output_modalities"`
			Tokenizer        string   `json:"tokenizer"`
		} `json:"architecture"`
		Pricing             map[string]json.RawMessage `json:"pricing"`
		SupportedParameters []string                   `json:"supported_parameters"`
		TopProvider         struct {
			ContextLength       *float64 `json:"context_length"`
			MaxCompletionTokens *float64 `json:"max_completion_tokens"`
			IsModerated         bool     `json:"is_moderated"`
		} `json:"top_provider"`
		ExpirationDate *string `json:"expiration_date"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*m = Model{
		ID: w.ID, CanonicalSlug: w.CanonicalSlug, Name: w.Name, Description: w.Description,
		ContextLength: intOrZero(w.ContextLength), InputModalities: w.Architecture.InputModalities,
		OutputModalities: w.Architecture.OutputModalities, Tokenizer: w.Architecture.Tokenizer,
		Pricing:             parsePrices(w.Pricing), // "-1" marks a variable price (routers): unknown, 0
		SupportedParameters: w.SupportedParameters,
		TopProvider: TopProvider{ContextLength: intOrZero(w.TopProvider.ContextLength),
			MaxCompletionTokens: intOrZero(w.TopProvider.MaxCompletionTokens), IsModerated: w.TopProvider.IsModerated},
	}
	if w.Created > 0 {
		m.Created = time.Unix(int64(w.Created), 0)
	}
	if w.ExpirationDate != nil {
		m.ExpirationDate = *w.ExpirationDate
	}
	return nil
}

// ModelFilter selects catalogue entries. The zero value selects every
// model, whatever its output.
type ModelFilter struct {
	// OutputModality keeps models that can output it ("image"); sent as
	// output_modalities.
	OutputModality string
	// SupportedParameters keeps models that support all of them
	// ("structured_outputs", "tools"); sent as supported_parameters.
	SupportedParameters []string
	// MinContextLength keeps models whose context window is at least this
	// many tokens (filtered here: the API has no such parameter).
	MinContextLength int
}

func (f ModelFilter) query() string {
	q := url.Values{}
	out := f.OutputModality
	if out == "" {
		out = "all" // the API's default is text only
	}
	q.Set("output_modalities", out)
	if len(f.SupportedParameters) > 0 {
		q.Set("supported_parameters", strings.Join(f.SupportedParameters, ","))
	}
	return q.Encode()
}

// Models returns the catalogue entries that match f, from the client's
// cache when it is fresh (see WithCatalogTTL): one fetch per TTL and
// filter, however many goroutines ask at once, and the last good copy
// when a refresh fails (the failure is logged).
func (c *Client) Models(ctx context.Context, f ModelFilter, opts ...CallOption) ([]Model, error) {
	if c == nil {
		return nil, invalid("nil *Client")
	}
	models, err := c.catalog.get(ctx, c, f.query(), opts)
	if err != nil {
		return nil, err
	}
	out := make([]Model, 0, len(models))
	for _, m := range models {
		if m.ContextLength >= f.MinContextLength {
			out = append(out, m)
		}
	}
	return out, nil
}

// fetchModels reads GET /models?query.
func (c *Client) fetchModels(ctx context.Context, query string, opts []CallOption) ([]Model, error) {
	var out struct {
		Data []Model `json:"data"`
	}
	if err := c.getJSON(ctx, "/models?"+query, &out, opts); err != nil {
		return nil, err
	}
	if out.Data == nil {
		return nil, noData("/models")
	}
	return out.Data, nil
}

// Catalogue variants name entries of their own; routing variants route
// the base entry (see OpenRouter's model variants).
var catalogVariants = map[string]bool{"free": true, "batch": true, "thinking": true, "extended": true}
var routingVariants = map[string]bool{"nitro": true, "floor": true, "exacto": true, "online": true}

// catalogID returns the catalogue entry an ID names: its catalogue
// variant kept, routing variants dropped ("x/y:free:nitro" -> "x/y:free").
func catalogID(id string) string {
	base, rest, _ := strings.Cut(id, ":")
	keep := ""
	for _, v := range strings.Split(rest, ":") {
		if catalogVariants[v] && keep == "" {
			keep = ":" + v
		} else if v != "" && !routingVariants[v] && !catalogVariants[v] {
			return id // an unknown suffix: look the ID up as written
		}
	}
	return base + keep
}

// Model returns the catalogue entry of id, with variant suffixes
// understood (":free" is its own entry; ":nitro", ":floor", ":exacto" and
// ":online" route the base model). A model absent from /models but served
// by the image API is returned with ImageAPIOnly set. An unknown id gives
// an *APIError matching [ErrModelNotFound] whose Suggestions hold the
// closest IDs.
func (c *Client) Model(ctx context.Context, id string, opts ...CallOption) (*Model, error) {
	if c == nil {
		return nil, invalid("nil *Client")
	}
	ctx, cancel, opts, err := prepareCall(ctx, opts) // the image API's catalogue may be read too
	if err != nil {
		return nil, err
	}
	defer cancel()
	models, err := c.catalog.get(ctx, c, ModelFilter{}.query(), opts)
	if err != nil {
		return nil, err
	}
	if m := lookup(models, id); m != nil {
		return m, nil
	}
	if m := c.imageAPIModel(ctx, catalogID(id), opts); m != nil {
		return m, nil
	}
	return nil, &APIError{StatusCode: 404, Message: id + " is not in the model catalogue", Model: id,
		Suggestions: suggest(catalogID(id), models), kind: []error{ErrModelNotFound}}
}

// lookup finds the catalogue entry of id: by its catalogue ID (variant
// suffixes understood), or, for servers whose IDs carry a tag
// ("tiny:latest"), by the ID with the default tag added or dropped.
func lookup(models []Model, id string) *Model {
	want := catalogID(id)
	alt := want + ":latest"
	if base, ok := strings.CutSuffix(want, ":latest"); ok {
		alt = base
	}
	var found *Model
	for i := range models {
		switch models[i].ID {
		case want:
			m := models[i]
			return &m
		case alt:
			if found == nil {
				m := models[i]
				found = &m
			}
		}
	}
	return found
}

// uncheckable reports whether a model ID is one the catalogue never lists
// but the server routes: a preset ("@preset/name") or an alias ("~...").
func uncheckable(id string) bool { return strings.HasPrefix(id, "@") || strings.HasPrefix(id, "~") }

// suggest returns up to three catalogue IDs close to id: by edit distance
// with "." and "-" treated alike, and against the ID without its vendor
// prefix when id has none.
func suggest(id string, models []Model) []string {
	type cand struct {
		id    string
		score float64
	}
	norm := func(s string) string {
		return strings.NewReplacer(".", "-", "_", "-", " ", "-").Replace(strings.ToLower(s))
	}
	q := norm(id)
	var cands []cand
	untagged := func(s string) string { base, _, _ := strings.Cut(s, ":"); return base }
	for _, m := range models {
		full := norm(m.ID)
		s := similarity(q, full)
		if !strings.Contains(q, "/") {
			if _, slug, ok := strings.Cut(full, "/"); ok {
				s = max(s, similarity(q, slug))
			}
		}
		if strings.Contains(full, ":") { // name:tag IDs: compare the names too
			s = max(s, 0.95*similarity(untagged(q), untagged(full)))
		}
		if s >= 0.5 {
			cands = append(cands, cand{m.ID, s})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].score > cands[j].score })
	var out []string
	for i := 0; i < len(cands) && i < 3; i++ {
		out = append(out, cands[i].id)
	}
	return out
}

// similarity is 1 - the edit distance over the longer length.
func similarity(a, b string) float64 {
	ra, rb := []rune(a), []rune(b)
	if len(ra) == 0 && len(rb) == 0 {
		return 1
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return 1 - float64(prev[len(rb)])/float64(max(len(ra), len(rb)))
}

// intOrZero is a catalogue count (a context length, a token limit), 0
// when the catalogue leaves it out or sends null.
func intOrZero(f *float64) int {
	if f == nil {
		return 0
	}
	return int(*f)
}
