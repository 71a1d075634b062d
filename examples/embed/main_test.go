package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestOffline embeds the sample articles against the embedded fake server
// and checks that related articles come out as pairs.
func TestOffline(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, "", config{model: "openai/text-embedding-3-small", top: 5}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"running offline", "Embedded 12 articles with openai/text-embedding-3-small in 1 request(s)",
		"04-internal-linking <-> 12-complete-guide-technical-seo", "03-core-web-vitals <-> 10-page-speed-images"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if n := strings.Count(out.String(), "<->"); n != 5 {
		t.Errorf("%d pairs printed, want 5", n)
	}
}

// TestOfflineBatch runs the example with -batch: the same pairs as
// Embed, from one embeddings batch, at half the price.
func TestOfflineBatch(t *testing.T) {
	var sync, batch bytes.Buffer
	cfg := config{model: "openai/text-embedding-3-small", top: 5}
	if err := run(context.Background(), &sync, "", cfg); err != nil {
		t.Fatal(err)
	}
	cfg.batch = true
	if err := run(context.Background(), &batch, "", cfg); err != nil {
		t.Fatal(err)
	}
	pairs := func(s string) string { return s[strings.Index(s, "The 5 most similar"):] }
	if !strings.Contains(batch.String(), "Submitted batch ") || pairs(batch.String()) != pairs(sync.String()) {
		t.Errorf("batch output:\n%s\nwant the pairs of:\n%s", batch.String(), sync.String())
	}
	if !strings.Contains(sync.String(), "5011 tokens, $0.000100") || !strings.Contains(batch.String(), "5011 tokens, $0.000050") {
		t.Errorf("want $0.000100 sync and half in the batch:\n%s\n%s", sync.String(), batch.String())
	}
}
