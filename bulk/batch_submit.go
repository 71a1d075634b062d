package bulk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/routerkit/openrouter"
)

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
	ids, keys := make([]string, len(items)), make([]string, len(items))
	nonce := br.m.nonce()
	for k, i := range items {
		keys[k] = r.rep.Results[i].Key
		ids[k] = keys[k] + "#" + nonce
		body := *br.reqs[i]
		body.Model = model
		req.Requests = append(req.Requests, openrouter.BatchItem{CustomID: ids[k], Body: &body})
	}
	if err := br.checkCap(ctx, req); err != nil {
		r.stop(err)
		return settle(NotAttempted, err)
	}
	marker, err := br.m.Client.Batches.Marker(req)
	if err != nil {
		return settle(Failed, err)
	}
	ch := &chunk{rec: batchRecord{Marker: marker, CustomIDs: ids, Keys: keys}, items: items, cids: ids, req: req}
	if err := br.record(ch.rec); err != nil {
		r.stop(err)
		return settle(NotAttempted, err)
	}
	var b *openrouter.Batch
	sent := br.count(ctx, &r.rep.Requests.Submits, func(ctx context.Context) { b, err = br.m.Client.Batches.Submit(ctx, req) })
	if err != nil {
		br.observeBatch(ctx, ch, BatchEvent{Phase: BatchSubmitted, Requests: sent, Err: err})
		var se *openrouter.BatchSubmitError
		if errors.As(err, &se) {
			// The answer was lost: the batch may be stored. Find it, and wait
			// for what may be it; its marker stays open in the journal
			// until this is settled.
			if br.adopt(ctx, ch) {
				r.mu.Lock()
				r.rep.Batches = append(r.rep.Batches, ch.rec.ID)
				r.mu.Unlock()
				br.observeStarted(ctx, ch)
				return ch
			}
			if !br.settled(ch) { // proven not stored: not in this run, to be sure
				return settle(NotAttempted, fmt.Errorf("bulk: the submission of this item's batch was not stored (%w); run again to submit it", err))
			}
			return nil
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
	br.own(b.ID)
	if err := br.record(ch.rec); err != nil {
		// Not recorded: a resume would look it up by its marker.
		r.stop(err)
	}
	r.mu.Lock()
	r.rep.Batches = append(r.rep.Batches, b.ID)
	r.mu.Unlock()
	br.observeBatch(ctx, ch, BatchEvent{Phase: BatchSubmitted, Requests: sent, Status: b.Status, Counts: b.RequestCounts})
	br.observeStarted(ctx, ch)
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
