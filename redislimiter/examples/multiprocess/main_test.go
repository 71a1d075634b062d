package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
)

// The test binary is also the child process the demo starts.
func TestMain(m *testing.M) {
	if os.Getenv("MP_CHILD") == "1" {
		os.Exit(runChild())
	}
	os.Exit(m.Run())
}

// TestTwoProcessesSmoke runs the demo with two processes and a few
// requests each, shared and alone: every request gets its answer. It uses
// redis-server when installed, miniredis otherwise.
func TestTwoProcessesSmoke(t *testing.T) {
	addr := ""
	if _, err := exec.LookPath("redis-server"); err != nil || os.Getenv("REDISLIMITER_TEST_REDIS") == "miniredis" {
		addr = miniredis.RunT(t).Addr()
		t.Log("Redis backend: miniredis")
	} else {
		t.Log("Redis backend: redis-server")
	}
	var out bytes.Buffer
	const total = 12
	results, err := runParent(&out, os.Args[0], 2, 2, total, addr)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if len(results) != 2 || !results[0].shared || results[1].shared {
		t.Fatalf("results = %+v", results)
	}
	for _, r := range results {
		if r.failed != 0 || r.completions != total {
			t.Errorf("shared=%v: %d failed, %d answered of %d", r.shared, r.failed, r.completions, total)
		}
	}
	for _, label := range []string{"| shared (redislimiter) |", "| each process alone (AdaptiveLimiter) |"} {
		if !strings.Contains(out.String(), label) {
			t.Errorf("no row %q in\n%s", label, out.String())
		}
	}
}
