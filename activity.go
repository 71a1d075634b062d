package openrouter

import (
	"context"
	"net/url"
	"time"
)

// ActivityRow is one day's use of one model at one provider endpoint, as
// OpenRouter billed it (GET /activity). Money is in USD.
type ActivityRow struct {
	Date               string  `json:"date"` // UTC day, "2025-08-24"
	Model              string  `json:"model"`
	ModelPermaslug     string  `json:"model_permaslug"`
	EndpointID         string  `json:"endpoint_id"`
	ProviderName       string  `json:"provider_name"`
	Usage              float64 `json:"usage"` // what was billed
	BYOKUsageInference float64 `json:"byok_usage_inference"`
	Requests           int     `json:"requests"`
	PromptTokens       int     `json:"prompt_tokens"`
	CompletionTokens   int     `json:"completion_tokens"`
	ReasoningTokens    int     `json:"reasoning_tokens"`
	// WorkspaceID is set when the filter grouped rows by workspace.
	WorkspaceID string `json:"workspace_id,omitempty"`
}

// ActivityFilter selects activity rows; the zero value selects the last
// 30 completed UTC days of the whole account.
type ActivityFilter struct {
	// Date keeps one UTC day (of the last 30); zero for all.
	Date time.Time
	// APIKeyHash keeps one key's activity (ManagedKey.Hash).
	APIKeyHash string
	// UserID keeps one organization member's activity.
	UserID string
	// WorkspaceID keeps one workspace's activity.
	WorkspaceID string
	// GroupByWorkspace splits each row per workspace.
	GroupByWorkspace bool
}

// Activity is a list of activity rows.
type Activity []ActivityRow

// Total returns the USD billed over the rows.
func (a Activity) Total() float64 {
	var t float64
	for _, r := range a {
		t += r.Usage
	}
	return t
}

// ByDay returns the USD billed per UTC day ("2025-08-24").
func (a Activity) ByDay() map[string]float64 {
	m := map[string]float64{}
	for _, r := range a {
		m[r.Date] += r.Usage
	}
	return m
}

// ByModel returns the USD billed per model.
func (a Activity) ByModel() map[string]float64 {
	m := map[string]float64{}
	for _, r := range a {
		m[r.Model] += r.Usage
	}
	return m
}

// Activity returns what OpenRouter billed, by day, model and provider
// endpoint, for the last 30 completed UTC days (today is not included):
// the record to reconcile a job's own count of its spending against. It
// needs a management key; other keys get an error whose Hint says so.
func (c *Client) Activity(ctx context.Context, f ActivityFilter, opts ...CallOption) (Activity, error) {
	q := url.Values{}
	if !f.Date.IsZero() {
		q.Set("date", f.Date.UTC().Format("2006-01-02"))
	}
	for k, v := range map[string]string{"api_key_hash": f.APIKeyHash, "user_id": f.UserID, "workspace_id": f.WorkspaceID} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.GroupByWorkspace {
		q.Set("group_by", "workspace")
	}
	path := "/activity"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out struct {
		Data Activity `json:"data"`
	}
	if err := c.getJSON(ctx, path, &out, opts); err != nil {
		return nil, managementHint(err, "Reading the account's activity")
	}
	return out.Data, nil
}
