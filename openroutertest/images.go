package openroutertest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

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
	// PricePerImage is the USD one output image costs (not sent here:
	// it is in the model's endpoints).
	PricePerImage float64 `json:"-"`
	Provider      string  `json:"-"`
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

func imageModel(id, name, provider string, price float64) ImageModel {
	return ImageModel{ID: id, Name: name, Description: name + " (openroutertest image model)", Created: 1750000000,
		Architecture: ImageArchitecture{InputModalities: []string{"text", "image"}, OutputModalities: []string{"image"}},
		SupportedParameters: map[string]Capability{
			"resolution":   {Type: "enum", Values: []string{"1K", "2K", "4K"}},
			"aspect_ratio": {Type: "enum", Values: []string{"1:1", "16:9", "9:16", "4:3", "3:4"}},
			"seed":         {Type: "boolean"},
		},
		Endpoints: "/api/v1/images/models/" + id + "/endpoints", PricePerImage: price, Provider: provider}
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
		"supports_streaming": m.SupportsStreaming,
		"pricing":            []any{map[string]any{"billable": "output_image", "unit": "image", "cost_usd": m.PricePerImage}},
	}}})
}

// handleImages serves POST /images: n copies of the server's PNG, billed
// at the model's price per image.
func (s *Server) handleImages(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r, s.Key, s.ManagementKey) {
		return
	}
	var req imageRequest
	if !decodeBody(w, r, &req) {
		return
	}
	m, ok := s.imageModelByID(req.Model)
	if msg := req.problem(); ok && msg != "" {
		writeError(w, http.StatusBadRequest, ErrorBody{Code: 400, Message: msg, Metadata: map[string]any{"error_type": "invalid_request"}})
		return
	}
	switch {
	case !ok:
		// RULES.md E4, E7: model_not_found, or wrong_endpoint for a chat or
		// embedding model.
		writeError(w, http.StatusBadRequest, s.modelRefusal(req.Model, "/images"))
		return
	case strings.TrimSpace(req.Prompt) == "":
		writeError(w, http.StatusBadRequest, ErrorBody{Code: 400, Message: "prompt: must not be empty"})
		return
	case req.Resolution != "" && !slices.Contains(m.SupportedParameters["resolution"].Values, req.Resolution):
		writeError(w, http.StatusBadRequest, ErrorBody{Code: 400, Message: "resolution " + req.Resolution + " is not supported by " + m.ID})
		return
	}
	n := 1
	if req.N != nil {
		n = *req.N
	}
	if n < 1 || n > 10 {
		writeError(w, http.StatusBadRequest, ErrorBody{Code: 400, Message: "n must be between 1 and 10"})
		return
	}
	cost := float64(n) * m.PricePerImage
	if _, ok := s.charge(m.ID, 0, 4175*n, cost); !ok {
		writeNoCredits(w)
		return
	}
	s.ext.mu.Lock()
	s.ext.imageRequests++
	s.ext.mu.Unlock()
	data := make([]map[string]any, n)
	for i := range data {
		data[i] = map[string]any{"b64_json": base64.StdEncoding.EncodeToString(PNG), "media_type": "image/png"}
	}
	writeJSON(w, http.StatusOK, map[string]any{"created": time.Now().Unix(), "data": data,
		"usage": map[string]any{"prompt_tokens": 0, "completion_tokens": 4175 * n, "total_tokens": 4175 * n, "cost": cost}})
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
