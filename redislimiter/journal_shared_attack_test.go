package redislimiter

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
)

// Attacks on the shared journal's claims (issue 31): item keys the
// scripts could mistake for something else, hostile contents in the
// job's keys. Both backends; a lease expires when the test says
// (expireClaims), never by waiting for its TTL.

// An item whose key is "" (bulk.Runner's Key may return it) is fenced
// like any other: a worker paused past its lease, whose claim another
// worker took over, writes nothing of it, and the item ends once.
func TestSharedJournalEmptyItemKeyFenced(t *testing.T) {
	b, sa, pauseA := claimedByA(t, "")
	ctx := context.Background()
	pauseA() // a pauses past its lease
	sb, err := b.Claim(ctx, "")
	if err != nil || sb.Status != bulk.ClaimGranted || !sb.TakenOver {
		t.Fatalf("b's claim after a's lease expired: %+v %v, want granted, taken over", sb, err)
	}
	if err := sa.Claim.End(ctx, json.RawMessage(`{"status":"done"}`), []bulk.ItemRecord{{Key: "", Value: json.RawMessage(`"a"`)}}); !errors.Is(err, bulk.ErrClaimLost) {
		t.Fatalf("a's End after the takeover: %v, want ErrClaimLost", err)
	}
	if err := sb.Claim.End(ctx, json.RawMessage(`{"status":"done"}`), []bulk.ItemRecord{{Key: "", Value: json.RawMessage(`"b"`)}}); err != nil {
		t.Fatal(err)
	}
	sc, err := b.Claim(ctx, "")
	if err != nil || sc.Status != bulk.ClaimEnded || string(sc.Records[""]) != `"b"` {
		t.Fatalf("claim of the ended item: %+v %v, want ClaimEnded with b's result", sc, err)
	}
	ended, claimed, err := b.Ended(ctx)
	if err != nil || len(ended) != 1 || len(claimed) != 0 {
		t.Errorf("Ended: %v %v %v, want the item ended and no claim left", ended, claimed, err)
	}
}

// The job's records hold its identity under a reserved field: an item
// with that key is refused (ErrInvalidRequest) before it is claimed, not
// granted with the identity as its result.
func TestSharedJournalReservedItemKey(t *testing.T) {
	r := startRedis(t)
	s := openShared(t, client(t, r.addr()), "job", WithJournalRetry(0))
	st, err := s.Claim(context.Background(), epochField)
	if !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Fatalf("Claim(%q): %+v %v, want ErrInvalidRequest", epochField, st, err)
	}
}

// Hostile contents in the job's keys (another program wrote there):
// every call answers a clear error or a value, never panics, and an
// error Redis will answer again (a key of the wrong type) is not tried
// again for the whole retry window.
func TestSharedJournalGarbageInRedis(t *testing.T) {
	r := startRedis(t)
	rdb := client(t, r.addr())
	ctx := context.Background()
	attempts := 0
	s := openShared(t, rdb, "job", WithJournalRetry(3*time.Second), withAttemptHook(func() { attempts++ }))
	base := "orjournal:{job}:"
	// An outcome that is not JSON, an owner and a claim of the wrong type.
	rdb.HSet(ctx, base+"ended", "bad", "not json{")
	if _, err := bulk.ReadJob(ctx, s); err == nil || !strings.Contains(err.Error(), `"bad"`) {
		t.Errorf("ReadJob with a garbage outcome: %v, want an error naming the item", err)
	}
	if st, err := s.Claim(ctx, "bad"); err != nil || st.Status != bulk.ClaimEnded {
		t.Errorf("Claim of the item with a garbage outcome: %+v %v, want ClaimEnded (bulk decodes it)", st, err)
	}
	rdb.HSet(ctx, base+"claim:wrong", "f", "v") // a hash where a lease is a string
	attempts = 0
	if _, err := s.Claim(ctx, "wrong"); err == nil || attempts != 1 {
		t.Errorf("Claim of an item whose lease key is a hash: %v after %d attempts, want an error after 1", err, attempts)
	}
	rdb.Del(ctx, base+"ended")
	rdb.Set(ctx, base+"ended", "a string", 0)
	attempts = 0
	if _, _, err := s.Ended(ctx); err == nil || attempts != 1 {
		t.Errorf("Ended with the outcomes' hash a string: %v after %d attempts, want an error after 1", err, attempts)
	}
}

// withAttemptHook calls f before each attempt at a command.
func withAttemptHook(f func()) JournalOption {
	return func(c *journalConfig) error { c.onAttempt = f; return nil }
}

// A job name given to two different lists of items is refused to the
// second (WithJobItems), whatever the order of the keys; the same list
// in another order joins the job, as does a worker that does not say.
func TestSharedJournalRefusesAnotherItemList(t *testing.T) {
	r := startRedis(t)
	rdb := client(t, r.addr())
	ctx := context.Background()
	openShared(t, rdb, "job", WithJobItems([]string{"a", "b", "c"}))
	openShared(t, rdb, "job", WithJobItems([]string{"c", "a", "b"}))
	openShared(t, rdb, "job")
	for _, other := range [][]string{{"a", "b"}, {"a", "b", "c", "d"}, {"ab", "c"}, {"a", "bc"}} {
		if s, err := OpenSharedJournal(ctx, rdb, "job", WithJobItems(other)); !errors.Is(err, openrouter.ErrInvalidRequest) {
			if s != nil {
				s.Close()
			}
			t.Errorf("a worker of items %q on the job of a, b, c: %v, want ErrInvalidRequest", other, err)
		}
	}
}

