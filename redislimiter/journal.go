package redislimiter

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
)

// ErrJournalLost is returned by a Journal's Record and Load when the
// journal can no longer be trusted: another holder took the job's lease
// over (this one's lease had expired), or Redis lost the job's state
// (restarted empty, or failed over to a replica that had not received
// it). Nothing is written after it: the run stops, and a person (or a
// new OpenJournal) decides what the job's state is.
var ErrJournalLost = errors.New("redislimiter: journal lost")

// Journal is a bulk.Journal kept in Redis, beside the limiter's pacing
// state, so that a job outlives the machine that ran it: records (items'
// results, batch markers and IDs, item starts) are fields of one hash,
// the last value of a key wins, as in bulk.JSONLJournal.
//
// One holder at a time: OpenJournal takes the job's lease (a key with a
// TTL, renewed in the background) and a second opener of the same job,
// in any process on any machine, fails with bulk.ErrJournalInUse. When
// the holder dies its lease expires after the lease TTL, and the job can
// be resumed from anywhere without a person. Every write is fenced: it is
// made only while this journal holds the lease, so a holder that was
// paused past its lease and replaced writes nothing more (ErrJournalLost).
//
// Durability: Record returns once Redis has the record. That outlives
// the process, but outlives Redis only with Redis persistence:
// "appendonly yes" with "appendfsync always" (with "everysec", up to a
// second of records can be lost by a Redis crash), or, with replicas,
// WithJournalReplicas so that Record waits for the copies (WAIT). A
// Redis that comes back empty is detected: the journal fails with
// ErrJournalLost rather than write into it as if it were new.
//
// While Redis does not answer (killed, hung), Record tries again until
// the retry window (WithJournalRetry) passes: an item's result is written
// with a command that can be sent twice, so the job resumes once Redis
// answers. Close releases the lease.
type Journal struct {
	rdb   redis.UniversalClient
	job   string
	token string // this holder's lease value
	epoch string // the job's identity, a field of its records: gone means Redis lost the job
	cfg   journalConfig

	lease, records string

	mu     sync.Mutex
	lost   error
	closed bool
	stop   chan struct{}
	halt   sync.Once
	done   chan struct{}
}

var _ bulk.Journal = (*Journal)(nil)

type journalConfig struct {
	leaseTTL    time.Duration
	retry       time.Duration
	replicas    int
	replicaWait time.Duration
	onAttempt   func()           // a seam for tests: called before each attempt at a command
	ticks       <-chan time.Time // the renewal's ticks, a seam for tests (nil: a ticker every third of the lease TTL)
	items       string           // WithJobItems's fingerprint of the job's items ("" unchecked)
}

// JournalOption configures a Journal.
type JournalOption func(*journalConfig) error

// WithJournalLease sets the lease TTL (default 15 s): how long after its
// holder dies a job can be taken over. The lease is renewed every third
// of it.
func WithJournalLease(ttl time.Duration) JournalOption {
	return func(c *journalConfig) error {
		if ttl < minLeaseTTL {
			return fmt.Errorf("WithJournalLease(%v): under %v", ttl, minLeaseTTL)
		}
		c.leaseTTL = ttl
		return nil
	}
}

// WithJournalRetry sets how long Record and Load keep trying while Redis
// does not answer (default 30 s); 0 tries once.
func WithJournalRetry(d time.Duration) JournalOption {
	return func(c *journalConfig) error {
		if d < 0 {
			return fmt.Errorf("WithJournalRetry(%v): negative", d)
		}
		c.retry = d
		return nil
	}
}

// WithJournalReplicas makes Record wait until n replicas have each record
// (Redis WAIT, up to timeout; the client's read timeout must be longer),
// and fail when fewer do: a failover then
// keeps every record Record returned for.
func WithJournalReplicas(n int, timeout time.Duration) JournalOption {
	return func(c *journalConfig) error {
		if n < 0 || timeout <= 0 {
			return fmt.Errorf("WithJournalReplicas(%d, %v): want n >= 0 and a positive timeout", n, timeout)
		}
		c.replicas, c.replicaWait = n, timeout
		return nil
	}
}

