package bulk_test

import (
	"context"
	"strings"
	"testing"

	"github.com/routerkit/openrouter/bulk"
)

// The Report counts the HTTP requests of each kind the run sent: the
// fake server saw as many.
func TestRunBatchReportCountsRequestsByKind(t *testing.T) {
	var cnt counter
	srv, c, clock := batchSetup(t, &cnt)
	in := jobs(25, "openai/gpt-4o-mini")
	in = append(in, job{Text: "draw a cat", Model: "openai/gpt-4o-mini", Image: true}, job{Text: "on llama", Model: "meta-llama/llama-3.3-70b-instruct"})
	m := textMode(c, clock)
	m.ChunkSize = 10
	m.Batchable = func(model string) bool { return !strings.HasPrefix(model, "meta-llama/") }
	rep, err := bulk.Runner[job, string]{Key: jobKey}.RunBatch(context.Background(), in, m)
	if err != nil {
		t.Fatal(err)
	}
	st, all := srv.BatchStats(), srv.Stats()
	got := rep.Requests
	if got.Submits != 3 || got.Submits != st.Submits || got.Polls != st.Polls || got.ResultPages != st.ResultPages || got.Lookups != 0 || got.Sync != 2 || got.Sync != all.Completions {
		t.Fatalf("report %+v; the server saw submits %d, polls %d, result pages %d, sync %d", got, st.Submits, st.Polls, st.ResultPages, all.Completions)
	}
}

// A lost submission's requests are counted too: the submission with its
// own lookup, and the lookup that proves which batch is ours.
func TestRunBatchReportCountsLookups(t *testing.T) {
	var cnt counter
	srv, c, clock := batchSetup(t, &cnt)
	srv.LoseBatchSubmits(1)
	rep, err := bulk.Runner[job, string]{Key: jobKey}.RunBatch(context.Background(), jobs(3, ""), textMode(c, clock))
	if err != nil {
		t.Fatal(err)
	}
	st := srv.BatchStats()
	got := rep.Requests
	if rep.Done != 3 || got.Lookups == 0 || got.Submits+got.Lookups+got.Polls+got.ResultPages != st.Submits+st.Lists+st.Polls+st.ResultPages {
		t.Fatalf("done %d, report %+v; the server saw %+v", rep.Done, got, st)
	}
}
