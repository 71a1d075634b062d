package redislimiter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
)

func openShared(t *testing.T, rdb redis.UniversalClient, job string, opts ...JournalOption) *SharedJournal {
	t.Helper()
	s, err := OpenSharedJournal(context.Background(), rdb, job, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func itemKeys(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("i%03d", i)
	}
	return out
}

// runCounter counts a job's calls by item, across workers.
type runCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *runCounter) add(k string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[k]++
}

func (c *runCounter) get(k string) int { c.mu.Lock(); defer c.mu.Unlock(); return c.n[k] }

// expireClaims makes the claims of a worker that stopped renewing
// expire now, whatever their TTL: see expireKeys. Each claim of the job
// (a key per item claimed) must still be there.
func expireClaims(t *testing.T, r *testRedis, rdb redis.UniversalClient, job string) {
	t.Helper()
	ks, err := rdb.Keys(context.Background(), "orjournal:{"+job+"}:claim:*").Result()
	if err != nil || len(ks) == 0 {
		t.Fatalf("no claim of job %q to expire: %v %v", job, ks, err)
	}
	expireKeys(t, r, rdb, ks...)
}

// expireKeys makes keys that have a TTL (a dead holder's lease, a dead
// worker's claims) expire now, without waiting for their TTL: their TTL
// is cut to 1 ms (PEXPIRE), and that millisecond passes on miniredis's
// clock (FastForward) or, on redis-server, is waited for as an event
// (the keys gone). Other keys' TTLs move by 1 ms at most. A key already
// gone fails the test (a lease that should have lived did not), and so
// does one without a TTL (it would never expire by itself).
func expireKeys(t *testing.T, r *testRedis, rdb redis.UniversalClient, keys ...string) {
	t.Helper()
	ctx := context.Background()
	for _, k := range keys {
		if left, err := rdb.PTTL(ctx, k).Result(); err != nil || left <= 0 {
			t.Fatalf("%q before its expiry: PTTL %v %v, want a key with a TTL", k, left, err)
		}
		if ok, err := rdb.PExpire(ctx, k, time.Millisecond).Result(); err != nil || !ok {
			t.Fatalf("expiring %q: %v %v (want it still there)", k, ok, err)
		}
	}
	if r.mini != nil {
		r.mini.FastForward(time.Millisecond)
	}
	for i := 0; ; i++ {
		n, err := rdb.Exists(ctx, keys...).Result()
		if err == nil && n == 0 {
			return
		}
		if i == 10000 {
			t.Fatalf("the keys %v did not expire (%d left, %v)", keys, n, err)
		}
		time.Sleep(time.Millisecond) // redis-server: the millisecond its keys have left
	}
}

// claimedByA opens job "job" as two shared workers, each on its own Redis
// client, with a lease of an hour and no retries, and has the first, a,
// claim the item key. It returns the second worker, a's claim, and
// pauseA, which stops a's renewals and makes its claim expire: a paused
// past its lease.
func claimedByA(t *testing.T, key string) (b *SharedJournal, sa bulk.ClaimState, pauseA func()) {
	t.Helper()
	r := startRedis(t)
	rdbA := client(t, r.addr())
	a := openShared(t, rdbA, "job", WithJournalLease(time.Hour), WithJournalRetry(0))
	b = openShared(t, client(t, r.addr()), "job", WithJournalLease(time.Hour), WithJournalRetry(0))
	sa, err := a.Claim(context.Background(), key)
	if err != nil || sa.Status != bulk.ClaimGranted {
		t.Fatalf("a's claim: %+v %v", sa, err)
	}
	return b, sa, func() {
		a.stopRenewing()
		expireClaims(t, r, rdbA, "job")
	}
}

func byKey(s string) string { return s }