// A job name with a '}' would end the hash tag of the job's keys early
// ("orjournal:{}x}:records" hashes whole, so a job's keys fall in several
// Redis Cluster slots, and "x}:claim:y" is a claim key of job "x"): both
// journals refuse it before touching Redis; other special characters
// and a long name are fine.
func TestJournalJobNameBraces(t *testing.T) {
	r := startRedis(t)
	rdb := client(t, r.addr())
	ctx := context.Background()
	for _, job := range []string{"}x", "x}:claim:y", "a}b"} {
		if s, err := OpenSharedJournal(ctx, rdb, job); !errors.Is(err, openrouter.ErrInvalidRequest) {
			if s != nil {
				s.Close()
			}
			t.Errorf("OpenSharedJournal(%q): %v, want ErrInvalidRequest", job, err)
		}
		if j, err := OpenJournal(ctx, rdb, job); !errors.Is(err, openrouter.ErrInvalidRequest) {
			if j != nil {
				j.Close()
			}
			t.Errorf("OpenJournal(%q): %v, want ErrInvalidRequest", job, err)
		}
	}
	for _, job := range []string{"{x", "a b*?[\n]", strings.Repeat("long", 4096)} {
		s := openShared(t, rdb, job, WithJournalRetry(0))
		st, err := s.Claim(ctx, "item {with} *special* \x00 bytes")
		if err != nil || st.Status != bulk.ClaimGranted {
			t.Fatalf("job %.20q: Claim: %+v %v", job, st, err)
		}
		if err := st.Claim.End(ctx, json.RawMessage(`{"status":"done"}`), []bulk.ItemRecord{{Key: "item {with} *special* \x00 bytes", Value: json.RawMessage(`1`)}}); err != nil {
			t.Fatalf("job %.20q: End: %v", job, err)
		}
		if js, err := bulk.ReadJob(ctx, s); err != nil || js.Done != 1 {
			t.Errorf("job %.20q: ReadJob: %+v %v", job, js, err)
		}
	}
}

// Eight workers claim the same items at the same instant (released
// together by one channel): each item is granted to exactly one, the
// others find it held; once it ends, every claim finds it ended.
func TestSharedJournalSimultaneousClaims(t *testing.T) {
	r := startRedis(t)
	const workers, items = 8, 20
	js := make([]*SharedJournal, workers)
	for w := range js {
		js[w] = openShared(t, client(t, r.addr()), "job", WithJournalRetry(0))
	}
	ctx := context.Background()
	go1 := make(chan struct{})
	states := make([][]bulk.ClaimState, workers)
	errs := make(chan error, workers)
	for w := range js {
		go func() {
			<-go1
			for i := range items {
				st, err := js[w].Claim(ctx, itemKeys(items)[i])
				if err != nil {
					errs <- err
					return
				}
				states[w] = append(states[w], st)
			}
			errs <- nil
		}()
	}
	close(go1)
	for range js {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i, k := range itemKeys(items) {
		var granted []bulk.Claim
		for w := range js {
			switch st := states[w][i]; st.Status {
			case bulk.ClaimGranted:
				granted = append(granted, st.Claim)
			case bulk.ClaimHeld:
			default:
				t.Errorf("item %s, worker %d: status %d", k, w, st.Status)
			}
		}
		if len(granted) != 1 {
			t.Fatalf("item %s granted to %d workers at once, want 1", k, len(granted))
		}
		if err := granted[0].End(ctx, json.RawMessage(`{"status":"done"}`), nil); err != nil {
			t.Fatal(err)
		}
		for w := range js {
			if st, err := js[w].Claim(ctx, k); err != nil || st.Status != bulk.ClaimEnded {
				t.Errorf("item %s, worker %d, after its end: %+v %v, want ClaimEnded", k, w, st, err)
			}
		}
	}
}

// A claim that takes an expired claim over, whose reply is lost (Redis
// ran the script; the connection is cut before the answer), is sent
// again: the answer of the retry still says the item was taken over.
func TestSharedJournalClaimReplyLostKeepsTakeover(t *testing.T) {
	r := startRedis(t)
	direct := client(t, r.addr())
	a := openShared(t, direct, "job", WithJournalLease(time.Hour), WithJournalRetry(0))
	p := newProxy(t, r.addr())
	b := openShared(t, client(t, p.addr()), "job", WithJournalLease(time.Hour), WithJournalRetry(time.Hour))
	ctx := context.Background()
	if st, err := a.Claim(ctx, "x"); err != nil || st.Status != bulk.ClaimGranted {
		t.Fatalf("a's claim: %+v %v", st, err)
	}
	a.stopRenewing() // a dies
	expireClaims(t, r, direct, "job")
	p.muted.Store(true)
	got := make(chan bulk.ClaimState, 1)
	go func() {
		st, err := b.Claim(ctx, "x")
		if err != nil {
			t.Error(err)
		}
		got <- st
	}()
	<-p.lost // Redis ran the claim; its answer is gone
	p.muted.Store(false)
	p.cut()
	if st := <-got; st.Status != bulk.ClaimGranted || !st.TakenOver {
		t.Errorf("b's claim, sent again after its answer was lost: %+v, want granted and taken over", st)
	}
}

// A claim key without an expiry (another program wrote it: every claim
// a worker writes has the lease TTL) would hold its item for ever, the
// workers waiting for it: Claim answers a clear error instead.
func TestSharedJournalClaimWithoutExpiry(t *testing.T) {
	r := startRedis(t)
	rdb := client(t, r.addr())
	s := openShared(t, rdb, "job", WithJournalRetry(0))
	ctx := context.Background()
	rdb.Set(ctx, "orjournal:{job}:claim:x", "someone", 0)
	st, err := s.Claim(ctx, "x")
	if err == nil || !strings.Contains(err.Error(), "expiry") {
		t.Errorf("Claim of an item whose claim never expires: %+v %v, want an error saying so", st, err)
	}
}
