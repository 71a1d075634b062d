package bulk_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// writeMarker records a batch's marker and custom IDs without its ID, as
// a run killed between the two records leaves them.
func writeMarker(t *testing.T, j bulk.Journal, m openrouter.BatchMarker, ids []string) {
	t.Helper()
	raw, _ := json.Marshal(map[string]any{"marker": m, "custom_ids": ids})
	if err := j.Record("#batch:"+m.Token, raw); err != nil {
		t.Fatal(err)
	}
}

func TestRunBatchAdoptsASubmissionRecordedWithoutID(t *testing.T) {
	var cnt counter
	srv, c, clock := batchSetup(t, &cnt)
	j, err := bulk.OpenJournal(filepath.Join(t.TempDir(), "j.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	in := jobs(4, "openai/gpt-4o-mini")
	m := textMode(c, clock)
	breq := &openrouter.BatchRequest{Model: "openai/gpt-4o-mini"}
	var ids []string
	for _, it := range in {
		req, _ := m.Request(it)
		breq.Requests = append(breq.Requests, openrouter.BatchItem{CustomID: it.Text, Body: req})
		ids = append(ids, it.Text)
	}
	marker, err := c.Batches.Marker(breq)
	if err != nil {
		t.Fatal(err)
	}
	writeMarker(t, j, marker, ids)
	if _, err := c.Batches.Submit(context.Background(), breq); err != nil {
		t.Fatal(err)
	}
	rep, err := bulk.Runner[job, string]{Key: jobKey, Journal: j}.RunBatch(context.Background(), in, m)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Done != 4 || rep.InBatch != 4 || srv.BatchStats().Submits != 1 {
		t.Fatalf("done %d, in batch %d, submits %d; want 4, 4, 1 (the batch found and adopted)", rep.Done, rep.InBatch, srv.BatchStats().Submits)
	}
}

func TestRunBatchResubmitsALostMarkerOnlyAfterTheWindow(t *testing.T) {
	var cnt counter
	srv, c, clock := batchSetup(t, &cnt)
	j, err := bulk.OpenJournal(filepath.Join(t.TempDir(), "j.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	in := jobs(3, "openai/gpt-4o-mini")
	// A marker whose submission never reached the server.
	breq := &openrouter.BatchRequest{Model: "openai/gpt-4o-mini", Requests: make([]openrouter.BatchItem, 3)}
	marker, err := c.Batches.Marker(breq)
	if err != nil {
		t.Fatal(err)
	}
	writeMarker(t, j, marker, []string{in[0].Text, in[1].Text, in[2].Text})
	m := textMode(c, clock)
	submitted := marker.NotBefore.Add(5 * time.Minute)
	rep, err := bulk.Runner[job, string]{Key: jobKey, Journal: j}.RunBatch(context.Background(), in, bulk.WithBatchClock(m, func() time.Time { return submitted.Add(time.Minute) }))
	if err != nil {
		t.Fatal(err)
	}
	if rep.NotAttempted != 3 || srv.BatchStats().Submits != 0 || !errors.Is(rep.Results[0].Err, openrouter.ErrMaybeBilled) ||
		!strings.Contains(rep.Results[0].Err.Error(), "submitted again only after") {
		t.Fatalf("within the window: not attempted %d, submits %d, %v", rep.NotAttempted, srv.BatchStats().Submits, rep.Results[0].Err)
	}
	rep, err = bulk.Runner[job, string]{Key: jobKey, Journal: j}.RunBatch(context.Background(), in, bulk.WithBatchClock(m, func() time.Time { return submitted.Add(time.Hour) }))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Done != 3 || srv.BatchStats().Submits != 1 {
		t.Fatalf("after the window: done %d, submits %d; want 3, 1", rep.Done, srv.BatchStats().Submits)
	}
}

func TestRunBatchNeverResubmitsAmbiguousMarker(t *testing.T) {
	var cnt counter
	srv, c, clock := batchSetup(t, &cnt)
	j, err := bulk.OpenJournal(filepath.Join(t.TempDir(), "j.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	in := jobs(2, "openai/gpt-4o-mini")
	m := textMode(c, clock)
	breq := &openrouter.BatchRequest{Model: "openai/gpt-4o-mini"}
	for _, it := range in {
		req, _ := m.Request(it)
		breq.Requests = append(breq.Requests, openrouter.BatchItem{CustomID: it.Text, Body: req})
	}
	marker, err := c.Batches.Marker(breq)
	if err != nil {
		t.Fatal(err)
	}
	writeMarker(t, j, marker, []string{in[0].Text, in[1].Text})
	for range 2 { // two batches match the marker: which is ours cannot be told
		breq.Token = ""
		if _, err := c.Batches.Submit(context.Background(), breq); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := bulk.Runner[job, string]{Key: jobKey, Journal: j}.RunBatch(context.Background(), in, bulk.WithBatchClock(m, func() time.Time { return marker.NotBefore.Add(time.Hour) }))
	if err != nil {
		t.Fatal(err)
	}
	var se *openrouter.BatchSubmitError
	if rep.Failed != 2 || srv.BatchStats().Submits != 2 || !errors.As(rep.Results[0].Err, &se) || len(se.Candidates) != 2 || len(rep.Remaining()) != 0 {
		t.Fatalf("failed %d, submits %d, %v; want both failed naming the 2 candidates, nothing resubmitted", rep.Failed, srv.BatchStats().Submits, rep.Results[0].Err)
	}
}

func TestRunBatchResumedBatchRetriesInAFollowUpBatch(t *testing.T) {
	var cnt counter
	srv, c, clock := batchSetup(t, &cnt)
	j, err := bulk.OpenJournal(filepath.Join(t.TempDir(), "j.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	ctx, cancel := context.WithCancel(context.Background())
	m := textMode(c, clock)
	m.Wait.OnPoll = func(*openrouter.Batch) { cancel() } // the first run stops waiting
	if _, err := (bulk.Runner[job, string]{Key: jobKey, Journal: j}).RunBatch(ctx, jobs(3, ""), m); err != nil {
		t.Fatal(err)
	}
	srv.FailBatchRequest("item 001#t", ort.BatchFailure{Status: 503, Message: "overloaded"})
	m = textMode(c, clock)
	m.RetryInBatch = true
	rep, err := bulk.Runner[job, string]{Key: jobKey, Journal: j}.RunBatch(context.Background(), jobs(3, ""), m)
	if err != nil {
		t.Fatal(err)
	}
	// The failure is scripted by custom ID: the follow-up batch fails it too, and the sync path runs it.
	if r := rep.Results[1]; rep.Done != 3 || srv.BatchStats().Submits != 2 || len(rep.Batches) != 1 || r.Attempts != 3 || r.Batch != "" {
		t.Fatalf("done %d, submits %d, item 001: attempts %d, batch %q; want a follow-up batch, then sync", rep.Done, srv.BatchStats().Submits, r.Attempts, r.Batch)
	}
}
