package bulk_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"syscall"
)

// faultKind is one class of fault the simulation injects.
type faultKind string

const (
	fCutBefore    faultKind = "cut-before-write"           // the connection fails before the request reaches the server
	fCutDuring    faultKind = "cut-during-write"           // the body goes out, the server sees none of it (nothing stored, nothing billed)
	fCutAfter     faultKind = "cut-after-write"            // the server answers, the answer is lost
	fCutBody      faultKind = "cut-body"                   // the answer's body is cut after its headers
	f429          faultKind = "429"                        // rate limited (not forwarded)
	f5xx          faultKind = "5xx"                        // 502 or 503 (not forwarded)
	f402          faultKind = "402"                        // out of credits (not forwarded): the run stops, and is resumed
	fUnavailable  faultKind = "unavailable"                // a model availability error (404 no endpoints)
	fLostSubmit   faultKind = "lost-submit"                // POST /batches stored, its answer cut
	fItemFail     faultKind = "batch-item-fail"            // a batch request's result is a 5xx
	fExpire       faultKind = "batch-expire"               // the job's first batch expires halfway
	fCancel       faultKind = "batch-cancel"               // the job's batch is cancelled while it runs
	fBatchFail    faultKind = "batch-fail"                 // the job's batch fails its validation (a request the fake refuses is slipped in)
	fOtherJob     faultKind = "other-job"                  // another job's batch of the same shape on the account
	fCrashBefore  faultKind = "crash-before-journal"       // sync: the runner dies at a journal step, before the write
	fCrashAfter   faultKind = "crash-after-journal"        // sync: the runner dies at a journal step, after the write
	fBCrashBefore faultKind = "batch-crash-before-journal" // the same in batch mode
	fBCrashAfter  faultKind = "batch-crash-after-journal"
	fSkew         faultKind = "clock-skew" // the server's clock is minutes off the client's
)

// requestFaults are the kinds decided per request by the transport (a
// kind added later goes at the end, so that older seeds keep their
// schedules).
var requestFaults = []faultKind{fCutBefore, fCutAfter, fCutBody, f429, f5xx, f402, fUnavailable, fCutDuring}

// batchTime is the time in the fake's batch IDs (batch_<unix>_<seq>).
var batchTime = regexp.MustCompile(`batch_[0-9]+_`)

// itemMark finds an item's key in a request body: the prompt carries it.
var itemMark = regexp.MustCompile(`SIMKEY\[([a-z0-9-]+)\]`)

// faultTransport sits between the client and the fake. Each request's
// fault is drawn from the seed and a stable key (the item's key, or the
// method and path, and that key's attempt number), never from arrival
// order, so a seed replays exactly.
type faultTransport struct {
	sim   *sim
	inner http.RoundTripper

	mu       sync.Mutex
	attempts map[string]int
	stored   []storedBatch  // each POST /batches the fake stored, in order
	synced   map[string]int // 200s of sync chat completions the fake answered, by item
}

// draw returns a number in [0, 1) fixed by the seed and the key.
func draw(seed uint64, key string) float64 {
	h := fnv.New64a()
	_, _ = io.WriteString(h, key)
	return rand.New(rand.NewPCG(seed, h.Sum64())).Float64()
}

