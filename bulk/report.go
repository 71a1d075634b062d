package bulk

import (
	"fmt"
	"time"

	"github.com/routerkit/openrouter"
)

// Status is what became of an item.
type Status int

const (
	// NotAttempted: the run stopped before the item started, or the item
	// failed with what stopped the run (a 402, say): run it again.
	NotAttempted Status = iota
	// Done: the item has its value.
	Done
	// Failed: the item has its error, which another try would not fix.
	Failed
)

// String returns the status in words.
func (s Status) String() string {
	switch s {
	case NotAttempted:
		return "not attempted"
	case Done:
		return "done"
	case Failed:
		return "failed"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Result is one item's outcome.
type Result[T, R any] struct {
	Item   T
	Key    string
	Status Status
	Value  R
	// Err is why the item failed, or what stopped it for NotAttempted.
	Err error
	// Attempts counts the passes the item was run in.
	Attempts int
	// Cost is what the item's requests cost, in USD.
	Cost float64
	// Resumed reports whether the value came from the journal (or, with
	// Runner.JournalFailures, the error: a *FailedBefore).
	Resumed bool
	// Batch is the ID of the batch the item ran in (RunBatch), "" when it
	// ran sync.
	Batch string
}

// Report is the outcome of a run.
type Report[T, R any] struct {
	// Results are in the order of the input items.
	Results                    []Result[T, R]
	Done, Failed, NotAttempted int
	// MaybeBilled counts the items that ended failed, or not attempted,
	// with an error matching openrouter.ErrMaybeBilled: their requests
	// reached the server (or their batch's submission may have been
	// stored), and may have been paid for without an answer. Check the
	// account's activity, or let a later run with the journal look the
	// batch up, before running them again.
	MaybeBilled int
	// MaybePaidTwice counts the items done after an attempt that may have
	// been billed: run again by the runner (only with
	// Runner.RequeueMaybeBilled), or sent again by the client after a
	// connection cut once the request was written (only when allowed by
	// openrouter.WithResendAfterCut or CallResendAfterCut; see
	// openrouter.ChatResponse.MaybeBilled).
	MaybePaidTwice int
	// ClaimsLost counts the items (of a job shared by several workers:
	// SharedJournal) this run was running when another worker took them
	// over, its claim having expired (this process paused, or Redis out of
	// reach, past the lease): their requests may have been paid twice
	// (the other worker counts them in MaybePaidTwice, as it does items
	// left by a worker that died), and their outcome is the other
	// worker's.
	ClaimsLost int
	Cost       float64 // USD
	// JobCost is what the job's items cost in all runs with the journal:
	// Cost, and what earlier runs recorded for these items (0 without a
	// journal, or with one written before costs were recorded).
	JobCost float64
	Elapsed time.Duration
	// Stopped is what stopped the run early (matching
	// openrouter.ErrUnauthorized, ErrInsufficientCredits,
	// ErrQuotaExhausted, ErrBudgetExceeded, this package's
	// ErrSpendingCap, or a context error; or an *openrouter.APIError
	// whose Availability says the model cannot be served, its text
	// naming the code, "[model_deprecated]"); nil when every item was
	// tried.
	Stopped error
	// FellBack is the availability error that switched the run to its
	// FallbackModel; nil when it did not.
	FellBack error

	// InBatch and InSync count the items this run ran in a batch and
	// sync (RunBatch; Run runs every item sync); Batches are the IDs of
	// the batches it submitted. BatchCost and SyncCost split Cost: what
	// the batch results cost, at the batch price, and what the requests
	// sent sync cost (BatchMode.Result's repairs among them).
	InBatch, InSync     int
	Batches             []string
	BatchCost, SyncCost float64
	// Requests counts the HTTP requests this run sent, by kind.
	Requests Requests
	// Estimate is what the items were estimated to cost at most before
	// the run started, and Funds what the account had then (with
	// Runner.Bill; nil otherwise): set them beside Cost.
	Estimate *openrouter.CostEstimate
	Funds    *openrouter.Funds
}

// Requests counts a run's HTTP requests by kind; each attempt of a
// retried request counts.
type Requests struct {
	// Submits: batch submissions, with the lookup that follows a lost
	// answer.
	Submits int
	// Lookups: the batches listed, waited for and read to find a
	// submission whose answer was lost (RunBatch's resume, or the same run).
	Lookups int
	// Polls: the polls of the batches waited for.
	Polls int
	// ResultPages: the pages of results read (and the batch's request
	// count, read once past the first page).
	ResultPages int
	// Sync: the requests of the items run sync (Run, and RunBatch's sync
	// path) and of BatchMode.Result (repairs).
	Sync int
}

// Remaining returns the items that were not attempted, in input order: the
// ones to run again once what stopped the run is fixed.
func (r *Report[T, R]) Remaining() []T {
	var out []T
	for _, res := range r.Results {
		if res.Status == NotAttempted {
			out = append(out, res.Item)
		}
	}
	return out
}

// Progress is a run's state, for a progress line.
type Progress struct {
	Done, Failed, NotAttempted, Total int
	// Rate is items finished per second by this run (items taken from the
	// journal are not its work); ETA the time the rest would take at that
	// rate (0 when unknown).
	Rate float64
	ETA  time.Duration
	// Cost so far, in USD.
	Cost float64
}

// String formats the progress as one line.
func (p Progress) String() string {
	eta := "?"
	if p.ETA > 0 || p.Done+p.Failed+p.NotAttempted == p.Total {
		eta = p.ETA.Round(time.Second).String()
	}
	return fmt.Sprintf("%d/%d done, %d failed, %d not attempted, %.1f/s, ETA %s, $%.4f",
		p.Done, p.Total, p.Failed, p.NotAttempted, p.Rate, eta, p.Cost)
}
