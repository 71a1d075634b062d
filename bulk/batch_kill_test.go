package bulk_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// dyingJournal is a journal whose process dies after its n-th record:
// later records are lost, and the process's requests no longer reach the
// server (dead is what its client's transport checks). It is what a kill
// -9 right after that record leaves: the journal's first n records, and
// the server's state.
type dyingJournal struct {
	bulk.Journal
	mu   sync.Mutex
	n    int
	dead *atomic.Bool
}

var errKilled = errors.New("the process was killed")

func (j *dyingJournal) Record(key string, result json.RawMessage) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.dead.Load() {
		return errKilled
	}
	if j.n == 0 {
		j.dead.Store(true)
		return errKilled
	}
	j.n--
	return j.Journal.Record(key, result)
}

// deadTransport refuses every request once dead: nothing more is sent.
type deadTransport struct{ dead *atomic.Bool }

func (t deadTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if t.dead.Load() {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errKilled}
	}
	return http.DefaultTransport.RoundTrip(r)
}

// killOutcome is what a job killed after a journal step, then resumed,
// came to.
type killOutcome struct {
	steps          int // journal records the job writes when not killed
	done, twice    int // items done after the resume; items the server answered twice
	maybePaidTwice int // what the resume's report counted
	submits        int // batches the server stored in all
}

// killAfter runs a batch job of n items (and 2 that run sync) in chunks
// of chunk, killed after journal step `step` (-1: never), then resumed.
func killAfter(t *testing.T, n, chunk, step int) killOutcome {
	t.Helper()
	var cnt counter
	srv, c, clock := batchSetup(t, &cnt, ort.WithoutRecording())
	in := jobs(n, "openai/gpt-4o-mini")
	in = append(in, job{Text: "draw a cat", Model: "openai/gpt-4o-mini", Image: true}, job{Text: "sync 2", Model: "openai/gpt-4o-mini", Image: true})
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
	m := bulk.WithBatchNonce(textMode(kc, clock), "")
	m.ChunkSize = chunk
	m.Wait.MaxPollErrors = 1
	_, err = bulk.NoPassWait(bulk.Runner[job, string]{Key: jobKey, Journal: dj, RetryFor: -1}).RunBatch(context.Background(), in, m)
	if err != nil {
		t.Fatal(err)
	}
	var out killOutcome
	if step < 0 {
		out.steps = (1 << 30) - dj.n
	}
	j.Close()

	j, err = bulk.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	m = bulk.WithBatchNonce(textMode(c, clock), "")
	m.ChunkSize = chunk
	later := time.Now().Add(time.Hour) // the lost submissions' window has passed
	rep, err := bulk.Runner[job, string]{Key: jobKey, Journal: j}.RunBatch(context.Background(), in, bulk.WithBatchClock(m, func() time.Time { return later }))
	if err != nil {
		t.Fatal(err)
	}
	out.done, out.maybePaidTwice, out.submits = rep.Done, rep.MaybePaidTwice, srv.BatchStats().Submits
	for _, it := range in {
		if cnt.get(it.Text) > 1 {
			out.twice++
		}
	}
	return out
}

// A batch job killed after any step of its journal, then resumed, ends
// with every item done; no batch is submitted twice, and every item the
// server answered twice is counted in MaybePaidTwice.
func TestRunBatchKilledAtEveryJournalStep(t *testing.T) {
	const n, chunk = 4, 2
	full := killAfter(t, n, chunk, -1)
	if full.done != n+2 || full.twice != 0 || full.submits != n/chunk {
		t.Fatalf("not killed: %+v", full)
	}
	t.Logf("%d journal steps", full.steps)
	for step := 0; step <= full.steps; step++ {
		o := killAfter(t, n, chunk, step)
		if o.done != n+2 || o.twice > o.maybePaidTwice || o.submits != n/chunk {
			t.Errorf("killed after step %d of %d: %+v; want all done, each item answered twice counted, %d batches", step, full.steps, o, n/chunk)
		}
	}
}
