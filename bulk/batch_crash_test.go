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
)

// batchPrintingJournal tells the parent test each batch ID it recorded.
type batchPrintingJournal struct{ *bulk.JSONLJournal }

func (j batchPrintingJournal) Record(key string, result json.RawMessage) error {
	if err := j.JSONLJournal.Record(key, result); err != nil {
		return err
	}
	var rec struct{ ID string }
	if strings.HasPrefix(key, "#batch:") && json.Unmarshal(result, &rec) == nil && rec.ID != "" {
		fmt.Printf("batch %s\n", rec.ID)
	}
	return nil
}

// TestBatchHelperProcess is the process TestRunBatchResumesAfterKill
// kills while it waits; it does nothing in an ordinary test run.
func TestBatchHelperProcess(t *testing.T) {
	if os.Getenv("BULK_BATCH_HELPER") != "1" {
		t.Skip("run by TestRunBatchResumesAfterKill")
	}
	j, err := bulk.OpenJournal(os.Getenv("BULK_JOURNAL"))
	if err != nil {
		t.Fatal(err)
	}
	c := openrouter.NewClient(os.Getenv("BULK_KEY"), openrouter.WithBaseURL(os.Getenv("BULK_URL")))
	n, chunk := 60, 20
	if os.Getenv("BULK_BATCH_N") != "" {
		n, chunk = 5000, 1000
	}
	m := textMode(c, nil)
	m.ChunkSize = chunk
	// The server's batch clock stands still: this process polls until it is killed.
	m.Wait = openrouter.BatchWait{MinInterval: time.Millisecond, MaxInterval: time.Millisecond,
		OnPoll: func(b *openrouter.Batch) { fmt.Printf("polled %s\n", b.ID) }}
	_, _ = bulk.Runner[job, string]{Key: jobKey, Journal: batchPrintingJournal{j}}.RunBatch(context.Background(), jobs(n, ""), m)
}

// TestRunBatchResumesAfterKill submits a job's batches in a helper
// process, kills it (SIGKILL) while it waits for them, and resumes from
// its journal: the resumed run polls the same batches, submits none
// twice, and no item is run (paid) twice.
func TestRunBatchResumesAfterKill(t *testing.T) {
	var cnt counter
	srv, _, clock := batchSetup(t, &cnt)
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	cmd := exec.Command(os.Args[0], "-test.run=^TestBatchHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "BULK_BATCH_HELPER=1", "BULK_URL="+srv.URL, "BULK_KEY="+srv.Key, "BULK_JOURNAL="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	submitted := map[string]bool{}
	sc := bufio.NewScanner(out)
	polled := false // the kill comes while the helper waits: after its first poll
	for (len(submitted) < 3 || !polled) && sc.Scan() {
		if id, ok := strings.CutPrefix(sc.Text(), "batch "); ok {
			submitted[id] = true
		}
		polled = polled || strings.HasPrefix(sc.Text(), "polled ")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if len(submitted) != 3 || srv.BatchStats().Submits != 3 {
		t.Fatalf("the helper recorded %d batch IDs, the server stored %d batches; want 3", len(submitted), srv.BatchStats().Submits)
	}
	if srv.BatchStats().Requests != 0 {
		t.Fatal("the batches ran before the kill: the test kills nothing while waiting")
	}

	j, err := bulk.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	m := textMode(srv.Client(), clock)
	m.ChunkSize = 20
	rep, err := bulk.Runner[job, string]{Key: jobKey, Journal: j}.RunBatch(context.Background(), jobs(60, ""), m)
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, rep, 60)
	if rep.Done != 60 || rep.InBatch != 60 {
		t.Fatalf("after the resume: done %d, in batch %d; want 60, 60", rep.Done, rep.InBatch)
	}
	if st := srv.BatchStats(); st.Submits != 3 || len(rep.Batches) != 0 {
		t.Errorf("batches submitted in all %d (resumed run %v); want 3, none by the resumed run", st.Submits, rep.Batches)
	}
	for _, res := range rep.Results {
		if !submitted[res.Batch] {
			t.Errorf("%s collected from batch %q, not one the killed run submitted", res.Key, res.Batch)
		}
		if n := cnt.get(res.Item.Text); n != 1 {
			t.Errorf("%s run %d times", res.Key, n)
		}
	}
}
