package openrouter

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// budgetSources are the limit_source values of a 403 budget block.
var budgetSources = map[string]bool{
	"openrouter_workspace_budget": true,
	"openrouter_guardrail_budget": true,
	"openrouter_key_limit":        true,
}

// budgetSource reports whether a 403's limit_source names a budget: one
// of budgetSources, or a newer "..._budget" OpenRouter may add without
// notice (a budget block stops a bulk run; a plain 403 would fail every
// item, one request each).
func budgetSource(s string) bool {
	return budgetSources[s] || strings.HasSuffix(s, "_budget")
}

// parseResetsAt reads metadata.resets_at: an RFC 3339 time, or Unix
// seconds (a fraction accepted) or milliseconds.
func parseResetsAt(v json.RawMessage) time.Time {
	s := textOf(v)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 && n < 1e14 {
		if n > 1e11 {
			return time.UnixMilli(n)
		}
		return time.Unix(n, 0)
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 && f < 1e11 { // fractional seconds; NaN fails the tests
		sec := math.Floor(f)
		return time.Unix(int64(sec), int64((f-sec)*1e9))
	}
	return time.Time{}
}

// budgetMessage reports whether a normalized 403 message is a budget
// block in OpenRouter's words: "Workspace monthly budget of $500.00
// exceeded. Contact your org admin." (the workspace budgets guide).
func budgetMessage(msg string) bool {
	return strings.Contains(msg, "budget of") && strings.Contains(msg, "exceeded")
}

// budgetReset is when the budget a 403 message names starts again, by the
// workspace budgets guide: a daily budget at the next midnight UTC, a
// weekly one on Monday at midnight UTC, a monthly one on the first of the
// month; zero for a lifetime budget or a message that names no interval.
func budgetReset(message string, now time.Time) time.Time {
	msg := normalize(message)
	i := strings.Index(msg, " budget of")
	if i < 0 {
		return time.Time{}
	}
	words := strings.Fields(msg[:i])
	if len(words) == 0 {
		return time.Time{}
	}
	day := now.UTC().Truncate(24 * time.Hour)
	switch words[len(words)-1] {
	case "daily":
		return day.AddDate(0, 0, 1)
	case "weekly":
		days := (int(time.Monday) - int(day.Weekday()) + 7) % 7
		if days == 0 {
			days = 7 // on a Monday, the next one
		}
		return day.AddDate(0, 0, days)
	case "monthly":
		return time.Date(day.Year(), day.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	}
	return time.Time{}
}
