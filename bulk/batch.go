package bulk

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/routerkit/openrouter"
)

// BatchMode runs a job's chat requests through the Batch API, at the
// batch price (about half the sync price), with Runner.RunBatch. Each
// item's request (Request) goes in a batch when it can; the answer it gets
// becomes the item's value through Result. What cannot go in a batch
// runs sync, item by item, in the same run (Sync): image output, image,
// audio or file inputs, fallback models, web search, per-request provider
// preferences, models Batchable refuses, and the items whose batch result
// failed with an error that may pass (a 429, a 5xx), unless RetryInBatch
// sends those in one follow-up batch.
type BatchMode[T, R any] struct {
	// Client submits the batches and runs the sync path. Required.
	Client *openrouter.Client
	// Request builds an item's chat request. Required. An error fails the
	// item, which is not sent; ErrSync runs it sync.
	Request func(item T) (*openrouter.ChatRequest, error)
	// Result turns the answer an item got into its value. Required. It may
	// send requests through ctx (repairs, say: see ChatJSONMode); their
	// cost is the item's. An error fails the item.
	Result func(ctx context.Context, item T, ans *openrouter.ChatResponse) (R, error)
	// Sync runs an item that does not go in a batch. Default: Chat with
	// the item's request, then Result.
	Sync func(ctx context.Context, item T) (R, error)
	// ChunkSize is the most requests in one batch (default 1000). Items
	// are grouped by model (one batch has one model) and, on Google
	// models, by response format (one response_format per batch there).
	ChunkSize int
	// Batchable, when set, says whether a model takes batches; items on
	// a model it refuses run sync. Default: every model does.
	Batchable func(model string) bool
	// RetryInBatch sends the items whose batch result failed with an
	// error that may pass in one follow-up batch, rather than sync.
	RetryInBatch bool
	// Wait configures the polling of each batch (backoff, jitter, the
	// callback's notifications).
	Wait openrouter.BatchWait
	// Provider and CallbackURL are set on every batch submitted.
	Provider    *openrouter.BatchProvider
	CallbackURL string

	now   func() time.Time // tests: the clock of the resubmission window
	nonce func() string    // tests: the nonce of each submission's custom IDs
}

// ErrSync, returned by BatchMode.Request, runs the item sync.
var ErrSync = errors.New("bulk: run this item sync")

// batchKeyPrefix starts the journal keys of the batch records; item keys
// may not start with it.
const batchKeyPrefix = "#batch:"

// resubmitAfter is how long after a submission whose answer was lost,
// and which no lookup finds, its items may be submitted again, by the
// client's own clock: the marker's NotBefore is already the clock skew
// before the submission.
const resubmitAfter = 15 * time.Minute

// batchRecord is what the journal keeps of a batch, under
// batchKeyPrefix+token: written with the marker and the custom IDs
// before the submission, again with the batch ID before the wait, and
// again Closed once its results are recorded.
//
// Each custom ID is the item's key and the submission's nonce
// ("key#nonce"): a result is recorded for an item only under the custom
// ID journaled for it, so no other batch (another job's, an earlier
// chunk's, an earlier submission of the same items) can be taken for
// this one.
type batchRecord struct {
	Marker    openrouter.BatchMarker `json:"marker"`
	CustomIDs []string               `json:"custom_ids"`
	// Keys are the items' keys, in the order of CustomIDs; journals
	// written before nonces have none, and their custom IDs are the keys.
	Keys   []string `json:"keys,omitempty"`
	ID     string   `json:"id,omitempty"`
	Closed bool     `json:"closed,omitempty"`
}

// keys returns the record's item keys, in the order of its custom IDs.
func (rec batchRecord) keys() []string {
	if len(rec.Keys) == len(rec.CustomIDs) {
		return rec.Keys
	}
	return rec.CustomIDs
}

