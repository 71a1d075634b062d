package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestOffline(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, "", sample); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Title: Rewritten: Backups nobody tests", "Meta:  A backup you have never restored", "1 section(s)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
