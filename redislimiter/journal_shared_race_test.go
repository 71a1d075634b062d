package redislimiter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/routerkit/openrouter/bulk"
)

// Races on one item's claim (issue 31), on both backends: takeovers at
// once, an End racing a takeover, a Release after the lease expired.

// A claim whose lease expired, taken over by eight workers at the same
// instant: one of them takes it, the others find it held; the worker
// that lost it writes nothing and its Release leaves the new claim alone.
func TestSharedJournalConcurrentTakeovers(t *testing.T) {
	r := startRedis(t)
	rdbA := client(t, r.addr())
	a := openShared(t, rdbA, "job", WithJournalLease(time.Hour), WithJournalRetry(0))
	const workers = 8
	js := make([]*SharedJournal, workers)
	for w := range js {
		js[w] = openShared(t, client(t, r.addr()), "job", WithJournalLease(time.Hour), WithJournalRetry(0))
	}
	ctx := context.Background()
	sa, err := a.Claim(ctx, "x")
	if err != nil || sa.Status != bulk.ClaimGranted {
		t.Fatalf("a's claim: %+v %v", sa, err)
	}
	a.stopRenewing() // a pauses past its lease
	expireClaims(t, r, rdbA, "job")
	start := make(chan struct{})
	states := make([]bulk.ClaimState, workers)
	errs := make(chan error, workers)
	for w := range js {
		go func() {
			<-start
			var err error
			states[w], err = js[w].Claim(ctx, "x")
			errs <- err
		}()
	}
	close(start)
	for range js {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	var winner bulk.Claim
	for w, st := range states {
		switch {
		case st.Status == bulk.ClaimGranted && st.TakenOver && winner == nil:
			winner = st.Claim
		case st.Status == bulk.ClaimHeld:
		default:
			t.Fatalf("worker %d: %+v; want one granted (taken over), the others held", w, st)
		}
	}
	if winner == nil {
		t.Fatal("no worker took the item over")
	}
	rec := []bulk.ItemRecord{{Key: "x", Value: json.RawMessage(`"a"`)}}
	if err := sa.Claim.Record(ctx, rec); !errors.Is(err, bulk.ErrClaimLost) {
		t.Errorf("a's Record after the takeover: %v, want ErrClaimLost", err)
	}
	if err := sa.Claim.Release(ctx); err != nil {
		t.Errorf("a's Release after the takeover: %v, want nil (lost: released already)", err)
	}
	if st, err := js[0].Claim(ctx, "x"); err != nil || st.Status != bulk.ClaimHeld {
		t.Errorf("a claim after a's Release: %+v %v; want the winner's claim still holding the item", st, err)
	}
	if err := winner.End(ctx, json.RawMessage(`{"status":"done"}`), []bulk.ItemRecord{{Key: "x", Value: json.RawMessage(`"w"`)}}); err != nil {
		t.Fatal(err)
	}
	if got, err := a.Load(); err != nil || string(got["x"]) != `"w"` {
		t.Errorf("x = %s (%v), want the winner's", got["x"], err)
	}
}

// A worker paused past its lease ends its item just as another takes it
// over, sent at the same instant, item after item: either the End comes
// first (the item ended with its value; the claim finds it ended) or the
// takeover (the End refused, nothing of it written; the claim granted).
// Never both, never neither.
func TestSharedJournalEndRacesTakeover(t *testing.T) {
	r := startRedis(t)
	rdbA := client(t, r.addr())
	a := openShared(t, rdbA, "job", WithJournalLease(time.Hour), WithJournalRetry(0))
	b := openShared(t, client(t, r.addr()), "job", WithJournalLease(time.Hour), WithJournalRetry(0))
	a.stopRenewing() // every claim of a expires
	ctx := context.Background()
	for i := range 20 {
		key := fmt.Sprintf("x%02d", i)
		sa, err := a.Claim(ctx, key)
		if err != nil || sa.Status != bulk.ClaimGranted {
			t.Fatalf("a's claim of %s: %+v %v", key, sa, err)
		}
		expireClaims(t, r, rdbA, "job")
		start := make(chan struct{})
		endErr := make(chan error, 1)
		go func() {
			<-start
			endErr <- sa.Claim.End(ctx, json.RawMessage(`{"status":"done"}`), []bulk.ItemRecord{{Key: key, Value: json.RawMessage(`"a"`)}})
		}()
		close(start)
		sb, err := b.Claim(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		ended := <-endErr
		recs, err := b.Load()
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case ended == nil:
			if sb.Status != bulk.ClaimEnded || string(sb.Records[key]) != `"a"` || string(recs[key]) != `"a"` {
				t.Fatalf("%s: a's End went through, but b's claim answered %+v (record %s)", key, sb, recs[key])
			}
		case errors.Is(ended, bulk.ErrClaimLost):
			if sb.Status != bulk.ClaimGranted || !sb.TakenOver || recs[key] != nil {
				t.Fatalf("%s: a's End refused, but b's claim answered %+v (record %s)", key, sb, recs[key])
			}
			if err := sb.Claim.End(ctx, json.RawMessage(`{"status":"done"}`), []bulk.ItemRecord{{Key: key, Value: json.RawMessage(`"b"`)}}); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("%s: a's End: %v", key, ended)
		}
	}
	ended, claimed, err := b.Ended(ctx)
	if err != nil || len(ended) != 20 || len(claimed) != 0 {
		t.Errorf("Ended: %d items, %v claimed, %v; want 20 ended, none claimed", len(ended), claimed, err)
	}
}

// A Release after the claim's lease expired, the item not taken over,
// gives the item up: the next claim is granted, not a takeover. After a
// takeover it gives up nothing: the new claim keeps holding the item.
func TestSharedJournalReleaseAfterExpiry(t *testing.T) {
	r := startRedis(t)
	rdbA := client(t, r.addr())
	a := openShared(t, rdbA, "job", WithJournalLease(time.Hour), WithJournalRetry(0))
	b := openShared(t, client(t, r.addr()), "job", WithJournalLease(time.Hour), WithJournalRetry(0))
	c := openShared(t, client(t, r.addr()), "job", WithJournalLease(time.Hour), WithJournalRetry(0))
	a.stopRenewing()
	ctx := context.Background()
	claim := func(j *SharedJournal, key string) bulk.ClaimState {
		t.Helper()
		st, err := j.Claim(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	sx, sy := claim(a, "x"), claim(a, "y")
	if sx.Status != bulk.ClaimGranted || sy.Status != bulk.ClaimGranted {
		t.Fatalf("a's claims: %+v %+v", sx, sy)
	}
	expireClaims(t, r, rdbA, "job")
	if err := sx.Claim.Release(ctx); err != nil {
		t.Fatalf("a's Release of x after its lease expired: %v", err)
	}
	if st := claim(b, "x"); st.Status != bulk.ClaimGranted || st.TakenOver {
		t.Errorf("b's claim of x released: %+v, want granted, not a takeover", st)
	}
	by := claim(b, "y")
	if by.Status != bulk.ClaimGranted || !by.TakenOver {
		t.Fatalf("b's claim of y expired: %+v, want granted, taken over", by)
	}
	if err := sy.Claim.Release(ctx); err != nil {
		t.Errorf("a's Release of y taken over: %v, want nil", err)
	}
	if st := claim(c, "y"); st.Status != bulk.ClaimHeld {
		t.Errorf("c's claim of y after a's late Release: %+v, want held (b's)", st)
	}
	if err := by.Claim.Record(ctx, []bulk.ItemRecord{{Key: bulk.ItemStateKey("y"), Value: json.RawMessage(`{"state":"started"}`)}}); err != nil {
		t.Errorf("b's Record of y after a's late Release: %v, want it still b's", err)
	}
}
