package openroutertest

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
)

// extra is the state of the endpoints beyond chat: embeddings, the image
// API, keys, activity and the catalogue in depth.
type extra struct {
	mu              sync.Mutex
	embeddingModels []Model
	imageModels     []ImageModel
	userHidden      map[string]bool // models /models/user leaves out
	keys            []*managedKey
	activity        []ActivityRow
	embeddingSizes  []int // inputs per /embeddings request, in order
	imageBodies     [][]byte
	imageRequests   int
}

func newExtra() *extra {
	return &extra{embeddingModels: DefaultEmbeddingModels(), imageModels: DefaultImageModels(), userHidden: map[string]bool{}}
}

// registerExtra serves the endpoints beyond chat on mux.
func (s *Server) registerExtra(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/responses", s.handleResponses)
	mux.HandleFunc("POST /api/v1/embeddings", s.handleEmbeddings)
	mux.HandleFunc("GET /api/v1/embeddings/models", s.handleEmbeddingModels)
	mux.HandleFunc("POST /api/v1/images", s.handleImages)
	mux.HandleFunc("GET /api/v1/images/models", s.handleImageModels)
	mux.HandleFunc("GET /api/v1/images/models/{author}/{slug}/endpoints", s.handleImageModelEndpoints)
	mux.HandleFunc("GET /api/v1/keys", s.handleListKeys)
	mux.HandleFunc("POST /api/v1/keys", s.handleCreateKey)
	mux.HandleFunc("GET /api/v1/keys/{hash}", s.handleGetKey)
	mux.HandleFunc("PATCH /api/v1/keys/{hash}", s.handleUpdateKey)
	mux.HandleFunc("DELETE /api/v1/keys/{hash}", s.handleDeleteKey)
	mux.HandleFunc("GET /api/v1/activity", s.handleActivity)
	mux.HandleFunc("GET /api/v1/models/{author}/{slug}/endpoints", s.handleModelEndpoints)
	mux.HandleFunc("GET /api/v1/providers", s.handleProviders)
	mux.HandleFunc("GET /api/v1/models/user", s.handleUserModels)
	mux.HandleFunc("GET /api/v1/models/count", s.handleModelCount)
}

// managementOnly answers 401 for an unknown key and 403 for a key that
// is not the management key, as OpenRouter does, and reports whether the
// request may go on.
func (s *Server) managementOnly(w http.ResponseWriter, r *http.Request) bool {
	if !s.authorized(w, r, s.Key, s.ManagementKey) {
		return false
	}
	if !strings.HasSuffix(r.Header.Get("Authorization"), " "+s.ManagementKey) {
		writeError(w, http.StatusForbidden, ErrorBody{Code: 403, Message: "Only management keys can perform this operation"})
		return false
	}
	return true
}

// modelJSON is a catalogue entry with every field the API's Model schema
// requires, links and supported_voices included.
func modelJSON(m Model) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	out["supported_voices"] = nil
	out["knowledge_cutoff"] = nil
	out["links"] = map[string]any{"details": "/api/v1/models/" + strings.SplitN(m.ID, ":", 2)[0] + "/endpoints"}
	return out
}

// modelList is a ModelsListResponse: the entries, their count, and the
// pagination links (one page: next is null).
func modelList(models []Model) map[string]any {
	data := make([]map[string]any, 0, len(models))
	for _, m := range models {
		data = append(data, modelJSON(m))
	}
	return map[string]any{"data": data, "total_count": len(data), "links": map[string]any{"next": nil}}
}

// charge spends usd of the account's credits and records a generation,
// as a billed request of the endpoints beyond chat; it reports false,
// spending nothing, when the credits are spent.
func (s *Server) charge(model string, prompt, completion int, usd float64) (string, bool) {
	id := s.nextID()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.usage >= s.credits {
		return "", false
	}
	s.usage += usd
	s.gens[id] = map[string]any{"id": id, "model": model, "provider_name": "OpenRouterTest", "total_cost": usd,
		"tokens_prompt": prompt, "tokens_completion": completion, "native_tokens_prompt": prompt,
		"native_tokens_completion": completion, "finish_reason": "stop", "native_finish_reason": "stop",
		"streamed": false, "cancelled": false, "latency": 12.0, "generation_time": 40.0,
		"created_at": nowUTC()}
	return id, true
}

func writeNoCredits(w http.ResponseWriter) {
	writeError(w, http.StatusPaymentRequired, ErrorBody{Code: 402, Message: "Insufficient credits. Add more using https://openrouter.ai/credits",
		Metadata: map[string]any{"limit_source": "openrouter_credits"}})
}

// decodeBody decodes a JSON request body into v, answering 400 when it
// is not JSON.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<20)).Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, ErrorBody{Code: 400, Message: "Invalid JSON body: " + err.Error()})
		return false
	}
	return true
}
