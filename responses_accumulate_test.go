package openrouter

import (
	"encoding/json"
	"runtime"
	"testing"
)

// FuzzResponseEvents feeds arbitrary events to a response stream's
// accumulator: whatever the server sends, decoding and assembling never
// panic, and an index out of bounds grows nothing past maxOutputIndex.
func FuzzResponseEvents(f *testing.F) {
	for _, seed := range []string{
		`{"type":"response.output_item.added","output_index":0,"item":{"type":"message","role":"assistant","content":[]}}`,
		`{"type":"response.output_text.delta","output_index":0,"content_index":0,"delta":"Hi"}`,
		`{"type":"response.output_text.delta","output_index":-1,"content_index":7,"delta":"x"}`,
		`{"type":"response.function_call_arguments.delta","output_index":3,"delta":"{"}`,
		`{"type":"response.reasoning_summary_text.delta","output_index":0,"delta":"why"}`,
		`{"type":"response.failed","response":{"id":"r","error":{"code":"server_error","message":"x"},"error_type":"timeout"}}`,
		`{"type":"response.failed"}`,
		`{"type":"error","code":"rate_limit_exceeded","message":"slow down"}`,
		`{"type":"response.completed","response":{"id":"r","output":[{"type":"mystery","x":1}],"usage":{"cost":1e308}}}`,
	} {
		f.Add(seed, seed)
	}
	c := NewClient(testKey)
	f.Fuzz(func(t *testing.T, a, b string) {
		var acc responseAccumulator
		for _, data := range []string{a, b} {
			var ev ResponseEvent
			if json.Unmarshal([]byte(data), &ev) != nil {
				continue
			}
			if obj, typ := acc.add(&ev); obj != nil {
				if e := c.responseError(obj, typ); e == nil || e.Error() == "" {
					t.Fatalf("no error for the error object %s", obj)
				}
			}
		}
		if len(acc.items) > maxOutputIndex {
			t.Fatalf("%d items", len(acc.items))
		}
		r := acc.response()
		_, _, _ = r.OutputText(), r.FunctionCalls(), r.Cost()
		if _, err := json.Marshal(r.Output); err != nil {
			t.Fatalf("the assembled output cannot be sent back: %v", err)
		}
	})
}

// TestResponseAccumulatorLinear checks that assembling a long streamed
// text costs memory in proportion to it: 4,000 deltas of 8 bytes (32 KB
// of text) allocate well under 2 MB, where appending to a string at each
// delta would copy the text each time (about 64 MB). Not parallel, so
// that other tests' allocations do not count.
func TestResponseAccumulatorLinear(t *testing.T) {
	evs := make([]ResponseEvent, 4000)
	for i := range evs {
		evs[i] = ResponseEvent{Type: EventOutputTextDelta, Delta: "8 bytes.", ItemID: "m"}
	}
	var acc responseAccumulator
	acc.add(&ResponseEvent{Type: EventOutputItemAdded, Item: &ResponseItem{Type: "message", Role: "assistant"}})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range evs {
		acc.add(&evs[i])
	}
	text := acc.response().OutputText()
	runtime.ReadMemStats(&after)
	if len(text) != 8*len(evs) {
		t.Fatalf("%d bytes of text", len(text))
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 2<<20 {
		t.Errorf("assembling 32 KB of text allocated %d bytes", n)
	}
}
