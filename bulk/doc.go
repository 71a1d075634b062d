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
// # Why a package of its own
//
// The runner, its journal and their vocabulary (Status, Done, Failed,
// Result, Report, Progress) used to live in package openrouter, where
// those names read as if they were about a single request. Here they read
// as what they are: bulk.Report, bulk.Done. The runner needs nothing from
// the client but two things, both public in package openrouter, so any
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
