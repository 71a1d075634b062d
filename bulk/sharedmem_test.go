package bulk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"
)

// MemJob is the reference SharedJournal, in memory, for the runner's
// tests: one job's records, item claims and ended items, shared by the
// workers (MemJob.Worker) that tests give to runs. Leases follow an
// injected clock: a live worker's claims are renewed (they never
// expire), a worker that stopped renewing (StopRenewing, Kill) loses its
// claims TTL after that, on the clock.
type MemJob struct {
	mu      sync.Mutex
	now     func() time.Time
	ttl     time.Duration
	records map[string]json.RawMessage
	ended   map[string]json.RawMessage
	owner   map[string]*memClaim // the item's last claim; released ones are removed
	// Claims counts the claims granted, TakenOver those taken over from
	// a worker whose lease expired.
	Claims, TakenOver int
	// OnClaim, when set, is called (without the lock) after each Claim
	// decided, with the item's key and the decision: a test's hook to
	// act at a given point of a job.
	OnClaim func(w *MemWorker, key string, s ClaimStatus)
}

// NewMemJob returns an empty job whose leases last ttl on the clock now.
func NewMemJob(now func() time.Time, ttl time.Duration) *MemJob {
	return &MemJob{now: now, ttl: ttl, records: map[string]json.RawMessage{},
		ended: map[string]json.RawMessage{}, owner: map[string]*memClaim{}}
}

// Worker returns a new worker's journal of the job.
func (m *MemJob) Worker(name string) *MemWorker { return &MemWorker{job: m, name: name} }

// Records returns a copy of the job's records.
func (m *MemJob) Records() map[string]json.RawMessage {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.records)
}

// Outcomes returns a copy of the ended items' outcomes.
func (m *MemJob) Outcomes() map[string]json.RawMessage {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.ended)
}

// MemWorker is one worker's SharedJournal of a MemJob.
type MemWorker struct {
	job     *MemJob
	name    string
	stopped bool      // no longer renewing
	stopAt  time.Time // since when
	dead    bool      // killed: it writes nothing more
}

var _ SharedJournal = (*MemWorker)(nil)

// errKilled is what a killed worker's journal answers: a dead process
// writes nothing.
var errKilled = errors.New("memjob: the worker was killed")

// StopRenewing stops the renewal of the worker's claims now (a process
// paused): they expire TTL later on the clock.
func (w *MemWorker) StopRenewing() {
	w.job.mu.Lock()
	defer w.job.mu.Unlock()
	if !w.stopped {
		w.stopped, w.stopAt = true, w.job.now()
	}
}

// Kill stops the worker dead: no renewal, and every later call of its
// journal and claims fails.
func (w *MemWorker) Kill() {
	w.StopRenewing()
	w.job.mu.Lock()
	w.dead = true
	w.job.mu.Unlock()
}

// Load returns the job's records.
func (w *MemWorker) Load() (map[string]json.RawMessage, error) {
	m := w.job
	m.mu.Lock()
	defer m.mu.Unlock()
	if w.dead {
		return nil, errKilled
	}
	return maps.Clone(m.records), nil
}

// Record writes a record under no claim.
func (w *MemWorker) Record(key string, result json.RawMessage) error {
	m := w.job
	m.mu.Lock()
	defer m.mu.Unlock()
	if w.dead {
		return errKilled
	}
	m.records[key] = result
	return nil
}

// liveLocked reports whether c holds its item, and until when.
func (m *MemJob) liveLocked(c *memClaim) (bool, time.Time) {
	if !c.w.stopped {
		return true, m.now().Add(m.ttl)
	}
	until := c.w.stopAt.Add(m.ttl)
	return m.now().Before(until), until
}

// Claim claims the item key.
func (w *MemWorker) Claim(ctx context.Context, key string) (ClaimState, error) {
	if err := ctx.Err(); err != nil {
		return ClaimState{}, err
	}
	m := w.job
	m.mu.Lock()
	if w.dead {
		m.mu.Unlock()
		return ClaimState{}, errKilled
	}
	st := ClaimState{Records: map[string]json.RawMessage{}}
	for _, k := range []string{key, ItemStateKey(key)} {
		if v, ok := m.records[k]; ok {
			st.Records[k] = v
		}
	}
	switch cur := m.owner[key]; {
	case m.ended[key] != nil:
		st.Status, st.Outcome = ClaimEnded, m.ended[key]
	case cur != nil:
		if live, until := m.liveLocked(cur); live {
			st.Status, st.Until = ClaimHeld, until
			break
		}
		st.TakenOver = true
		m.TakenOver++
		fallthrough
	default:
		c := &memClaim{w: w, key: key}
		m.owner[key] = c
		m.Claims++
		st.Status, st.Claim = ClaimGranted, c
	}
	hook := m.OnClaim
	m.mu.Unlock()
	if hook != nil {
		hook(w, key, st.Status)
	}
	return st, nil
}

// Ended returns the ended items' outcomes and the live claims.
func (w *MemWorker) Ended(ctx context.Context) (map[string]json.RawMessage, map[string]time.Time, error) {
	m := w.job
	m.mu.Lock()
	defer m.mu.Unlock()
	if w.dead {
		return nil, nil, errKilled
	}
	claimed := map[string]time.Time{}
	for k, c := range m.owner {
		if live, until := m.liveLocked(c); live && m.ended[k] == nil {
			claimed[k] = until
		}
	}
	return maps.Clone(m.ended), claimed, nil
}

type memClaim struct {
	w   *MemWorker
	key string
}

// heldLocked checks that c still holds its item.
func (c *memClaim) heldLocked() error {
	m := c.w.job
	if c.w.dead {
		return errKilled
	}
	if m.owner[c.key] != c {
		return fmt.Errorf("memjob: item %q: %w", c.key, ErrClaimLost)
	}
	return nil
}

func (c *memClaim) Record(ctx context.Context, recs []ItemRecord) error {
	m := c.w.job
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := c.heldLocked(); err != nil {
		return err
	}
	for _, r := range recs {
		m.records[r.Key] = r.Value
	}
	return nil
}

func (c *memClaim) End(ctx context.Context, outcome json.RawMessage, recs []ItemRecord) error {
	m := c.w.job
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := c.heldLocked(); err != nil {
		return err
	}
	for _, r := range recs {
		m.records[r.Key] = r.Value
	}
	m.ended[c.key] = outcome
	delete(m.owner, c.key)
	return nil
}

func (c *memClaim) Release(ctx context.Context) error {
	m := c.w.job
	m.mu.Lock()
	defer m.mu.Unlock()
	if c.w.dead {
		return errKilled
	}
	if m.owner[c.key] == c {
		delete(m.owner, c.key)
	}
	return nil
}
