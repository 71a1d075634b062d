package bulk_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// printingJournal tells the parent test each key it recorded.
type printingJournal struct{ *bulk.JSONLJournal }

func (j printingJournal) Record(key string, result json.RawMessage) error {
	if err := j.JSONLJournal.Record(key, result); err != nil {
		return err
	}
	if !strings.HasPrefix(key, "#batch:") { // the items' results, not their journal states
		fmt.Printf("recorded %s\n", key)
	}
	return nil
}

// TestBulkHelperProcess is the process TestBulkResumesAfterKill kills; it
// does nothing in an ordinary test run.
func TestBulkHelperProcess(t *testing.T) {
	if os.Getenv("BULK_HELPER") != "1" {
		t.Skip("run by TestBulkResumesAfterKill")
	}
	j, err := bulk.OpenJournal(os.Getenv("BULK_JOURNAL"))
	if err != nil {
		t.Fatal(err)
	}
	c := openrouter.NewClient(os.Getenv("BULK_KEY"), openrouter.WithBaseURL(os.Getenv("BULK_URL")))
	_, _ = bulk.Runner[string, string]{Workers: 4, Journal: printingJournal{j}, Key: func(s string) string { return s }}.
		Run(context.Background(), items(60), chatItem(c))
}

// TestBulkResumesAfterKill runs a bulk job in a helper process, kills it
// (SIGKILL) after 15 items are recorded, and resumes from its journal: no
// item lost, none recorded twice, and only items in flight at the kill
// answered twice.
func TestBulkResumesAfterKill(t *testing.T) {
	t.Parallel()
	var cnt counter
	srv := ort.NewServer(ort.WithLatency(5*time.Millisecond), ort.WithResponder(cnt.responder(0.01)))
	t.Cleanup(srv.Close)
	path := filepath.Join(t.TempDir(), "journal.jsonl")

	cmd := exec.Command(os.Args[0], "-test.run=^TestBulkHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "BULK_HELPER=1", "BULK_URL="+srv.URL, "BULK_KEY="+srv.Key, "BULK_JOURNAL="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	recorded := map[string]bool{}
	sc := bufio.NewScanner(out)
	for sc.Scan() && len(recorded) < 15 {
		if k, ok := strings.CutPrefix(sc.Text(), "recorded "); ok {
			recorded[k] = true
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if len(recorded) < 15 {
		t.Fatalf("the helper recorded %d items before it ended", len(recorded))
	}

	j, err := bulk.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	c := srv.Client()
	rep, err := bulk.Runner[string, string]{Workers: 4, Journal: j, Key: func(s string) string { return s }}.
		Run(context.Background(), items(60), chatItem(c))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Done != 60 {
		t.Fatalf("after the resume: done %d of 60", rep.Done)
	}
	raw, _ := os.ReadFile(path)
	keys := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var l struct{ Key string }
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("journal line %q: %v", line, err)
		}
		keys[l.Key]++
	}
	twice := 0
	for _, it := range items(60) {
		if keys[it] != 1 {
			t.Errorf("%s recorded %d times", it, keys[it])
		}
		switch n := cnt.get(it); {
		case n == 0:
			t.Errorf("%s never answered", it)
		case n == 2:
			twice++
			if recorded[it] {
				t.Errorf("%s was recorded before the kill, yet run again", it)
			}
		case n > 2:
			t.Errorf("%s answered %d times", it, n)
		}
	}
	if twice > 4 {
		t.Errorf("%d items answered twice; at most the 4 in flight at the kill may be", twice)
	}
	// The journal knew which were in flight: each answered twice is counted.
	if rep.MaybePaidTwice < twice || rep.MaybePaidTwice > 4 {
		t.Errorf("MaybePaidTwice %d; %d items were answered twice, at most 4 were in flight", rep.MaybePaidTwice, twice)
	}
}
