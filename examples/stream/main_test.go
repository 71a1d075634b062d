package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestOffline(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, "", "Stream me"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "You said: Stream me\n(finish_reason stop") {
		t.Errorf("output:\n%s", out.String())
	}
}
