// Package memtest measures memory for the module's tests.
package memtest

import "runtime"

// Allocated returns the bytes the process allocates while f runs: the
// runtime's TotalAlloc, after a collection. Every allocation counts,
// whether or not it is still live, so it bounds from above the peak heap
// f adds, and does not depend on when the collector runs; other
// goroutines' allocations (a test server's) only add to it.
func Allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
