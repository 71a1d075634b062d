package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func TestOffline(t *testing.T) {
	var out bytes.Buffer
	cfg := config{items: 200, rate: 1000, burst: 10, latency: time.Millisecond, model: "openai/gpt-4o-mini"}
	if err := run(context.Background(), &out, "", cfg); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"running offline", "200 items: 200 done, 0 failed, 0 not attempted", "200/200 done"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestOfflineCapStops(t *testing.T) {
	var out bytes.Buffer
	cfg := config{items: 100, rate: 1000, burst: 10, latency: time.Millisecond, model: "openai/gpt-4o-mini", cap: 0.0005}
	if err := run(context.Background(), &out, "", cfg); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"stopped early: bulk: spending cap reached", "not attempted: run again with -journal"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
