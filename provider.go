package openrouter

import (
	"encoding/json"
	"math"
	"strconv"
)

// ProviderPrefs are routing preferences (the request's "provider" object).
type ProviderPrefs struct {
	// Order lists provider slugs tried first, in order.
	Order []string `json:"order,omitempty"`
	// AllowFallbacks false keeps the request on the providers of Order
	// (or the primary one); nil is the API's default, true.
	AllowFallbacks    *bool    `json:"allow_fallbacks,omitempty"`
	RequireParameters bool     `json:"require_parameters,omitempty"`
	DataCollection    string   `json:"data_collection,omitempty"` // "allow" or "deny"
	ZDR               bool     `json:"zdr,omitempty"`
	Only              []string `json:"only,omitempty"`
	Ignore            []string `json:"ignore,omitempty"`
	Quantizations     []string `json:"quantizations,omitempty"`
	// EnforceDistillableText keeps the request on models whose authors
	// allow distillation of their output.
	EnforceDistillableText bool `json:"enforce_distillable_text,omitempty"`
	// Sort orders providers by "price", "throughput", "latency" or
	// "exacto" instead of load balancing; it is sent as a string, or as
	// {"by": Sort, "partition": SortPartition} when SortPartition is set.
	Sort string `json:"-"`
	// SortPartition is "model" (sort within each model of Models, the
	// default) or "none" (sort all endpoints of all models together).
	SortPartition string `json:"-"`
	// PreferredMinThroughput prefers providers at least this fast, in
	// tokens a second; a preference, not a filter.
	PreferredMinThroughput *Cutoff `json:"preferred_min_throughput,omitempty"`
	// PreferredMaxLatency prefers providers at most this slow to the
	// first token, in seconds; a preference, not a filter.
	PreferredMaxLatency *Cutoff `json:"preferred_max_latency,omitempty"`
	// MaxPrice is a hard price ceiling: providers dearer than it are not
	// used, and the request fails when none qualifies.
	MaxPrice *MaxPrice `json:"max_price,omitempty"`
}

// MarshalJSON writes the preferences, with sort as a string or an object.
func (p ProviderPrefs) MarshalJSON() ([]byte, error) {
	type wire ProviderPrefs
	w := struct {
		wire
		Sort any `json:"sort,omitempty"`
	}{wire: wire(p)}
	switch {
	case p.SortPartition != "":
		w.Sort = map[string]string{"by": p.Sort, "partition": p.SortPartition}
	case p.Sort != "":
		w.Sort = p.Sort
	}
	return json.Marshal(w)
}

// Cutoff is a throughput or latency preference: one number for the
// median (Value), or cutoffs per percentile (P50, P75, P90, P99, each 0
// when unset). Set Value or percentiles, not both.
type Cutoff struct {
	Value              float64
	P50, P75, P90, P99 float64
}

// MarshalJSON writes a number, or an object of the percentiles set.
func (c Cutoff) MarshalJSON() ([]byte, error) {
	if c.Value != 0 {
		return json.Marshal(c.Value)
	}
	m := make(map[string]float64, 4)
	for k, v := range map[string]float64{"p50": c.P50, "p75": c.P75, "p90": c.P90, "p99": c.P99} {
		if v != 0 {
			m[k] = v
		}
	}
	return json.Marshal(m)
}

func (c *Cutoff) validate(field string) error {
	n := 0
	for _, v := range []float64{c.Value, c.P50, c.P75, c.P90, c.P99} {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return invalid("%s: %v is not a finite non-negative number", field, v)
		}
		if v != 0 {
			n++
		}
	}
	switch {
	case n == 0:
		return invalid("%s: set Value or a percentile", field)
	case c.Value != 0 && n > 1:
		return invalid("%s: Value and percentiles are both set; use one", field)
	}
	return nil
}

// MaxPrice is a per-request price ceiling in USD: Prompt and Completion
// per million tokens, Request per request, Image per image, Audio per
// million audio tokens. A nil field sets no ceiling; a pointer to 0 allows
// only free endpoints for that item. Prices are sent as decimal strings,
// as the API wants them.
type MaxPrice struct {
	Prompt, Completion, Request, Image, Audio *float64
}

// MarshalJSON writes the ceilings set, as decimal strings.
func (m MaxPrice) MarshalJSON() ([]byte, error) {
	out := make(map[string]string, 5)
	for _, f := range m.fields() {
		if f.v != nil {
			out[f.name] = strconv.FormatFloat(*f.v, 'f', -1, 64)
		}
	}
	return json.Marshal(out)
}

type priceField struct {
	name string
	v    *float64
}

func (m *MaxPrice) fields() []priceField {
	return []priceField{{"prompt", m.Prompt}, {"completion", m.Completion}, {"request", m.Request}, {"image", m.Image}, {"audio", m.Audio}}
}

// validate checks the preferences before sending.
func (p *ProviderPrefs) validate() error {
	if !oneOf(p.DataCollection, "", "allow", "deny") {
		return invalid("provider.data_collection %q is not allow or deny", p.DataCollection)
	}
	if !oneOf(p.Sort, "", "price", "throughput", "latency", "exacto") {
		return invalid("provider.sort %q is not price, throughput, latency or exacto", p.Sort)
	}
	if !oneOf(p.SortPartition, "", "model", "none") {
		return invalid("provider.sort.partition %q is not model or none", p.SortPartition)
	}
	if p.SortPartition != "" && p.Sort == "" {
		return invalid("provider.sort.partition is set without Sort")
	}
	for _, q := range p.Quantizations {
		if !oneOf(q, "int4", "int8", "fp4", "mxfp4", "nvfp4", "fp6", "fp8", "mxfp8", "fp16", "bf16", "fp32", "unknown") {
			return invalid("provider.quantizations: %q is not a known quantization", q)
		}
	}
	if c := p.PreferredMinThroughput; c != nil {
		if err := c.validate("provider.preferred_min_throughput"); err != nil {
			return err
		}
	}
	if c := p.PreferredMaxLatency; c != nil {
		if err := c.validate("provider.preferred_max_latency"); err != nil {
			return err
		}
	}
	if m := p.MaxPrice; m != nil {
		set := false
		for _, f := range m.fields() {
			if f.v == nil {
				continue
			}
			set = true
			if v := *f.v; math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				return invalid("provider.max_price.%s: %v is not a finite non-negative price", f.name, v)
			}
		}
		if !set {
			return invalid("provider.max_price: no ceiling set")
		}
	}
	return nil
}
