package openrouter

import (
	"errors"
	"net/http/httptrace"
	"testing"
)

// TestOneWriteReachedIsConservative checks what an attempt reached when
// its body is net/http's in-memory type (no read-to-end backstop): a
// connection obtained without the write reported counts as maybe written
// (never resent freely), and no connection as not sent.
func TestOneWriteReachedIsConservative(t *testing.T) {
	st := &callState{oneWrite: true}
	if w, c := st.reached(); w || c {
		t.Fatalf("no connection: written %v, connected %v", w, c)
	}
	st.gotConn.Store(true)
	if w, c := st.reached(); !w || !c {
		t.Fatalf("connection obtained, write not reported: written %v, connected %v; want maybe written", w, c)
	}
	st.wroteRequest(httptraceWroteErr())
	if w, c := st.reached(); w || !c {
		t.Fatalf("write failed: written %v, connected %v", w, c)
	}
}

func httptraceWroteErr() httptrace.WroteRequestInfo {
	return httptrace.WroteRequestInfo{Err: errors.New("broken pipe")}
}
