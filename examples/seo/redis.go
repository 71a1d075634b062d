package main

import (
	"context"
	"fmt"
	"strings"

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
// Redis (redislimiter.OpenJournal), with -journal the JSON-lines file,
// otherwise none (nil). close releases it.
func openJournal(ctx context.Context, rdb *redis.Client, cfg config) (j bulk.Journal, close func() error, err error) {
	switch {
	case rdb != nil:
		rj, err := redislimiter.OpenJournal(ctx, rdb, cfg.jobName())
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

// checkJournalFlags refuses -journal with -redis: two journals of one job.
func (cfg config) checkJournalFlags() error {
	if cfg.redis != "" && cfg.journal != "" {
		return fmt.Errorf("-journal and -redis both name a journal: give one: %w", openrouter.ErrInvalidRequest)
	}
	return nil
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
