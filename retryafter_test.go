package openrouter

import (
	"net/http"
	"testing"
	"time"
)

// TestRetryAfterOnlyDecimalOrDate: only finite non-negative decimal seconds or an
// HTTP date count; everything else is ignored (0), never a negative or
// absurd wait.
func TestRetryAfterOnlyDecimalOrDate(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"7", 7 * time.Second},
		{" 30 ", 30 * time.Second},
		{"1.5", 1500 * time.Millisecond},
		{"120.", 120 * time.Second},
		{"3600", time.Hour},
		{"99999999999999999999999", maxRetryAfter}, // huge: still past any maximum wait
		{now.Add(45 * time.Second).Format(http.TimeFormat), 45 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"NaN", 0},
		{"nan", 0},
		{"Inf", 0},
		{"+Inf", 0},
		{"-Inf", 0},
		{"infinity", 0},
		{"0x1p3", 0},
		{"0x10", 0},
		{"-1", 0},
		{"-0.5", 0},
		{"+5", 0},
		{"1e3", 0},
		{"1_000", 0},
		{".5", 0},
		{"1.2.3", 0},
		{"5s", 0},
		{"soon", 0},
	} {
		if got := parseRetryAfter(tc.in, now); got != tc.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