// RunBatch runs the items through the Batch API as m says, and the items
// that cannot go in a batch through m.Sync, and accounts for every item
// as Run does: the Report says which ran in which batch (Result.Batch)
// and which ran sync, and what each cost.
//
// With a Journal, each batch's marker and custom IDs are recorded before
// it is submitted and its ID before it is waited for, so a run killed
// while waiting resumes, given the same journal, by polling the same
// batch: it is never submitted twice. A marker recorded without an ID (the
// answer was lost, or the process died before it) is looked up
// (Batches.Find), in this run or the next: a batch is adopted only when its
// results prove it is the submission's (its custom IDs carry the
// submission's nonce), never one the journal already holds; while a batch
// that may be it runs, it is waited for, and its items are not submitted
// again. When none may be it, the items are submitted again once the
// submission cannot appear any more (15 minutes after it, by the
// client's own clock); several proven (journals written before nonces)
// stop those items, Failed with an error matching
// openrouter.ErrMaybeBilled.
//
// A batch that expires, fails or is cancelled leaves its items without a
// result NotAttempted, with an error that says so (an
// *openrouter.BatchStatusError); when it finished some requests but the
// server gives no results for it (the inline shape), its items end
// Failed, matching openrouter.ErrMaybeBilled, naming the batch, and are
// not sent again unless RequeueMaybeBilled. A repair (Result) that fails
// with an error that may pass is tried again from the batch answer,
// journaled, never bought again. SpendingCap is checked before each
// batch is submitted against the estimate of its cost
// (openrouter.Client.EstimateCost, an upper bound), and against the
// average cost so far on the sync path.
func (b Runner[T, R]) RunBatch(ctx context.Context, items []T, m BatchMode[T, R]) (*Report[T, R], error) {
	if ctx == nil || m.Client == nil || m.Request == nil || m.Result == nil {
		return nil, fmt.Errorf("%w: bulk.Runner.RunBatch needs a context, and a BatchMode with Client, Request and Result", openrouter.ErrInvalidRequest)
	}
	if m.ChunkSize <= 0 {
		m.ChunkSize = 1000
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.nonce == nil {
		m.nonce = newNonce
	}
	if m.Sync == nil {
		m.Sync = func(ctx context.Context, item T) (R, error) {
			var zero R
			req, err := m.Request(item)
			if err != nil {
				return zero, err
			}
			ans, err := m.Client.Chat(ctx, req)
			if err != nil {
				return zero, err
			}
			return m.Result(ctx, item, ans)
		}
	}
	release, err := claimJournal(b.Journal)
	if err != nil {
		return nil, err
	}
	defer release()
	r := &runner[T, R]{b: b, rep: &Report[T, R]{Results: make([]Result[T, R], len(items))}, billed: make([]billedState, len(items))}
	r.setDefaults()
	r.start = r.b.now()
	r.stopCh = make(chan struct{})
	if err := r.load(items); err != nil {
		return nil, err
	}
	byKey := make(map[string]int, len(items))
	for i, res := range r.rep.Results {
		byKey[res.Key] = i
	}
	records, err := loadBatchRecords(b.Journal)
	if err != nil {
		return nil, err
	}
	br := &batchRun[T, R]{r: r, m: m, byKey: byKey, reqs: make([]*openrouter.ChatRequest, len(items)),
		owned: map[string]bool{}, answers: map[int]*openrouter.ChatResponse{}}
	// What a batch of an earlier run holds, or an answer it kept, is paid
	// for already: the bill leaves it out. A submission without a batch ID
	// may not have been stored, and its items bought in this run: they
	// are counted.
	r.paid = make([]bool, len(items))
	for _, rec := range records {
		for _, k := range rec.keys() {
			if i, ok := byKey[k]; ok && !rec.Closed && rec.ID != "" {
				r.paid[i] = true
			}
		}
	}
	for i, res := range r.rep.Results {
		if rec := r.recs[res.Key]; !res.Resumed && (rec.Answer != nil || rec.State == stateUnread) {
			r.paid[i] = true
		}
	}
	if err := r.checkBill(ctx, items, &m); err != nil {
		return nil, err
	}
	return br.run(ctx, records), nil
}

// count runs f with a context that counts the requests f sends into *n
// (a field of Report.Requests); it returns their number.
func (br *batchRun[T, R]) count(ctx context.Context, n *int, f func(context.Context)) int {
	mctx, meter := openrouter.TrackCost(ctx)
	f(mctx)
	sent := meter.Requests()
	br.r.mu.Lock()
	*n += sent
	br.r.mu.Unlock()
	return sent
}

// newNonce draws a submission's nonce.
func newNonce() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// loadBatchRecords reads the batch records of a journal.
func loadBatchRecords(j Journal) ([]batchRecord, error) {
	if j == nil {
		return nil, nil
	}
	saved, err := j.Load()
	if err != nil {
		return nil, fmt.Errorf("bulk: reading the journal: %w", err)
	}
	var out []batchRecord
	for k, raw := range saved {
		if !strings.HasPrefix(k, batchKeyPrefix) || strings.HasPrefix(k, itemKeyPrefix) {
			continue
		}
		var rec batchRecord
		if err := json.Unmarshal(raw, &rec); err != nil {
			return nil, fmt.Errorf("bulk: the journal's batch record %q does not decode: %v", k, err)
		}
		out = append(out, rec)
	}
	slices.SortFunc(out, func(a, b batchRecord) int { return strings.Compare(a.Marker.Token, b.Marker.Token) })
	return out, nil
}

// batchRun is one RunBatch's state.
type batchRun[T, R any] struct {
	r     *runner[T, R]
	m     BatchMode[T, R]
	byKey map[string]int
	reqs  []*openrouter.ChatRequest // by item: the request built, nil until then
	est   float64                   // estimated cost of the batches submitted, for the cap

	mu      sync.Mutex
	owned   map[string]bool                  // the IDs of the batches the journal (or this run) holds
	answers map[int]*openrouter.ChatResponse // by item: a batch answer whose Result is to be tried again
	told    []bool                           // by item: its end was told to the Observer (observer_batch.go)
}

// chunk is one batch to submit, or submitted.
type chunk struct {
	rec   batchRecord
	items []int                    // the items it holds in this run
	cids  []string                 // their custom IDs, in the order of items
	req   *openrouter.BatchRequest // nil when resumed
}

// own records that the journal holds batch id.
func (br *batchRun[T, R]) own(id string) {
	br.mu.Lock()
	defer br.mu.Unlock()
	br.owned[id] = true
}

// owns reports whether the journal holds batch id.
func (br *batchRun[T, R]) owns(id string) bool {
	br.mu.Lock()
	defer br.mu.Unlock()
	return br.owned[id]
}

func (br *batchRun[T, R]) run(ctx context.Context, records []batchRecord) *Report[T, R] {
	r := br.r
	waiting, taken := br.resume(ctx, records)
	repairs := br.resumeAnswers(taken)

	stopTicker := r.startProgress()
	var syncItems, batchItems []int
	for i := range r.rep.Results {
		if r.rep.Results[i].Resumed || taken[i] || r.rep.Results[i].Status != NotAttempted || r.rep.Results[i].Err != nil {
			continue
		}
		req, err := br.m.Request(r.rep.Results[i].Item)
		if errors.Is(err, ErrSync) {
			syncItems = append(syncItems, i)
			continue
		}
		if err == nil && req == nil {
			err = fmt.Errorf("%w: BatchMode.Request returned a nil request", openrouter.ErrInvalidRequest)
		}
		if err != nil {
			r.finish(i, Failed, err)
			continue
		}
		br.reqs[i] = req
		model := br.model(req)
		if openrouter.CheckBatchable(req) != nil || br.m.Batchable != nil && !br.m.Batchable(model) {
			syncItems = append(syncItems, i)
			continue
		}
		batchItems = append(batchItems, i)
	}
	waiting = append(waiting, br.submitAll(ctx, batchItems)...)
	if len(syncItems) > 0 {
		br.runSync(ctx, syncItems)
	}
	retry := br.waitAll(ctx, waiting)
	retry = slices.DeleteFunc(retry, func(i int) bool {
		if br.answers[i] != nil { // a repair to try again: its answer is paid for
			repairs = append(repairs, i)
			return true
		}
		return false
	})
	if len(repairs) > 0 {
		br.runRepairs(ctx, repairs)
	}
	if len(retry) > 0 && br.m.RetryInBatch && r.stopped() == nil {
		var again, unbatchable []int
		for _, i := range retry {
			r.rep.Results[i].Err = nil
			if br.reqs[i] == nil { // from a batch resumed from the journal
				req, err := br.m.Request(r.rep.Results[i].Item)
				if err != nil || req == nil || openrouter.CheckBatchable(req) != nil {
					unbatchable = append(unbatchable, i)
					continue
				}
				br.reqs[i] = req
			}
			again = append(again, i)
		}
		retry = append(br.waitAll(ctx, br.submitAll(ctx, again)), unbatchable...)
	}
	if len(retry) > 0 {
		br.runSync(ctx, retry)
	}
	stopTicker()
	r.rep.Elapsed = r.b.now().Sub(r.start)
	r.rep.Stopped = r.stopped()
	r.rep.JobCost += r.rep.Cost
	for _, res := range r.rep.Results {
		switch {
		case res.Resumed || res.Attempts == 0:
		case res.Batch != "":
			r.rep.InBatch++
		default:
			r.rep.InSync++
		}
	}
	if r.b.Progress != nil {
		r.b.Progress(r.progress())
	}
	br.observeRun(ctx)
	return r.rep
}

// resume takes up the batches of the journal not closed: it returns
// those to wait for, and the items they (or a settled lookup) hold.
func (br *batchRun[T, R]) resume(ctx context.Context, records []batchRecord) (waiting []*chunk, taken map[int]bool) {
	r := br.r
	taken = map[int]bool{}
	for _, rec := range records {
		if rec.ID != "" {
			br.own(rec.ID)
		}
	}
	for _, rec := range records {
		if rec.Closed {
			continue
		}
		ch := &chunk{rec: rec}
		for k, key := range rec.keys() {
			if i, ok := br.byKey[key]; ok && !r.rep.Results[i].Resumed && k < len(rec.CustomIDs) {
				ch.items = append(ch.items, i)
				ch.cids = append(ch.cids, rec.CustomIDs[k])
			}
		}
		if len(ch.items) == 0 {
			continue
		}
		if ch.rec.ID == "" && !br.adopt(ctx, ch) {
			continue // its items are settled, or free to go in a new batch
		}
		for _, i := range ch.items {
			taken[i] = true
		}
		waiting = append(waiting, ch)
	}
	return waiting, taken
}

// model is the model a request runs on.
func (br *batchRun[T, R]) model(req *openrouter.ChatRequest) string {
	if req.Model != "" {
		return req.Model
	}
	return br.m.Client.Roles().Standard
}
