package openrouter

import (
	"context"
	"encoding/json"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ModelEndpoints is a model with the provider endpoints that serve it
// (GET /models/{author}/{slug}/endpoints).
type ModelEndpoints struct {
	ID, Name, Description string
	Created               time.Time
	InputModalities       []string
	OutputModalities      []string
	Tokenizer             string
	Endpoints             []Endpoint
}

// Endpoint is one provider's offer of a model: its price, limits,
// quantization and recent uptime.
type Endpoint struct {
	Name         string
	ProviderName string // "OpenAI", "DeepInfra", ...
	// Tag names the endpoint in provider preferences ("deepinfra/fp8").
	Tag string
	// Quantization is "fp8", "bf16", ..., "unknown", or "" when not given.
	Quantization        string
	ContextLength       int
	MaxCompletionTokens int // 0 when unknown
	MaxPromptTokens     int // 0 when unknown
	Pricing             Pricing
	// Discount is the fraction off the listed prices (0.2: 20% off).
	Discount float64
	// Status is 0 when the endpoint is up; negative values are degraded
	// or down states.
	Status                  int
	SupportedParameters     []string
	SupportsImplicitCaching bool
	// Uptime in percent over the last 5 minutes, 30 minutes and day; -1
	// when unknown.
	UptimeLast5m, UptimeLast30m, UptimeLast1d float64
	// LatencyLast30m (seconds) and ThroughputLast30m (tokens per second);
	// nil when unknown.
	LatencyLast30m, ThroughputLast30m *Percentiles
}

// Percentiles of a measure.
type Percentiles struct {
	P50 float64 `json:"p50"`
	P75 float64 `json:"p75"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
}

// parsePrices reads the API's decimal-string prices (numbers are
// accepted too); unknown, negative (variable: Pricing.Variable is set)
// and non-finite ("NaN", "Inf") prices are 0.
func parsePrices(p map[string]json.RawMessage) Pricing {
	variable := false
	price := func(k string) float64 {
		f, err := strconv.ParseFloat(strings.Trim(string(p[k]), `" `), 64)
		if err == nil && f < 0 {
			variable = true
		}
		if err != nil || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0
		}
		return f
	}
	pr := Pricing{Prompt: price("prompt"), Completion: price("completion"), Request: price("request"),
		Image: price("image"), WebSearch: price("web_search"), InternalReasoning: price("internal_reasoning"),
		InputCacheRead: price("input_cache_read"), InputCacheWrite: price("input_cache_write"),
		ImageOutput: price("image_output"), ImageToken: price("image_token")}
	pr.Variable = variable
	pr.Overrides = parseOverrides(p["overrides"])
	return pr
}

// parseOverrides reads pricing.overrides; entries that are not objects
// are skipped, prices as parsePrices reads them.
func parseOverrides(raw json.RawMessage) []PriceOverride {
	var entries []map[string]json.RawMessage
	if json.Unmarshal(raw, &entries) != nil {
		return nil
	}
	var out []PriceOverride
	for _, e := range entries {
		if e == nil {
			continue
		}
		p := parsePrices(e) // its own overrides: none
		num := func(k string) float64 {
			f, err := strconv.ParseFloat(strings.Trim(string(e[k]), `" `), 64)
			if err != nil || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
				return 0
			}
			return f
		}
		out = append(out, PriceOverride{Prompt: p.Prompt, Completion: p.Completion, InputCacheRead: p.InputCacheRead,
			InputCacheWrite: p.InputCacheWrite, MinPromptTokens: num("min_prompt_tokens"), UTCStart: num("utc_start"), UTCEnd: num("utc_end")})
	}
	return out
}

