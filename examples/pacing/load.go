package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
)

// loadKinds are the kinds of background load -load starts, in this
// process, beside the client: it competes with the client for the CPU,
// the garbage collector and the disk, as other work in a busy program does.
var loadKinds = map[string]func(ctx context.Context, dir string){
	// cpu spins.
	"cpu": func(ctx context.Context, _ string) {
		for x := uint64(1); ctx.Err() == nil; {
			for range 1 << 20 {
				x = x*6364136223846793005 + 1442695040888963407
			}
			sink.Store(x)
		}
	},
	// alloc allocates garbage and keeps a window of it alive, so the
	// garbage collector runs often with a large heap to mark.
	"alloc": func(ctx context.Context, _ string) {
		window := make([][]byte, 256)
		for i := 0; ctx.Err() == nil; i++ {
			b := make([]byte, 64<<10)
			b[0] = byte(i)
			window[i%len(window)] = b // 16 MiB alive per goroutine
		}
	},
	// io writes and syncs a file.
	"io": func(ctx context.Context, dir string) {
		f, err := os.CreateTemp(dir, "load")
		if err != nil {
			return
		}
		defer f.Close()
		buf := make([]byte, 1<<20)
		for ctx.Err() == nil {
			if _, err := f.WriteAt(buf, 0); err != nil {
				return
			}
			_ = f.Sync()
		}
	},
}

// sink keeps the cpu load's result, so the compiler keeps its loop.
var sink atomic.Uint64

// startLoad starts n goroutines of each kind named in kinds
// (comma-separated) and returns the function that stops them.
func startLoad(kinds string, n int) (stop func(), err error) {
	if kinds == "" {
		return func() {}, nil
	}
	dir, err := os.MkdirTemp("", "pacing-load")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	stop = func() { cancel(); wg.Wait(); os.RemoveAll(dir) }
	for _, k := range strings.Split(kinds, ",") {
		f, ok := loadKinds[strings.TrimSpace(k)]
		if !ok {
			stop()
			return nil, fmt.Errorf("unknown -load kind %q (want cpu, alloc, io)", k)
		}
		for range n {
			wg.Add(1)
			go func() { defer wg.Done(); f(ctx, dir) }()
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
