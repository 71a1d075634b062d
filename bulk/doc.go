// Package bulk runs one function over many items at the rate the server
// allows, accounts for every item, and resumes a killed job from a
// journal without paying twice for the work already done.
//
//	report, err := bulk.Runner[Article, *openrouter.RewriteResult]{
//		Key:      func(a Article) string { return a.Path },
//		Journal:  journal, // bulk.OpenJournal("run.jsonl")
//		Limiter:  c.Limiter(),
//		Progress: func(p bulk.Progress) { log.Println(p) },
//	}.Run(ctx, articles, func(ctx context.Context, a Article) (*openrouter.RewriteResult, error) {
//		return c.Rewrite(ctx, openrouter.RewriteRequest{Article: a.Text})
//	})
//
// # What stops a run, what is run again
//
// Each item ends Done, Failed with its error, or NotAttempted; the
// Report says which, and Report.Remaining gives back the items to run
// later. An error that would fail every item (openrouter.ErrUnauthorized,
// openrouter.ErrInsufficientCredits, openrouter.ErrQuotaExhausted,
// openrouter.ErrBudgetExceeded unless WaitForBudgetReset waits for it,
// a model OpenRouter will not serve unless FallbackModel replaces it,
// [ErrSpendingCap]) or the end of the run's context stops the run: the
// items in flight may finish, for at most DrainFor, and are kept. Items whose error may pass (429, 5xx,
// timeouts, cut connections) are put back in the queue, after the
// client's own retries, for RetryFor. An item whose request may have been
// billed (openrouter.ErrMaybeBilled) ends Failed and is not run again
// unless RequeueMaybeBilled is set; Report.MaybeBilled and
// Report.MaybePaidTwice count them.
//
// # The journal
//
// OpenJournal opens a file of JSON lines, appended to one record a write,
// locked against a second run ([ErrJournalInUse]); a torn last line is cut
// off. Items it holds are not run again: their result comes from it. A
// run whose items share a key is refused before it starts. A result that
// cannot be recorded (a full disk) leaves its item Failed with
// [ErrNotJournaled], its value in the Report, and stops the run.
//
// Each line is {"key": ..., "result": ..., "at": ...}; the last line of a
// key wins. Beside the items' results (under their keys), the journal
// keeps records of its own under keys starting "#batch:", which item keys
// may not start with:
//
//   - "#batch:item:KEY", an item's state: {"state": "started"} before its
//     first request is sent (sync), or before Result runs on its batch
//     answer (with "batch"), "tried" when it was answered with an
//     error, "answer" with the batch answer ("answer", "batch") whose
//     repair is to be tried again, "unread" when its batch ("batch")
//     finished requests whose results cannot be read, "done" after its
//     result; each with "cost", what the item cost in all runs so far. A
//     resume runs again an item left "started" (it was in flight at the
//     kill) and counts it in Report.MaybePaidTwice, unless Runner.Recover
//     settles it; it repairs an "answer" from it, without buying it again.
//     With Runner.JournalFailures, an item that failed for good (an error
//     of its own, such as openrouter.ErrUnparseable or ErrContextLength;
//     not one that may pass, may have been billed, or comes from the
//     account, the key or the model) is recorded "failed", with "error"
//     (its text) and "names" (openrouter.ErrorName of the sentinels it
//     matched): a resume with JournalFailures reports it Failed with a
//     [*FailedBefore] that matches the same sentinels, without paying for
//     it again; a resume without it runs it again.
//   - "#batch:TOKEN", a batch: see Batch mode.
//
// # Several workers on one job
//
// A Journal that is a [SharedJournal] (redislimiter.OpenSharedJournal:
// the job's state in Redis) lets several runs, in any processes on any
// machines, share one job's items: Run claims each item, with a lease
// the journal renews, before its first request; writes the item's
// records through its claim; and ends it (done or failed) for the whole
// job, or releases it (to be tried again later, or not attempted). Items
// another worker holds are claimed again once this run's own are through,
// until they end; a worker that died loses its claims after their lease,
// and the item goes to another, which counts it in Report.MaybePaidTwice
// (its start is in the journal) unless Runner.Recover settles it. A worker
// whose claim was taken over (paused past its lease) writes nothing more
// of the item: Report.ClaimsLost counts it. So each item ends once in the
// job, and each worker's Report covers the whole job once its run ends:
// the items others ended are Resumed (done with their values, or failed
// with a [*FailedElsewhere]). [ReadJob] reads the job's state for a
// job-wide progress line. Pace the workers together with one shared
// limiter (redislimiter.New with the same name). RunBatch does not take a
// SharedJournal.
//
// What may have been paid twice is in the job's records, not only in the
// reports: a worker that takes an item over from another run's "started"
// record (even one it tried itself in an earlier pass) counts that
// attempt in the item's records and its outcome, so the count survives
// the taker being killed in turn; [JobState] sums them (MaybePaidTwice,
// Uncosted, MaybeBilled). An item whose retries ran out (RetryFor) is
// claimed again to end it Failed for the job, or to take the outcome
// another worker gave it since. Limits, by design:
//   - A worker learns that its claim was taken over only at its next
//     write of the item (its journal stops renewing the claim at once,
//     but the run does not poll): the attempt it had in flight (with the
//     client's own retries) runs to its end and may be paid for, its
//     result is refused (ClaimsLost; the taker counted the attempt), and
//     no new attempt of the item starts, since each starts with a fenced
//     write.
//   - ReadJob counts the items a worker ended. Results an earlier run
//     recorded without sharing the journal count once a shared run has
//     claimed them (it ends them Done for the job at once).
//   - A run that stops (its context ended, or an error) while others hold
//     items reports those NotAttempted (their error says another worker
//     held them); the job's state (ReadJob) counts them Running until
//     their holders end them, then Done or Failed, and a later run's
//     report takes that outcome.
//
// # Batch mode
//
// Runner.RunBatch runs the items through the Batch API (BatchMode), at
// about half the sync price: in chunks (BatchMode.ChunkSize), grouped by
// model and, on Google models, by response format; what cannot go in a
// batch runs sync in the same run. The journal keeps, beside the items
// done, a record of each batch under "#batch:" and its token:
// {"marker", "custom_ids", "keys"} before it is submitted, the same with
// "id" before it is waited for, and with "closed": true once its results
// are recorded. A run killed while waiting therefore resumes by polling
// the same batch. Each custom ID is the item's key and the submission's
// nonce ("key#nonce"): a result is recorded for an item only under the
// custom ID journaled for it, and a submission whose answer was lost
// adopts only a batch whose results carry its custom IDs, never one the
// journal holds. Report.Requests counts the requests of each kind.
// ChatJSONMode and RewriteMode are batch modes for openrouter.ChatJSON
// and Rewrite.
//
// # Knowing the bill first
//
// Runner.Bill estimates a job's cost before it starts, in either mode
// (openrouter.Client.EstimateCost, at the batch price for what goes in a
// batch), refuses to start one the account cannot pay when asked
// (openrouter.Client.CheckFunds), and sets the estimate beside the cost
// in the Report.
//
// # What the runner needs of the client
//
// Nothing but two things, both public in package openrouter, so any
// function can be run in bulk, with one client, several, or none:
//
//   - the cost of each item's requests, counted by an
//     [openrouter.CostMeter] the runner puts in the item's context
//     ([openrouter.TrackCost]); the client adds every request's cost to
//     each meter of its context;
//   - the default number of workers, read from the Limiter field when it
//     is set (the limiter's cap on requests in flight).
//
// The errors that stop a run or put an item back in the queue are the
// sentinels of package openrouter (ErrUnauthorized, ErrRateLimited, ...);
// errors of other clients stop or fail items as their wrapping says.
package bulk
