package openrouter

import (
	"net/http"
	"strings"
	"testing"
)

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

// TestResponseInfoRecordAllocatesNothing holds issue 26's bound on
// CallResponseInto: recording an answer without rate-limit headers in
// the caller's ResponseInfo allocates nothing (header names read in the
// spelling http.Header stores, no strconv error for an absent limit, no
// mutex for a call of one request), and still reads every field.
func TestResponseInfoRecordAllocatesNothing(t *testing.T) {
	c := NewClient("sk-or-v1-" + strings.Repeat("a1", 32))
	var info ResponseInfo
	cc, err := newCallConfig([]CallOption{CallResponseInto(&info)})
	if err != nil {
		t.Fatal(err)
	}
	into := []CallOption{CallResponseInto(&info)}
	if n := testing.AllocsPerRun(100, func() { _, _ = newCallConfig(into) }); n > 1 {
		t.Errorf("a call with CallResponseInto: %v allocations, want 1 (its callConfig; no mutex for one request)", n)
	}
	resp := &http.Response{StatusCode: 200, Header: http.Header{
		"Content-Type": {"application/json"}, "Date": {"Sun, 06 Dec 2026 00:00:00 GMT"},
		"X-Generation-Id": {"gen-1"}, "X-Openrouter-Cache-Status": {"MISS"}}}
	st := &callState{client: c, attempts: 1}
	if n := testing.AllocsPerRun(100, func() { cc.record(st, resp, nil) }); n != 0 {
		t.Errorf("recording an answer: %v allocations, want 0", n)
	}
	if info.StatusCode != 200 || info.RequestID != "gen-1" || info.CacheStatus != "MISS" || info.RateLimit.Remaining != -1 {
		t.Errorf("recorded %+v", info)
	}
	resp.Header.Set("X-RateLimit-Remaining", "7")
	cc.record(st, resp, nil)
	if info.RateLimit.Remaining != 7 {
		t.Errorf("X-RateLimit-Remaining: 7 recorded as %d", info.RateLimit.Remaining)
	}
}
