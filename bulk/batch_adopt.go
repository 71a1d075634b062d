package bulk

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/routerkit/openrouter"
)

// lookupSlack is how far before a marker's NotBefore a lookup lists
// batches: the listing filters by the server's clock, and a batch is
// proven ours by its results, not by when it was created, so a server
// clock days behind the client's still has it found. It is the results'
// retention window (30 days): a batch older than that by the server's
// clock has no results left to prove anything.
const lookupSlack = 30 * 24 * time.Hour

// adopt settles a recorded submission without a batch ID. It lists the
// batches that may be it (same model and request count, none the journal
// holds), waits for each that is still running, and adopts the one whose
// results carry the submission's custom IDs: it returns true, with the
// ID recorded. Otherwise the items are settled here (NotAttempted, or
// Failed when a batch that may hold them cannot be read), or, once the
// submission cannot appear any more and nothing may hold them, left free
// to go in a new batch (false, the items untouched).
func (br *batchRun[T, R]) adopt(ctx context.Context, ch *chunk) (ok bool) {
	r := br.r
	sent := br.count(ctx, &r.rep.Requests.Lookups, func(ctx context.Context) { ok = br.lookup(ctx, ch) })
	br.observeBatch(ctx, ch, BatchEvent{Phase: BatchLookedUp, Requests: sent})
	return ok
}

// lookup is adopt's work, its requests counted as lookups.
func (br *batchRun[T, R]) lookup(ctx context.Context, ch *chunk) bool {
	r := br.r
	look := ch.rec.Marker
	look.NotBefore = look.NotBefore.Add(-lookupSlack)
	found, err := br.m.Client.Batches.Find(ctx, look)
	if err != nil {
		br.settleAll(ch, NotAttempted, &openrouter.BatchSubmitError{Marker: ch.rec.Marker,
			Err: errors.New("the answer to its submission was lost"), LookupErr: err})
		return false
	}
	var ours, unread []string
	for _, f := range found {
		if br.owns(f.ID) {
			continue // another chunk's batch, or another submission's
		}
		switch br.prove(ctx, f, ch) {
		case proofOurs:
			ours = append(ours, f.ID)
		case proofUnread:
			unread = append(unread, f.ID)
		}
	}
	switch {
	case len(ours) == 1 && len(unread) == 0:
		ch.rec.ID = ours[0]
		br.own(ours[0])
		if jerr := br.record(ch.rec); jerr != nil {
			r.stop(jerr)
		}
		return true
	case len(ours)+len(unread) > 0:
		// Never submitted again: the caller decides (only journals written
		// without nonces can have several batches proven theirs).
		se := &openrouter.BatchSubmitError{Marker: ch.rec.Marker, Candidates: append(ours, unread...),
			Err: errors.New("the answer to its submission was lost, and the batches that may be it cannot be told apart or read")}
		br.settleAll(ch, Failed, se)
		return false
	case !br.m.now().After(ch.rec.Marker.NotBefore.Add(resubmitAfter)):
		br.settleAll(ch, NotAttempted, fmt.Errorf("%w: a batch (token %s) submitted at %s is not listed yet: its items are submitted again only after %s, when it cannot appear any more; run again then",
			openrouter.ErrMaybeBilled, ch.rec.Marker.Token, ch.rec.Marker.NotBefore.Add(5*time.Minute).Format(time.RFC3339), ch.rec.Marker.NotBefore.Add(resubmitAfter).Format(time.RFC3339)))
		return false
	}
	ch.rec.Closed = true // not stored: its items go in a new batch
	if jerr := br.record(ch.rec); jerr != nil {
		r.stop(jerr)
		br.settleAll(ch, NotAttempted, jerr)
	}
	return false
}

// proof is what a candidate batch's results say of a submission.
type proof int

const (
	proofNotOurs proof = iota // its results carry other custom IDs, or it holds none
	proofOurs                 // its results carry the submission's custom IDs
	proofUnread               // it finished requests, but its results cannot be read
)

// prove waits for candidate batch f to finish, then reads its first
// result: the batch is the submission's when that result's custom ID is
// one the submission journaled.
func (br *batchRun[T, R]) prove(ctx context.Context, f openrouter.Batch, ch *chunk) proof {
	c := br.m.Client
	b := &f
	if !b.Status.Terminal() {
		var err error
		if b, err = c.Batches.Wait(ctx, f.ID, br.m.Wait); err != nil {
			return proofUnread
		}
	}
	ids := make(map[string]bool, len(ch.rec.CustomIDs))
	for _, id := range ch.rec.CustomIDs {
		ids[id] = true
	}
	for res, err := range c.Batches.Results(ctx, b.ID) {
		if err != nil {
			break
		}
		if ids[res.CustomID] {
			return proofOurs
		}
		return proofNotOurs
	}
	if b.RequestCounts.Completed+b.RequestCounts.Failed == 0 {
		return proofNotOurs // no result, and none billed: nothing of ours is lost in it
	}
	return proofUnread
}

// settleAll ends every item of a chunk with s and err.
func (br *batchRun[T, R]) settleAll(ch *chunk, s Status, err error) {
	for _, i := range ch.items {
		br.r.finish(i, s, err)
	}
}

// settled reports whether a chunk's items were settled.
func (br *batchRun[T, R]) settled(ch *chunk) bool {
	r := br.r
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, i := range ch.items {
		if res := r.rep.Results[i]; res.Status != NotAttempted || res.Err != nil {
			return true
		}
	}
	return false
}
