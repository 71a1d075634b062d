// Command bulk runs one request per item over many items with the bulk
// runner: paced to what the server allows, with a live progress line and
// a final report (done, failed with the reason and what to do, not
// attempted and how to resume, cost).
//
// Offline (no OPENROUTER_API_KEY) it runs against the embedded fake
// server set up like a busy API: 100 requests/s with bursts of 10, at most
// 8 in flight, 20 ms a request, 429 with Retry-After when exceeded.
//
//	go run ./examples/bulk                          # 1,000 items offline
//	go run ./examples/bulk -items 5000 -workers 20  # the bulk issue's bar
//	OPENROUTER_API_KEY=sk-or-... go run ./examples/bulk -items 20
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/bulk"
	"github.com/routerkit/openrouter/examples/internal/demo"
	"github.com/routerkit/openrouter/openroutertest"
)

type config struct {
	items, workers int
	model          string
	rate           float64
	burst          int
	latency        time.Duration
	cap            float64
	journal        string
}

func main() {
	cfg := config{}
	flag.IntVar(&cfg.items, "items", 1000, "how many items")
	flag.IntVar(&cfg.workers, "workers", 0, "items at once (default: the limiter's 5)")
	flag.StringVar(&cfg.model, "model", "openai/gpt-4o-mini", "model")
	flag.Float64Var(&cfg.rate, "rate", 100, "offline server: requests per second")
	flag.IntVar(&cfg.burst, "burst", 10, "offline server: burst")
	flag.DurationVar(&cfg.latency, "latency", 20*time.Millisecond, "offline server: time per request")
	flag.Float64Var(&cfg.cap, "cap", 0, "spending cap in USD (0: none)")
	flag.StringVar(&cfg.journal, "journal", "", "a JSON-lines journal to resume from (optional)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Getenv("OPENROUTER_API_KEY"), cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, key string, cfg config) error {
	srv := demo.Server(out, key,
		openroutertest.WithRateLimit(cfg.rate, cfg.burst), openroutertest.WithMaxConcurrent(8),
		openroutertest.WithLatency(cfg.latency), openroutertest.WithoutRecording(),
		openroutertest.WithResponder(func(r openroutertest.Request) openroutertest.Reply {
			rep := r.DefaultReply() // priced like a small model's answer
			rep.Cost = 0.00002
			return rep
		}))
	if srv != nil {
		defer srv.Close()
	}
	c := demo.Client(key, srv)

	items := make([]string, cfg.items)
	for i := range items {
		items[i] = fmt.Sprintf("Give one synonym for word number %d.", i)
	}
	b := bulk.Runner[string, string]{Workers: cfg.workers, Limiter: c.Limiter(), SpendingCap: cfg.cap, Key: func(s string) string { return s },
		Progress: func(p bulk.Progress) { fmt.Fprintf(out, "\r%-100s", p) }}
	if cfg.journal != "" {
		j, err := bulk.OpenJournal(cfg.journal)
		if err != nil {
			return err
		}
		defer j.Close()
		b.Journal = j
	}
	rep, err := b.Run(ctx, items, func(ctx context.Context, it string) (string, error) {
		res, err := c.Chat(ctx, &openrouter.ChatRequest{Model: cfg.model, MaxTokens: 20, Messages: []openrouter.Message{openrouter.UserMessage(it)}})
		if err != nil {
			return "", err
		}
		return res.Content(), nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(out)
	report(out, rep, cfg, srv)
	return nil
}

// report prints what became of the items.
func report(out io.Writer, rep *bulk.Report[string, string], cfg config, srv *openroutertest.Server) {
	fmt.Fprintf(out, "\n%d items: %d done, %d failed, %d not attempted, in %v, $%.4f\n",
		len(rep.Results), rep.Done, rep.Failed, rep.NotAttempted, rep.Elapsed.Round(time.Millisecond), rep.Cost)
	if srv != nil {
		st := srv.Stats()
		min := time.Duration(float64(cfg.items-cfg.burst) / cfg.rate * float64(time.Second))
		fmt.Fprintf(out, "server: %d requests, %d answered 429 (%.2f %%); wall %.3fx the minimum of %v\n", st.Requests, st.RateLimited,
			100*float64(st.RateLimited)/float64(max(st.Requests, 1)), rep.Elapsed.Seconds()/min.Seconds(), min.Round(time.Millisecond))
	}
	if rep.MaybeBilled > 0 || rep.MaybePaidTwice > 0 {
		fmt.Fprintf(out, "%d items may have been billed without an answer, %d may have been paid twice: check the account's activity\n", rep.MaybeBilled, rep.MaybePaidTwice)
	}
	shown := 0
	for _, r := range rep.Results {
		if r.Status == bulk.Failed && shown < 5 {
			fmt.Fprintf(out, "failed %q: %v\n  what to do: %s\n", r.Key, r.Err, openrouter.Hint(r.Err))
			shown++
		}
	}
	if rep.Stopped != nil {
		fmt.Fprintf(out, "stopped early: %v\n  what to do: %s\n", rep.Stopped, openrouter.Hint(rep.Stopped))
		if errors.Is(rep.Stopped, context.Canceled) {
			fmt.Fprintln(out, "  interrupted: the items in flight were finished and kept")
		}
		fmt.Fprintf(out, "%d items not attempted: run again with -journal to resume where this run stopped\n", len(rep.Remaining()))
	}
}
