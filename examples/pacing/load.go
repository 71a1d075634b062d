package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Background load for -load. cpu and io run in child processes, as the
// other programs of a busy machine do: the system shares the cores
// between them and this one. (Spinning goroutines in this process would
// measure Go's scheduler queueing the fake server's and the client's
// goroutines behind them, which no client can avoid.) alloc runs in this
// process, since garbage collection pauses are per process: it allocates
// garbage and keeps a window of it alive, so the collector runs often
// with a large heap to mark.

// burnEnv names the kind of load a child process runs.
const burnEnv = "PACING_BURN"

// burn runs one kind of load until stdin closes (the parent ended).
func burn(kind string) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); cancel() }()
	switch kind {
	case "cpu":
		var x uint64 = 1
		for ctx.Err() == nil {
			for range 1 << 20 {
				x = x*6364136223846793005 + 1442695040888963407
			}
			sink.Store(x)
		}
	case "io":
		f, err := os.CreateTemp("", "pacing-load")
		if err != nil {
			return
		}
		defer os.Remove(f.Name())
		defer f.Close()
		buf := make([]byte, 1<<20)
		for ctx.Err() == nil {
			if _, err := f.WriteAt(buf, 0); err != nil {
				return
			}
			_ = f.Sync()
		}
	}
}

// sink keeps the cpu load's result, so the compiler keeps its loop.
var sink atomic.Uint64

// allocate churns garbage until ctx ends: 1 MiB every 5 ms (about
// 200 MB/s), 16 MiB kept alive, so the collector runs several times a
// second with a heap to mark, without this goroutine taking a core.
func allocate(ctx context.Context) {
	window := make([][]byte, 256)
	for i := 0; ctx.Err() == nil; i++ {
		b := make([]byte, 64<<10)
		b[0] = byte(i)
		window[i%len(window)] = b
		if i%16 == 0 {
			time.Sleep(5 * time.Millisecond)
		}
	}
	// Without a read of window the compiler may drop the stores into it
	// and nothing would stay alive.
	runtime.KeepAlive(window)
}

// startLoad starts n loads of each kind named in kinds (comma-separated:
// cpu, alloc, io) and returns the function that stops them.
func startLoad(kinds string, n int) (stop func(), err error) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var children []*exec.Cmd
	var stdins []io.Closer
	stop = func() {
		cancel()
		for _, in := range stdins {
			in.Close()
		}
		for _, c := range children {
			_ = c.Wait()
		}
		wg.Wait()
	}
	if kinds == "" {
		return stop, nil
	}
	for _, k := range strings.Split(kinds, ",") {
		k = strings.TrimSpace(k)
		switch k {
		case "alloc":
			for range n {
				wg.Add(1)
				go func() { defer wg.Done(); allocate(ctx) }()
			}
		case "cpu", "io":
			for range n {
				cmd := exec.Command(os.Args[0])
				cmd.Env = append(os.Environ(), burnEnv+"="+k)
				in, err := cmd.StdinPipe()
				if err == nil {
					err = cmd.Start()
				}
				if err != nil {
					stop()
					return nil, fmt.Errorf("starting %s load: %w", k, err)
				}
				children = append(children, cmd)
				stdins = append(stdins, in)
			}
		default:
			stop()
			return nil, fmt.Errorf("unknown -load kind %q (want cpu, alloc, io)", k)
		}
	}
	return stop, nil
}

// loadAverage returns the system's 1-minute load average, or "?" where
// it is not known.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}
