package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOffline runs the whole job on the shipped samples against the
// embedded fake server and checks the report and the files written.
func TestOffline(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	cfg := config{out: dir, images: true, progressWriter: io.Discard, journal: filepath.Join(dir, "journal.jsonl"),
		imageModel: defaultCoverModel, cover: defaultCover}
	if err := run(context.Background(), &out, "", cfg); err != nil {
		t.Fatal(err)
	}
	// The fake's FLUX.2 Pro bills $0.03 a cover; the estimate counts the
	// 12 covers at that price, beside the rewrites.
	for _, want := range []string{"running offline", "12 articles: 12 done, 0 failed, 0 not attempted",
		"covers by black-forest-labs/flux.2-pro (webp 1K 16:9, compression 80)", "; 12 covers $0.3600\n",
		"covers $0.3600 (12 images); spent $",
		"done    12-complete-guide-technical-seo", "-> Rewritten: The complete guide to technical SEO"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	md, err := os.ReadFile(filepath.Join(dir, "08-go-error-handling.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(md), "---\ntitle: \"Rewritten: Error handling in Go") || !strings.Contains(string(md), "cover: \"08-go-error-handling-cover.webp\"") ||
		!strings.Contains(string(md), "```go\nif errors.Is(err, fs.ErrNotExist)") {
		t.Errorf("article file:\n%.400s", md)
	}
	webp, err := os.ReadFile(filepath.Join(dir, "08-go-error-handling-cover.webp"))
	if err != nil || len(webp) < 30 || string(webp[:4]) != "RIFF" || string(webp[8:12]) != "WEBP" {
		t.Errorf("cover: %d bytes, %v", len(webp), err)
	}
	if strings.Contains(out.String(), "cover: ") {
		t.Errorf("the covers are not as asked:\n%s", out.String())
	}
	// A second run with the same journal does nothing again.
	out.Reset()
	if err := run(context.Background(), &out, "", cfg); err != nil {
		t.Fatal(err)
	}
	if strings.Count(out.String(), "(from the journal)") != 12 || !strings.Contains(out.String(), "cost $0.0000") {
		t.Errorf("rerun:\n%s", out.String())
	}
}

func TestCapStopsAndSaysHowToResume(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	cfg := config{out: dir, images: true, progressWriter: io.Discard, cap: 0.0001, workers: 1}
	if err := run(context.Background(), &out, "", cfg); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Stopped early: bulk: spending cap reached", "not attempted (", "to resume"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestOfflineBatch runs the job with -batch: the rewrites go through the
// fake's Batch API, the covers sync, and the report sets the cost beside
// the same work's sync cost.
func TestOfflineBatch(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	cfg := config{out: dir, images: true, batch: true, progressWriter: io.Discard, journal: filepath.Join(dir, "journal.jsonl")}
	if err := run(context.Background(), &out, "", cfg); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"12 articles: 12 done, 0 failed, 0 not attempted", "12 rewrites in 1 batch(es)",
		"the same work in sync mode: $", "estimated before the run: at most $", "done    08-go-error-handling"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	png, err := os.ReadFile(filepath.Join(dir, "08-go-error-handling-cover.png"))
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("cover: %d bytes, %v", len(png), err)
	}
}

// TestOfflineOTelStdout runs the job with -otel-stdout: OpenTelemetry's
// spans (the job's, each call's with its GenAI attributes and cost, each
// attempt's) and metrics are written as JSON beside the report, and the
// progress line still reads from the job's observer.
func TestOfflineOTelStdout(t *testing.T) {
	dir := t.TempDir()
	var out, progress bytes.Buffer
	cfg := config{out: dir, images: false, progressWriter: &progress, otelStdout: true}
	if err := run(context.Background(), &out, "", cfg); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"12 articles: 12 done, 0 failed, 0 not attempted", `"Name":"seo job"`, `"Name":"attempt"`,
		`"Key":"gen_ai.operation.name","Value":{"Type":"STRING","Value":"chat"}`, `"Key":"openrouter.cost_usd"`,
		`"Name":"openrouter.bulk.items"`, `"Name":"gen_ai.client.token.usage"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %s:\n%.3000s", want, out.String())
		}
	}
	if !strings.Contains(progress.String(), "12/12 done") || !strings.Contains(progress.String(), "req/min") {
		t.Errorf("progress line: %q", progress.String())
	}
}
