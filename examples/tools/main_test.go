package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRunOffline(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, ""); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`round 1: weather({"city":"Paris"}) -> 18°C, light rain`,
		`round 1: weather({"city":"Tokyo"}) -> 24°C, sunny`,
		"Paris: 18°C, light rain. Tokyo: 24°C, sunny.",
		"(2 rounds, 2 requests, 2 attempts",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
