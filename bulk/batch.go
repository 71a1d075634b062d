package bulk

import (
	"context"
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

	now func() time.Time // tests: the clock of the resubmission window
}

// ErrSync, returned by BatchMode.Request, runs the item sync.
var ErrSync = errors.New("bulk: run this item sync")

// batchKeyPrefix starts the journal keys of the batch records; item keys
// may not start with it.
const batchKeyPrefix = "#batch:"

// resubmitAfter is how long after a submission whose answer was lost,
// and which no lookup finds, its items may be submitted again: the
// marker's NotBefore is already the clock skew before the submission.
const resubmitAfter = 15 * time.Minute

// batchRecord is what the journal keeps of a batch, under
// batchKeyPrefix+token: written with the marker and the custom IDs
// before the submission, again with the batch ID before the wait, and
// again Closed once its results are recorded.
type batchRecord struct {
	Marker    openrouter.BatchMarker `json:"marker"`
	CustomIDs []string               `json:"custom_ids"`
	ID        string                 `json:"id,omitempty"`
	Closed    bool                   `json:"closed,omitempty"`
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
// (FindBatch): one match is adopted; none lets its items be submitted
// again only once the submission cannot appear any more; several stop
// those items, Failed with an error matching openrouter.ErrMaybeBilled.
//
// A batch that expires, fails or is cancelled leaves its unfinished items
// NotAttempted, with an error that says so (an
// *openrouter.BatchStatusError). SpendingCap is checked before each
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
	r := &runner[T, R]{b: b, rep: &Report[T, R]{Results: make([]Result[T, R], len(items))}, billed: make([]billedState, len(items))}
	r.setDefaults()
	r.start = r.b.now()
	r.stopCh = make(chan struct{})
	if err := r.load(items); err != nil {
		return nil, err
	}
	byKey := make(map[string]int, len(items))
	for i, res := range r.rep.Results {
		if strings.HasPrefix(res.Key, batchKeyPrefix) {
			return nil, fmt.Errorf("%w: bulk: item %d's key %q starts with %q, which the journal keeps for batches", openrouter.ErrInvalidRequest, i, res.Key, batchKeyPrefix)
		}
		byKey[res.Key] = i
	}
	records, err := loadBatchRecords(b.Journal)
	if err != nil {
		return nil, err
	}
	if err := r.checkBill(ctx, items, &m); err != nil {
		return nil, err
	}
	br := &batchRun[T, R]{r: r, m: m, byKey: byKey, reqs: make([]*openrouter.ChatRequest, len(items))}
	return br.run(ctx, records), nil
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
		if !strings.HasPrefix(k, batchKeyPrefix) {
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
}

// chunk is one batch to submit, or submitted.
type chunk struct {
	rec   batchRecord
	items []int
	req   *openrouter.BatchRequest // nil when resumed
}

func (br *batchRun[T, R]) run(ctx context.Context, records []batchRecord) *Report[T, R] {
	r := br.r
	taken := map[int]bool{} // items in a batch resumed from the journal
	var waiting []*chunk
	for _, rec := range records {
		if rec.Closed {
			continue
		}
		ch := &chunk{rec: rec}
		for _, id := range rec.CustomIDs {
			if i, ok := br.byKey[id]; ok && !r.rep.Results[i].Resumed {
				ch.items = append(ch.items, i)
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
	return r.rep
}

// model is the model a request runs on.
func (br *batchRun[T, R]) model(req *openrouter.ChatRequest) string {
	if req.Model != "" {
		return req.Model
	}
	return br.m.Client.Roles().Standard
}

// submitAll submits the items in batches of at most ChunkSize, grouped
// by model and, on Google models, by response format; it returns the
// batches submitted.
func (br *batchRun[T, R]) submitAll(ctx context.Context, items []int) []*chunk {
	groups := map[string][]int{}
	var order []string
	for _, i := range items {
		req := br.reqs[i]
		g := br.model(req)
		if strings.HasPrefix(g, "google/") && req.ResponseFormat != nil {
			f, _ := json.Marshal(req.ResponseFormat)
			g += "\x00" + string(f)
		}
		if _, ok := groups[g]; !ok {
			order = append(order, g)
		}
		groups[g] = append(groups[g], i)
	}
	var out []*chunk
	for _, g := range order {
		model, _, _ := strings.Cut(g, "\x00")
		for c := range slices.Chunk(groups[g], br.m.ChunkSize) {
			if ch := br.submit(ctx, model, c); ch != nil {
				out = append(out, ch)
			}
		}
	}
	return out
}

// adopt settles a recorded submission without a batch ID: it reports
// whether the batch was found (its ID is then recorded). When it was not,
// its items are left to go in a new batch once the submission cannot
// appear any more, or are settled here.
func (br *batchRun[T, R]) adopt(ctx context.Context, ch *chunk) bool {
	r := br.r
	found, err := br.m.Client.FindBatch(ctx, ch.rec.Marker)
	switch {
	case err == nil && len(found) == 1:
		ch.rec.ID = found[0].ID
		if jerr := br.record(ch.rec); jerr != nil {
			r.stop(jerr)
		}
		return true
	case err == nil && len(found) == 0 && br.m.now().After(ch.rec.Marker.NotBefore.Add(resubmitAfter)):
		ch.rec.Closed = true // not stored: its items go in a new batch
		if jerr := br.record(ch.rec); jerr != nil {
			r.stop(jerr)
		}
		return false
	}
	var serr error
	switch {
	case err != nil:
		serr = &openrouter.BatchSubmitError{Marker: ch.rec.Marker, Err: errors.New("the run that submitted it ended before recording its ID"), LookupErr: err}
	case len(found) == 0:
		serr = fmt.Errorf("%w: a batch (token %s) submitted at %s is not listed yet: its items are submitted again only after %s, when it cannot appear any more; run again then",
			openrouter.ErrMaybeBilled, ch.rec.Marker.Token, ch.rec.Marker.NotBefore.Add(5*time.Minute).Format(time.RFC3339), ch.rec.Marker.NotBefore.Add(resubmitAfter).Format(time.RFC3339))
	default:
		se := &openrouter.BatchSubmitError{Marker: ch.rec.Marker, Err: errors.New("the run that submitted it ended before recording its ID")}
		for _, f := range found {
			se.Candidates = append(se.Candidates, f.ID)
		}
		serr = se
	}
	for _, i := range ch.items {
		if len(found) > 1 {
			r.finish(i, Failed, serr) // never submitted again: the caller decides
		} else {
			r.finish(i, NotAttempted, serr)
		}
	}
	return false
}

// record writes a batch record in the journal.
func (br *batchRun[T, R]) record(rec batchRecord) error {
	if br.r.b.Journal == nil {
		return nil
	}
	raw, err := json.Marshal(rec)
	if err == nil {
		err = br.r.b.Journal.Record(batchKeyPrefix+rec.Marker.Token, raw)
	}
	if err != nil {
		return fmt.Errorf("bulk: recording batch %s in the journal: %w", rec.Marker.Token, err)
	}
	return nil
}

// submit submits the items as one batch on model, recording it first; it
// returns nil when the batch was not submitted (its items are then
// settled).
func (br *batchRun[T, R]) submit(ctx context.Context, model string, items []int) *chunk {
	r := br.r
	settle := func(s Status, err error) *chunk {
		for _, i := range items {
			r.finish(i, s, err)
		}
		return nil
	}
	if err := r.stopped(); err != nil {
		return settle(NotAttempted, err)
	}
	if err := ctx.Err(); err != nil {
		r.stop(err)
		return settle(NotAttempted, err)
	}
	req := &openrouter.BatchRequest{Model: model, Provider: br.m.Provider, CallbackURL: br.m.CallbackURL}
	ids := make([]string, len(items))
	for k, i := range items {
		ids[k] = r.rep.Results[i].Key
		body := *br.reqs[i]
		body.Model = model
		req.Requests = append(req.Requests, openrouter.BatchItem{CustomID: ids[k], Body: &body})
	}
	if err := br.checkCap(ctx, req); err != nil {
		r.stop(err)
		return settle(NotAttempted, err)
	}
	marker, err := br.m.Client.BatchMarker(req)
	if err != nil {
		return settle(Failed, err)
	}
	ch := &chunk{rec: batchRecord{Marker: marker, CustomIDs: ids}, items: items, req: req}
	if err := br.record(ch.rec); err != nil {
		r.stop(err)
		return settle(NotAttempted, err)
	}
	b, err := br.m.Client.SubmitBatch(ctx, req)
	if err != nil {
		var se *openrouter.BatchSubmitError
		if errors.As(err, &se) {
			// Its marker stays open in the journal: a later run looks it up.
			return settle(Failed, err)
		}
		ch.rec.Closed = true // refused: nothing was stored
		if jerr := br.record(ch.rec); jerr != nil {
			r.stop(jerr)
		}
		if stops(err) {
			r.stop(err)
			return settle(NotAttempted, err)
		}
		return settle(Failed, err)
	}
	ch.rec.ID = b.ID
	if err := br.record(ch.rec); err != nil {
		// Not recorded: a resume would look it up by its marker.
		r.stop(err)
	}
	r.mu.Lock()
	r.rep.Batches = append(r.rep.Batches, b.ID)
	r.mu.Unlock()
	return ch
}

// checkCap refuses a batch whose estimated cost would pass the spending
// cap, counting what was spent and the batches already submitted.
func (br *batchRun[T, R]) checkCap(ctx context.Context, req *openrouter.BatchRequest) error {
	limit := br.r.b.SpendingCap
	if limit <= 0 {
		return nil
	}
	reqs := make([]*openrouter.ChatRequest, len(req.Requests))
	for k, it := range req.Requests {
		reqs[k] = it.Body
	}
	est, err := br.m.Client.EstimateCost(ctx, reqs, openrouter.EstimateOptions{Batch: true})
	if err != nil {
		return fmt.Errorf("%w: the batch's cost cannot be estimated against the cap: %w", ErrSpendingCap, err)
	}
	br.r.mu.Lock()
	spent := br.r.rep.Cost
	br.r.mu.Unlock()
	if spent+br.est+est.Cost > limit {
		return fmt.Errorf("%w: $%.4f spent, batches submitted may cost up to $%.4f, the next (%d requests) up to $%.4f, cap $%.4f",
			ErrSpendingCap, spent, br.est, est.Requests, est.Cost, limit)
	}
	br.est += est.Cost
	return nil
}

// waitAll waits for the batches at once and records their results; it
// returns the items to run again (their result failed with an error that
// may pass).
func (br *batchRun[T, R]) waitAll(ctx context.Context, chunks []*chunk) []int {
	var mu sync.Mutex
	var retry []int
	var wg sync.WaitGroup
	for _, ch := range chunks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			again := br.collect(ctx, ch)
			mu.Lock()
			retry = append(retry, again...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(retry)
	return retry
}

// collect waits for one batch, then settles each of its items from its
// result.
func (br *batchRun[T, R]) collect(ctx context.Context, ch *chunk) (retry []int) {
	r := br.r
	c := br.m.Client
	b, err := c.WaitBatch(ctx, ch.rec.ID, br.m.Wait)
	var results map[string]*openrouter.BatchResult
	if err == nil {
		results, err = c.BatchResultMap(ctx, ch.rec.ID)
	}
	if err != nil {
		// The batch runs on, and is billed: a run with the same journal
		// collects it; running its items otherwise would pay them twice.
		err = fmt.Errorf("%w: bulk: batch %s not collected (%w): run again with the same journal to collect its results without submitting it again",
			openrouter.ErrMaybeBilled, ch.rec.ID, err)
		if ctx.Err() != nil {
			r.stop(ctx.Err())
		}
		for _, i := range ch.items {
			r.finish(i, Failed, err)
		}
		return nil
	}
	for _, i := range ch.items {
		res := results[r.rep.Results[i].Key]
		if res == nil {
			if berr := b.Err(); berr != nil {
				r.finish(i, NotAttempted, fmt.Errorf("bulk: not done: %w", berr))
			} else {
				r.finish(i, Failed, fmt.Errorf("%w: batch %s %s without a result for this item", openrouter.ErrServer, b.ID, b.Status))
			}
			continue
		}
		if br.settle(ctx, i, b.ID, res) {
			retry = append(retry, i)
		}
	}
	ch.rec.Closed = true
	if err := br.record(ch.rec); err != nil {
		r.stop(err)
	}
	return retry
}

// settle records one item's batch result; it reports whether to run the
// item again (its result failed with an error that may pass).
func (br *batchRun[T, R]) settle(ctx context.Context, i int, batchID string, res *openrouter.BatchResult) (again bool) {
	r := br.r
	item := r.rep.Results[i].Item
	ans, err := res.Chat()
	// The batch result's cost, whatever its answer (an empty one is
	// billed too), and that of the requests Result sent.
	cost, syncCost := res.Cost(), 0.0
	var v R
	if err == nil {
		mctx, meter := openrouter.TrackCost(ctx)
		v, err = br.m.Result(mctx, item, ans)
		syncCost = meter.USD()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out := &r.rep.Results[i]
	out.Attempts++
	out.Batch = batchID
	out.Cost += cost + syncCost
	r.rep.Cost += cost + syncCost
	r.rep.BatchCost += cost
	r.rep.SyncCost += syncCost
	r.costDone++
	var ae *openrouter.APIError
	switch {
	case err == nil:
		out.Value = v
		r.recordLocked(out.Key, v)
		r.finishLocked(i, Done, nil)
	case stops(err): // a 402, say: the next items would fail the same way
		r.stopLocked(err)
		r.finishLocked(i, NotAttempted, err)
	case errors.As(err, &ae) && ae.Retryable():
		out.Err = err
		return true
	default:
		r.finishLocked(i, Failed, err)
	}
	return false
}

// runSync runs items through m.Sync with a Runner of the same settings,
// and merges its results into the report.
func (br *batchRun[T, R]) runSync(ctx context.Context, idx []int) {
	r := br.r
	if err := r.stopped(); err != nil {
		for _, i := range idx {
			r.finish(i, NotAttempted, err)
		}
		return
	}
	sub := Runner[int, R]{
		Workers: r.b.Workers, Limiter: r.b.Limiter, Journal: r.b.Journal, RetryFor: r.b.RetryFor,
		RequeueMaybeBilled: r.b.RequeueMaybeBilled, DrainFor: r.b.DrainFor, ProgressEvery: r.b.ProgressEvery,
		Key:   func(i int) string { return r.rep.Results[i].Key },
		sleep: r.b.sleep, now: r.b.now,
	}
	if limit := r.b.SpendingCap; limit > 0 {
		r.mu.Lock()
		sub.SpendingCap = max(limit-r.rep.Cost-br.est, 1e-12)
		r.mu.Unlock()
	}
	items := r.rep.Results
	rep, err := sub.Run(ctx, idx, func(ctx context.Context, i int) (R, error) { return br.m.Sync(ctx, items[i].Item) })
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		for _, i := range idx {
			r.finishLocked(i, Failed, err)
		}
		return
	}
	for k, s := range rep.Results {
		i := idx[k]
		out := &r.rep.Results[i]
		out.Attempts += s.Attempts
		out.Cost += s.Cost
		out.Value, out.Resumed = s.Value, s.Resumed
		out.Batch = ""
		r.rep.Cost += s.Cost
		r.rep.SyncCost += s.Cost
		if s.Status != NotAttempted {
			r.costDone++
		}
		r.finishLocked(i, s.Status, s.Err)
	}
	r.rep.MaybePaidTwice += rep.MaybePaidTwice
	if rep.Stopped != nil {
		r.stopLocked(rep.Stopped)
	}
}
