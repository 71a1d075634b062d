package bulk_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// TestMeasureBatchMode measures a 5,000-item job in batch mode against
// the fake (the figures of BENCHMARKS.md): the HTTP requests made, the
// cost against the same job in sync mode, the items lost, and the same
// after a kill -9 while waiting. It runs only with BULK_MEASURE=1:
//
//	BULK_MEASURE=1 go test -run '^TestMeasureBatchMode$' -v ./bulk
func TestMeasureBatchMode(t *testing.T) {
	if os.Getenv("BULK_MEASURE") != "1" {
		t.Skip("a measurement: set BULK_MEASURE=1")
	}
	const n = 5000
	ctx := context.Background()
	newServer := func(cnt *counter) (*ort.Server, *openrouter.Client, *ort.Clock) {
		return batchSetup(t, cnt, ort.WithoutRecording())
	}

	// Sync mode: the reference cost.
	var syncCnt counter
	_, sc, _ := newServer(&syncCnt)
	m := textMode(sc, nil)
	syncRep, err := bulk.Runner[job, string]{Key: jobKey, Workers: 16}.Run(ctx, jobs(n, ""), func(ctx context.Context, j job) (string, error) {
		req, _ := m.Request(j)
		ans, err := sc.Chat(ctx, req)
		if err != nil {
			return "", err
		}
		return ans.Content(), nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Batch mode, uninterrupted.
	var cnt counter
	srv, c, clock := newServer(&cnt)
	bm := textMode(c, clock)
	rep, err := bulk.Runner[job, string]{Key: jobKey}.RunBatch(ctx, jobs(n, ""), bm)
	if err != nil {
		t.Fatal(err)
	}
	st := srv.BatchStats()
	fmt.Printf("batch mode, %d items, chunks of %d: submits %d, polls %d, result pages %d, lists %d; done %d, lost %d; cost $%.4f, sync mode $%.4f (%.2fx); items run twice %d\n",
		n, 1000, st.Submits, st.Polls, st.ResultPages, st.Lists, rep.Done, n-rep.Done, rep.Cost, syncRep.Cost, rep.Cost/syncRep.Cost, twice(&cnt, n))
	fmt.Printf("the report's own count of its requests: %+v\n", rep.Requests)

	// Killed after each of a sample of journal steps (every batch record,
	// then every 500th), then resumed.
	full := killAfter(t, n, 1000, -1)
	worst := killOutcome{}
	samples := 0
	for step := 0; step <= full.steps; step++ {
		if step > 20 && step%500 != 0 && step != full.steps {
			continue
		}
		o := killAfter(t, n, 1000, step)
		samples++
		if o.twice > worst.twice {
			worst = o
		}
		if o.done != n+2 || o.twice > o.maybePaidTwice || o.submits != n/1000 {
			t.Errorf("killed after step %d: %+v", step, o)
		}
	}
	fmt.Printf("killed after %d of its %d journal steps, then resumed: at most %d items answered twice (each counted in MaybePaidTwice: %d), batches stored %d\n",
		samples, full.steps, worst.twice, worst.maybePaidTwice, full.submits)

	// Killed (SIGKILL) while waiting, then resumed from the journal.
	var kcnt counter
	ksrv, kc, kclock := newServer(&kcnt)
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	cmd := exec.Command(os.Args[0], "-test.run=^TestBatchHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "BULK_BATCH_HELPER=1", "BULK_BATCH_N=5000", "BULK_URL="+ksrv.URL, "BULK_KEY="+ksrv.Key, "BULK_JOURNAL="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ids := 0
	scn := bufio.NewScanner(out)
	polled := false
	for (ids < 5 || !polled) && scn.Scan() {
		if strings.HasPrefix(scn.Text(), "batch ") {
			ids++
		}
		polled = polled || strings.HasPrefix(scn.Text(), "polled ")
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	before := ksrv.BatchStats()
	j, err := bulk.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	km := textMode(kc, kclock)
	km.ChunkSize = 1000
	krep, err := bulk.Runner[job, string]{Key: jobKey, Journal: j}.RunBatch(ctx, jobs(n, ""), km)
	if err != nil {
		t.Fatal(err)
	}
	after := ksrv.BatchStats()
	fmt.Printf("kill -9 while waiting (%d batches submitted, %d polls before the kill), then resumed: submits %d in all (submitted twice %d), polls %d, result pages %d; done %d, lost %d, items run twice %d\n",
		before.Submits, before.Polls, after.Submits, after.Submits-5, after.Polls-before.Polls, after.ResultPages, krep.Done, n-krep.Done, twice(&kcnt, n))
	if rep.Done != n || krep.Done != n || after.Submits != 5 || twice(&kcnt, n) != 0 || twice(&cnt, n) != 0 {
		t.Error("items lost, or run or submitted twice")
	}
}

// twice counts the items the server ran more than once.
func twice(cnt *counter, n int) int {
	k := 0
	for _, it := range items(n) {
		if cnt.get(it) > 1 {
			k++
		}
	}
	return k
}
