package bulk

import (
	"context"
	"encoding/json"

	"github.com/routerkit/openrouter"
)

// BatchObserver is an [Observer] that also sees RunBatch's batches: the
// runner finds it by a type assertion on Runner.Observer. An Observer
// that does not implement it sees RunBatch's items and its end only.
type BatchObserver interface {
	// BatchEvent is called at each step of a batch's life, from the
	// goroutine that waits for it (RunBatch waits for its batches at
	// once: from several goroutines).
	BatchEvent(ctx context.Context, e BatchEvent)
}

// BatchPhase is a step of a batch's life in RunBatch.
type BatchPhase string

// The steps of a batch, in the order a batch goes through them.
const (
	// BatchSubmitted: a batch was submitted (Batch is its ID), or its
	// submission failed (Err; Batch is "" unless a lookup adopted it).
	// Requests counts the submission's requests (Report.Requests.Submits).
	BatchSubmitted BatchPhase = "submitted"
	// BatchLookedUp: a submission whose answer was lost was looked up
	// among the batches listed (Token names it); Batch is the batch
	// adopted as it, "" when none was. Requests counts the lookup's
	// requests (Report.Requests.Lookups).
	BatchLookedUp BatchPhase = "looked_up"
	// BatchPolled: one poll of a batch waited for, with its Status and
	// Counts.
	BatchPolled BatchPhase = "polled"
	// BatchEnded: the wait for a batch ended, with its terminal Status
	// (completed, expired, failed or cancelled) and Counts, or with the
	// wait's error (Err). Requests counts the wait's polls
	// (Report.Requests.Polls), failed ones included.
	BatchEnded BatchPhase = "ended"
	// BatchCollecting: the batch's results are about to be read.
	BatchCollecting BatchPhase = "collecting"
	// BatchCollected: the batch's results were read (Results of them),
	// or could not be (Err). Requests counts the pages read
	// (Report.Requests.ResultPages).
	BatchCollected BatchPhase = "collected"
	// BatchRepairs: the Result of Items answers of batches, paid for
	// already, is tried again (each item is then seen by the Observer).
	BatchRepairs BatchPhase = "repairs"
)

// BatchEvent describes a step of a batch's life.
type BatchEvent struct {
	Phase BatchPhase
	// Batch is the batch's ID; "" before one is known.
	Batch string
	// Token is the submission's marker token (openrouter.BatchMarker).
	Token string
	// Items is how many of the run's items the batch holds.
	Items int
	// Status and Counts are the batch's, when polled.
	Status openrouter.BatchStatus
	Counts openrouter.BatchRequestCounts
	// Requests counts the step's HTTP requests (each attempt), as
	// Report.Requests does: the events' Requests add up to it.
	Requests int
	// Results is how many results were read (BatchCollected).
	Results int
	// Cost (USD) and InputTokens and OutputTokens are what the results
	// read for the batch's items say they used (BatchCollected), as
	// their cost is counted in Report.BatchCost: no call's answer
	// carries them (the pages of results are reads).
	Cost                      float64
	InputTokens, OutputTokens int
	Err                       error
}

// resultsUsage adds up the cost and tokens of the results of chunk ch's
// items, as settle counts their cost.
func resultsUsage(ch *chunk, results map[string]*openrouter.BatchResult) (cost float64, in, out int) {
	for _, id := range ch.cids {
		res := results[id]
		if res == nil {
			continue
		}
		cost += res.Cost()
		if res.Response == nil || len(res.Response.Body) == 0 {
			continue
		}
		var body struct {
			Usage *struct {
				PromptTokens     int `json:"prompt_tokens"`
				InputTokens      int `json:"input_tokens"`
				CompletionTokens int `json:"completion_tokens"`
				OutputTokens     int `json:"output_tokens"`
			} `json:"usage"`
		}
		if json.Unmarshal(res.Response.Body, &body) == nil && body.Usage != nil {
			in += body.Usage.PromptTokens + body.Usage.InputTokens
			out += body.Usage.CompletionTokens + body.Usage.OutputTokens
		}
	}
	return cost, in, out
}

// batchObserver returns the run's BatchObserver; nil when none.
func (br *batchRun[T, R]) batchObserver() BatchObserver {
	bo, _ := br.r.b.Observer.(BatchObserver)
	return bo
}

