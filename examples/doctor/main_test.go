package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestOffline(t *testing.T) {
	var out bytes.Buffer
	problems, err := run(context.Background(), &out, "", "")
	if err != nil || problems != 0 {
		t.Fatalf("%d problems, %v:\n%s", problems, err, out.String())
	}
	for _, want := range []string{"1. The key\n  ok: sk-or-v1-", "2. The balance (what the low-balance alert watches)\n  unknown: the key has no spending limit and the client has no management key", "ok: image    google/gemini-2.5-flash-image",
		"6. One tiny request\n  ok: openai/gpt-4o-mini", "Diagnosis: everything works.",
		"limit: none", "standard openai/gpt-4o-mini: 2 provider(s); OpenAI (quantization not published) $0.15/M in, up 99.9%", "black-forest-labs/flux.2-pro (Black Forest Labs: FLUX.2 Pro)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestOfflineWithManagementKey checks that with a management key the
// doctor reads the account's credits and says so.
func TestOfflineWithManagementKey(t *testing.T) {
	var out bytes.Buffer
	problems, err := run(context.Background(), &out, "", "offline")
	if err != nil || problems != 0 {
		t.Fatalf("%d problems, %v:\n%s", problems, err, out.String())
	}
	if want := "ok: $1000.00 remaining, from the account's credits (GET /credits, with the management key)"; !strings.Contains(out.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, out.String())
	}
}

// TestQuantization checks that a published quantization is shown as it
// is, and an unpublished one in words rather than a bare "unknown".
func TestQuantization(t *testing.T) {
	for in, want := range map[string]string{"fp8": "fp8", "unknown": "quantization not published", "": "quantization not published"} {
		if got := quantization(in); got != want {
			t.Errorf("quantization(%q) = %q, want %q", in, got, want)
		}
	}
}
