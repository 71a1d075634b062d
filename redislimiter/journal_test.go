package redislimiter

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
)

// journalClient is a client whose commands give up quickly on a hung
// Redis, so that the journal's retries are seen.
func journalClient(t *testing.T, addr string) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond,
		ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// attempts is an option that reports each attempt at a command on a
// channel, so that a test knows a command failed and is being retried.
func attempts(ch chan<- struct{}) JournalOption {
	return func(c *journalConfig) error {
		c.onAttempt = func() {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
		return nil
	}
}

func openJ(t *testing.T, rdb redis.UniversalClient, job string, opts ...JournalOption) *Journal {
	t.Helper()
	j, err := OpenJournal(context.Background(), rdb, job, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func mustRecord(t *testing.T, j *Journal, key, val string) {
	t.Helper()
	if err := j.Record(key, json.RawMessage(val)); err != nil {
		t.Fatal(err)
	}
}

func wantRecords(t *testing.T, j *Journal, want map[string]string) {
	t.Helper()
	got, err := j.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Errorf("Load: %d records %v, want %d", len(got), got, len(want))
	}
	for k, v := range want {
		if string(got[k]) != v {
			t.Errorf("Load[%q] = %s, want %s", k, got[k], v)
		}
	}
}

func TestJournalRecordsAndLoads(t *testing.T) {
	r := startRedis(t)
	rdb := client(t, r.addr())
	j := openJ(t, rdb, "job1")
	mustRecord(t, j, "a", `{"x":1}`)
	mustRecord(t, j, "\x00batch:b1", `"tok"`)
	mustRecord(t, j, "a", `{"x":2}`) // the last record of a key wins, as in the file
	wantRecords(t, j, map[string]string{"a": `{"x":2}`, "\x00batch:b1": `"tok"`})
	if err := j.Record(epochField, json.RawMessage(`1`)); !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("Record of the reserved key: %v, want ErrInvalidRequest", err)
	}
	if _, err := OpenJournal(context.Background(), rdb, ""); !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("empty job: %v, want ErrInvalidRequest", err)
	}
	if _, err := OpenJournal(context.Background(), rdb, "x", WithJournalLease(time.Millisecond)); !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("short lease: %v, want ErrInvalidRequest", err)
	}
}

func TestJournalSecondOpenerRefused(t *testing.T) {
	r := startRedis(t)
	rdb := client(t, r.addr())
	a := openJ(t, rdb, "job")
	mustRecord(t, a, "k", `1`)
	if _, err := OpenJournal(context.Background(), rdb, "job"); !errors.Is(err, bulk.ErrJournalInUse) {
		t.Fatalf("second opener: %v, want ErrJournalInUse", err)
	}
	other := openJ(t, rdb, "another job") // other jobs are not locked out
	wantRecords(t, other, map[string]string{})
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b := openJ(t, rdb, "job")
	wantRecords(t, b, map[string]string{"k": `1`})
}

// A holder that dies (stops renewing without releasing, as kill -9 does)
// loses the job after the lease TTL; the next holder resumes its records,
// and the dead one, should it wake, writes nothing more.
func TestJournalLeaseExpiresWhenHolderDies(t *testing.T) {
	r := startRedis(t)
	rdb := client(t, r.addr())
	a := openJ(t, rdb, "job", WithJournalLease(time.Hour))
	mustRecord(t, a, "k", `1`)
	a.stopRenewing() // the holder dies: no renewal, no release
	if _, err := OpenJournal(context.Background(), rdb, "job"); !errors.Is(err, bulk.ErrJournalInUse) {
		t.Fatalf("opener before the lease expired: %v, want ErrJournalInUse", err)
	}
	expireKeys(t, r, rdb, jobKeys("job")+"lease") // the lease TTL passes
	b := openJ(t, rdb, "job", WithJournalLease(time.Hour))
	wantRecords(t, b, map[string]string{"k": `1`})
	if err := a.Record("k", json.RawMessage(`2`)); !errors.Is(err, ErrJournalLost) {
		t.Errorf("the replaced holder's Record: %v, want ErrJournalLost", err)
	}
	wantRecords(t, b, map[string]string{"k": `1`})
}