// observeBatch tells the BatchObserver, if any, of e about chunk ch.
func (br *batchRun[T, R]) observeBatch(ctx context.Context, ch *chunk, e BatchEvent) {
	bo := br.batchObserver()
	if bo == nil {
		return
	}
	if ch != nil {
		if e.Batch == "" {
			e.Batch = ch.rec.ID
		}
		e.Token, e.Items = ch.rec.Marker.Token, len(ch.items)
	}
	bo.BatchEvent(ctx, e)
}

// observePolls returns w, whose OnPoll also tells the BatchObserver of
// each poll of chunk ch.
func (br *batchRun[T, R]) observePolls(ctx context.Context, ch *chunk, w openrouter.BatchWait) openrouter.BatchWait {
	if br.batchObserver() == nil {
		return w
	}
	prev := w.OnPoll
	w.OnPoll = func(b *openrouter.Batch) {
		if prev != nil {
			prev(b)
		}
		br.observeBatch(ctx, ch, BatchEvent{Phase: BatchPolled, Status: b.Status, Counts: b.RequestCounts})
	}
	return w
}

// observeStarted tells the Observer that a chunk's items start: their
// batch was submitted.
func (br *batchRun[T, R]) observeStarted(ctx context.Context, ch *chunk) {
	if br.r.b.Observer == nil {
		return
	}
	for _, i := range ch.items {
		br.r.observeStart(ctx, i)
	}
}

// observeEnded tells the Observer how items ended: again is the items to
// run again; the others are settled, each told once in the run.
func (br *batchRun[T, R]) observeEnded(ctx context.Context, items []int, again map[int]bool) {
	r := br.r
	if r.b.Observer == nil {
		return
	}
	for _, i := range items {
		if again[i] {
			r.observeEnd(ctx, i, true)
		} else if br.tell(i) {
			r.observeEnd(ctx, i, false)
		}
	}
}

// tell reports whether item i's end is still to be told, and marks it
// told.
func (br *batchRun[T, R]) tell(i int) bool {
	br.mu.Lock()
	defer br.mu.Unlock()
	if br.told == nil {
		br.told = make([]bool, len(br.r.rep.Results))
	}
	first := !br.told[i]
	br.told[i] = true
	return first
}

// observeRun tells the Observer the ends not told yet, and the run's end.
func (br *batchRun[T, R]) observeRun(ctx context.Context) {
	r := br.r
	if r.b.Observer == nil {
		return
	}
	all := make([]int, len(r.rep.Results))
	for i := range all {
		all[i] = i
	}
	br.observeEnded(ctx, all, nil)
	rep := r.rep
	r.b.Observer.RunEnded(ctx, RunEnded{Done: rep.Done, Failed: rep.Failed, NotAttempted: rep.NotAttempted, MaybeBilled: rep.MaybeBilled,
		MaybePaidTwice: rep.MaybePaidTwice, Cost: rep.Cost, Elapsed: rep.Elapsed, Stopped: rep.Stopped})
}

// subObserver is the Observer of a RunBatch's inner run (its sync path,
// its repairs): it passes the items' starts and ends on, marks the ends
// told, and keeps the inner run's end to itself.
type subObserver[T, R any] struct{ br *batchRun[T, R] }

func (s subObserver[T, R]) ItemStarted(ctx context.Context, e ItemStarted) {
	s.br.r.b.Observer.ItemStarted(ctx, e)
}

func (s subObserver[T, R]) ItemEnded(ctx context.Context, e ItemEnded) {
	if i, ok := s.br.byKey[e.Key]; ok && !e.Again && !s.br.tell(i) {
		return
	}
	s.br.r.b.Observer.ItemEnded(ctx, e)
}

func (subObserver[T, R]) RunEnded(context.Context, RunEnded) {}

// observeWait tells the BatchObserver how the wait for chunk ch's batch
// ended: with b, after sent polls, or with err.
func (br *batchRun[T, R]) observeWait(ctx context.Context, ch *chunk, b *openrouter.Batch, sent int, err error) {
	e := BatchEvent{Phase: BatchEnded, Requests: sent, Err: err}
	if b != nil {
		e.Status, e.Counts = b.Status, b.RequestCounts
	}
	br.observeBatch(ctx, ch, e)
}

// setOf returns the set of items.
func setOf(items []int) map[int]bool {
	if len(items) == 0 {
		return nil
	}
	m := make(map[int]bool, len(items))
	for _, i := range items {
		m[i] = true
	}
	return m
}
