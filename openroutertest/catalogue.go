package openroutertest

import (
	"net/http"
	"slices"
	"strings"
)

// Model is a catalogue entry in the shape GET /models sends.
type Model struct {
	ID                  string       `json:"id"`
	CanonicalSlug       string       `json:"canonical_slug"`
	Name                string       `json:"name"`
	Created             int64        `json:"created"`
	Description         string       `json:"description"`
	ContextLength       int          `json:"context_length"`
	Architecture        Architecture `json:"architecture"`
	Pricing             Pricing      `json:"pricing"`
	TopProvider         TopProvider  `json:"top_provider"`
	PerRequestLimits    any          `json:"per_request_limits"`
	SupportedParameters []string     `json:"supported_parameters"`
	DefaultParameters   any          `json:"default_parameters"`
	ExpirationDate      *string      `json:"expiration_date"`
	// SupportedVoices lists a text-to-speech model's voices; nil (sent as
	// null) for the others.
	SupportedVoices []string `json:"supported_voices"`
	// Links.Details is filled in from the ID when empty.
	Links ModelLinks `json:"links"`
}

// ModelLinks are a catalogue entry's links: Details is the path of its
// endpoints list.
type ModelLinks struct {
	Details string `json:"details"`
}

// Architecture is a model's modalities.
type Architecture struct {
	Modality         string   `json:"modality"`
	InputModalities  []string `json:"input_modalities"`
	OutputModalities []string `json:"output_modalities"`
	Tokenizer        string   `json:"tokenizer"`
	InstructType     *string  `json:"instruct_type"`
}

// Pricing is USD per unit as decimal strings, as the API sends it. Image
// is per input image, ImageOutput per output image (OpenAPI
// schemas/PublicPricing).
type Pricing struct {
	Prompt      string `json:"prompt"`
	Completion  string `json:"completion"`
	Request     string `json:"request"`
	Image       string `json:"image"`
	ImageOutput string `json:"image_output,omitempty"`
}

// TopProvider is the limits of a model's top provider.
type TopProvider struct {
	ContextLength       int  `json:"context_length"`
	MaxCompletionTokens int  `json:"max_completion_tokens"`
	IsModerated         bool `json:"is_moderated"`
}

// Supports reports whether the model lists param in supported_parameters.
func (m Model) Supports(param string) bool { return slices.Contains(m.SupportedParameters, param) }

// OutputsImage reports whether the model can answer with images.
func (m Model) OutputsImage() bool { return slices.Contains(m.Architecture.OutputModalities, "image") }

var textParams = []string{"frequency_penalty", "max_tokens", "presence_penalty", "response_format", "seed", "stop",
	"structured_outputs", "temperature", "tool_choice", "tools", "top_p"}

func textModel(id, name string, ctx, maxOut int, prompt, completion string, params []string) Model {
	return Model{
		ID: id, CanonicalSlug: id, Name: name, Created: 1750000000, ContextLength: ctx,
		Description: name + " (openroutertest catalogue entry)",
		Architecture: Architecture{Modality: "text->text", InputModalities: []string{"text"},
			OutputModalities: []string{"text"}, Tokenizer: "Other"},
		Pricing:             Pricing{Prompt: prompt, Completion: completion, Request: "0", Image: "0"},
		TopProvider:         TopProvider{ContextLength: ctx, MaxCompletionTokens: maxOut},
		SupportedParameters: params,
	}
}