// OpenJournal takes the lease of the job named job in rdb and returns its
// journal. It fails with bulk.ErrJournalInUse while another holder has
// the lease, and with an error wrapping openrouter.ErrInvalidRequest on a
// nil client, an empty job name, one with a '}', or a bad option.
func OpenJournal(ctx context.Context, rdb redis.UniversalClient, job string, opts ...JournalOption) (*Journal, error) {
	j, err := newJournal("OpenJournal", rdb, job, opts)
	if err != nil {
		return nil, err
	}
	j.token, j.stop, j.done = randomToken(), make(chan struct{}), make(chan struct{})
	ok, epoch, err := j.open(ctx, "journal", openScript, []string{j.lease, j.records, jobKeys(job) + "shared"},
		j.token, j.cfg.leaseTTL.Milliseconds(), j.epoch)
	if err != nil {
		return nil, err
	}
	if ok != 1 {
		return nil, fmt.Errorf("%w: job %q is held by another journal, or shared by workers (OpenSharedJournal); a lease expires within %v of its holder's death", bulk.ErrJournalInUse, job, j.cfg.leaseTTL)
	}
	j.epoch = epoch
	go j.renew()
	return j, nil
}

// jobKeys is the prefix of the job's keys in Redis.
func jobKeys(job string) string { return "orjournal:{" + job + "}:" }

// newJournal checks the arguments of an opening (fn, OpenJournal or
// OpenSharedJournal, names it in errors) and returns the job's journal,
// not yet opened in Redis, with a new epoch.
func newJournal(fn string, rdb redis.UniversalClient, job string, opts []JournalOption) (*Journal, error) {
	if rdb == nil || job == "" {
		return nil, fmt.Errorf("redislimiter: %s: a Redis client and a job name are required: %w", fn, openrouter.ErrInvalidRequest)
	}
	if err := checkJobName(job); err != nil {
		return nil, fmt.Errorf("redislimiter: %s: %w", fn, err)
	}
	cfg := journalConfig{leaseTTL: 15 * time.Second, retry: 30 * time.Second}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, fmt.Errorf("redislimiter: %w: %w", err, openrouter.ErrInvalidRequest)
		}
	}
	base := jobKeys(job)
	return &Journal{rdb: rdb, job: job, epoch: randomToken(), cfg: cfg, lease: base + "lease", records: base + "records"}, nil
}

// open runs an opening script (with retries), which answers its verdict
// and the job's epoch; what ("journal", "shared journal") names the
// journal in errors.
func (j *Journal) open(ctx context.Context, what string, sc *redis.Script, keys []string, args ...any) (verdict int64, epoch string, err error) {
	var res []any
	err = j.retrying(ctx, func(ctx context.Context) error {
		var err error
		res, err = sc.Run(ctx, j.rdb, keys, args...).Slice()
		return err
	})
	if err != nil {
		return 0, "", fmt.Errorf("redislimiter: opening the %s of job %q: %w", what, j.job, err)
	}
	if len(res) != 2 {
		return 0, "", fmt.Errorf("redislimiter: opening the %s of job %q: unexpected answer %v", what, j.job, res)
	}
	verdict, _ = res[0].(int64)
	epoch, _ = res[1].(string)
	return verdict, epoch, nil
}

// Load returns every record of the job.
func (j *Journal) Load() (map[string]json.RawMessage, error) {
	if err := j.usable(); err != nil {
		return nil, err
	}
	var all map[string]string
	err := j.retrying(context.Background(), func(ctx context.Context) error {
		if err := j.fence(ctx); err != nil {
			return err
		}
		var err error
		all, err = j.rdb.HGetAll(ctx, j.records).Result()
		return err
	})
	if err != nil {
		return nil, j.fail("loading", err)
	}
	out := make(map[string]json.RawMessage, len(all))
	for k, v := range all {
		if k == epochField {
			continue
		}
		out[k] = json.RawMessage(v)
	}
	return out, nil
}

