package redislimiter

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// With WithJournalReplicas, a record no replica has is not reported
// recorded: a failover would lose it. Both backends: a Redis without
// replicas (miniredis has none).
func TestJournalReplicasWanting(t *testing.T) {
	r := startRedis(t)
	j := openJ(t, client(t, r.addr()), "job", WithJournalRetry(0), WithJournalReplicas(1, 50*time.Millisecond))
	err := j.Record("a", json.RawMessage(`1`))
	if err == nil || errors.Is(err, ErrJournalLost) {
		t.Fatalf("Record with no replica: %v, want a replicas error", err)
	}
}

// A failover to a replica: with WithJournalReplicas every record Record
// returned for is on the new primary, the job goes on there, and a
// record the replica did not get fails instead of being lost silently.
// redis-server only: miniredis does not replicate (its stand-in for a
// failover that loses the job is TestJournalRedisRestartedEmpty).
func TestJournalFailover(t *testing.T) {
	if backend != "redis-server" {
		t.Log("failover: miniredis has no replication; the lost-state case is TestJournalRedisRestartedEmpty")
		r := startRedis(t)
		rdb := journalClient(t, r.addr())
		j := openJ(t, rdb, "job", WithJournalRetry(0))
		mustRecord(t, j, "a", `1`)
		r.mini.FlushAll() // the replica promoted had nothing
		if err := j.Record("b", json.RawMessage(`2`)); !errors.Is(err, ErrJournalLost) {
			t.Fatalf("Record after a failover that lost the job: %v, want ErrJournalLost", err)
		}
		return
	}
	primary, replica := startRedisServer(t), startRedisServer(t)
	ctx := context.Background()
	rep := client(t, replica.addr())
	if err := client(t, primary.addr()).ConfigSet(ctx, "repl-diskless-sync-delay", "0").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rep.ConfigSet(ctx, "repl-diskless-load", "on-empty-db").Err(); err != nil { // the replica writes no file in the working folder
		t.Fatal(err)
	}
	if err := rep.Do(ctx, "REPLICAOF", "127.0.0.1", strconv.Itoa(primary.port)).Err(); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ { // the replica takes a moment to connect and sync
		if info, _ := rep.Info(ctx, "replication").Result(); strings.Contains(info, "master_link_status:up") {
			break
		}
		if i == 1000 {
			t.Fatal("the replica did not connect")
		}
		time.Sleep(10 * time.Millisecond)
	}
	var current atomic.Value // where the client finds the primary
	current.Store(primary.addr())
	rdb := redis.NewClient(&redis.Options{MaxRetries: -1, ReadTimeout: 6 * time.Second, // past WAIT's timeout
		Dialer: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", current.Load().(string))
		}})
	t.Cleanup(func() { rdb.Close() })
	j := openJ(t, rdb, "job", WithJournalRetry(0), WithJournalReplicas(1, 5*time.Second))
	mustRecord(t, j, "a", `1`)
	mustRecord(t, j, "b", `2`)
	if err := rep.Do(ctx, "REPLICAOF", "NO", "ONE").Err(); err != nil { // the replica stops following
		t.Fatal(err)
	}
	j.cfg.replicas, j.cfg.replicaWait = 1, 100*time.Millisecond
	if err := j.Record("c", json.RawMessage(`3`)); err == nil {
		t.Fatal("Record succeeded though no replica has the record")
	}
	primary.stop() // the failover: the replica is the primary now
	current.Store(replica.addr())
	j.cfg.replicas = 0 // the new primary has no replica of its own
	mustRecord(t, j, "d", `4`)
	got, err := j.Load()
	if err != nil {
		t.Fatal(err)
	}
	if string(got["a"]) != `1` || string(got["b"]) != `2` || string(got["d"]) != `4` {
		t.Errorf("after the failover: %v, want a, b and d", got)
	}
	if _, ok := got["c"]; ok {
		t.Errorf("c, which Record failed, is on the new primary")
	}
}
