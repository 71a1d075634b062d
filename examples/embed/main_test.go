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