// OpenJournal (one holder) and OpenSharedJournal (workers) exclude each
// other; several shared workers open the same job.
func TestSharedJournalExcludesOneHolder(t *testing.T) {
	r := startRedis(t)
	rdb := client(t, r.addr())
	a := openShared(t, rdb, "job")
	openShared(t, client(t, r.addr()), "job") // a second worker
	if _, err := OpenJournal(context.Background(), rdb, "job"); !errors.Is(err, bulk.ErrJournalInUse) {
		t.Fatalf("OpenJournal of a shared job: %v, want ErrJournalInUse", err)
	}
	one := openJ(t, rdb, "other")
	if _, err := OpenSharedJournal(context.Background(), rdb, "other"); !errors.Is(err, bulk.ErrJournalInUse) {
		t.Fatalf("OpenSharedJournal of a held job: %v, want ErrJournalInUse", err)
	}
	one.Close()
	if _, err := OpenSharedJournal(context.Background(), rdb, ""); !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("empty job: %v, want ErrInvalidRequest", err)
	}
	if err := a.Record("x", json.RawMessage(`1`)); err != nil {
		t.Fatal(err)
	}
	if got, err := a.Load(); err != nil || string(got["x"]) != "1" {
		t.Errorf("Load: %v %v", got, err)
	}
}

// A claim taken over is fenced in Redis: the worker that lost it writes
// nothing more of the item, the one that took it over ends it, and
// Claim then answers Ended with its outcome.
func TestSharedJournalClaimFenced(t *testing.T) {
	b, sa, pauseA := claimedByA(t, "x")
	ctx := context.Background()
	if err := sa.Claim.Record(ctx, []bulk.ItemRecord{{Key: bulk.ItemStateKey("x"), Value: json.RawMessage(`{"state":"started"}`)}}); err != nil {
		t.Fatal(err)
	}
	if sb, err := b.Claim(ctx, "x"); err != nil || sb.Status != bulk.ClaimHeld || sb.Until.IsZero() {
		t.Fatalf("b's claim of a held item: %+v %v, want ClaimHeld", sb, err)
	}
	pauseA() // a pauses past its lease
	sb, err := b.Claim(ctx, "x")
	if err != nil || sb.Status != bulk.ClaimGranted || !sb.TakenOver || string(sb.Records[bulk.ItemStateKey("x")]) != `{"state":"started"}` {
		t.Fatalf("b's claim after a's lease expired: %+v %v, want granted, taken over, with a's started record", sb, err)
	}
	if err := sa.Claim.End(ctx, json.RawMessage(`{"status":"done"}`), []bulk.ItemRecord{{Key: "x", Value: json.RawMessage(`"a"`)}}); !errors.Is(err, bulk.ErrClaimLost) {
		t.Fatalf("a's End after the takeover: %v, want ErrClaimLost", err)
	}
	if err := sb.Claim.End(ctx, json.RawMessage(`{"status":"done"}`), []bulk.ItemRecord{{Key: "x", Value: json.RawMessage(`"b"`)}}); err != nil {
		t.Fatal(err)
	}
	if err := sa.Claim.Record(ctx, []bulk.ItemRecord{{Key: "x", Value: json.RawMessage(`"late"`)}}); !errors.Is(err, bulk.ErrClaimLost) {
		t.Fatalf("a's late Record: %v, want ErrClaimLost", err)
	}
	got, err := b.Load()
	if err != nil || string(got["x"]) != `"b"` {
		t.Errorf("x = %s (%v), want b's", got["x"], err)
	}
	if sc, err := b.Claim(ctx, "x"); err != nil || sc.Status != bulk.ClaimEnded || string(sc.Outcome) != `{"status":"done"}` || string(sc.Records["x"]) != `"b"` {
		t.Errorf("claim of an ended item: %+v %v, want ClaimEnded with its outcome and result", sc, err)
	}
}

