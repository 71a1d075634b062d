package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestOffline(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, ""); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"-> ErrUnauthorized", "-> ErrInsufficientCredits", "-> ErrModelNotFound", "-> ErrNoEndpoints",
		"-> ErrModerated", "-> ErrForbidden", "-> ErrQuotaExhausted", "-> ErrRateLimited", "-> ErrContextLength", "-> ErrBadRequest",
		"(OpenAI: Invalid value for 'temperature')", "-> ErrTimeout", "-> ErrServer", "-> ErrEmptyContent", "-> ErrInvalidRequest",
		"-> ErrMaybeBilled", "-> ErrUnreachable"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(out.String(), "hint: \n") {
		t.Errorf("an error without a hint:\n%s", out.String())
	}
}
