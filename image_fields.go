package openrouter

import (
	"regexp"
	"slices"
	"strings"
)

// ImageProviderPrefs routes a request of the image API (POST /images):
// the routing fields the image generation guide lists, and the provider
// passthrough. Chat-completion image models take Only, Order, Ignore,
// Sort and AllowFallbacks as ProviderPrefs; Options is for the image API.
type ImageProviderPrefs struct {
	// Only allows just these provider slugs.
	Only []string `json:"only,omitempty"`
	// Order tries these provider slugs first, in order.
	Order []string `json:"order,omitempty"`
	// Ignore excludes these provider slugs.
	Ignore []string `json:"ignore,omitempty"`
	// Sort orders eligible endpoints by "price", "throughput" or
	// "latency".
	Sort string `json:"sort,omitempty"`
	// AllowFallbacks false stops after the primary provider; nil is the
	// API's default, true.
	AllowFallbacks *bool `json:"allow_fallbacks,omitempty"`
	// Options passes provider-specific parameters, keyed by the provider
	// slug of ImageModelEndpoints (ImageEndpoint.ProviderSlug); the keys
	// each provider accepts are its AllowedPassthroughParameters.
	Options map[string]map[string]any `json:"options,omitempty"`
}

// The values the image API documents (OpenAPI ImageGenerationRequest;
// guides/overview/multimodal/image-generation.mdx, "Quality and Output
// Format").
var (
	imageQualities   = []string{"auto", "low", "medium", "high"}
	imageFormats     = []string{"png", "jpeg", "webp", "svg"}
	imageBackgrounds = []string{"auto", "transparent", "opaque"}
	imageSorts       = []string{"price", "throughput", "latency"}
	// formatMIME is the type the bytes of each output format have.
	formatMIME = map[string]string{"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp", "svg": "image/svg+xml"}

	aspectRatioRe = regexp.MustCompile(`^(auto|[1-9][0-9]*(\.[0-9]+)?:[1-9][0-9]*(\.[0-9]+)?)$`)
	imageSizeRe   = regexp.MustCompile(`^([0-9]+(\.[0-9]+)?K|512)$`)
)

const (
	// maxImagesPerRequest is the image API's bound on n.
	maxImagesPerRequest = 10
	// maxImageReferences is the image API's bound on input_references.
	maxImageReferences = 16
)

// validateImageAPIFields checks the fields of the image API against what
// the API documents, whatever the model.
func (r *ImageRequest) validateImageAPIFields() error {
	oneOf := func(field, v string, allowed []string) error {
		if v != "" && !slices.Contains(allowed, v) {
			return invalid("%s %q is not one of %s", field, v, strings.Join(allowed, ", "))
		}
		return nil
	}
	for _, c := range []struct {
		field, v string
		allowed  []string
	}{{"quality", r.Quality, imageQualities}, {"output_format", r.OutputFormat, imageFormats},
		{"background", r.Background, imageBackgrounds}} {
		if err := oneOf(c.field, c.v, c.allowed); err != nil {
			return err
		}
	}
	switch {
	case r.N > maxImagesPerRequest:
		return invalid("n %d: the image API makes 1 to %d images a request", r.N, maxImagesPerRequest)
	case len(r.Inputs) > maxImageReferences:
		return invalid("%d input images: the image API takes at most %d references", len(r.Inputs), maxImageReferences)
	case r.OutputCompression != nil && (*r.OutputCompression < 0 || *r.OutputCompression > 100):
		return invalid("output_compression %d is not within 0-100", *r.OutputCompression)
	case r.OutputCompression != nil && r.OutputFormat != "jpeg" && r.OutputFormat != "webp":
		return invalid("output_compression applies to output_format webp or jpeg (the API ignores it for %s)", orDefault(r.OutputFormat, "the provider's default format"))
	case r.Background == "transparent" && r.OutputFormat != "" && r.OutputFormat != "png" && r.OutputFormat != "webp":
		return invalid("background transparent needs an output_format with alpha: png or webp, not %s", r.OutputFormat)
	}
	if p := r.Provider; p != nil {
		if err := oneOf("provider.sort", p.Sort, imageSorts); err != nil {
			return err
		}
		for slug := range p.Options {
			if strings.TrimSpace(slug) == "" {
				return invalid("provider.options: an empty provider slug")
			}
		}
	}
	if _, ok := r.Extra["/stream"]; ok {
		return invalid("Extra[\"/stream\"]: GenerateImage returns finished images; streaming partial images is not offered")
	}
	return validateExtra(r.Extra)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// imageAPIOnlyFields names the fields set in r that only the image API
// takes.
func (r *ImageRequest) imageAPIOnlyFields() []string {
	var set []string
	for _, f := range []struct {
		name string
		set  bool
	}{{"Quality", r.Quality != ""}, {"OutputFormat", r.OutputFormat != ""}, {"OutputCompression", r.OutputCompression != nil},
		{"Background", r.Background != ""}, {"Provider.Options", r.Provider != nil && len(r.Provider.Options) > 0}} {
		if f.set {
			set = append(set, f.name)
		}
	}
	return set
}

// chatProvider is the chat request's routing of r's Provider.
func (r *ImageRequest) chatProvider() *ProviderPrefs {
	p := r.Provider
	if p == nil {
		return nil
	}
	return &ProviderPrefs{Only: p.Only, Order: p.Order, Ignore: p.Ignore, Sort: p.Sort, AllowFallbacks: p.AllowFallbacks}
}
