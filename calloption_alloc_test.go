package openrouter

import "testing"

// TestCallHeaderMadeOnceAllocatesNothing holds issue 26's bound on
// per-call options: a CallHeader made once and given to many calls is
// checked and built once; a call pays only its callConfig. A second
// header copies the shared map, never changing it under another call.
func TestCallHeaderMadeOnceAllocatesNothing(t *testing.T) {
	job, team := CallHeader("X-Job", "bench"), CallHeader("X-Team", "a")
	opts := []CallOption{job}
	if n := testing.AllocsPerRun(100, func() { _, _ = newCallConfig(opts) }); n > 1 {
		t.Errorf("a call with one CallHeader made once: %v allocations, want 1 (its callConfig)", n)
	}
	both, err := newCallConfig([]CallOption{job, team})
	if err != nil || both.header.Get("X-Job") != "bench" || both.header.Get("X-Team") != "a" {
		t.Fatalf("two headers: %v, %v", both.header, err)
	}
	one, err := newCallConfig([]CallOption{job})
	if err != nil || len(one.header) != 1 || one.header.Get("X-Job") != "bench" {
		t.Fatalf("the shared header was changed by another call: %v, %v", one.header, err)
	}
	if _, err := newCallConfig([]CallOption{CallHeader("Authorization", "x")}); err == nil {
		t.Error("CallHeader(Authorization) accepted")
	}
}