// Record stores key's result; it returns once Redis has it (and, with
// WithJournalReplicas, its replicas).
func (j *Journal) Record(key string, result json.RawMessage) error {
	if key == epochField {
		return fmt.Errorf("redislimiter: record key %q is reserved: %w", key, openrouter.ErrInvalidRequest)
	}
	if err := j.usable(); err != nil {
		return err
	}
	err := j.retrying(context.Background(), func(ctx context.Context) error {
		return j.recordOnce(ctx, key, result)
	})
	if err != nil {
		return j.fail(fmt.Sprintf("recording %q", key), err)
	}
	return nil
}

// recordOnce writes one record, fenced, and with WithJournalReplicas
// waits for the replicas (runFenced).
func (j *Journal) recordOnce(ctx context.Context, key string, result json.RawMessage) error {
	n, err := j.runFenced(ctx, recordScript, []string{j.lease, j.records},
		j.token, j.cfg.leaseTTL.Milliseconds(), j.epoch, key, string(result))
	if err != nil {
		return err
	}
	return fenceError(n)
}

// runFenced runs a script that answers an integer, followed, with
// WithJournalReplicas, by WAIT on the same connection.
func (j *Journal) runFenced(ctx context.Context, sc *redis.Script, keys []string, args ...any) (int, error) {
	if j.cfg.replicas == 0 {
		return sc.Run(ctx, j.rdb, keys, args...).Int()
	}
	pipe := j.rdb.Pipeline()
	rec := sc.Eval(ctx, pipe, keys, args...)
	wait := pipe.Do(ctx, "WAIT", j.cfg.replicas, j.cfg.replicaWait.Milliseconds())
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, err
	}
	n, err := rec.Int()
	if err != nil {
		return 0, err
	}
	if got, _ := wait.Int(); n == 1 && got < j.cfg.replicas {
		return 0, fmt.Errorf("redislimiter: %d of %d replicas have the record", got, j.cfg.replicas)
	}
	return n, nil
}

// Close stops renewing the lease and releases it (when this journal still
// holds it).
func (j *Journal) Close() error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return nil
	}
	j.closed = true
	j.mu.Unlock()
	j.stopRenewing()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return journalRelease.Run(ctx, j.rdb, []string{j.lease}, j.token).Err()
}

// stopRenewing stops the renewal of the lease and waits for it.
func (j *Journal) stopRenewing() {
	j.halt.Do(func() { close(j.stop) })
	<-j.done
}

// fence checks the lease and the job's identity, taking the lease back
// when it expired and no one else took it.
func (j *Journal) fence(ctx context.Context) error {
	n, err := fenceScript.Run(ctx, j.rdb, []string{j.lease, j.records},
		j.token, j.cfg.leaseTTL.Milliseconds(), j.epoch).Int()
	if err != nil {
		return err
	}
	return fenceError(n)
}

// renew keeps the lease while the journal is open. A renewal that fails
// for want of Redis is left to the next one (and to Record's fencing); a
// lease found lost makes the journal fail.
func (j *Journal) renew() {
	defer close(j.done)
	ticks, stop := j.cfg.renewTicks(j.cfg.leaseTTL / 3)
	defer stop()
	for {
		select {
		case <-j.stop:
			return
		case <-ticks:
		}
		ctx, cancel := context.WithTimeout(context.Background(), j.cfg.leaseTTL/3)
		err := j.fence(ctx)
		cancel()
		if errors.Is(err, ErrJournalLost) {
			j.fail("renewing the lease", err)
			return
		}
	}
}

