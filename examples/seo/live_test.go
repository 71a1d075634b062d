package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// With -events the job writes its observed events as JSON lines (a call
// line per request, an item line per article), and the progress line
// reads the observer's counts.
func TestOfflineEvents(t *testing.T) {
	dir := t.TempDir()
	var out, progress bytes.Buffer
	cfg := config{out: dir, progressWriter: &progress, events: true}
	if err := run(context.Background(), &out, "", cfg); err != nil {
		t.Fatal(err)
	}
	items := strings.Count(out.String(), `"event":"item"`)
	calls := strings.Count(out.String(), `"event":"call"`)
	if items != 12 || calls < 12 || strings.Count(out.String(), `"status":"done"`) != 12 {
		t.Errorf("%d item lines, %d call lines:\n%.2000s", items, calls, out.String())
	}
	if p := progress.String(); !strings.Contains(p, "12/12 done, 0 failed | ") || !strings.Contains(p, "tok/min") || !strings.Contains(p, "maybe billed 0") {
		t.Errorf("progress line: %q", p)
	}
}
