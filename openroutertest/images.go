package openroutertest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The image API as the image generation guide describes it
// (guides/overview/multimodal/image-generation.mdx) and the OpenAPI
// document defines it (ImageGenerationRequest, ImageEndpoint,
// ImagePricingEntry, ImageGenerationResponse).

// ImageModel is an entry of GET /images/models: an image generation
// model of the dedicated image API. Image-only models are listed there,
// not in /models.
type ImageModel struct {
	ID                  string                `json:"id"`
	Name                string                `json:"name"`
	Description         string                `json:"description"`
	Created             int64                 `json:"created"`
	Architecture        ImageArchitecture     `json:"architecture"`
	SupportedParameters map[string]Capability `json:"supported_parameters"`
	SupportsStreaming   bool                  `json:"supports_streaming"`
	Endpoints           string                `json:"endpoints"`
	// PricePerImage is the USD one output image costs, the pricing line
	// used when Pricing is nil (not sent here: it is in the model's
	// endpoints).
	PricePerImage float64 `json:"-"`
	// Pricing is the endpoint's pricing lines (per image, megapixel or
	// token); nil means one line of PricePerImage per output image.
	Pricing  []ImagePrice `json:"-"`
	Provider string       `json:"-"`
}

// ImagePrice is a pricing line of an image endpoint (OpenAPI
// ImagePricingEntry): CostUSD per Unit ("image", "megapixel", "token")
// of Billable ("output_image", "input_image", "input_reference",
// "input_text", ...), for the Variant (a quality or resolution) when set.
type ImagePrice struct {
	Billable string  `json:"billable"`
	Unit     string  `json:"unit"`
	CostUSD  float64 `json:"cost_usd"`
	Variant  string  `json:"variant,omitempty"`
}

// ImageArchitecture is an image model's modalities.
type ImageArchitecture struct {
	InputModalities  []string `json:"input_modalities"`
	OutputModalities []string `json:"output_modalities"`
}

// Capability describes a parameter an image model accepts: an enum of
// Values, a range from Min to Max, or a boolean.
type Capability struct {
	Type   string   `json:"type"` // "enum", "range", "boolean"
	Values []string `json:"values,omitempty"`
	Min    *float64 `json:"min,omitempty"`
	Max    *float64 `json:"max,omitempty"`
}

// Range returns a range capability from min to max.
func Range(min, max float64) Capability { return Capability{Type: "range", Min: &min, Max: &max} }

// Enum returns an enum capability of values.
func Enum(values ...string) Capability { return Capability{Type: "enum", Values: values} }

// FullImageParameters returns the capability descriptors of a model that
// accepts every field of POST /images.
func FullImageParameters() map[string]Capability {
	return map[string]Capability{
		"resolution":         Enum("1K", "2K", "4K"),
		"aspect_ratio":       Enum("1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3"),
		"quality":            Enum("auto", "low", "medium", "high"),
		"output_format":      Enum("png", "jpeg", "webp"),
		"output_compression": Range(0, 100),
		"background":         Enum("auto", "transparent", "opaque"),
		"seed":               {Type: "boolean"},
		"n":                  Range(1, 10),
		"input_references":   Range(0, 16),
	}
}

func imageModel(id, name, provider string, price float64) ImageModel {
	return ImageModel{ID: id, Name: name, Description: name + " (openroutertest image model)", Created: 1750000000,
		Architecture:        ImageArchitecture{InputModalities: []string{"text", "image"}, OutputModalities: []string{"image"}},
		SupportedParameters: FullImageParameters(),
		Endpoints:           "/api/v1/images/models/" + id + "/endpoints", PricePerImage: price, Provider: provider}
}

// DefaultImageModels returns the image-only models of GET /images/models.
func DefaultImageModels() []ImageModel {
	return []ImageModel{
		imageModel("black-forest-labs/flux.2-pro", "Black Forest Labs: FLUX.2 Pro", "Black Forest Labs", 0.03),
		imageModel("bytedance-seed/seedream-4.5", "ByteDance Seed: Seedream 4.5", "Seed", 0.04),
	}
}

// WithImageModels replaces the image API's catalogue (default
// DefaultImageModels()).
func WithImageModels(models ...ImageModel) Option {
	return func(s *Server) { s.ext.imageModels = models }
}

