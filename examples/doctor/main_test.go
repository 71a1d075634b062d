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
		"4. One tiny request\n  ok: openai/gpt-4o-mini", "Diagnosis: everything works."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
