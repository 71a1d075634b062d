package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOffline runs the program against the embedded fake server and
// checks each of its three products: audio, links, video.
func TestOffline(t *testing.T) {
	var out bytes.Buffer
	prefix := filepath.Join(t.TempDir(), "cwv")
	if err := run(context.Background(), &out, "", config{article: "03-core-web-vitals", out: prefix}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"running offline", "Audio: ", "audio/mpeg", "matches the text: true",
		"Internal links to add ($0.002):\n  0.141  Serving images fast on a content site", "Video job job-000001: pending", "polled: completed", "Video: 98304 bytes"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if n := strings.Count(out.String(), "\n  0."); n != 3 {
		t.Errorf("%d links printed, want 3:\n%s", n, out.String())
	}
	mp3, err1 := os.ReadFile(prefix + ".mp3")
	mp4, err2 := os.ReadFile(prefix + ".mp4")
	if err1 != nil || err2 != nil || !bytes.HasPrefix(mp3, []byte("ID3")) || !bytes.Contains(mp4[:12], []byte("ftyp")) {
		t.Errorf("files: %v, %v", err1, err2)
	}
}

func TestUnknownArticle(t *testing.T) {
	if err := run(context.Background(), &bytes.Buffer{}, "", config{article: "nope"}); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("err %v", err)
	}
}
