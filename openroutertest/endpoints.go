package openroutertest

import (
	"net/http"
	"strings"
)

// providersOf returns the providers that serve a model in the fake: its
// author's own, and for open-weight models a second at a lower price.
func providersOf(id string) []struct{ name, tag, quant string } {
	switch author, _, _ := strings.Cut(id, "/"); author {
	case "openai":
		return []struct{ name, tag, quant string }{{"OpenAI", "openai", "unknown"}, {"Azure", "azure", "unknown"}}
	case "anthropic":
		return []struct{ name, tag, quant string }{{"Anthropic", "anthropic", "unknown"}, {"Amazon Bedrock", "amazon-bedrock", "unknown"}}
	case "google":
		return []struct{ name, tag, quant string }{{"Google AI Studio", "google-ai-studio", "unknown"}}
	case "mistralai":
		return []struct{ name, tag, quant string }{{"Mistral", "mistral", "bf16"}, {"DeepInfra", "deepinfra/fp8", "fp8"}}
	}
	return []struct{ name, tag, quant string }{{"Together", "together/fp8", "fp8"}, {"DeepInfra", "deepinfra/bf16", "bf16"}}
}

var fakeProviders = []map[string]any{
	{"name": "OpenAI", "slug": "openai", "headquarters": "US", "datacenters": []string{"US"}},
	{"name": "Azure", "slug": "azure", "headquarters": "US", "datacenters": []string{"US", "IE"}},
	{"name": "Anthropic", "slug": "anthropic", "headquarters": "US", "datacenters": []string{"US"}},
	{"name": "Amazon Bedrock", "slug": "amazon-bedrock", "headquarters": "US", "datacenters": []string{"US"}},
	{"name": "Google AI Studio", "slug": "google-ai-studio", "headquarters": "US", "datacenters": []string{"US"}},
	{"name": "Mistral", "slug": "mistral", "headquarters": "FR", "datacenters": []string{"FR"}},
	{"name": "DeepInfra", "slug": "deepinfra", "headquarters": "US", "datacenters": []string{"US"}},
	{"name": "Together", "slug": "together", "headquarters": "US", "datacenters": []string{"US"}},
}

// handleProviders serves GET /providers.
func (s *Server) handleProviders(w http.ResponseWriter, r *http.Request) {
	data := make([]map[string]any, len(fakeProviders))
	for i, p := range fakeProviders {
		slug := p["slug"].(string)
		data[i] = map[string]any{"name": p["name"], "slug": slug, "headquarters": p["headquarters"], "datacenters": p["datacenters"],
			"privacy_policy_url": "https://" + slug + ".example/privacy", "terms_of_service_url": "https://" + slug + ".example/terms",
			"status_page_url": nil}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data})
}

// handleModelEndpoints serves GET /models/{author}/{slug}/endpoints: the
// providers of a catalogue model with their prices, limits, quantization
// and uptime. The second provider of a model is cheaper and less up.
func (s *Server) handleModelEndpoints(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("author") + "/" + r.PathValue("slug")
	m, ok := s.lookup(id)
	if !ok || id == "/" {
		writeError(w, http.StatusNotFound, ErrorBody{Code: 404, Message: "Model not found"})
		return
	}
	var eps []map[string]any
	for i, p := range providersOf(m.ID) {
		pricing := map[string]any{"prompt": m.Pricing.Prompt, "completion": m.Pricing.Completion,
			"request": m.Pricing.Request, "image": m.Pricing.Image}
		uptime := 99.9
		if i > 0 {
			pricing["discount"] = 0.2
			uptime = 97.5
		}
		eps = append(eps, map[string]any{
			"name": p.name + " | " + m.ID, "model_id": m.ID, "model_name": m.Name, "context_length": m.ContextLength,
			"pricing": pricing, "provider_name": p.name, "tag": p.tag, "quantization": p.quant, "status": 0,
			"max_completion_tokens": m.TopProvider.MaxCompletionTokens, "max_prompt_tokens": nil,
			"supported_parameters": m.SupportedParameters, "supports_implicit_caching": i == 0,
			"uptime_last_30m": uptime, "uptime_last_5m": uptime, "uptime_last_1d": uptime,
			"latency_last_30m":    map[string]float64{"p50": 0.25, "p75": 0.35, "p90": 0.48, "p99": 0.85},
			"throughput_last_30m": map[string]float64{"p50": 45.2, "p75": 38.5, "p90": 28.3, "p99": 15.1},
		})
	}
	a := m.Architecture
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
		"id": m.ID, "name": m.Name, "created": m.Created, "description": m.Description,
		"architecture": map[string]any{"tokenizer": a.Tokenizer, "instruct_type": a.InstructType, "modality": a.Modality,
			"input_modalities": a.InputModalities, "output_modalities": a.OutputModalities},
		"endpoints": eps,
	}})
}

// HideFromUser makes GET /models/user leave out the models ids, as an
// account's privacy or provider settings would: they stay in /models.
func (s *Server) HideFromUser(ids ...string) {
	s.ext.mu.Lock()
	defer s.ext.mu.Unlock()
	for _, id := range ids {
		s.ext.userHidden[id] = true
	}
}

// handleUserModels serves GET /models/user (authenticated): the catalogue
// less the models the account's settings exclude (see HideFromUser).
func (s *Server) handleUserModels(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r, s.Key, s.ManagementKey) {
		return
	}
	s.mu.Lock()
	models := append([]Model(nil), s.models...)
	s.mu.Unlock()
	s.ext.mu.Lock()
	var data []Model
	for _, m := range models {
		if !s.ext.userHidden[m.ID] {
			data = append(data, m)
		}
	}
	s.ext.mu.Unlock()
	writeJSON(w, http.StatusOK, modelList(data))
}

// handleModelCount serves GET /models/count, with the output_modalities
// filter of /models.
func (s *Server) handleModelCount(w http.ResponseWriter, r *http.Request) {
	out := r.URL.Query().Get("output_modalities")
	if out == "" {
		out = "text"
	}
	s.mu.Lock()
	n := 0
	for _, m := range s.models {
		if matches(m.Architecture.OutputModalities, out) {
			n++
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]int{"count": n}})
}
