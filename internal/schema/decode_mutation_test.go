package schema

import (
	"encoding/json"
	"testing"
)

// TestIntegerEdges checks the edges of asInt and asUint that mutation
// testing found unchecked: 2^53 written with a fraction is still exact
// (the bound is "> 1<<53"), and 0.0 is a valid unsigned value.
func TestIntegerEdges(t *testing.T) {
	if i, ok := asInt(json.Number("9007199254740992.0")); !ok || i != 1<<53 {
		t.Errorf("asInt(2^53 as 9007199254740992.0) = %d, %v; want %d, true", i, ok, int64(1<<53))
	}
	if _, ok := asInt(json.Number("9007199254740994.0")); ok {
		t.Error("asInt accepted 2^53+2 written with a fraction: past the exact range of a float64")
	}
	if u, ok := asUint(json.Number("0.0")); !ok || u != 0 {
		t.Errorf("asUint(0.0) = %d, %v; want 0, true", u, ok)
	}
	if _, ok := asUint(json.Number("-1.0")); ok {
		t.Error("asUint accepted -1.0")
	}
}
