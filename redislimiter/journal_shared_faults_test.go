package redislimiter

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/routerkit/openrouter/bulk"
)

// Faults in the middle of a two-worker job (issue 31 item 3), on both
// backends: Redis killed and restarted empty, hung, failing over; a
// worker killed mid-item.

// twoWorkers runs items with two workers on the journals js (one each),
// at once; fn gets the worker's number.
func twoWorkers(t *testing.T, js [2]bulk.Journal, items []string, fn func(w int, k string) (string, error)) [2]*bulk.Report[string, string] {
	t.Helper()
	var reps [2]*bulk.Report[string, string]
	var wg sync.WaitGroup
	for w := range js {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := bulk.Runner[string, string]{Workers: 2, Key: byKey, Journal: js[w]}.Run(context.Background(), items,
				func(_ context.Context, k string) (string, error) { return fn(w, k) })
			if err != nil {
				t.Error(err)
			}
			reps[w] = rep
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return reps
}

// checkOnce checks that every item ran at most once, and that each
// report's counts add up and its Done items have their values.
func checkOnce(t *testing.T, c *runCounter, items []string, reps [2]*bulk.Report[string, string]) {
	t.Helper()
	for _, k := range items {
		if n := c.get(k); n > 1 {
			t.Errorf("item %s ran %d times", k, n)
		}
	}
	for w, rep := range reps {
		if rep.Done+rep.Failed+rep.NotAttempted != len(items) {
			t.Errorf("worker %d: %d+%d+%d do not add up to %d", w, rep.Done, rep.Failed, rep.NotAttempted, len(items))
		}
		for _, res := range rep.Results {
			if res.Status == bulk.Done && res.Value != strings.ToUpper(res.Key) {
				t.Errorf("worker %d: item %s Done with value %q", w, res.Key, res.Value)
			}
		}
	}
}

// Redis killed in the middle of the job and back empty: both workers stop
// with ErrJournalLost, no item is Done without its value (the one whose
// end could not be recorded keeps its value, not Done), none runs twice.
func TestSharedJobRedisRestartedEmpty(t *testing.T) {
	r := startRedis(t)
	var js [2]bulk.Journal
	for w := range js {
		js[w] = openShared(t, journalClient(t, r.addr()), "job")
	}
	items := itemKeys(30)
	var c runCounter
	var calls atomic.Int32
	var once sync.Once
	reps := twoWorkers(t, js, items, func(w int, k string) (string, error) {
		c.add(k)
		if calls.Add(1) == 8 {
			once.Do(func() { r.stop(); r.start() })
		}
		return strings.ToUpper(k), nil
	})
	checkOnce(t, &c, items, reps)
	lostValue := 0
	for w, rep := range reps {
		if !errors.Is(rep.Stopped, ErrJournalLost) {
			t.Errorf("worker %d: Stopped = %v, want ErrJournalLost", w, rep.Stopped)
		}
		for _, res := range rep.Results {
			if res.Status != bulk.Done && res.Value != "" {
				lostValue++
				if !errors.Is(res.Err, ErrJournalLost) {
					t.Errorf("worker %d: item %s kept its value but its error is %v", w, res.Key, res.Err)
				}
			}
		}
	}
	if lostValue == 0 {
		t.Error("no item was running when Redis lost the job: the test did not test it")
	}
}

// Redis hung in the middle of the job: the workers wait, and once it
// answers the job finishes, every item once.
func TestSharedJobRedisHung(t *testing.T) {
	r := startHangableRedis(t)
	tries := make(chan struct{}, 1)
	js := [2]bulk.Journal{
		openShared(t, journalClient(t, r.addr()), "job", attempts(tries)),
		openShared(t, journalClient(t, r.addr()), "job"),
	}
	items := itemKeys(30)
	var c runCounter
	var calls atomic.Int32
	resumed := make(chan struct{})
	reps := twoWorkers(t, js, items, func(w int, k string) (string, error) {
		c.add(k)
		if calls.Add(1) == 8 {
			r.pause()
			drain(tries)
			go func() {
				defer close(resumed)
				<-tries // worker 0's next command: it hangs, and fails
				<-tries // and is tried again
				r.resume()
			}()
		}
		return strings.ToUpper(k), nil
	})
	<-resumed
	checkOnce(t, &c, items, reps)
	for w, rep := range reps {
		if rep.Done != len(items) || rep.Stopped != nil {
			t.Errorf("worker %d: done %d of %d, stopped %v", w, rep.Done, len(items), rep.Stopped)
		}
	}
	for _, k := range items {
		if c.get(k) != 1 {
			t.Errorf("item %s ran %d times, want once", k, c.get(k))
		}
	}
}

// A worker killed in the middle of an item (its context cancelled, its
// journal's writes stopped dead: its Redis connection closed): the other
// worker takes the item over once its claim expires, and counts it in
// MaybePaidTwice; every item ends once in the job.
func TestSharedJobWorkerKilled(t *testing.T) {
	r := startRedis(t)
	rdbA := redis.NewClient(&redis.Options{Addr: r.addr(), MaxRetries: -1})
	a := openShared(t, rdbA, "job", WithJournalLease(time.Hour), WithJournalRetry(0))
	items := itemKeys(8)
	var c runCounter
	ctxA, cancelA := context.WithCancel(context.Background())
	defer cancelA()
	repA, err := bulk.Runner[string, string]{Workers: 1, Key: byKey, Journal: a}.Run(ctxA, items, func(_ context.Context, k string) (string, error) {
		c.add(k)
		if k == "i003" { // killed here: no renewal, no write
			a.stopRenewing()
			rdbA.Close()
			cancelA()
		}
		return strings.ToUpper(k), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if repA.Done != 3 {
		t.Fatalf("worker a: done %d before its death, want 3", repA.Done)
	}
	rdbB := client(t, r.addr())
	expireClaims(t, r, rdbB, "job")
	b := openShared(t, rdbB, "job", WithJournalLease(time.Hour))
	repB, err := bulk.Runner[string, string]{Workers: 2, Key: byKey, Journal: b}.Run(context.Background(), items, func(_ context.Context, k string) (string, error) {
		c.add(k)
		return strings.ToUpper(k), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if repB.Done != len(items) || repB.MaybePaidTwice != 1 {
		t.Errorf("worker b: done %d, maybe paid twice %d; want %d, 1", repB.Done, repB.MaybePaidTwice, len(items))
	}
	for _, k := range items {
		want := 1
		if k == "i003" {
			want = 2
		}
		if c.get(k) != want {
			t.Errorf("item %s ran %d times, want %d", k, c.get(k), want)
		}
	}
	st, err := bulk.ReadJob(context.Background(), b)
	if err != nil || st.Done != len(items) {
		t.Errorf("ReadJob: %+v %v, want %d done", st, err, len(items))
	}
}

// Redis failing over in the middle of a two-worker job. redis-server: a
// primary, a replica promoted at the failover, and a replica of that one
// (so that WithJournalReplicas(1) holds on both sides); every record a
// worker wrote is on the new primary and the job finishes there, every
// item once. miniredis does not replicate: its stand-in is a failover to
// a replica that had nothing (the job's state flushed), which stops both
// workers with ErrJournalLost.
func TestSharedJobFailover(t *testing.T) {
	if backend != "redis-server" {
		t.Log("failover: miniredis has no replication; stand-in: the promoted replica had nothing")
		r := startRedis(t)
		var js [2]bulk.Journal
		for w := range js {
			js[w] = openShared(t, journalClient(t, r.addr()), "job")
		}
		items := itemKeys(30)
		var c runCounter
		var calls atomic.Int32
		reps := twoWorkers(t, js, items, func(w int, k string) (string, error) {
			c.add(k)
			if calls.Add(1) == 8 {
				r.mini.FlushAll()
			}
			return strings.ToUpper(k), nil
		})
		checkOnce(t, &c, items, reps)
		for w, rep := range reps {
			if !errors.Is(rep.Stopped, ErrJournalLost) {
				t.Errorf("worker %d: Stopped = %v, want ErrJournalLost", w, rep.Stopped)
			}
		}
		return
	}
	primary, r1, r2 := startRedisServer(t), startRedisServer(t), startRedisServer(t)
	ctx := context.Background()
	follow(t, r1, primary)
	follow(t, r2, r1)
	var current atomic.Value
	current.Store(primary.addr())
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", current.Load().(string))
	}
	var js [2]bulk.Journal
	for w := range js {
		rdb := redis.NewClient(&redis.Options{MaxRetries: -1, ReadTimeout: 6 * time.Second, Dialer: dial})
		t.Cleanup(func() { rdb.Close() })
		js[w] = openShared(t, rdb, "job", WithJournalReplicas(1, 5*time.Second))
	}
	items := itemKeys(30)
	var c runCounter
	var calls atomic.Int32
	reps := twoWorkers(t, js, items, func(w int, k string) (string, error) {
		c.add(k)
		if calls.Add(1) == 8 {
			if err := client(t, r1.addr()).Do(ctx, "REPLICAOF", "NO", "ONE").Err(); err != nil {
				t.Error(err)
			}
			current.Store(r1.addr())
			primary.stop()
		}
		return strings.ToUpper(k), nil
	})
	checkOnce(t, &c, items, reps)
	for w, rep := range reps {
		if rep.Done != len(items) || rep.Stopped != nil {
			t.Errorf("worker %d: done %d of %d, stopped %v", w, rep.Done, len(items), rep.Stopped)
		}
	}
	for _, k := range items {
		if c.get(k) != 1 {
			t.Errorf("item %s ran %d times, want once", k, c.get(k))
		}
	}
}

// follow makes replica a replica of primary, and waits until it is
// linked.
func follow(t *testing.T, replica, primary *redisServer) {
	t.Helper()
	ctx := context.Background()
	rp, rr := client(t, primary.addr()), client(t, replica.addr())
	if err := rp.ConfigSet(ctx, "repl-diskless-sync", "yes").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rp.ConfigSet(ctx, "repl-diskless-sync-delay", "0").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rr.ConfigSet(ctx, "repl-diskless-load", "on-empty-db").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rr.Do(ctx, "REPLICAOF", "127.0.0.1", strconv.Itoa(primary.port)).Err(); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		if info, _ := rr.Info(ctx, "replication").Result(); strings.Contains(info, "master_link_status:up") {
			return
		}
		if i == 1000 {
			t.Fatal("the replica did not connect")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
