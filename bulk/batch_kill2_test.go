package bulk_test

import (
	"context"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// killAfterHard is killAfter with a first submission whose answer is lost
// (stored, then cut: the run looks it up and proves it), and an item whose
// Result sends a repair sync: a job of n batch items and 1 sync item, in
// chunks of chunk, killed after journal step `step` (-1: never), then
// resumed. Every repair answered counts as an answer of its item.
func killAfterHard(t *testing.T, n, chunk, step int) killOutcome {
	t.Helper()
	var cnt counter
	srv, c, clock := batchSetup(t, &cnt, ort.WithoutRecording())
	srv.LoseBatchSubmits(1)
	in := jobs(n, "openai/gpt-4o-mini")
	in = append(in, job{Text: "sync 1", Model: "openai/gpt-4o-mini", Image: true})
	repaired := in[n-1].Text
	mode := func(c *openrouter.Client, now func() time.Time) bulk.BatchMode[job, string] {
		m := bulk.WithBatchNonce(textMode(c, clock), "")
		m.ChunkSize = chunk
		m.Wait.MaxPollErrors = 1
		m.Result = func(ctx context.Context, it job, ans *openrouter.ChatResponse) (string, error) {
			if it.Text != repaired {
				return ans.Content(), nil
			}
			fixed, err := c.Chat(ctx, &openrouter.ChatRequest{Model: it.Model, MaxTokens: 10, Messages: []openrouter.Message{openrouter.UserMessage(repaired)}})
			if err != nil {
				return "", err
			}
			return fixed.Content(), nil
		}
		if now != nil {
			m = bulk.WithBatchClock(m, now)
		}
		return m
	}
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j, err := bulk.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	dead := new(atomic.Bool)
	dj := &dyingJournal{Journal: j, n: step, dead: dead}
	if step < 0 {
		dj.n = 1 << 30
	}
	kc := srv.Client(openrouter.WithHTTPClient(&http.Client{Transport: deadTransport{dead}}), openrouter.WithRetry(1, time.Millisecond, time.Millisecond), openrouter.WithLimiter(nil))
	if _, err = bulk.NoPassWait(bulk.Runner[job, string]{Key: jobKey, Journal: dj, RetryFor: -1}).RunBatch(context.Background(), in, mode(kc, nil)); err != nil {
		t.Fatal(err)
	}
	var out killOutcome
	if step < 0 {
		out.steps = (1 << 30) - dj.n
	}
	j.Close()
	if j, err = bulk.OpenJournal(path); err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	later := time.Now().Add(time.Hour) // the lost submissions' window has passed
	rep, err := bulk.Runner[job, string]{Key: jobKey, Journal: j}.RunBatch(context.Background(), in, mode(c, func() time.Time { return later }))
	if err != nil {
		t.Fatal(err)
	}
	out.done, out.maybePaidTwice, out.submits = rep.Done, rep.MaybePaidTwice, srv.BatchStats().Submits
	for _, it := range in {
		want := 1
		if it.Text == repaired {
			want = 2 // its batch answer and its repair
		}
		if cnt.get(it.Text) > want {
			out.twice++
		}
	}
	return out
}

// A batch job whose first submission's answer is lost, and one of whose
// items is repaired sync, killed after any step of its journal (in the
// lookup of the lost submission, in the repair), then resumed, ends with
// every item done; no batch is submitted again, and every item the
// server answered twice is counted in MaybePaidTwice.
func TestRunBatchKilledAtEveryJournalStepOfALookupAndARepair(t *testing.T) {
	const n, chunk = 4, 2
	full := killAfterHard(t, n, chunk, -1)
	if full.done != n+1 || full.twice != 0 || full.submits != n/chunk {
		t.Fatalf("not killed: %+v", full)
	}
	t.Logf("%d journal steps", full.steps)
	for step := 0; step <= full.steps; step++ {
		o := killAfterHard(t, n, chunk, step)
		if o.done != n+1 || o.twice > o.maybePaidTwice || o.submits != n/chunk {
			t.Errorf("killed after step %d of %d: %+v; want all done, each item answered twice counted, %d batches", step, full.steps, o, n/chunk)
		}
	}
}
