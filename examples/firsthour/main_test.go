package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
)

func TestOffline(t *testing.T) {
	t.Setenv("OPENROUTER_BASE_URL", "")
	dir := t.TempDir()
	var out bytes.Buffer
	rep, err := run(context.Background(), &out, "", filepath.Join(dir, "run.jsonl"), filepath.Join(dir, "covers"), sampleArticles())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Done != 39 || rep.Failed != 1 || rep.NotAttempted != 0 {
		t.Fatalf("done %d, failed %d, not attempted %d\n%s", rep.Done, rep.Failed, rep.NotAttempted, out.String())
	}
	for _, r := range rep.Results {
		switch {
		case r.Key == "article-07":
			if !errors.Is(r.Err, openrouter.ErrUnparseable) || !strings.Contains(out.String(), "article-07: ErrUnparseable") {
				t.Errorf("article-07: %v\n%s", r.Err, out.String())
			}
		case r.Status != bulk.Done:
			t.Errorf("%s: %v", r.Key, r.Err)
		case r.Value.Cover == "" || len(r.Value.Page.Sections) == 0:
			t.Errorf("%s: %+v", r.Key, r.Value)
		}
	}
	if long := rep.Results[0].Value.Page; len(long.Sections) < 2 {
		t.Errorf("the long article was not sent in parts: %d sections", len(long.Sections))
	}
	if b, err := os.ReadFile(rep.Results[1].Value.Cover); err != nil || len(b) == 0 {
		t.Errorf("cover: %v", err)
	}

	// A rerun with the journal pays for nothing: not the 39 done, nor
	// article-07, which failed for good.
	out.Reset()
	rep, err = run(context.Background(), &out, "", filepath.Join(dir, "run.jsonl"), filepath.Join(dir, "covers"), sampleArticles())
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Results[7]; rep.Done != 39 || rep.Failed != 1 || rep.Cost != 0 || !r.Resumed || !errors.Is(r.Err, openrouter.ErrUnparseable) ||
		!strings.Contains(out.String(), "article-07: ErrUnparseable") {
		t.Errorf("rerun: done %d, failed %d, cost $%g, article-07 resumed %v (%v)\n%s", rep.Done, rep.Failed, rep.Cost, r.Resumed, r.Err, out.String())
	}
}

// TestHelperProcess is the run TestResumesAfterKill kills; it does nothing
// in an ordinary test run.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("FIRSTHOUR_HELPER") != "1" {
		t.Skip("run by TestResumesAfterKill")
	}
	_, _ = run(context.Background(), os.Stdout, "", os.Getenv("FIRSTHOUR_JOURNAL"), os.Getenv("FIRSTHOUR_OUT"), sampleArticles())
}

// TestResumesAfterKill kills the job (SIGKILL) once it has rewritten some
// articles, runs it again with the same journal, and checks that every
// article's outcome (39 results, article-07's failure) is journaled
// exactly once and that those in flight at the kill are counted as maybe
// paid twice.
func TestResumesAfterKill(t *testing.T) {
	t.Setenv("OPENROUTER_BASE_URL", "")
	dir := t.TempDir()
	journal, covers := filepath.Join(dir, "run.jsonl"), filepath.Join(dir, "covers")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "FIRSTHOUR_HELPER=1", "FIRSTHOUR_JOURNAL="+journal, "FIRSTHOUR_OUT="+covers)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill once ten articles are rewritten (the journal holds about as
	// many: each is journaled just after).
	sc := bufio.NewScanner(out)
	for rewritten := 0; rewritten < 10 && sc.Scan(); {
		if strings.HasPrefix(sc.Text(), "rewrote ") {
			rewritten++
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	before := outcomesInJournal(t, journal)
	if before < 5 || before >= 40 {
		t.Fatalf("killed with %d results journaled: not in the middle of the job", before)
	}

	var report bytes.Buffer
	rep, err := run(context.Background(), &report, "", journal, covers, sampleArticles())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Done+rep.Failed != 40 || rep.Done < 39 {
		t.Fatalf("after the resume: done %d, failed %d\n%s", rep.Done, rep.Failed, report.String())
	}
	if rep.MaybePaidTwice > 5 {
		t.Errorf("maybe paid twice %d: more than the workers in flight at the kill", rep.MaybePaidTwice)
	}
	if n := outcomesInJournal(t, journal); n != 40 {
		t.Errorf("the journal holds %d outcomes, want 40 (39 results, article-07's failure), each once", n)
	}
}

// outcomesInJournal counts the articles whose outcome the journal holds:
// a result, or a failure for good (Runner.JournalFailures).
func outcomesInJournal(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return strings.Count(string(b), `"key":"article-`) + strings.Count(string(b), `"state":"failed"`)
}