// renewTicks returns the renewal's ticks, every period unless a test
// gave its own, and what stops them.
func (c *journalConfig) renewTicks(every time.Duration) (<-chan time.Time, func()) {
	if c.ticks != nil {
		return c.ticks, func() {}
	}
	t := time.NewTicker(every)
	return t.C, t.Stop
}

// retrying runs f until it succeeds, fails with ErrJournalLost or an
// error Redis would answer again (permanent), or the retry window passes.
func (j *Journal) retrying(ctx context.Context, f func(context.Context) error) error {
	deadline := time.Now().Add(j.cfg.retry)
	wait := 20 * time.Millisecond
	for {
		if j.cfg.onAttempt != nil {
			j.cfg.onAttempt()
		}
		err := f(ctx)
		if err == nil || errors.Is(err, ErrJournalLost) || permanent(err) || ctx.Err() != nil || !time.Now().Add(wait).Before(deadline) {
			return err
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return err
		}
		wait = min(2*wait, time.Second)
	}
}

// permanent reports whether err is an answer Redis would give again: a
// key of the job holds a value of the wrong type (another program wrote
// there), inside a script or not. A Redis that is loading, failing over
// or busy answers errors that pass: those are tried again.
func permanent(err error) bool {
	var rerr redis.Error
	return errors.As(err, &rerr) && strings.Contains(rerr.Error(), "WRONGTYPE")
}

func (j *Journal) usable() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return fmt.Errorf("redislimiter: the journal of job %q is closed", j.job)
	}
	return j.lost
}

// fail wraps err; an ErrJournalLost makes every later call fail.
func (j *Journal) fail(what string, err error) error {
	err = fmt.Errorf("redislimiter: journal of job %q: %s: %w", j.job, what, err)
	if errors.Is(err, ErrJournalLost) {
		j.mu.Lock()
		if j.lost == nil {
			j.lost = err
		}
		j.mu.Unlock()
	}
	return err
}

func fenceError(n int) error {
	switch n {
	case 1:
		return nil
	case -1:
		return fmt.Errorf("%w: another holder took the job's lease", ErrJournalLost)
	default:
		return fmt.Errorf("%w: Redis no longer has the job's state (restarted empty, or failed over to a replica without it): its records are gone", ErrJournalLost)
	}
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// checkJobName refuses a job name with a "}": the job's keys are
// "orjournal:{JOB}:...", whose braces put them in one Redis Cluster slot;
// a "}" in the name would end the braces early (the keys of a job named
// "}x" would be spread over slots, which its scripts cannot touch
// together) and let one job's keys be another's ("x}:claim:y" and item
// "y}:records" of job "x").
func checkJobName(job string) error {
	if strings.Contains(job, "}") {
		return fmt.Errorf("job name %q has a '}', which would break its keys' Redis Cluster slot: %w", job, openrouter.ErrInvalidRequest)
	}
	return nil
}

// epochField is the records' field that holds the job's identity.
const epochField = "orjournal.epoch"

// The scripts take KEYS lease, records and ARGV token, lease TTL (ms),
// epoch. A fence answers 1 (held), -1 (another holder has the lease) or
// 0 (the job's records are not the ones this journal opened).
const fenceLua = `
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] then return -1 end
if redis.call('HGET', KEYS[2], 'orjournal.epoch') ~= ARGV[3] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
`

var (
	openScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] then return {0, ''} end
if redis.call('EXISTS', KEYS[3]) == 1 then return {0, ''} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local epoch = redis.call('HGET', KEYS[2], 'orjournal.epoch')
if not epoch then
  epoch = ARGV[3]
  redis.call('HSET', KEYS[2], 'orjournal.epoch', epoch)
end
return {1, epoch}`)
	fenceScript  = redis.NewScript(fenceLua + "return 1")
	recordScript = redis.NewScript(fenceLua + "redis.call('HSET', KEYS[2], ARGV[4], ARGV[5])\nreturn 1")
	// journalRelease deletes the lease when this holder has it.
	journalRelease = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)
)
