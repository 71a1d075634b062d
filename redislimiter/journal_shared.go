package redislimiter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
)

// SharedJournal is a bulk.SharedJournal kept in Redis: several workers,
// in any processes on any machines, that open the same job with
// OpenSharedJournal share its items (bulk.Runner claims each before
// running it). Its records are those of Journal, in the same hash.
//
// Each item claimed has a lease (a key with a TTL, renewed every third of
// the lease TTL while the journal is open) and a fencing token (the
// claim's own, in the job's hash of owners). A worker that dies stops
// renewing: after the lease TTL another worker's Claim takes the item
// over. Every write of a claim is a Lua check-and-set on its token, so a
// worker whose item was taken over (paused past its lease, or cut off
// from Redis) writes nothing more of it (bulk.ErrClaimLost); an item's
// result, state and end are written in one step.
//
// While shared workers are open, OpenJournal (one holder) refuses the
// job, and OpenSharedJournal refuses a job OpenJournal holds. Redis that
// loses the job (restarted empty, failed over to a replica without it)
// is detected as by Journal: ErrJournalLost. While Redis does not answer
// every call is tried again until the retry window (WithJournalRetry)
// passes: every write can be sent twice. Durability is Journal's.
type SharedJournal struct {
	j                     *Journal // the job's keys, options, retries and failure state
	owners, ended, shared string   // keys: the items' fencing tokens, their outcomes, the workers' mark
	takeovers             string   // key: by item, the token of the claim that took it over last
	mu                    sync.Mutex
	claims                map[string]string // the claims this worker holds: item key -> token
	stop, done            chan struct{}
	halt                  sync.Once
	closeOnce             sync.Once
	renewEvery            time.Duration
	claimPrefix           string // an item's claim is claimPrefix + its key
}

var _ bulk.SharedJournal = (*SharedJournal)(nil)

// OpenSharedJournal opens the job named job in rdb as one of its
// workers. It fails with bulk.ErrJournalInUse while OpenJournal holds
// the job, and with an error wrapping openrouter.ErrInvalidRequest on a
// nil client, an empty job name, one with a '}', a bad option, or items
// other than the job's (WithJobItems). Close it when the run ends.
func OpenSharedJournal(ctx context.Context, rdb redis.UniversalClient, job string, opts ...JournalOption) (*SharedJournal, error) {
	j, err := newJournal("OpenSharedJournal", rdb, job, opts)
	if err != nil {
		return nil, err
	}
	base := jobKeys(job)
	s := &SharedJournal{j: j, owners: base + "owners", ended: base + "ended", shared: base + "shared", takeovers: base + "takeovers",
		claimPrefix: base + "claim:", claims: map[string]string{}, renewEvery: j.cfg.leaseTTL / 3,
		stop: make(chan struct{}), done: make(chan struct{})}
	ok, epoch, err := j.open(ctx, "shared journal", sharedOpenScript, []string{j.lease, j.records, s.shared, base + "items"},
		j.cfg.leaseTTL.Milliseconds(), j.epoch, j.cfg.items)
	if err != nil {
		return nil, err
	}
	switch ok {
	case 1:
	case 2:
		return nil, fmt.Errorf("redislimiter: job %q was opened with other items (WithJobItems): a job name is shared only by workers of the same items; give this list a job name of its own: %w", job, openrouter.ErrInvalidRequest)
	default:
		return nil, fmt.Errorf("%w: job %q is held by one journal (OpenJournal): it cannot be shared until that one is closed or its lease expires", bulk.ErrJournalInUse, job)
	}
	j.epoch = epoch
	go s.renew()
	return s, nil
}

// Load returns every record of the job.
func (s *SharedJournal) Load() (map[string]json.RawMessage, error) {
	if err := s.j.usable(); err != nil {
		return nil, err
	}
	var all map[string]string
	err := s.j.retrying(context.Background(), func(ctx context.Context) error {
		var err error
		if all, err = s.j.rdb.HGetAll(ctx, s.j.records).Result(); err != nil {
			return err
		}
		if all[epochField] != s.j.epoch {
			return fenceError(0)
		}
		return nil
	})
	if err != nil {
		return nil, s.j.fail("loading", err)
	}
	out := make(map[string]json.RawMessage, len(all))
	for k, v := range all {
		if k != epochField {
			out[k] = json.RawMessage(v)
		}
	}
	return out, nil
}

// Record stores a record under no claim.
func (s *SharedJournal) Record(key string, result json.RawMessage) error {
	if key == epochField {
		return fmt.Errorf("redislimiter: record key %q is reserved: %w", key, openrouter.ErrInvalidRequest)
	}
	_, err := s.write(context.Background(), fmt.Sprintf("recording %q", key), sharedRecordScript,
		[]string{s.j.records, s.owners, s.ended, s.claimPrefix}, s.j.epoch, "", "", 0, "", key, string(result))
	return err
}

