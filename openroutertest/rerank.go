package openroutertest

import (
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"sort"
)

// RerankModels are the models the fake's /rerank accepts.
var RerankModels = []string{"cohere/rerank-v3.5", "cohere/rerank-4-pro"}

// rerankCostPerSearch is what the fake charges for one search unit, in USD.
const rerankCostPerSearch = 0.002

// handleRerank serves POST /rerank. A document's score is the cosine of
// its set of words and the query's (stop words aside, as for
// /embeddings): documents that share the query's words come first,
// deterministically.
func (s *Server) handleRerank(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model     string            `json:"model"`
		Query     string            `json:"query"`
		Documents []json.RawMessage `json:"documents"`
		TopN      *int              `json:"top_n"`
	}
	if !s.readMedia(w, r, "/rerank", &req) {
		return
	}
	switch {
	case !slices.Contains(RerankModels, req.Model):
		badRequest(w, req.Model+" is not a valid model ID")
		return
	case req.Query == "":
		badRequest(w, "query: Required")
		return
	case len(req.Documents) == 0:
		badRequest(w, "documents: Array must contain at least 1 element(s)")
		return
	case req.TopN != nil && *req.TopN < 1:
		badRequest(w, "top_n: Number must be greater than or equal to 1")
		return
	}
	type doc struct {
		Text  string `json:"text,omitempty"`
		Image string `json:"image,omitempty"`
	}
	docs := make([]doc, len(req.Documents))
	for i, raw := range req.Documents {
		if json.Unmarshal(raw, &docs[i].Text) == nil {
			continue
		}
		if json.Unmarshal(raw, &docs[i]) != nil || docs[i] == (doc{}) {
			badRequest(w, "documents: each is a string or an object with text and/or image")
			return
		}
	}
	done, cut := s.scripted(w, r, "/rerank")
	if done {
		return
	}
	q := wordSet(req.Query)
	type hit struct {
		Document doc     `json:"document"`
		Index    int     `json:"index"`
		Score    float64 `json:"relevance_score"`
	}
	hits := make([]hit, len(docs))
	tokens := len(q)
	for i, d := range docs {
		ws := wordSet(d.Text)
		tokens += len(ws)
		shared := 0
		for w := range ws {
			if q[w] {
				shared++
			}
		}
		score := 0.0
		if shared > 0 {
			score = math.Round(float64(shared)/math.Sqrt(float64(len(q)*len(ws)))*1e4) / 1e4
		}
		hits[i] = hit{Document: d, Index: i, Score: score}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].Score > hits[j].Score })
	if req.TopN != nil && *req.TopN < len(hits) {
		hits = hits[:*req.TopN]
	}
	id, ok := s.charge(req.Model, tokens, 0, rerankCostPerSearch)
	if !ok {
		writeNoCredits(w)
		return
	}
	out := map[string]any{"id": id, "model": req.Model, "provider": "Cohere", "results": hits,
		"usage": map[string]any{"cost": rerankCostPerSearch, "search_units": 1, "total_tokens": tokens}}
	writeBody(w, http.StatusOK, "application/json", mustJSON(out), id, cut)
}

// mustJSON encodes v, a value of plain maps and structs.
func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// wordSet is the set of the words of text (see words).
func wordSet(text string) map[string]bool {
	set := map[string]bool{}
	for _, w := range words(text) {
		set[w] = true
	}
	return set
}
