package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary be the child process of -load cpu and io,
// and of -server-process.
func TestMain(m *testing.M) {
	if kind := os.Getenv(burnEnv); kind != "" {
		burn(kind)
		return
	}
	if settings := os.Getenv(serverEnv); settings != "" {
		serveChild(settings)
		return
	}
	os.Exit(m.Run())
}

// TestSmallRun runs the measurement on a small, fast set-up and checks
// that no request failed.

func TestSmallRun(t *testing.T) {
	var out bytes.Buffer
	cfg := config{requests: 120, rate: 400, burst: 5, maxConcurrent: 8, latency: time.Millisecond, workers: []int{10}}
	if err := run(context.Background(), &out, cfg); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	cols := strings.Split(lines[len(lines)-1], "|")
	if len(cols) < 7 || strings.TrimSpace(cols[1]) != "10" || strings.TrimSpace(cols[5]) != "0" {
		t.Errorf("want a row for 10 goroutines with 0 failed:\n%s", out.String())
	}
}

// TestSmallRunServerProcess runs it against the fake server in a child
// process, whose stats come back through the pipe.
func TestSmallRunServerProcess(t *testing.T) {
	var out bytes.Buffer
	cfg := config{requests: 60, rate: 400, burst: 5, maxConcurrent: 8, latency: time.Millisecond, workers: []int{5}, serverProcess: true}
	if err := run(context.Background(), &out, cfg); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	cols := strings.Split(lines[len(lines)-1], "|")
	// failed 0, and the server's peak concurrency (from the child) is known
	if len(cols) < 11 || strings.TrimSpace(cols[5]) != "0" || strings.TrimSpace(cols[9]) == "0" {
		t.Errorf("want a row with 0 failed and the server's peak concurrency:\n%s", out.String())
	}
}

// TestRateLog checks -rate-log: five requests at once against a burst of
// one get 429s, and the first 429 sets the learned rate.
func TestRateLog(t *testing.T) {
	var out, log bytes.Buffer
	cfg := config{requests: 20, rate: 50, burst: 1, maxConcurrent: 8, latency: time.Millisecond, workers: []int{5}, rateLog: &log}
	if err := run(context.Background(), &out, cfg); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "5 goroutines:\n") || !strings.Contains(log.String(), "status 429") ||
		!strings.Contains(log.String(), "rate 0.0/s -> ") {
		t.Errorf("want the 429s and the first learned rate in the log:\n%s", log.String())
	}
}

// TestSmallRunUnderLoad runs it beside allocation load (the kinds run in
// child processes need the example's own binary: see TestMain).
func TestSmallRunUnderLoad(t *testing.T) {
	var out bytes.Buffer
	cfg := config{requests: 60, rate: 400, burst: 5, maxConcurrent: 8, latency: time.Millisecond, workers: []int{5}, load: "alloc", loadN: 1}
	if err := run(context.Background(), &out, cfg); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "background load: 1 each of alloc") || !strings.Contains(out.String(), "| 5 |") {
		t.Errorf("output:\n%s", out.String())
	}
	if err := run(context.Background(), &out, config{load: "gpu", loadN: 1}); err == nil {
		t.Error("an unknown load kind was accepted")
	}
}

// TestLoadChildren starts and stops the child-process loads.
func TestLoadChildren(t *testing.T) {
	stop, err := startLoad("cpu,io", 1)
	if err != nil {
		t.Fatal(err)
	}
	stop() // returns only once both children have ended
}