// ImageBodies returns the body of every POST /images request received,
// answered or refused, in order.
func (s *Server) ImageBodies() [][]byte {
	s.ext.mu.Lock()
	defer s.ext.mu.Unlock()
	return slices.Clone(s.ext.imageBodies)
}

// ImageRequests returns how many POST /images requests were answered.
func (s *Server) ImageRequests() int {
	s.ext.mu.Lock()
	defer s.ext.mu.Unlock()
	return s.ext.imageRequests
}

func (s *Server) imageModelByID(id string) (ImageModel, bool) {
	s.ext.mu.Lock()
	defer s.ext.mu.Unlock()
	for _, m := range s.ext.imageModels {
		if m.ID == id {
			return m, true
		}
	}
	return ImageModel{}, false
}

func (s *Server) handleImageModels(w http.ResponseWriter, r *http.Request) {
	s.ext.mu.Lock()
	models := append([]ImageModel(nil), s.ext.imageModels...)
	s.ext.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": models})
}

// pricing is the model's endpoint's pricing lines.
func (m *ImageModel) pricing() []ImagePrice {
	if m.Pricing != nil {
		return m.Pricing
	}
	return []ImagePrice{{Billable: "output_image", Unit: "image", CostUSD: m.PricePerImage}}
}

func (s *Server) handleImageModelEndpoints(w http.ResponseWriter, r *http.Request) {
	m, ok := s.imageModelByID(r.PathValue("author") + "/" + r.PathValue("slug"))
	if !ok {
		writeError(w, http.StatusNotFound, ErrorBody{Code: 404, Message: "Model not found"})
		return
	}
	slug := strings.ToLower(strings.ReplaceAll(m.Provider, " ", "-"))
	writeJSON(w, http.StatusOK, map[string]any{"id": m.ID, "endpoints": []any{map[string]any{
		"provider_name": m.Provider, "provider_slug": slug, "provider_tag": slug,
		"supported_parameters": m.SupportedParameters, "allowed_passthrough_parameters": []string{},
		"supports_streaming": m.SupportsStreaming, "pricing": m.pricing(),
	}}})
}

// imagesRequest is the body of POST /images (OpenAPI
// ImageGenerationRequest).
type imagesRequest struct {
	Model             string   `json:"model"`
	Prompt            string   `json:"prompt"`
	N                 *int     `json:"n"`
	Resolution        string   `json:"resolution"`
	AspectRatio       string   `json:"aspect_ratio"`
	Quality           string   `json:"quality"`
	OutputFormat      string   `json:"output_format"`
	OutputCompression *float64 `json:"output_compression"`
	Background        string   `json:"background"`
	Seed              *float64 `json:"seed"`
	Stream            bool     `json:"stream"`
	InputReferences   []struct {
		ImageURL struct {
			URL string `json:"url"`
		} `json:"image_url"`
	} `json:"input_references"`
}

// unsupported returns the first field set in req that m's descriptors do
// not accept ("An absent key means the parameter is unsupported by that
// endpoint": guide, "Capability Descriptors"), and why.
func (req *imagesRequest) unsupported(m *ImageModel) string {
	num := func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'f', -1, 64)
	}
	n := ""
	if req.N != nil && *req.N > 1 {
		n = strconv.Itoa(*req.N)
	}
	refs := ""
	if len(req.InputReferences) > 0 {
		refs = strconv.Itoa(len(req.InputReferences))
	}
	for _, f := range [][2]string{{"resolution", req.Resolution}, {"aspect_ratio", req.AspectRatio}, {"quality", req.Quality},
		{"output_format", req.OutputFormat}, {"background", req.Background}, {"output_compression", num(req.OutputCompression)},
		{"seed", num(req.Seed)}, {"n", n}, {"input_references", refs}} {
		if f[1] == "" {
			continue
		}
		c, ok := m.SupportedParameters[f[0]]
		switch {
		case !ok:
			return f[0] + " is not supported by " + m.ID
		case c.Type == "enum" && !slices.Contains(c.Values, f[1]):
			return f[0] + " " + f[1] + " is not supported by " + m.ID
		case c.Type == "range":
			v, _ := strconv.ParseFloat(f[1], 64)
			if c.Min != nil && v < *c.Min || c.Max != nil && v > *c.Max {
				return f[0] + " " + f[1] + " is out of range for " + m.ID
			}
		}
	}
	return ""
}

