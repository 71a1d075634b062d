package bulk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// inlineNullSetup serves the fake's Batch API in the inline shape as the
// docs describe it: a batch that did not complete has results: null.
func inlineNullSetup(t *testing.T, cnt *counter) (*ort.Server, *openrouter.Client, *ort.Clock) {
	t.Helper()
	clock := ort.NewClock(time.Now().UTC().Truncate(time.Second))
	srv := ort.NewServer(ort.WithClock(clock.Now), ort.WithResponder(cnt.responder(0.01)), ort.WithInlineBatchResults())
	t.Cleanup(srv.Close)
	target, _ := url.Parse(srv.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	director := proxy.Director
	proxy.Director = func(r *http.Request) { director(r); r.Header.Del("Accept-Encoding") }
	proxy.ModifyResponse = func(resp *http.Response) error {
		var obj map[string]any
		raw, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil && json.Unmarshal(raw, &obj) == nil && obj["object"] == "batch" && obj["status"] != "completed" {
			obj["results"] = nil
			raw, _ = json.Marshal(obj)
		}
		resp.Body = io.NopCloser(bytes.NewReader(raw))
		resp.ContentLength = int64(len(raw))
		resp.Header.Set("Content-Length", strconv.Itoa(len(raw)))
		return nil
	}
	front := httptest.NewServer(proxy)
	t.Cleanup(front.Close)
	c := openrouter.NewClient(srv.Key, openrouter.WithBaseURL(front.URL), openrouter.WithRetry(3, time.Millisecond, time.Millisecond), openrouter.WithLimiter(nil))
	return srv, c, clock
}

// A batch cancelled before it ran any request, served in the inline shape
// (results: null), leaves its items NotAttempted, saying why, in
// Remaining: the next run submits them and gets their answers.
func TestRunBatchCancelledInlineBatchLeavesItemsToRunAgain(t *testing.T) {
	var cnt counter
	srv, c, clock := inlineNullSetup(t, &cnt)
	j := openJournal(t)
	m := textMode(c, clock)
	var once sync.Once
	m.Wait.OnPoll = func(b *openrouter.Batch) {
		once.Do(func() { _, _ = c.Batches.Cancel(context.Background(), b.ID) })
		clock.Advance(time.Minute)
	}
	rep, err := bulk.Runner[job, string]{Key: jobKey, Journal: j}.RunBatch(context.Background(), jobs(4, ""), m)
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, rep, 4)
	var se *openrouter.BatchStatusError
	if rep.NotAttempted != 4 || len(rep.Remaining()) != 4 || rep.MaybeBilled != 0 || !errors.As(rep.Results[0].Err, &se) || se.Status != openrouter.BatchCancelled {
		t.Fatalf("not attempted %d, remaining %d, maybe billed %d: %v; want all 4 left to run, saying the batch was cancelled",
			rep.NotAttempted, len(rep.Remaining()), rep.MaybeBilled, rep.Results[0].Err)
	}
	rep, err = bulk.Runner[job, string]{Key: jobKey, Journal: j}.RunBatch(context.Background(), jobs(4, ""), textMode(c, clock))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Done != 4 || srv.BatchStats().Submits != 2 {
		t.Fatalf("next run: done %d, submits %d; want 4 done by a new batch", rep.Done, srv.BatchStats().Submits)
	}
}

// A batch that expired after finishing some requests, served in the
// inline shape (no results), leaves each item maybe billed, naming the
// batch to look in: not sent again by the next run, unless it is asked
// to (RequeueMaybeBilled), and then counted as maybe paid twice.
func TestRunBatchExpiredInlineBatchNamesTheBatchAndRunsAgainOnlyWhenAsked(t *testing.T) {
	var cnt counter
	srv, c, clock := inlineNullSetup(t, &cnt)
	j := openJournal(t)
	srv.ExpireBatches(1)
	rep, err := bulk.Runner[job, string]{Key: jobKey, Journal: j}.RunBatch(context.Background(), jobs(4, ""), textMode(c, clock))
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, rep, 4)
	id := rep.Batches[0]
	if rep.Failed != 4 || rep.MaybeBilled != 4 || !strings.Contains(rep.Results[3].Err.Error(), "look in batch "+id) {
		t.Fatalf("failed %d, maybe billed %d: %v; want all 4 maybe billed, naming batch %s", rep.Failed, rep.MaybeBilled, rep.Results[3].Err, id)
	}
	rep, err = bulk.Runner[job, string]{Key: jobKey, Journal: j}.RunBatch(context.Background(), jobs(4, ""), textMode(c, clock))
	if err != nil {
		t.Fatal(err)
	}
	if rep.MaybeBilled != 4 || srv.BatchStats().Submits != 1 || !strings.Contains(rep.Results[0].Err.Error(), id) {
		t.Fatalf("next run: maybe billed %d, submits %d, %v; want the same 4, nothing sent", rep.MaybeBilled, srv.BatchStats().Submits, rep.Results[0].Err)
	}
	rep, err = bulk.Runner[job, string]{Key: jobKey, Journal: j, RequeueMaybeBilled: true}.RunBatch(context.Background(), jobs(4, ""), textMode(c, clock))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Done != 4 || rep.MaybePaidTwice != 4 || srv.BatchStats().Submits != 2 {
		t.Fatalf("asked to run them again: done %d, maybe paid twice %d, submits %d; want 4, 4, 2", rep.Done, rep.MaybePaidTwice, srv.BatchStats().Submits)
	}
}