// A hung Redis: Record keeps trying and succeeds once Redis answers.
func TestJournalHungRedisResumes(t *testing.T) {
	r := startHangableRedis(t)
	rdb := journalClient(t, r.addr())
	tries := make(chan struct{}, 1)
	j := openJ(t, rdb, "job", attempts(tries))
	mustRecord(t, j, "a", `1`)
	r.pause()
	done := make(chan error, 1)
	drain(tries)
	go func() { done <- j.Record("b", json.RawMessage(`2`)) }()
	awaitRetry(t, tries, done) // the first attempt failed against the hung Redis
	r.resume()
	if err := <-done; err != nil {
		t.Fatalf("Record after Redis came back: %v", err)
	}
	wantRecords(t, j, map[string]string{"a": `1`, "b": `2`})
}

// A Redis that restarts empty lost the job: the journal says so and
// writes nothing into the new Redis, so that no item is recorded as if
// the job had just begun.
func TestJournalRedisRestartedEmpty(t *testing.T) {
	r := startRedis(t)
	rdb := journalClient(t, r.addr())
	tries := make(chan struct{}, 1)
	j := openJ(t, rdb, "job", attempts(tries))
	mustRecord(t, j, "a", `1`)
	r.stop()
	done := make(chan error, 1)
	drain(tries)
	go func() { done <- j.Record("b", json.RawMessage(`2`)) }()
	awaitRetry(t, tries, done) // an attempt failed against the killed Redis
	r.start()
	if err := <-done; !errors.Is(err, ErrJournalLost) {
		t.Fatalf("Record after Redis restarted empty: %v, want ErrJournalLost", err)
	}
	if n, err := client(t, r.addr()).Exists(context.Background(), j.records).Result(); err != nil || n != 0 {
		t.Errorf("records in the new Redis: exists=%d err=%v, want none", n, err)
	}
	if _, err := j.Load(); !errors.Is(err, ErrJournalLost) {
		t.Errorf("Load after the loss: %v, want ErrJournalLost", err)
	}
}

// A Redis killed with persistence (appendfsync always) keeps every record
// Record returned for, and the job resumes once Redis is back.
func TestJournalKilledDurableRedisResumes(t *testing.T) {
	addr, kill, restart := startDurableRedis(t)
	rdb := journalClient(t, addr)
	tries := make(chan struct{}, 1)
	j := openJ(t, rdb, "job", attempts(tries))
	mustRecord(t, j, "a", `1`)
	kill()
	done := make(chan error, 1)
	drain(tries)
	go func() { done <- j.Record("b", json.RawMessage(`2`)) }()
	awaitRetry(t, tries, done) // an attempt failed against the killed Redis
	restart()
	if err := <-done; err != nil {
		t.Fatalf("Record after Redis came back: %v", err)
	}
	wantRecords(t, j, map[string]string{"a": `1`, "b": `2`})
}

// startDurableRedis starts a Redis that keeps its data across a kill:
// redis-server with "appendonly yes" and "appendfsync always" in a
// temporary folder, killed with SIGKILL; with miniredis, one closed and
// restarted with its data (the stand-in for a persistent Redis).
func startDurableRedis(t *testing.T) (addr string, kill, restart func()) {
	t.Helper()
	if backend != "redis-server" {
		m := startRedis(t).mini
		t.Log("durable Redis: miniredis closed and restarted with its data")
		return m.Addr(), m.Close, func() {
			if err := m.Restart(); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Log("durable Redis: redis-server with appendfsync always, killed with SIGKILL")
	s := startRedisServer(t)
	s.stop()
	dir := t.TempDir()
	var cmd *exec.Cmd
	start := func() {
		cmd = exec.Command("redis-server", "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--dir", dir,
			"--save", "", "--appendonly", "yes", "--appendfsync", "always")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ping := redis.NewClient(&redis.Options{Addr: s.addr()})
		defer ping.Close()
		for i := 0; ping.Ping(context.Background()).Err() != nil; i++ {
			if i == 1000 {
				t.Fatal("redis-server did not start")
			}
			time.Sleep(10 * time.Millisecond) // a new process takes a moment to listen
		}
	}
	stop := func() {
		if cmd != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			cmd = nil
		}
	}
	start()
	t.Cleanup(stop)
	return s.addr(), stop, start
}

// drain empties ch of earlier attempts' reports.
func drain(ch chan struct{}) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

// awaitRetry waits for a second attempt at a command (the first failed),
// and fails the test when the call ends before it (it gave up at once).
func awaitRetry(t *testing.T, tries chan struct{}, done chan error) {
	t.Helper()
	for n := 0; n < 2; n++ {
		select {
		case <-tries:
		case err := <-done:
			t.Fatalf("the call ended without trying again: %v", err)
		}
	}
}
