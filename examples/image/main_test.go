package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOffline(t *testing.T) {
	var out bytes.Buffer
	base := filepath.Join(t.TempDir(), "cover")
	if err := run(context.Background(), &out, "", "a lighthouse", base); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(base + ".png")
	if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) || !strings.Contains(out.String(), "image/png, 64x64") {
		t.Errorf("%v; output:\n%s", err, out.String())
	}
}
