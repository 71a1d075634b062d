package openrouter_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// benchTable returns the lines between the bench.sh markers of a file.
func benchTable(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "\n<!-- bench.sh -->\n")
	table, _, ok2 := strings.Cut(rest, "<!-- /bench.sh -->")
	if !ok || !ok2 || !strings.Contains(table, "| measure |") {
		t.Fatalf("%s has no table between the bench.sh markers", path)
	}
	return table
}

// TestReadmeBenchTable checks that the README's performance table is the
// one in BENCHMARKS.md (both written by scripts/benchdoc.sh from the
// benchmark scripts' output), so that a figure typed by hand into one of
// them is caught, and that each row's verdict agrees with its ratio.
func TestReadmeBenchTable(t *testing.T) {
	readme, bench := benchTable(t, "README.md"), benchTable(t, "BENCHMARKS.md")
	if readme != bench {
		t.Fatalf("the README's table differs from BENCHMARKS.md's; write both with scripts/benchdoc.sh:\n%s\n---\n%s", readme, bench)
	}
	_, rows, _ := strings.Cut(readme, "| measure |") // after the run's heading line
	for _, line := range strings.Split(strings.TrimSpace(rows), "\n")[2:] {
		cells := strings.Split(line, "|")
		if len(cells) != 8 {
			t.Errorf("row %q does not have six cells", line)
			continue
		}
		var ratio, goal float64
		r, g, verdict := strings.TrimSpace(cells[4]), strings.TrimSpace(cells[5]), strings.TrimSpace(cells[6])
		if r == "TODO" || g == "" {
			continue
		}
		if _, err := sscanRatio(r, &ratio); err != nil {
			t.Errorf("row %q: ratio %q", line, r)
			continue
		}
		if _, err := sscanRatio(g, &goal); err != nil {
			t.Errorf("row %q: goal %q", line, g)
			continue
		}
		if want := map[bool]string{true: "ok", false: "**OVER**"}[ratio <= goal]; verdict != want {
			t.Errorf("row %q says %q for %v against %v", line, verdict, ratio, goal)
		}
	}
}

func sscanRatio(s string, v *float64) (int, error) {
	return fmt.Sscan(strings.TrimSuffix(s, "×"), v)
}