// DefaultModels returns the default catalogue: text models with and
// without structured outputs, an image model, a :free entry and a
// deprecated one. Prices are USD per token, as strings.
func DefaultModels() []Model {
	noSchema := []string{"frequency_penalty", "max_tokens", "response_format", "seed", "stop", "temperature", "top_p"}
	image := textModel("google/gemini-2.5-flash-image", "Google: Gemini 2.5 Flash Image", 32768, 8192, "0.0000003", "0.0000025", []string{"max_tokens", "response_format", "seed", "structured_outputs", "temperature", "top_p"})
	image.Architecture = Architecture{Modality: "text+image->text+image", InputModalities: []string{"image", "text"},
		OutputModalities: []string{"image", "text"}, Tokenizer: "Gemini"}
	image.Pricing.Image = "0.001238"
	free := textModel("meta-llama/llama-3.3-70b-instruct:free", "Meta: Llama 3.3 70B Instruct (free)", 65536, 8192, "0", "0", noSchema)
	expiry := "2026-01-31"
	old := textModel("openai/gpt-4-turbo-preview", "OpenAI: GPT-4 Turbo Preview", 128000, 4096, "0.00001", "0.00003", textParams)
	old.ExpirationDate = &expiry
	return []Model{
		textModel("openai/gpt-4o-mini", "OpenAI: GPT-4o-mini", 128000, 16384, "0.00000015", "0.0000006", textParams),
		textModel("anthropic/claude-haiku-4.5", "Anthropic: Claude Haiku 4.5", 200000, 64000, "0.000001", "0.000005", textParams),
		textModel("anthropic/claude-sonnet-4.5", "Anthropic: Claude Sonnet 4.5", 1000000, 64000, "0.000003", "0.000015", textParams),
		textModel("google/gemini-2.5-flash", "Google: Gemini 2.5 Flash", 1048576, 65535, "0.0000003", "0.0000025", textParams),
		textModel("mistralai/mistral-nemo", "Mistral: Mistral Nemo", 131072, 16384, "0.00000002", "0.00000004", noSchema),
		textModel("meta-llama/llama-3.3-70b-instruct", "Meta: Llama 3.3 70B Instruct", 131072, 16384, "0.00000013", "0.0000004", noSchema),
		free, image, old,
	}
}

// routingVariants are model-ID suffixes that route a catalogue entry
// rather than name one of their own.
var routingVariants = []string{":nitro", ":floor", ":exacto", ":online"}

// lookup finds a model by ID, ignoring routing variants. An empty ID is
// the account's default: the first model of the catalogue.
func (s *Server) lookup(id string) (Model, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == "" && len(s.models) > 0 {
		return s.models[0], true
	}
	for changed := true; changed; {
		changed = false
		for _, v := range routingVariants {
			if base, ok := strings.CutSuffix(id, v); ok {
				id, changed = base, true
			}
		}
	}
	for _, m := range s.models {
		if m.ID == id {
			return m, true
		}
	}
	return Model{}, false
}

// handleModels serves GET /models with the API's filters:
// output_modalities (default text; "all" for every model),
// input_modalities and supported_parameters (comma lists, all required).
func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.ModelsRequests++
	s.mu.Unlock()
	q := r.URL.Query()
	out := q.Get("output_modalities")
	if out == "" {
		out = "text"
	}
	s.mu.Lock()
	models := append([]Model(nil), s.models...)
	s.mu.Unlock()
	data := make([]Model, 0, len(models))
	for _, m := range models {
		if matches(m.Architecture.OutputModalities, out) && matches(m.Architecture.InputModalities, q.Get("input_modalities")) &&
			matches(m.SupportedParameters, q.Get("supported_parameters")) {
			if m.Links.Details == "" {
				m.Links.Details = "/api/v1/models/" + m.ID + "/endpoints"
			}
			data = append(data, m)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "total_count": len(data), "links": map[string]any{"next": nil}})
}

// matches reports whether have holds every item of the comma list want
// ("" and "all" match everything).
func matches(have []string, want string) bool {
	if want == "" || want == "all" {
		return true
	}
	for _, v := range strings.Split(want, ",") {
		if !slices.Contains(have, strings.TrimSpace(v)) {
			return false
		}
	}
	return true
}

// handleGeneration serves GET /generation?id= for the completions the
// server answered.
func (s *Server) handleGeneration(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r, s.Key, s.ManagementKey) {
		return
	}
	if r.URL.Query().Get("id") == "" {
		// RULES.md G1: OpenAPI getGeneration, id "required: true",
		// "minLength: 1": a missing id is a bad request, not a lookup.
		writeError(w, http.StatusBadRequest, ErrorBody{Code: 400, Message: "id is required"})
		return
	}
	s.mu.Lock()
	g, ok := s.gens[r.URL.Query().Get("id")]
	ok = s.gen.found(r.URL.Query().Get("id")) && ok // WithGenerationLag
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, ErrorBody{Code: 404, Message: "Generation not found"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": g})
}

// SetModels replaces the catalogue while the server runs.
func (s *Server) SetModels(models ...Model) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.models = models
}
