package openrouter

import (
	"testing"
	"time"
)

// TestResetsAtBoundaries pins the edges between the forms of
// metadata.resets_at that TestResetsAtForms leaves open (mutation testing
// found each edge unchecked): 1e11 is still seconds and one more is
// milliseconds; 1e14-1 is milliseconds and 1e14 is no time; a fraction is
// read below 1e11 seconds and not at it.
func TestResetsAtBoundaries(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		v    string
		want time.Time
	}{
		{`100000000000`, time.Unix(1e11, 0)},           // the last value read as seconds
		{`100000000001`, time.UnixMilli(100000000001)}, // the first read as milliseconds
		{`99999999999999`, time.UnixMilli(99999999999999)},
		{`100000000000000`, time.Time{}}, // 1e14: beyond milliseconds too
		{`99999999999.5`, time.Unix(99999999999, 5e8)},
		{`100000000000.5`, time.Time{}},
		{`1e11`, time.Time{}}, // not an integer, and not a fraction below 1e11
	} {
		if got := parseResetsAt([]byte(tc.v)); !got.Equal(tc.want) {
			t.Errorf("resets_at %s: %v, want %v", tc.v, got, tc.want)
		}
	}
}