// Claim claims the item key (see bulk.SharedJournal).
func (s *SharedJournal) Claim(ctx context.Context, key string) (bulk.ClaimState, error) {
	if key == epochField {
		return bulk.ClaimState{}, fmt.Errorf("redislimiter: item key %q is reserved for the job's identity: %w", key, openrouter.ErrInvalidRequest)
	}
	if err := s.j.usable(); err != nil {
		return bulk.ClaimState{}, err
	}
	token := randomToken()
	var res []any
	err := s.j.retrying(ctx, func(ctx context.Context) error {
		var err error
		res, err = claimScript.Run(ctx, s.j.rdb, []string{s.j.records, s.owners, s.ended, s.claimPrefix + key, s.takeovers},
			s.j.epoch, key, bulk.ItemStateKey(key), token, s.j.cfg.leaseTTL.Milliseconds()).Slice()
		if err == nil && len(res) == 4 {
			if n, _ := res[0].(int64); n == 0 {
				return fenceError(0)
			}
		}
		return err
	})
	if err != nil {
		return bulk.ClaimState{}, s.j.fail(fmt.Sprintf("claiming %q", key), err)
	}
	if len(res) != 4 {
		return bulk.ClaimState{}, fmt.Errorf("redislimiter: claiming %q: unexpected answer %v", key, res)
	}
	st := bulk.ClaimState{Records: map[string]json.RawMessage{}}
	if v, ok := res[2].(string); ok {
		st.Records[key] = json.RawMessage(v)
	}
	if v, ok := res[3].(string); ok {
		st.Records[bulk.ItemStateKey(key)] = json.RawMessage(v)
	}
	status, _ := res[0].(int64)
	switch status {
	case 1, 4:
		st.Status, st.TakenOver = bulk.ClaimGranted, status == 4
		st.Claim = &sharedClaim{s: s, key: key, token: token}
		s.mu.Lock()
		s.claims[key] = token
		s.mu.Unlock()
	case 2:
		ms, _ := res[1].(int64)
		if ms < 0 { // -1: no expiry; -2: gone since (the script saw it)
			if ms == -1 {
				return bulk.ClaimState{}, fmt.Errorf("redislimiter: claiming %q: its claim in Redis has no expiry, which no worker writes (another program wrote %s): delete it to run the item", key, s.claimPrefix+key)
			}
			ms = 0
		}
		st.Status, st.Until = bulk.ClaimHeld, time.Now().Add(time.Duration(ms)*time.Millisecond)
	case 3:
		out, _ := res[1].(string)
		st.Status, st.Outcome = bulk.ClaimEnded, json.RawMessage(out)
	default:
		return bulk.ClaimState{}, fmt.Errorf("redislimiter: claiming %q: unexpected answer %v", key, res)
	}
	return st, nil
}