// UnmarshalJSON decodes the API's shape: prices as strings, nullable
// numbers.
func (e *Endpoint) UnmarshalJSON(b []byte) error {
	var w struct {
		Name                    string                     `json:"name"`
		ProviderName            string                     `json:"provider_name"`
		Tag                     string                     `json:"tag"`
		Quantization            *string                    `json:"quantization"`
		ContextLength           *float64                   `json:"context_length"`
		MaxCompletionTokens     *float64                   `json:"max_completion_tokens"`
		MaxPromptTokens         *float64                   `json:"max_prompt_tokens"`
		Pricing                 map[string]json.RawMessage `json:"pricing"`
		Status                  int                        `json:"status"`
		SupportedParameters     []string                   `json:"supported_parameters"`
		SupportsImplicitCaching bool                       `json:"supports_implicit_caching"`
		Uptime5m                *float64                   `json:"uptime_last_5m"`
		Uptime30m               *float64                   `json:"uptime_last_30m"`
		Uptime1d                *float64                   `json:"uptime_last_1d"`
		Latency                 *Percentiles               `json:"latency_last_30m"`
		Throughput              *Percentiles               `json:"throughput_last_30m"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	pct := func(f *float64) float64 {
		if f == nil {
			return -1
		}
		return *f
	}
	var discount float64
	if d, ok := w.Pricing["discount"]; ok {
		_ = json.Unmarshal(d, &discount)
	}
	*e = Endpoint{Name: w.Name, ProviderName: w.ProviderName, Tag: w.Tag, ContextLength: intOrZero(w.ContextLength),
		MaxCompletionTokens: intOrZero(w.MaxCompletionTokens), MaxPromptTokens: intOrZero(w.MaxPromptTokens),
		Pricing: parsePrices(w.Pricing), Discount: discount, Status: w.Status, SupportedParameters: w.SupportedParameters,
		SupportsImplicitCaching: w.SupportsImplicitCaching, UptimeLast5m: pct(w.Uptime5m), UptimeLast30m: pct(w.Uptime30m),
		UptimeLast1d: pct(w.Uptime1d), LatencyLast30m: w.Latency, ThroughputLast30m: w.Throughput}
	if w.Quantization != nil {
		e.Quantization = *w.Quantization
	}
	return nil
}

// ModelEndpoints returns the provider endpoints of a model, by its ID
// ("author/slug", variants such as ":free" included): per provider, the
// price, context, quantization and uptime that /models sums up in one
// entry.
func (c *Client) ModelEndpoints(ctx context.Context, id string, opts ...CallOption) (*ModelEndpoints, error) {
	path, err := modelPath(id)
	if err != nil {
		return nil, err
	}
	var out struct {
		Data struct {
			ID           string  `json:"id"`
			Name         string  `json:"name"`
			Description  string  `json:"description"`
			Created      float64 `json:"created"`
			Architecture struct {
				InputModalities  []string `json:"input_modalities"`
				OutputModalities []string `json:"output_modalities"`
				Tokenizer        *string  `json:"tokenizer"`
			} `json:"architecture"`
			Endpoints []Endpoint `json:"endpoints"`
		} `json:"data"`
	}
	if err := c.getJSON(ctx, "/models/"+path+"/endpoints", &out, opts); err != nil {
		return nil, err
	}
	d := out.Data
	m := &ModelEndpoints{ID: d.ID, Name: d.Name, Description: d.Description, InputModalities: d.Architecture.InputModalities,
		OutputModalities: d.Architecture.OutputModalities, Endpoints: d.Endpoints}
	if d.Created > 0 {
		m.Created = time.Unix(int64(d.Created), 0)
	}
	if d.Architecture.Tokenizer != nil {
		m.Tokenizer = *d.Architecture.Tokenizer
	}
	return m, nil
}

// Provider is an inference provider of OpenRouter (GET /providers).
type Provider struct {
	Name              string   `json:"name"` // "OpenAI"
	Slug              string   `json:"slug"` // "openai", for provider preferences
	PrivacyPolicyURL  string   `json:"privacy_policy_url"`
	TermsOfServiceURL string   `json:"terms_of_service_url"`
	StatusPageURL     string   `json:"status_page_url"`
	Headquarters      string   `json:"headquarters"` // ISO country code
	Datacenters       []string `json:"datacenters"`  // ISO country codes
}

// UnmarshalJSON accepts null for every field.
func (p *Provider) UnmarshalJSON(b []byte) error {
	var raw struct {
		Name              *string  `json:"name"`
		Slug              *string  `json:"slug"`
		PrivacyPolicyURL  *string  `json:"privacy_policy_url"`
		TermsOfServiceURL *string  `json:"terms_of_service_url"`
		StatusPageURL     *string  `json:"status_page_url"`
		Headquarters      *string  `json:"headquarters"`
		Datacenters       []string `json:"datacenters"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	s := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	*p = Provider{Name: s(raw.Name), Slug: s(raw.Slug), PrivacyPolicyURL: s(raw.PrivacyPolicyURL), TermsOfServiceURL: s(raw.TermsOfServiceURL),
		StatusPageURL: s(raw.StatusPageURL), Headquarters: s(raw.Headquarters), Datacenters: raw.Datacenters}
	return nil
}

// Providers returns OpenRouter's inference providers.
func (c *Client) Providers(ctx context.Context, opts ...CallOption) ([]Provider, error) {
	var out struct {
		Data []Provider `json:"data"`
	}
	if err := c.getJSON(ctx, "/providers", &out, opts); err != nil {
		return nil, err
	}
	return out.Data, nil
}

// UserModels returns the catalogue with the account's privacy, provider
// and guardrail settings applied (GET /models/user): the models this
// key can actually use, where Models lists every model.
func (c *Client) UserModels(ctx context.Context, opts ...CallOption) ([]Model, error) {
	var out struct {
		Data []Model `json:"data"`
	}
	if err := c.getJSON(ctx, "/models/user", &out, opts); err != nil {
		return nil, err
	}
	return out.Data, nil
}

// ModelCount returns how many catalogue models can output outputModality
// ("text", "image", ...; "" is the API's default, text; "all" counts
// every model).
func (c *Client) ModelCount(ctx context.Context, outputModality string, opts ...CallOption) (int, error) {
	path := "/models/count"
	if outputModality != "" {
		path += "?" + url.Values{"output_modalities": {outputModality}}.Encode()
	}
	var out struct {
		Data *struct {
			Count *int `json:"count"`
		} `json:"data"`
	}
	if err := c.getJSON(ctx, path, &out, opts); err != nil {
		return 0, err
	}
	if out.Data == nil || out.Data.Count == nil {
		return 0, malformed("", "no count in the answer")
	}
	return *out.Data.Count, nil
}
