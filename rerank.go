package openrouter

import (
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// RerankRequest asks a rerank model (POST /rerank) to order Documents by
// their relevance to Query.
type RerankRequest struct {
	// Model is the rerank model ("cohere/rerank-v3.5"); required.
	Model string
	// Query is what the documents are ranked against; required.
	Query string
	// Documents are ranked; at least one. RerankTexts makes them from
	// plain strings.
	Documents []RerankDocument
	// TopN, when positive, keeps only the TopN most relevant documents.
	TopN int
	// Provider routes the request among the model's providers.
	Provider *ProviderPrefs
}

// RerankDocument is a document to rank: a text, an image (a URL or a
// data URI, for multimodal models), or both.
type RerankDocument struct {
	Text  string `json:"text,omitempty"`
	Image string `json:"image,omitempty"`
}

// MarshalJSON sends a text-only document as a plain string, the form
// every rerank model takes, and any other as an object.
func (d RerankDocument) MarshalJSON() ([]byte, error) {
	if d.Image == "" {
		return json.Marshal(d.Text)
	}
	type plain RerankDocument
	return json.Marshal(plain(d))
}

// RerankTexts returns plain-text documents, one per text.
func RerankTexts(texts ...string) []RerankDocument {
	docs := make([]RerankDocument, len(texts))
	for i, t := range texts {
		docs[i] = RerankDocument{Text: t}
	}
	return docs
}

// RerankResult is a rerank's answer: the documents in order of relevance.
type RerankResult struct {
	ID       string `json:"id"`
	Model    string `json:"model"`
	Provider string `json:"provider"`
	// Results are sorted by relevance, most relevant first; each names
	// its document by its index in the request.
	Results []RerankHit `json:"results"`
	Usage   RerankUsage `json:"usage"`
}

// RerankHit is one ranked document.
type RerankHit struct {
	// Index is the document's position in RerankRequest.Documents.
	Index int `json:"index"`
	// Score is the document's relevance to the query; higher is closer.
	Score    float64        `json:"relevance_score"`
	Document RerankDocument `json:"document"`
}

// RerankUsage is what a rerank used and cost.
type RerankUsage struct {
	// Cost is what the rerank cost, in USD (credits).
	Cost        float64 `json:"cost"`
	SearchUnits int     `json:"search_units"`
	TotalTokens int     `json:"total_tokens"`
}

// Order returns the indexes of the ranked documents, most relevant
// first; nil for a nil result.
func (r *RerankResult) Order() []int {
	if r == nil {
		return nil
	}
	out := make([]int, len(r.Results))
	for i, h := range r.Results {
		out[i] = h.Index
	}
	return out
}

// rerankBody is the JSON of POST /rerank.
type rerankBody struct {
	Model     string           `json:"model"`
	Query     string           `json:"query"`
	Documents []RerankDocument `json:"documents"`
	TopN      int              `json:"top_n,omitempty"`
	Provider  *ProviderPrefs   `json:"provider,omitempty"`
}

// Rerank orders documents by their relevance to a query (POST /rerank)
// and returns them most relevant first, with the call's cost, which is
// added to the client's spending total. A rerank is billed: like any
// POST, it is not sent again after its answer was lost (see the
// package doc's Retries section).
func (c *Client) Rerank(ctx context.Context, req *RerankRequest, opts ...CallOption) (_ *RerankResult, err error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	body, err := json.Marshal(rerankBody{Model: req.Model, Query: req.Query, Documents: req.Documents, TopN: req.TopN, Provider: req.Provider})
	if err != nil {
		return nil, invalid("%v", err)
	}
	resp, st, err := c.doAnswer(ctx, http.MethodPost, "/rerank", body, req.Model, opts)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out RerankResult
	defer func() { st.endAnswer(out.answer, err) }()
	if err := st.annotate(c.decodeAnswer(resp, &out)); err != nil {
		return nil, err
	}
	if out.Usage.Cost > 0 {
		c.spend(ctx, &Usage{Cost: out.Usage.Cost})
	}
	if err := out.check(len(req.Documents)); err != nil {
		return &out, st.annotate(err)
	}
	// The API says results are sorted by relevance; Order and the
	// caller rely on it, whatever order they came in.
	slices.SortStableFunc(out.Results, func(a, b RerankHit) int { return cmp.Compare(b.Score, a.Score) })
	if out.Model == "" {
		out.Model = req.Model
	}
	return &out, nil
}

// check returns an *APIError matching [ErrServer] for an answer that is
// not what the API promises: no "results" (required), a result naming a
// document the request did not have, or two naming the same document.
func (r *RerankResult) check(docs int) error {
	if r.Results == nil {
		return malformed(r.Model, "the answer has no results")
	}
	seen := make(map[int]bool, len(r.Results))
	for i, h := range r.Results {
		switch {
		case h.Index < 0 || h.Index >= docs:
			return malformed(r.Model, "results[%d] names document %d of %d", i, h.Index, docs)
		case seen[h.Index]:
			return malformed(r.Model, "results[%d] names document %d a second time", i, h.Index)
		}
		seen[h.Index] = true
	}
	return nil
}

// validate refuses a rerank the API would refuse, naming the field.
func (r *RerankRequest) validate() error {
	switch {
	case r == nil:
		return invalid("nil *RerankRequest")
	case strings.TrimSpace(r.Model) == "":
		return invalid("RerankRequest.Model is empty")
	case strings.TrimSpace(r.Query) == "":
		return invalid("RerankRequest.Query is empty")
	case len(r.Documents) == 0:
		return invalid("RerankRequest.Documents is empty: rank at least one document")
	case r.TopN < 0:
		return invalid("RerankRequest.TopN is %d: 0 (all) or more", r.TopN)
	}
	for i, d := range r.Documents {
		if d.Text == "" && d.Image == "" {
			return invalid("RerankRequest.Documents[%d] has neither text nor image", i)
		}
	}
	return nil
}
