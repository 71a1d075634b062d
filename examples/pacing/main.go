// Command pacing measures the default client against a rate-limited
// server: N requests from several goroutines through one client, against
// the embedded fake server enforcing a token bucket, a concurrency cap and
// a latency, answering 429 with Retry-After when exceeded. It prints, per
// goroutine count, the wall time against the minimum the server allows
// ((requests - burst) / rate), the requests that failed and the 429s.
//
//	go run ./examples/pacing                        # the bar of the pacing issue
//	go run ./examples/pacing -requests 500 -workers 20
//	go run ./examples/pacing -load cpu,alloc,io     # the same beside background load
//	go run ./examples/pacing -server-process        # the fake server in a process of its own
//	go run ./examples/pacing -rate-log 2>rates.txt  # every 429 and change of the learned rate
//
// -load starts -load-goroutines loads of each kind named: cpu (a
// spinning child process), io (a child process writing and syncing a
// file) and alloc (a goroutine of this process churning garbage with a
// large live heap, so the collector runs often). Each row ends with the
// system's load average when the run ended.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

type config struct {
	requests      int
	rate          float64
	burst         int
	maxConcurrent int
	latency       time.Duration
	workers       []int
	load          string    // kinds of background load, comma-separated
	loadN         int       // goroutines of each kind
	serverProcess bool      // run the fake server in a child process
	rateLog       io.Writer // nil, or where to log 429s and changes of the learned rate
}

func main() {
	if kind := os.Getenv(burnEnv); kind != "" {
		burn(kind) // a child process of -load
		return
	}
	if settings := os.Getenv(serverEnv); settings != "" {
		serveChild(settings) // the child process of -server-process
		return
	}
	cfg := config{}
	var workers string
	flag.IntVar(&cfg.requests, "requests", 2000, "requests per run")
	flag.Float64Var(&cfg.rate, "rate", 100, "server rate limit, requests per second")
	flag.IntVar(&cfg.burst, "burst", 10, "server burst")
	flag.IntVar(&cfg.maxConcurrent, "max-concurrent", 8, "server concurrency cap")
	flag.DurationVar(&cfg.latency, "latency", 20*time.Millisecond, "server latency per request")
	flag.StringVar(&workers, "workers", "5,20,100", "goroutine counts, comma-separated")
	flag.StringVar(&cfg.load, "load", "", "background load: cpu, alloc, io, comma-separated")
	flag.IntVar(&cfg.loadN, "load-goroutines", 2, "processes (cpu, io) or goroutines (alloc) of each -load kind")
	flag.BoolVar(&cfg.serverProcess, "server-process", false, "run the fake server in a child process, apart from the client's")
	logRate := flag.Bool("rate-log", false, "log every 429 and every change of the learned rate to stderr")
	flag.Parse()
	if *logRate {
		cfg.rateLog = os.Stderr
	}
	for _, w := range strings.Split(workers, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "bad -workers %q\n", workers)
			os.Exit(2)
		}
		cfg.workers = append(cfg.workers, n)
	}
	if err := run(context.Background(), os.Stdout, cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// result is one run's figures.
type result struct {
	workers      int
	wall, min    time.Duration
	failed, n429 int
	peak         int
	learned      float64
}

func run(ctx context.Context, out io.Writer, cfg config) error {
	fmt.Fprintf(out, "%d requests; server: %.0f req/s, burst %d, at most %d concurrent, %v latency, 429 with Retry-After: 1\n",
		cfg.requests, cfg.rate, cfg.burst, cfg.maxConcurrent, cfg.latency)
	if cfg.serverProcess {
		fmt.Fprintln(out, "the fake server runs in a child process")
	}
	if cfg.load != "" {
		fmt.Fprintf(out, "background load: %d each of %s\n", cfg.loadN, cfg.load)
	}
	stopLoad, err := startLoad(cfg.load, cfg.loadN)
	if err != nil {
		return err
	}
	defer stopLoad()
	fmt.Fprintln(out)
	fmt.Fprintln(out, "| goroutines | wall | minimum | wall/minimum | failed | 429s | 429 % | learned rate | server peak concurrency | load average |")
	fmt.Fprintln(out, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, w := range cfg.workers {
		r, err := once(ctx, cfg, w)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "| %d | %.2fs | %.2fs | %.3f | %d | %d | %.2f %% | %.1f/s | %d | %s |\n", r.workers, r.wall.Seconds(), r.min.Seconds(),
			r.wall.Seconds()/r.min.Seconds(), r.failed, r.n429, 100*float64(r.n429)/float64(cfg.requests), r.learned, r.peak, loadAverage())
	}
	return nil
}

func once(ctx context.Context, cfg config, workers int) (result, error) {
	settings := serverSettings{Rate: cfg.rate, Burst: cfg.burst, MaxConcurrent: cfg.maxConcurrent, Latency: cfg.latency}
	url, stats := "", func() (openroutertest.Stats, error) { return openroutertest.Stats{}, nil }
	if cfg.serverProcess {
		srv, err := startChildServer(settings)
		if err != nil {
			return result{}, err
		}
		defer srv.Close()
		url, stats = srv.URL, srv.Stats
	} else {
		srv := newFakeServer(settings)
		defer srv.Close()
		url = srv.URL
		stats = func() (openroutertest.Stats, error) { return srv.Stats(), nil }
	}
	lim := openrouter.NewAdaptiveLimiter() // the default, named here to read its learned rate
	var limiter openrouter.Limiter = lim
	if cfg.rateLog != nil {
		fmt.Fprintf(cfg.rateLog, "%d goroutines:\n", workers)
		limiter = &rateLog{AdaptiveLimiter: lim, start: time.Now(), out: cfg.rateLog}
	}
	c := openrouter.NewClient(openroutertest.DefaultKey, openrouter.WithBaseURL(url), openrouter.WithLimiter(limiter))

	var next, failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(cfg.requests) {
				_, err := c.Chat(ctx, &openrouter.ChatRequest{Model: "openai/gpt-4o-mini",
					Messages: []openrouter.Message{openrouter.UserMessage("ping")}})
				if err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	st, err := stats()
	if err != nil {
		return result{}, err
	}
	minimum := time.Duration(float64(cfg.requests-cfg.burst) / cfg.rate * float64(time.Second))
	return result{workers: workers, wall: wall, min: minimum, failed: int(failed.Load()), n429: st.RateLimited,
		peak: st.PeakConcurrent, learned: lim.LearnedRate()}, nil
}
