package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
	"github.com/routerkit/openrouter/redislimiter"
)

// defaultJob names the job in Redis when -job is not given.
const defaultJob = "seo"

// redisClient connects to the Redis of -redis: an address ("host:port")
// or a URL ("redis://user:pass@host:port/0").
func redisClient(addr string) (*redis.Client, error) {
	if strings.Contains(addr, "://") {
		o, err := redis.ParseURL(addr)
		if err != nil {
			return nil, fmt.Errorf("-redis: %w: %w", err, openrouter.ErrInvalidRequest)
		}
		return redis.NewClient(o), nil
	}
	return redis.NewClient(&redis.Options{Addr: addr}), nil
}

// openJournal opens the run's journal: with -redis the job's journal in
// Redis (redislimiter.OpenJournal; with -worker OpenSharedJournal, which
// refuses a job of other articles), with -journal the JSON-lines file,
// otherwise none (nil). close releases it.
func openJournal(ctx context.Context, rdb *redis.Client, cfg config, articles []article) (j bulk.Journal, close func() error, err error) {
	switch {
	case rdb != nil && cfg.worker:
		sj, err := redislimiter.OpenSharedJournal(ctx, rdb, cfg.jobName(), redislimiter.WithJournalLease(cfg.leaseTTL()), jobItems(articles))
		if err != nil {
			return nil, nil, err
		}
		return sj, sj.Close, nil
	case rdb != nil:
		rj, err := redislimiter.OpenJournal(ctx, rdb, cfg.jobName(), redislimiter.WithJournalLease(cfg.leaseTTL()))
		if err != nil {
			return nil, nil, err
		}
		return rj, rj.Close, nil
	case cfg.journal != "":
		fj, err := bulk.OpenJournal(cfg.journal)
		if err != nil {
			return nil, nil, err
		}
		return fj, fj.Close, nil
	}
	return nil, func() error { return nil }, nil
}

// checkJournalFlags refuses -journal with -redis (two journals of one
// job), and -worker or -report without -redis, or with -batch (the Batch
// API's jobs are not shared).
func (cfg config) checkJournalFlags() error {
	switch {
	case cfg.redis != "" && cfg.journal != "":
		return fmt.Errorf("-journal and -redis both name a journal: give one: %w", openrouter.ErrInvalidRequest)
	case (cfg.worker || cfg.report) && cfg.redis == "":
		return fmt.Errorf("-worker and -report need the job's Redis (-redis): %w", openrouter.ErrInvalidRequest)
	case cfg.worker && cfg.batch:
		return fmt.Errorf("-worker with -batch: a job's batches are not shared between workers: %w", openrouter.ErrInvalidRequest)
	case cfg.lease < 0:
		return fmt.Errorf("-lease %v: negative: %w", cfg.lease, openrouter.ErrInvalidRequest)
	}
	return nil
}

// leaseTTL is -lease, or the journal's default.
func (cfg config) leaseTTL() time.Duration {
	if cfg.lease == 0 {
		return 15 * time.Second
	}
	return cfg.lease
}

// jobLine is the whole job's progress, as every worker's claims and ends
// made it: "" when the journal is not shared or cannot be read now.
func jobLine(ctx context.Context, j bulk.Journal, total int) string {
	sj, ok := j.(bulk.SharedJournal)
	if !ok {
		return ""
	}
	st, err := bulk.ReadJob(ctx, sj)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("job %d/%d done, %d failed, %d running, $%.4f | ", st.Done, total, st.Failed, st.Running, st.Cost)
}

// printJob prints the whole job's report from its shared journal in
// Redis (-report), running nothing: what every worker of it ended, done
// or failed, what is still running and what no one has started.
func printJob(ctx context.Context, out io.Writer, rdb *redis.Client, cfg config, articles []article) error {
	sj, err := redislimiter.OpenSharedJournal(ctx, rdb, cfg.jobName(), redislimiter.WithJournalLease(cfg.leaseTTL()), jobItems(articles))
	if err != nil {
		return err
	}
	defer sj.Close()
	st, err := bulk.ReadJob(ctx, sj)
	if err != nil {
		return err
	}
	ended, claimed, err := sj.Ended(ctx)
	if err != nil {
		return err
	}
	recs, err := sj.Load()
	if err != nil {
		return err
	}
	notAttempted := len(articles) - st.Done - st.Failed - st.Running
	fmt.Fprintf(out, "%d articles: %d done, %d failed, %d not attempted in the job so far, %d running; cost $%.4f\n",
		len(articles), st.Done, st.Failed, notAttempted, st.Running, st.Cost)
	// What the job's records prove may have been billed beyond the cost,
	// whichever worker ended the articles (a killed worker's report is lost).
	fmt.Fprintf(out, "  job: may have been paid twice: %d articles; requests not in the cost: %d; billed without an answer: %d\n",
		st.MaybePaidTwice, st.Uncosted, st.MaybeBilled)
	for _, a := range articles {
		_, isEnded := ended[a.Name]
		raw, hasResult := recs[a.Name]
		var o output
		switch {
		case isEnded && hasResult && json.Unmarshal(raw, &o) == nil:
			fmt.Fprintf(out, "  done    %-40s -> %s\n", a.Name, o.Title)
		case isEnded:
			fmt.Fprintf(out, "  FAILED  %-40s\n", a.Name)
		case !claimed[a.Name].IsZero():
			fmt.Fprintf(out, "  running %-40s\n", a.Name)
		}
	}
	return nil
}

// jobItems names the job's articles (the runner's keys) to the shared
// journal: workers, or -report, given other articles under the same job
// name are refused.
func jobItems(articles []article) redislimiter.JournalOption {
	keys := make([]string, len(articles))
	for i, a := range articles {
		keys[i] = a.Name
	}
	return redislimiter.WithJobItems(keys)
}

// jobName is the job's name in Redis.
func (cfg config) jobName() string {
	if cfg.job == "" {
		return defaultJob
	}
	return cfg.job
}

// sharedLimiter paces the client through Redis, under the job's name, so
// that every worker of the job shares one pace: at most 5 requests in
// flight in all, as one process's own limiter allows, and the rate the
// workers learn together.
func sharedLimiter(rdb *redis.Client, cfg config) (*redislimiter.Limiter, error) {
	return redislimiter.New(rdb, "seo-pace:"+cfg.jobName(), redislimiter.LimitInFlight(5))
}
