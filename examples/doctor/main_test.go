package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestOffline(t *testing.T) {
	var out bytes.Buffer
	problems, err := run(context.Background(), &out, "")
	if err != nil || problems != 0 {
		t.Fatalf("%d problems, %v:\n%s", problems, err, out.String())
	}
	for _, want := range []string{"1. The key\n  ok: sk-or-v1-", "needs a management key", "ok: image    google/gemini-2.5-flash-image",
		"6. One tiny request\n  ok: openai/gpt-4o-mini", "Diagnosis: everything works.",
		"limit: none", "standard openai/gpt-4o-mini: 2 provider(s); OpenAI unknown $0.15/M in, up 99.9%", "black-forest-labs/flux.2-pro (Black Forest Labs: FLUX.2 Pro)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
