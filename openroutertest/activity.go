package openroutertest

import (
	"net/http"
	"sort"
	"time"
)

// ActivityRow is a row of GET /activity: one day's use of one model at
// one provider endpoint.
type ActivityRow struct {
	Date               string  `json:"date"` // "2025-08-24"
	Model              string  `json:"model"`
	ModelPermaslug     string  `json:"model_permaslug"`
	EndpointID         string  `json:"endpoint_id"`
	ProviderName       string  `json:"provider_name"`
	Usage              float64 `json:"usage"` // USD
	BYOKUsageInference float64 `json:"byok_usage_inference"`
	Requests           int     `json:"requests"`
	PromptTokens       int     `json:"prompt_tokens"`
	CompletionTokens   int     `json:"completion_tokens"`
	ReasoningTokens    int     `json:"reasoning_tokens"`
	// WorkspaceID is set by the server on the rows of a request with
	// group_by=workspace, and only then (OpenAPI GET /activity: "by
	// default ... workspace_id is not returned").
	WorkspaceID string `json:"workspace_id,omitempty"`
}

// fakeWorkspace is the ID of the fake account's one workspace.
const fakeWorkspace = "0df9e665-d932-5740-b2c7-b52af166bc11"

// AddActivity adds rows to what GET /activity reports, besides the
// server's own requests of completed UTC days.
func (s *Server) AddActivity(rows ...ActivityRow) {
	s.ext.mu.Lock()
	defer s.ext.mu.Unlock()
	s.ext.activity = append(s.ext.activity, rows...)
}

// handleActivity serves GET /activity (management key): the rows added,
// and the server's own requests grouped by day and model, for the last
// 30 completed UTC days as OpenRouter does (today is not reported).
func (s *Server) handleActivity(w http.ResponseWriter, r *http.Request) {
	if !s.managementOnly(w, r) {
		return
	}
	date := r.URL.Query().Get("date")
	if date != "" {
		if _, err := time.Parse("2006-01-02", date); err != nil {
			writeError(w, http.StatusBadRequest, ErrorBody{Code: 400, Message: "date: must be YYYY-MM-DD"})
			return
		}
	}
	byWorkspace := false
	if g, ok := r.URL.Query()["group_by"]; ok {
		// RULES.md K4: OpenAPI GET /activity, group_by "enum: workspace";
		// with it, "include workspace_id on every item".
		if len(g) != 1 || g[0] != "workspace" {
			writeError(w, http.StatusBadRequest, ErrorBody{Code: 400, Message: "group_by: Invalid enum value. Expected 'workspace'"})
			return
		}
		byWorkspace = true
	}
	now := s.clock().UTC()
	today := now.Format("2006-01-02")
	oldest := now.AddDate(0, 0, -30).Format("2006-01-02")
	s.ext.mu.Lock()
	rows := append([]ActivityRow(nil), s.ext.activity...)
	s.ext.mu.Unlock()
	s.mu.Lock()
	byKey := map[[2]string]*ActivityRow{}
	for _, g := range s.gens {
		created, _ := g["created_at"].(string)
		model, _ := g["model"].(string)
		if len(created) < 10 {
			continue
		}
		k := [2]string{created[:10], model}
		row := byKey[k]
		if row == nil {
			row = &ActivityRow{Date: k[0], Model: model, ModelPermaslug: model, EndpointID: "openroutertest-" + model, ProviderName: "OpenRouterTest"}
			byKey[k] = row
		}
		cost, _ := g["total_cost"].(float64)
		p, _ := g["tokens_prompt"].(int)
		c, _ := g["tokens_completion"].(int)
		row.Usage += cost
		row.Requests++
		row.PromptTokens += p
		row.CompletionTokens += c
	}
	s.mu.Unlock()
	for _, row := range byKey {
		rows = append(rows, *row)
	}
	data := []ActivityRow{}
	for _, row := range rows {
		if row.Date >= today || row.Date < oldest || (date != "" && row.Date != date) {
			continue
		}
		row.WorkspaceID = ""
		if byWorkspace {
			row.WorkspaceID = fakeWorkspace
		}
		data = append(data, row)
	}
	sort.Slice(data, func(i, j int) bool {
		if data[i].Date != data[j].Date {
			return data[i].Date > data[j].Date
		}
		return data[i].Model < data[j].Model
	})
	writeJSON(w, http.StatusOK, map[string]any{"data": data})
}