func (f *faultTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	// The key is read from a copy of the body, short of its last byte:
	// the client judges a transport that is not net/http's by whether
	// the body was read to its end, and a request cut before its writing
	// must look unsent.
	body := peekBody(req)
	path := strings.TrimPrefix(req.URL.Path, "/api/v1")
	// A batch ID holds the fake's clock, which starts at the real time:
	// the key keeps only its sequence number.
	key := req.Method + " " + batchTime.ReplaceAllString(path, "batch_")
	if m := itemMark.FindSubmatch(body); m != nil && path == "/chat/completions" {
		key += " " + string(m[1])
	}
	f.mu.Lock()
	n := f.attempts[key]
	f.attempts[key]++
	f.mu.Unlock()
	kind := f.sim.requestFault(fmt.Sprintf("%s #%d", key, n), req.Method)
	f.sim.tracef("%s #%d: %s", key, n, kind)
	if key == "POST /batches" && kind == "" && f.sim.cfg.faults[fBatchFail] > 0 && draw(f.sim.seed, fmt.Sprintf("fail %s #%d", key, n)) < 0.5 {
		// A streamed request fails the whole batch at validation.
		body = bytes.Replace(body, []byte(`"messages":`), []byte(`"stream":true,"messages":`), 1)
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		f.sim.tracef("  the batch will fail")
	}
	switch kind {
	case fCutBefore:
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	case fCutDuring:
		if req.Body != nil {
			_, _ = io.Copy(io.Discard, req.Body) // all of it went out; the server saw none
		}
		return nil, &net.OpError{Op: "write", Net: "tcp", Err: syscall.EPIPE}
	case f429:
		return synth(req, 429, `{"error":{"code":429,"message":"Rate limit exceeded: sim"}}`), nil
	case f5xx:
		return synth(req, 502+int(draw(f.sim.seed, key)*2), `{"error":{"code":502,"message":"sim: upstream error"}}`), nil
	case f402:
		return synth(req, 402, `{"error":{"code":402,"message":"Insufficient credits. Add more using https://openrouter.ai/settings/credits","metadata":{"limit_source":"openrouter_credits"}}}`), nil
	case fUnavailable:
		return synth(req, 404, `{"error":{"code":404,"message":"No endpoints found for openai/gpt-4o-mini."}}`), nil
	}
	// What the transport writes is the whole body: copied as it goes (the
	// client refuses to hand a written POST's body out again).
	sent := &lockedBuffer{}
	if req.Body != nil {
		req.Body = teeBody{req.Body, sent}
	}
	resp, err := f.inner.RoundTrip(req)
	body = sent.Bytes()
	if err != nil {
		return nil, err
	}
	got, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	if rerr != nil {
		return nil, rerr
	}
	f.note(req.Method, path, body, got, resp.StatusCode)
	switch kind {
	case fCutAfter, fLostSubmit:
		return nil, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	case fCutBody:
		resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(got[:len(got)/2]), errReader{io.ErrUnexpectedEOF}))
		return resp, nil
	}
	resp.Body = io.NopCloser(bytes.NewReader(got))
	return resp, nil
}

// note keeps what the fake did with a forwarded request: the batches it
// stored, the sync completions it billed.
func (f *faultTransport) note(method, path string, body, answer []byte, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case method == http.MethodPost && path == "/batches" && status/100 == 2:
		var b struct {
			Requests []struct {
				CustomID string `json:"custom_id"`
			} `json:"requests"`
		}
		_ = json.Unmarshal(body, &b)
		var st storedBatch
		for _, r := range b.Requests {
			st.ids = append(st.ids, r.CustomID)
		}
		var a struct{ ID string }
		_ = json.Unmarshal(answer, &a)
		st.id = a.ID
		f.stored = append(f.stored, st)
	case path == "/chat/completions" && status == 200:
		if m := itemMark.FindSubmatch(body); m != nil {
			f.synced[string(m[1])]++
		}
	}
}

// peekBody returns the request's body but its last byte, from a copy.
func peekBody(req *http.Request) []byte {
	if req.GetBody == nil || req.ContentLength <= 1 {
		return nil
	}
	rc, err := req.GetBody()
	if err != nil {
		return nil
	}
	defer rc.Close()
	b := make([]byte, req.ContentLength-1)
	n, _ := io.ReadFull(rc, b)
	return b[:n]
}

// teeBody is a request body that copies what is read of it.
type teeBody struct {
	io.ReadCloser
	copy *lockedBuffer
}

func (t teeBody) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	t.copy.Write(p[:n])
	return n, err
}

// lockedBuffer is a bytes.Buffer that the transport's writing goroutine
// and the test may use at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}

// storedBatch is a submission the fake stored: its ID and custom IDs.
type storedBatch struct {
	id  string
	ids []string
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// synth is an answer the fake never saw.
func synth(req *http.Request, status int, body string) *http.Response {
	return &http.Response{StatusCode: status, Status: fmt.Sprintf("%d %s", status, http.StatusText(status)),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Request: req,
		Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}
}

var errCrashed = errors.New("sim: the runner died here")