// Ended returns the outcomes of the items ended, and the live claims with
// their leases' expiries.
func (s *SharedJournal) Ended(ctx context.Context) (map[string]json.RawMessage, map[string]time.Time, error) {
	if err := s.j.usable(); err != nil {
		return nil, nil, err
	}
	var ended, owners map[string]string
	claimed := map[string]time.Time{}
	err := s.j.retrying(ctx, func(ctx context.Context) error {
		pipe := s.j.rdb.Pipeline()
		e, o := pipe.HGetAll(ctx, s.ended), pipe.HGetAll(ctx, s.owners)
		if _, err := pipe.Exec(ctx); err != nil {
			return err
		}
		ended, owners = e.Val(), o.Val()
		pipe = s.j.rdb.Pipeline()
		ttls := map[string]*redis.DurationCmd{}
		for k := range owners {
			if _, done := ended[k]; !done {
				ttls[k] = pipe.PTTL(ctx, s.claimPrefix+k)
			}
		}
		if len(ttls) == 0 {
			return nil
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return err
		}
		now := time.Now()
		for k, c := range ttls {
			if d := c.Val(); d > 0 {
				claimed[k] = now.Add(d)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, s.j.fail("reading the job's state", err)
	}
	out := make(map[string]json.RawMessage, len(ended))
	for k, v := range ended {
		out[k] = json.RawMessage(v)
	}
	return out, claimed, nil
}

// Close stops renewing this worker's claims (those not released expire
// after the lease TTL) and its mark on the job.
func (s *SharedJournal) Close() error {
	s.closeOnce.Do(func() {
		s.j.mu.Lock()
		s.j.closed = true
		s.j.mu.Unlock()
		s.stopRenewing()
	})
	return nil
}

func (s *SharedJournal) stopRenewing() {
	s.halt.Do(func() { close(s.stop) })
	<-s.done
}

// renew renews the worker's mark and its claims every third of the lease
// TTL. A claim found taken over is dropped (its writes are refused in
// Redis anyway); a job found lost makes the journal fail.
func (s *SharedJournal) renew() {
	defer close(s.done)
	ticks, stop := s.j.cfg.renewTicks(s.renewEvery)
	defer stop()
	for {
		select {
		case <-s.stop:
			return
		case <-ticks:
		}
		ctx, cancel := context.WithTimeout(context.Background(), s.renewEvery)
		err := s.renewOnce(ctx)
		cancel()
		if errors.Is(err, ErrJournalLost) {
			s.j.fail("renewing the claims", err)
			return
		}
	}
}

func (s *SharedJournal) renewOnce(ctx context.Context) error {
	s.mu.Lock()
	keys := []string{s.j.records, s.owners, s.shared}
	args := []any{s.j.cfg.leaseTTL.Milliseconds(), s.j.epoch}
	var items []string
	for k, tok := range s.claims {
		keys = append(keys, s.claimPrefix+k)
		args = append(args, k, tok)
		items = append(items, k)
	}
	s.mu.Unlock()
	res, err := renewScript.Run(ctx, s.j.rdb, keys, args...).Slice()
	if err != nil {
		return err
	}
	if len(res) > 0 {
		if n, _ := res[0].(int64); n == 0 {
			return fenceError(0)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range res[1:] {
		if n, ok := v.(int64); ok && n >= 1 && int(n) <= len(items) {
			k := items[n-1]
			if s.claims[k] == args[2*n+1].(string) {
				delete(s.claims, k)
			}
		}
	}
	return nil
}

// write runs a fenced script (answering 1 done, -1 claim lost, 0 job
// lost), with retries, and with WithJournalReplicas waits for the
// replicas.
func (s *SharedJournal) write(ctx context.Context, what string, sc *redis.Script, keys []string, args ...any) (int, error) {
	if err := s.j.usable(); err != nil {
		return 0, err
	}
	var n int
	err := s.j.retrying(ctx, func(ctx context.Context) error {
		var err error
		n, err = s.j.runFenced(ctx, sc, keys, args...)
		if err == nil && n == 0 {
			return fenceError(0)
		}
		return err
	})
	if err != nil {
		return 0, s.j.fail(what, err)
	}
	return n, nil
}

// sharedClaim is one claim of a SharedJournal.
type sharedClaim struct {
	s     *SharedJournal
	key   string
	token string
}

func (c *sharedClaim) keys() []string {
	return []string{c.s.j.records, c.s.owners, c.s.ended, c.s.claimPrefix + c.key}
}

// args are the scripts' arguments: epoch, item key, token, lease TTL,
// then the records' keys and values.
func (c *sharedClaim) args(outcome string, recs []bulk.ItemRecord) []any {
	args := []any{c.s.j.epoch, c.key, c.token, c.s.j.cfg.leaseTTL.Milliseconds(), outcome}
	for _, r := range recs {
		args = append(args, r.Key, string(r.Value))
	}
	return args
}

func (c *sharedClaim) Record(ctx context.Context, recs []bulk.ItemRecord) error {
	return c.write(ctx, "recording", "", recs)
}

func (c *sharedClaim) End(ctx context.Context, outcome json.RawMessage, recs []bulk.ItemRecord) error {
	if outcome == nil {
		outcome = json.RawMessage(`null`)
	}
	err := c.write(ctx, "ending", string(outcome), recs)
	if err == nil {
		c.forget()
	}
	return err
}

func (c *sharedClaim) write(ctx context.Context, what, outcome string, recs []bulk.ItemRecord) error {
	for _, r := range recs {
		if r.Key == epochField {
			return fmt.Errorf("redislimiter: record key %q is reserved: %w", r.Key, openrouter.ErrInvalidRequest)
		}
	}
	n, err := c.s.write(ctx, fmt.Sprintf("%s item %q", what, c.key), sharedRecordScript, c.keys(), c.args(outcome, recs)...)
	if err != nil {
		return err
	}
	if n == -1 {
		c.forget()
		return fmt.Errorf("redislimiter: journal of job %q: %s item %q: %w", c.s.j.job, what, c.key, bulk.ErrClaimLost)
	}
	return nil
}

func (c *sharedClaim) Release(ctx context.Context) error {
	c.forget()
	_, err := c.s.write(ctx, fmt.Sprintf("releasing item %q", c.key), claimReleaseScript, c.keys(), c.s.j.epoch, c.key, c.token)
	return err
}

// forget stops renewing the claim.
func (c *sharedClaim) forget() {
	c.s.mu.Lock()
	if c.s.claims[c.key] == c.token {
		delete(c.s.claims, c.key)
	}
	c.s.mu.Unlock()
}
