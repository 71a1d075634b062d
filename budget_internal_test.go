package openrouter

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestBudgetFromTheGuidesMessage checks that a 403 in the words of
// OpenRouter's workspace budgets guide, without limit_source, is a budget
// block, and that its reset is the interval's documented one (next
// midnight UTC, next Monday, the first of next month; none for a
// lifetime budget).
func TestBudgetFromTheGuidesMessage(t *testing.T) {
	now := time.Date(2026, 12, 2, 15, 4, 5, 0, time.UTC) // a Wednesday
	for _, tc := range []struct {
		interval string
		want     time.Time
	}{
		{"daily", time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)},
		{"weekly", time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)},
		{"monthly", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"lifetime", time.Time{}},
	} {
		body := `{"error":{"code":403,"message":"Workspace ` + tc.interval + ` budget of $500.00 exceeded. Contact your org admin."}}`
		e := parseError(403, nil, []byte(body), now)
		if !errors.Is(e, ErrBudgetExceeded) || !errors.Is(e, ErrForbidden) || !e.Metadata.ResetsAt.Equal(tc.want) {
			t.Errorf("%s: %v (resets %v), want ErrBudgetExceeded resetting %v", tc.interval, e, e.Metadata.ResetsAt, tc.want)
		}
		if h := Hint(e); !strings.HasPrefix(h, "A budget is spent") {
			t.Errorf("%s: hint %q", tc.interval, h)
		}
	}
	monday := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	if got := budgetReset("Workspace weekly budget of $5.00 exceeded", monday); !got.Equal(time.Date(2026, 12, 14, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("weekly on a Monday resets %v, want the next Monday", got)
	}
	if e := parseError(403, nil, []byte(`{"error":{"code":403,"message":"Request blocked: prompt injection patterns detected"}}`), now); errors.Is(e, ErrBudgetExceeded) {
		t.Error("a guardrail block taken for a budget")
	}
}

// TestResetsAtForms checks the forms of metadata.resets_at read (RFC 3339,
// Unix seconds, with a fraction too, and milliseconds), and that what is
// none of them gives no time.
func TestResetsAtForms(t *testing.T) {
	t.Parallel()
	want := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	for _, v := range []string{`"2026-12-06T00:00:00Z"`, `1796515200`, `"1796515200"`, `1796515200000`, `1796515199.9999999`} {
		if got := parseResetsAt([]byte(v)); !got.Round(time.Millisecond).Equal(want) {
			t.Errorf("resets_at %s: %v, want %v", v, got, want)
		}
	}
	for _, v := range []string{`"soon"`, `-1`, `0`, `null`, `1e400`, `"NaN"`, `true`} {
		if got := parseResetsAt([]byte(v)); !got.IsZero() {
			t.Errorf("resets_at %s: %v, want none", v, got)
		}
	}
}

// TestBudgetNewSource checks that a 403 whose limit_source is a budget
// this version does not know ("..._budget") is a budget block, and that
// other 403s are not.
func TestBudgetNewSource(t *testing.T) {
	t.Parallel()
	e := parseError(403, nil, []byte(`{"error":{"code":403,"message":"Spent.","metadata":{"limit_source":"openrouter_organization_budget","resets_at":"2027-01-01T00:00:00Z"}}}`), time.Now())
	if !errors.Is(e, ErrBudgetExceeded) || !errors.Is(e, ErrForbidden) || e.Metadata.ResetsAt.IsZero() {
		t.Errorf("a new budget source: %v, want ErrBudgetExceeded with its reset", e)
	}
	e = parseError(403, nil, []byte(`{"error":{"code":403,"message":"Request blocked: prompt injection patterns detected","metadata":{"patterns":["x"]}}}`), time.Now())
	if errors.Is(e, ErrBudgetExceeded) || !errors.Is(e, ErrForbidden) {
		t.Errorf("a guardrail block: %v, want ErrForbidden only", e)
	}
}