// handleImages serves POST /images: n images of the asked format (PNG
// by default; JPEG, WebP or SVG as output_format says), drawn small at
// the asked aspect ratio, billed by the endpoint's pricing lines.
func (s *Server) handleImages(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r, s.Key, s.ManagementKey) {
		return
	}
	var raw bytes.Buffer
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.TeeReader(r.Body, &raw), r.Body}
	var req imagesRequest
	ok := decodeBody(w, r, &req)
	s.ext.mu.Lock()
	s.ext.imageBodies = append(s.ext.imageBodies, raw.Bytes())
	s.ext.mu.Unlock()
	if !ok {
		return
	}
	var schema imageRequest // the OpenAPI request schema's checks (RULES.md I1)
	_ = json.Unmarshal(raw.Bytes(), &schema)
	m, ok := s.imageModelByID(req.Model)
	if msg := schema.problem(); ok && msg != "" {
		writeError(w, http.StatusBadRequest, ErrorBody{Code: 400, Message: msg, Metadata: map[string]any{"error_type": "invalid_request"}})
		return
	}
	bad := func(msg string) { writeError(w, http.StatusBadRequest, ErrorBody{Code: 400, Message: msg}) }
	n := 1
	if req.N != nil {
		n = *req.N
	}
	switch {
	case !ok:
		// RULES.md E4, E7: model_not_found, or wrong_endpoint for a chat or
		// embedding model.
		writeError(w, http.StatusBadRequest, s.modelRefusal(req.Model, "/images"))
		return
	case strings.TrimSpace(req.Prompt) == "":
		bad("prompt: must not be empty")
		return
	case n < 1 || n > 10: // OpenAPI: "n ... (1-10)"
		bad("n must be between 1 and 10")
		return
	case req.Stream && !m.SupportsStreaming:
		// The guide: "Non-streaming providers ignore this flag and
		// return a buffered response".
	}
	if why := req.unsupported(&m); why != "" {
		bad(why)
		return
	}
	// The guide, "Billing and Cancellation": a completed generation is
	// billed in full by the endpoint's pricing lines.
	cost, tokens := req.bill(m.pricing(), n)
	if _, ok := s.charge(m.ID, 0, tokens, cost); !ok {
		writeNoCredits(w)
		return
	}
	s.ext.mu.Lock()
	s.ext.imageRequests++
	s.ext.mu.Unlock()
	img, mime := req.draw()
	data := make([]map[string]any, n)
	for i := range data {
		// "media_type is present whenever the format is identifiable".
		data[i] = map[string]any{"b64_json": base64.StdEncoding.EncodeToString(img), "media_type": mime}
	}
	writeJSON(w, http.StatusOK, map[string]any{"created": time.Now().Unix(), "data": data,
		"usage": map[string]any{"prompt_tokens": 0, "completion_tokens": tokens, "total_tokens": tokens, "cost": cost}})
}

// fakeImageTokens is the completion tokens the fake counts an image (the
// OpenAPI example's usage).
const fakeImageTokens = 4175

// draw returns the image the fake answers with: 64 pixels on its longer
// side, at the asked aspect ratio, in the asked format.
func (req *imagesRequest) draw() ([]byte, string) {
	w, h := 64, 64
	if a, b, ok := strings.Cut(req.AspectRatio, ":"); ok {
		fw, _ := strconv.ParseFloat(a, 64)
		fh, _ := strconv.ParseFloat(b, 64)
		if fw > fh && fh > 0 {
			h = max(1, int(math.Round(64*fh/fw)))
		} else if fw > 0 {
			w = max(1, int(math.Round(64*fw/fh)))
		}
	}
	switch req.OutputFormat {
	case "jpeg":
		return MakeJPEG(w, h), "image/jpeg"
	case "webp":
		return MakeWebP(w, h), "image/webp"
	case "svg":
		return MakeSVG(w, h), "image/svg+xml"
	}
	return makePNG(w, h), "image/png"
}

