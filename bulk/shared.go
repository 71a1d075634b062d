package bulk

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// SharedJournal is a Journal that several workers share: runs of the
// same job, in any processes on any machines, given journals of the same
// job (redislimiter.OpenSharedJournal, say), divide its items between
// them. Run checks for it on Runner.Journal.
//
// Before an item's first request, the run claims it (Claim): the claim is
// a lease, which the journal renews while it is open and the claim is not
// released. A worker that dies stops renewing: after the lease's expiry
// another worker's Claim takes the item over. Every write of an item's
// records goes through its claim, and is refused (ErrClaimLost) once the
// claim was taken over, so that a worker paused past its lease records
// nothing of an item another worker runs: each item ends once, by one
// worker (End).
//
// Journal.Record and Load keep their meaning: Record writes a record not
// under any claim (the run does not use it for items), Load reads the
// records of the whole job.
type SharedJournal interface {
	Journal
	// Claim claims the item whose key is key for this worker. It answers
	// ClaimGranted with a Claim when no live claim holds the item and it
	// has not ended (an expired claim of another worker is taken over),
	// ClaimHeld when another worker's live claim holds it, and ClaimEnded
	// when a worker ended it (ClaimState.Outcome). In every case Records
	// holds the item's records (those whose keys are key and
	// ItemStateKey(key)) as they were when the claim was decided. It
	// never grants one item to two live claims.
	Claim(ctx context.Context, key string) (ClaimState, error)
	// Ended returns the outcome of every item ended so far, by item key,
	// and the keys of the items held by live claims with their leases'
	// expiries: the whole job's state (see ReadJob).
	Ended(ctx context.Context) (ended map[string]json.RawMessage, claimed map[string]time.Time, err error)
}

// Claim is a worker's lease on one item of a SharedJournal's job. Its
// methods are fenced: once another worker took the item over (this
// claim's lease expired), they fail with an error matching ErrClaimLost
// and write nothing.
type Claim interface {
	// Record writes the records, all or none, while the claim holds.
	Record(ctx context.Context, recs []ItemRecord) error
	// End writes the records and ends the item for the whole job with
	// outcome, all or none: later claims of the item answer ClaimEnded
	// with outcome, and the claim is released.
	End(ctx context.Context, outcome json.RawMessage, recs []ItemRecord) error
	// Release gives the item up without ending it (the run stopped, or
	// the item waits for a later pass): another worker may claim it. A
	// lost claim is released already: Release returns nil.
	Release(ctx context.Context) error
}

// ItemRecord is one record an item's claim writes: the journal's Record
// with its key.
type ItemRecord struct {
	Key   string
	Value json.RawMessage
}

// ClaimStatus is what Claim decided.
type ClaimStatus int

const (
	// ClaimGranted: the item is this worker's (ClaimState.Claim).
	ClaimGranted ClaimStatus = iota + 1
	// ClaimHeld: another worker's live claim holds the item, until
	// ClaimState.Until unless renewed.
	ClaimHeld
	// ClaimEnded: a worker ended the item (ClaimState.Outcome).
	ClaimEnded
)

// ClaimState is Claim's answer.
type ClaimState struct {
	Status ClaimStatus
	// Claim is the lease, when Status is ClaimGranted.
	Claim Claim
	// TakenOver reports (with ClaimGranted) that the item was another
	// worker's claim, which expired without ending it.
	TakenOver bool
	// Until is when the holder's lease expires unless renewed (ClaimHeld).
	Until time.Time
	// Outcome is what the item's End recorded (ClaimEnded).
	Outcome json.RawMessage
	// Records are the item's records (its result and its state, when the
	// journal has them), by record key.
	Records map[string]json.RawMessage
}

// ErrClaimLost is matched by the error of a Claim's method once another
// worker took the item over: nothing was written. The run leaves the item
// to that worker (Report.ClaimsLost counts it): its requests may have
// been paid for twice.
var ErrClaimLost = errors.New("bulk: the item's claim was lost to another worker")

// ItemStateKey is the key of the record that holds an item's state
// (started, done, failed ...) beside its result, which is under the
// item's own key.
func ItemStateKey(key string) string { return itemKeyPrefix + key }
