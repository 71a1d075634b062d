package bulk

import (
	"context"
	"errors"
	"slices"

	"github.com/routerkit/openrouter"
)

// FailedBefore is the error of an item that an earlier run with
// Runner.JournalFailures recorded as failed for good: a run with
// JournalFailures reports it Failed with this error, without running it
// (or paying for it) again. It matches, with errors.Is, the sentinels of
// package openrouter that the original error matched, so
// openrouter.ErrorName and openrouter.Hint name it as before.
type FailedBefore struct {
	// Text is the original error's text.
	Text string
	// Names are the names (openrouter.ErrorName) of the sentinels the
	// original error matched; empty for an error of another kind.
	Names []string
}

// Error returns the original error's text, saying where it comes from.
func (e *FailedBefore) Error() string {
	return e.Text + " (failed in an earlier run, as the journal recorded: run without Runner.JournalFailures to try it again)"
}

// Is reports whether target is one of the sentinels the original error
// matched.
func (e *FailedBefore) Is(target error) bool {
	return slices.Contains(sentinels, target) && slices.Contains(e.Names, openrouter.ErrorName(target))
}

// sentinels are the sentinels of package openrouter a journaled failure
// may match (failsForGood refuses the others).
var sentinels = []error{
	openrouter.ErrModerated, openrouter.ErrContextLength, openrouter.ErrTooLarge,
	openrouter.ErrUnparseable, openrouter.ErrEmptyContent, openrouter.ErrNoImage,
	openrouter.ErrNotFound, openrouter.ErrInvalidRequest, openrouter.ErrBadRequest,
}

// notForGood are the errors that say nothing about the item itself: they
// may pass (rate limits, servers, timeouts, the network, a context's
// end), may have been billed (ErrMaybeBilled: running it again is
// RequeueMaybeBilled's choice), or come from the account, the key, the
// model or the journal (unauthorized, credits, quotas, budgets, the
// spending cap, a model that cannot be served or do its role, a 403).
var notForGood = []error{
	openrouter.ErrRateLimited, openrouter.ErrServer, openrouter.ErrTimeout, openrouter.ErrUnreachable,
	context.Canceled, context.DeadlineExceeded, openrouter.ErrMaybeBilled,
	openrouter.ErrUnauthorized, openrouter.ErrInsufficientCredits, openrouter.ErrQuotaExhausted,
	openrouter.ErrBudgetExceeded, openrouter.ErrForbidden, ErrSpendingCap, ErrNotJournaled,
	openrouter.ErrModelNotFound, openrouter.ErrModelDeprecated, openrouter.ErrNoEndpoints, openrouter.ErrModelUnsuitable,
}

// failsForGood reports whether err, which ends an item Failed, is the
// item's own and would fail it again: Runner.JournalFailures records it.
func failsForGood(err error) bool {
	if err == nil || passes(err) || stops(err) {
		return false
	}
	var ae *openrouter.APIError
	if errors.As(err, &ae) && ae.Availability != nil {
		return false // about the model and the account, not the item
	}
	for _, s := range notForGood {
		if errors.Is(err, s) {
			return false
		}
	}
	return true
}

// failedRecord is the journal's record of an item failed for good.
func failedRecord(err error) itemRecord {
	rec := itemRecord{State: stateFailed, Error: err.Error()}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			rec.Names = append(rec.Names, openrouter.ErrorName(s))
		}
	}
	return rec
}

// failLocked ends item i Failed with err; with Runner.JournalFailures and
// an error that would fail it again, it is journaled first, so that a
// resume does not pay for it again. A record that cannot be written
// stops the run (the journal cannot keep what the next items do); the
// item still ends Failed with its own error.
func (r *runner[T, R]) failLocked(i int, err error) {
	if r.b.JournalFailures && failsForGood(err) {
		if jerr := r.recordItemLocked(i, failedRecord(err)); jerr != nil {
			r.stopLocked(jerr)
		}
	}
	r.finishLocked(i, Failed, err)
}

// resumeFailed settles item i, loaded with its record rec, as Failed
// when an earlier run journaled it failed for good and this run has
// Runner.JournalFailures; r.mu need not be held (load runs alone).
func (r *runner[T, R]) resumeFailed(i int, rec itemRecord) bool {
	if !r.b.JournalFailures || rec.State != stateFailed {
		return false
	}
	res := &r.rep.Results[i]
	res.Resumed = true
	r.resumed++
	r.finishLocked(i, Failed, &FailedBefore{Text: rec.Error, Names: rec.Names})
	return true
}