// bill prices the request by an endpoint's pricing lines: output lines
// for n images (per image; per megapixel at the resolution tier's
// square, 1K by default; per token at fakeImageTokens an image), input
// lines for the references (per image; per megapixel at each one's
// size, 1 MP for a URL) and the prompt (a token per 4 bytes). Of the
// variants of a line, the one naming the asked quality or resolution is
// billed, else the first (the provider's default).
func (req *imagesRequest) bill(lines []ImagePrice, n int) (cost float64, tokens int) {
	tokens = n * fakeImageTokens
	refMP := 0.0
	for _, ref := range req.InputReferences {
		refMP += referenceMegapixels(ref.ImageURL.URL)
	}
	chosen := map[string]ImagePrice{}
	for _, l := range lines {
		k := l.Billable + "/" + l.Unit
		prev, seen := chosen[k]
		if !seen || l.Variant != "" && (l.Variant == req.Quality || l.Variant == req.Resolution) && prev.Variant != req.Quality && prev.Variant != req.Resolution {
			chosen[k] = l
		}
	}
	for _, l := range chosen {
		input := strings.HasPrefix(l.Billable, "input")
		var q float64
		switch {
		case l.Unit == "image" && input:
			q = float64(len(req.InputReferences))
		case l.Unit == "image":
			q = float64(n)
		case l.Unit == "megapixel" && input:
			q = refMP
		case l.Unit == "megapixel":
			q = float64(n) * tierMegapixels(req.Resolution)
		case l.Unit == "token" && input:
			q = float64((len(req.Prompt) + 3) / 4)
		case l.Unit == "token":
			q = float64(tokens)
		}
		cost += q * l.CostUSD
	}
	return cost, tokens
}

// tierMegapixels is a resolution tier's square in megapixels ("1K" is
// 1024×1024).
func tierMegapixels(tier string) float64 {
	side := 1024.0
	switch tier {
	case "512":
		side = 512
	case "2K":
		side = 2048
	case "4K":
		side = 4096
	}
	return side * side / 1e6
}

// referenceMegapixels is a reference image's size: read from a data
// URL's header, 1 MP for a URL the fake does not fetch.
func referenceMegapixels(u string) float64 {
	_, b64, ok := strings.Cut(u, ";base64,")
	if !ok {
		return 1
	}
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return 1
	}
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil {
		return float64(cfg.Width) * float64(cfg.Height) / 1e6
	}
	return 1
}

// imageRequest is the body of POST /images (the OpenAPI document's
// request schema of that operation).
type imageRequest struct {
	Model             string            `json:"model"`
	Prompt            string            `json:"prompt"`
	N                 *int              `json:"n"`
	Resolution        string            `json:"resolution"`
	AspectRatio       *string           `json:"aspect_ratio"`
	Background        *string           `json:"background"`
	OutputFormat      *string           `json:"output_format"`
	Quality           *string           `json:"quality"`
	OutputCompression *int              `json:"output_compression"`
	InputReferences   []json.RawMessage `json:"input_references"`
}

// The enumerations of the POST /images request schema.
var (
	imageAspectRatios = []string{"1:1", "1:2", "1:4", "1:8", "2:1", "2:3", "3:2", "3:4", "4:1", "4:3", "4:5", "5:4",
		"8:1", "9:16", "16:9", "9:19.5", "19.5:9", "9:20", "20:9", "9:21", "21:9", "auto"}
	imageBackgrounds = []string{"auto", "transparent", "opaque"}
	imageFormats     = []string{"png", "jpeg", "webp", "svg"}
	imageQualities   = []string{"auto", "low", "medium", "high"}
)

// problem returns why the API refuses the request, or "" (RULES.md I1:
// the OpenAPI request schema of POST /images: aspect_ratio, background,
// output_format and quality take their listed values, "transparent
// requires an output_format that supports alpha (png or webp)",
// output_compression is 0-100, input_references has at most 16 items).
func (r imageRequest) problem() string {
	for _, e := range []struct {
		name   string
		v      *string
		values []string
	}{{"aspect_ratio", r.AspectRatio, imageAspectRatios}, {"background", r.Background, imageBackgrounds},
		{"output_format", r.OutputFormat, imageFormats}, {"quality", r.Quality, imageQualities}} {
		if e.v != nil && !slices.Contains(e.values, *e.v) {
			return e.name + ": Invalid enum value " + strconv.Quote(*e.v)
		}
	}
	switch {
	case r.Background != nil && *r.Background == "transparent" && r.OutputFormat != nil && *r.OutputFormat != "png" && *r.OutputFormat != "webp":
		return "background: transparent requires an output_format that supports alpha (png or webp)"
	case r.OutputCompression != nil && (*r.OutputCompression < 0 || *r.OutputCompression > 100):
		return "output_compression: must be between 0 and 100"
	case len(r.InputReferences) > 16:
		return "input_references: Array must contain at most 16 element(s)"
	}
	return ""
}
