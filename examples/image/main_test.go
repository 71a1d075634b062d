package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/routerkit/openrouter"
)

func TestOffline(t *testing.T) {
	var out bytes.Buffer
	base := filepath.Join(t.TempDir(), "cover")
	if err := run(context.Background(), &out, "", openrouter.ImageRequest{Prompt: "a lighthouse", AspectRatio: "16:9"}, base); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(base + ".png")
	if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) || !strings.Contains(out.String(), "image/png, 64x64") || !strings.Contains(out.String(), "estimate: at most $") {
		t.Errorf("%v; output:\n%s", err, out.String())
	}
}

// TestOfflineWebP draws a compressed WebP through the image API: the
// file is a WebP of the asked shape, and priced before it is drawn.
func TestOfflineWebP(t *testing.T) {
	var out bytes.Buffer
	base := filepath.Join(t.TempDir(), "cover")
	req := openrouter.ImageRequest{Prompt: "a lighthouse", Model: "black-forest-labs/flux.2-pro", OutputFormat: "webp",
		OutputCompression: openrouter.Ptr(75), Size: "2K", AspectRatio: "16:9"}
	if err := run(context.Background(), &out, "", req, base); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(base + ".webp")
	if err != nil || string(b[8:12]) != "WEBP" || !strings.Contains(out.String(), "estimate: at most $0.0300 for 1 image(s)") ||
		!strings.Contains(out.String(), "image/webp, 64x36") || strings.Contains(out.String(), "not as asked") {
		t.Errorf("%v; output:\n%s", err, out.String())
	}
	req.OutputFormat = "gif"
	if err := run(context.Background(), &out, "", req, base); !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("gif: %v", err)
	}
}