// Two workers on one job, each with its own Redis client and its own
// Limiter of the same name: every item runs once, each worker's Report
// covers the whole job, ReadJob agrees, and the pacing is shared (never
// more requests in flight than the one cap, across both).
func TestSharedJournalTwoWorkersSharePacing(t *testing.T) {
	r := startRedis(t)
	items := itemKeys(40)
	var c runCounter
	var inFlight, most atomic.Int32
	reps := make([]*bulk.Report[string, string], 2)
	var wg sync.WaitGroup
	for w := range reps {
		rdb := client(t, r.addr())
		j := openShared(t, rdb, "job")
		l := newLimiter(t, rdb, "jobpace", quiet(), LimitInFlight(2), LimitAdaptive(false))
		fn := func(ctx context.Context, k string) (string, error) {
			rel, err := l.Acquire(ctx)
			if err != nil {
				return "", err
			}
			defer rel(openrouter.Outcome{})
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			c.add(k)
			time.Sleep(time.Millisecond) // a yield: the other worker's items overlap (any duration is correct)
			return strings.ToUpper(k), nil
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := bulk.Runner[string, string]{Workers: 3, Key: byKey, Journal: j}.Run(context.Background(), items, fn)
			if err != nil {
				t.Error(err)
			}
			reps[w] = rep
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	own := 0
	for w, rep := range reps {
		if rep.Done != len(items) {
			t.Errorf("worker %d: done %d of %d (failed %d, not attempted %d, stopped %v)", w, rep.Done, len(items), rep.Failed, rep.NotAttempted, rep.Stopped)
		}
		for _, res := range rep.Results {
			if !res.Resumed {
				own++
			}
		}
	}
	if own != len(items) {
		t.Errorf("%d items run by the workers, want %d (each once)", own, len(items))
	}
	for _, k := range items {
		if c.get(k) != 1 {
			t.Errorf("item %s ran %d times", k, c.get(k))
		}
	}
	if m := most.Load(); m > 2 {
		t.Errorf("%d requests in flight at once across the workers, over the shared cap of 2", m)
	}
	st, err := bulk.ReadJob(context.Background(), openShared(t, client(t, r.addr()), "job"))
	if err != nil || st.Done != len(items) || st.Running != 0 {
		t.Errorf("ReadJob: %+v %v", st, err)
	}
}

// A live worker's claim outlives its lease TTL: the journal renews it,
// and another worker's Claim finds it held. a's renewal runs when the
// test sends it a tick, after two thirds of the lease have passed
// (miniredis's clock moved on; on redis-server the claim's TTL cut to a
// third), four times: past the lease TTL.
func TestSharedJournalRenewsClaims(t *testing.T) {
	r := startRedis(t)
	ttl := time.Hour
	rdb := client(t, r.addr())
	ticks := make(chan time.Time)
	a := openShared(t, rdb, "job", WithJournalLease(ttl), withJournalTicks(ticks))
	b := openShared(t, client(t, r.addr()), "job", WithJournalLease(ttl), withJournalTicks(make(chan time.Time)))
	ctx := context.Background()
	if st, err := a.Claim(ctx, "x"); err != nil || st.Status != bulk.ClaimGranted {
		t.Fatalf("a's claim: %+v %v", st, err)
	}
	key := "orjournal:{job}:claim:x"
	for round := 0; round < 4; round++ {
		if r.mini != nil {
			r.mini.FastForward(2 * ttl / 3)
		} else if err := rdb.PExpire(ctx, key, ttl/3).Err(); err != nil {
			t.Fatal(err)
		}
		ticks <- time.Time{} // a renews
		ticks <- time.Time{} // a's renewal loop took the next tick: the renewal before it is done
		if left := rdb.PTTL(ctx, key).Val(); left <= ttl/2 {
			t.Fatalf("round %d: the claim was not renewed (PTTL %v of a lease of %v)", round, left, ttl)
		}
	}
	if st, err := b.Claim(ctx, "x"); err != nil || st.Status != bulk.ClaimHeld {
		t.Fatalf("b's claim of a renewed claim: %+v %v, want ClaimHeld", st, err)
	}
}

// withJournalTicks gives a journal's renewal the ticks of ch instead of
// a ticker: with a channel the test never sends on, it never renews.
func withJournalTicks(ch <-chan time.Time) JournalOption {
	return func(c *journalConfig) error { c.ticks = ch; return nil }
}
