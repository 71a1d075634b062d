// Command multiprocess measures pacing across processes: 4 processes,
// each with 10 goroutines, send 2,000 requests in all to one fake server
// that allows 100 requests/s (bursts of 10), at most 8 in flight, 20 ms a
// request, and answers 429 with Retry-After: 1 beyond that. It runs the
// job twice: with one Redis-backed limiter shared by the processes, and
// with each process pacing itself alone. It starts its own redis-server
// (the Debian package) unless -redis names one.
//
//	go run ./redislimiter/examples/multiprocess
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
	"github.com/routerkit/openrouter/redislimiter"
)

func main() {
	procs := flag.Int("procs", 4, "processes")
	workers := flag.Int("workers", 10, "goroutines per process")
	total := flag.Int("requests", 2000, "requests in all")
	redisAddr := flag.String("redis", "", "a Redis to use (default: start redis-server on a free port)")
	flag.Parse()
	if os.Getenv("MP_CHILD") == "1" {
		os.Exit(runChild())
	}
	if _, err := runParent(os.Stdout, os.Args[0], *procs, *workers, *total, *redisAddr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

const rate, burst = 100.0, 10

// result is one run's row of the table.
type result struct {
	shared                bool
	wall                  time.Duration
	failed, completions   int64
	rateLimited, peakConc int64
}

// runParent runs the job twice, as procs processes of exe, and prints the
// table to w.
func runParent(w io.Writer, exe string, procs, workers, total int, redisAddr string) ([]result, error) {
	if redisAddr == "" {
		addr, stop, err := startRedis()
		if err != nil {
			return nil, err
		}
		defer stop()
		redisAddr = addr
	}
	var results []result
	fmt.Fprintf(w, "%d processes x %d goroutines, %d requests; server: %.0f req/s, burst %d, at most 8 in flight, 20ms, 429 with Retry-After: 1\n\n",
		procs, workers, total, rate, burst)
	fmt.Fprintln(w, "| limiter | wall | minimum | wall/minimum | failed | 429s | 429 % | server peak in flight |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, shared := range []bool{true, false} {
		srv := openroutertest.NewServer(openroutertest.WithRateLimit(rate, burst), openroutertest.WithMaxConcurrent(8),
			openroutertest.WithLatency(20*time.Millisecond), openroutertest.WithRetryAfter("1"), openroutertest.WithoutRecording())
		name := fmt.Sprintf("run-%d", time.Now().UnixNano())
		start := time.Now()
		var failed atomic.Int64
		var wg sync.WaitGroup
		var errs []error
		var emu sync.Mutex
		for p := 0; p < procs; p++ {
			n := total / procs
			if p < total%procs {
				n++
			}
			cmd := exec.Command(exe)
			cmd.Env = append(os.Environ(), "MP_CHILD=1", "MP_WORKERS="+strconv.Itoa(workers), "MP_REQUESTS="+strconv.Itoa(n), "MP_URL="+srv.URL, "MP_KEY="+srv.Key, "MP_REDIS="+redisAddr, "MP_NAME="+name,
				"MP_SHARED="+strconv.FormatBool(shared))
			out, _ := cmd.StdoutPipe()
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				return nil, err
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				sc := bufio.NewScanner(out)
				for sc.Scan() {
					if n, ok := strings.CutPrefix(sc.Text(), "failed "); ok {
						v, _ := strconv.Atoi(n)
						failed.Add(int64(v))
					}
				}
				if err := cmd.Wait(); err != nil {
					emu.Lock()
					errs = append(errs, err)
					emu.Unlock()
				}
			}()
		}
		wg.Wait()
		wall := time.Since(start)
		st := srv.Stats()
		srv.Close()
		if len(errs) > 0 {
			return nil, fmt.Errorf("a process failed: %v", errs[0])
		}
		min := time.Duration(float64(total-burst) / rate * float64(time.Second))
		label := "each process alone (AdaptiveLimiter)"
		if shared {
			label = "shared (redislimiter)"
		}
		results = append(results, result{shared: shared, wall: wall, failed: failed.Load(), completions: int64(st.Completions),
			rateLimited: int64(st.RateLimited), peakConc: int64(st.PeakConcurrent)})
		fmt.Fprintf(w, "| %s | %.2fs | %.2fs | %.3f | %d | %d | %.2f %% | %d |\n", label, wall.Seconds(), min.Seconds(),
			wall.Seconds()/min.Seconds(), failed.Load(), st.RateLimited, 100*float64(st.RateLimited)/float64(total), st.PeakConcurrent)
	}
	return results, nil
}

// runChild sends its share of the requests and prints how many failed.
func runChild() int {
	workers, _ := strconv.Atoi(os.Getenv("MP_WORKERS"))
	n, _ := strconv.Atoi(os.Getenv("MP_REQUESTS"))
	var lim openrouter.Limiter = openrouter.NewAdaptiveLimiter()
	if os.Getenv("MP_SHARED") == "true" {
		rdb := redis.NewClient(&redis.Options{Addr: os.Getenv("MP_REDIS")})
		defer rdb.Close()
		rl, err := redislimiter.New(rdb, os.Getenv("MP_NAME"))
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 1
		}
		defer rl.Close()
		lim = rl
	}
	c := openrouter.NewClient(os.Getenv("MP_KEY"), openrouter.WithBaseURL(os.Getenv("MP_URL")), openrouter.WithLimiter(lim))
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				if _, err := c.Chat(context.Background(), &openrouter.ChatRequest{Model: "openai/gpt-4o-mini",
					Messages: []openrouter.Message{openrouter.UserMessage("ping")}}); err != nil {
					failed.Add(1)
					fmt.Fprintln(os.Stderr, "child:", err)
				}
			}
		}()
	}
	wg.Wait()
	fmt.Printf("failed %d\n", failed.Load())
	return 0
}

// startRedis starts redis-server on a free loopback port.
func startRedis() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("starting redis-server (install the Debian package redis-server, or pass -redis): %w", err)
	}
	stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	addr := "127.0.0.1:" + strconv.Itoa(port)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	for i := 0; i < 200; i++ {
		if rdb.Ping(context.Background()).Err() == nil {
			return addr, stop, nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	return "", nil, fmt.Errorf("redis-server did not start")
}
