package openrouter_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// These tests attack the money rules (issue 22): ways a request that may
// have been billed could be sent again behind the caller's back, or a
// paid answer lost or made up.

const okChat = `{"id":"gen-1","model":"m/x","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`

// TestIdempotencyKeyHeaderDoesNotLetNetHTTPResend: net/http's Transport
// itself sends a POST again after a cut on a reused connection when the
// request carries an Idempotency-Key (or X-Idempotency-Key) header.
// OpenRouter has no idempotency key, so such a resend would be a second
// generation nobody counted: the header is refused before anything is
// sent, and a POST cut after it was written reaches the server once.
func TestIdempotencyKeyHeaderDoesNotLetNetHTTPResend(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"Idempotency-Key", "x-idempotency-key"} {
		var posts atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			if posts.Add(1) == 1 {
				_, _ = io.WriteString(w, okChat) // the connection is kept, to be reused
				return
			}
			panic(http.ErrAbortHandler) // cut after the whole request was read
		}))
		c := openrouter.NewClient("sk-or-v1-test", openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil))
		if _, err := c.Chat(context.Background(), hello()); err != nil {
			t.Fatalf("first call: %v", err)
		}
		_, err := c.Chat(context.Background(), hello(), openrouter.CallHeader(name, "job-1"))
		srv.Close()
		if got := posts.Load() - 1; got > 1 || got == 1 && !errors.Is(err, openrouter.ErrMaybeBilled) || got == 0 && !errors.Is(err, openrouter.ErrInvalidRequest) {
			t.Errorf("CallHeader(%q) and a cut: %d POSTs, err %v; want it refused (ErrInvalidRequest) or sent once (ErrMaybeBilled)", name, got, err)
		}
	}
}

// TestResendWarningOnlyWhenAResendHappens: with WithResendAfterCut(5)
// and one retry, a POST cut twice is sent twice: one warning of a resend,
// not two (the second cut is the last attempt, not resent), and the error
// says it was not sent again.
func TestResendWarningOnlyWhenAResendHappens(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	srv, c, _ := setup(t, nil, openrouter.WithResendAfterCut(5), openrouter.WithRetry(1, time.Millisecond, time.Millisecond),
		openrouter.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	srv.Enqueue(ort.Reply{Disconnect: true}.Repeat(3))
	_, err := c.Chat(context.Background(), hello())
	var te *openrouter.TransportError
	if !errors.As(err, &te) || te.Attempts != 2 || te.MaybeBilled != 2 || srv.Stats().Requests != 2 {
		t.Fatalf("two cuts with one retry: %v, %d requests; want 2 attempts, 2 maybe billed", err, srv.Stats().Requests)
	}
	if got := strings.Count(logs.String(), "sending again"); got != 1 {
		t.Errorf("%d resends logged, want 1:\n%s", got, logs.String())
	}
	if !strings.Contains(err.Error(), "not sent again") {
		t.Errorf("err = %v; want it to say the last attempt was not sent again", err)
	}
}

// TestStreamTimeoutAfterItBeganIsMaybeBilled: a stream that began and was
// then ended by a timeout (the idle watchdog, a context deadline) lost a
// generation that ran: it matches ErrMaybeBilled, and is counted in the
// CostMeter and ResponseInfo, as a cut stream and a Chat body cut by a
// timeout are.
func TestStreamTimeoutAfterItBeganIsMaybeBilled(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil, openrouter.WithStreamTimeouts(0, 10*time.Second))
	timers := openrouter.ManualTimers(c)
	srv.Enqueue(ort.Reply{Content: "sixteen letters!", Stream: ort.StreamScript{After: 2, Stall: true}})
	ctx, meter := openrouter.TrackCost(context.Background())
	var info openrouter.ResponseInfo
	var err error
	for ch, e := range c.ChatStream(ctx, hello(), openrouter.CallResponseInto(&info)).Chunks() {
		if e != nil {
			err = e
			break
		}
		if ch.Content() == "letters!" {
			(<-timers)()
		}
	}
	assertSentinels(t, err, "ErrTimeout", "ErrMaybeBilled")
	var se *openrouter.StreamError
	if !errors.As(err, &se) || se.MaybeBilled != 1 || meter.MaybeBilled() != 1 || info.MaybeBilled != 1 {
		t.Errorf("idle timeout: %v; meter %d, info %d: want 1 maybe billed everywhere", err, meter.MaybeBilled(), info.MaybeBilled)
	}

	// The deadline's clock starts once the stream has begun: started with
	// the call, a loaded machine may pass it before the request is
	// written.
	deadline := newStartedDeadline(context.Background(), 100*time.Millisecond)
	defer deadline.cancel()
	c2 := stalledStream(t, deadline.start)
	dctx := context.Context(deadline)
	dctx, meter2 := openrouter.TrackCost(dctx)
	err = nil
	for _, e := range c2.ChatStream(dctx, hello()).Chunks() {
		if e != nil {
			err = e
		}
	}
	if !errors.Is(err, openrouter.ErrMaybeBilled) || !errors.Is(err, openrouter.ErrTimeout) || meter2.MaybeBilled() != 1 {
		t.Errorf("context deadline: %v, meter %d; want ErrMaybeBilled, ErrTimeout, 1 counted", err, meter2.MaybeBilled())
	}
}

// TestTransportWithoutTraceReadingExactlyTheBody: a caller's RoundTripper
// that reports no httptrace and reads exactly ContentLength bytes of the
// body (never the EOF after them), then loses the answer: the request was
// handed over whole, so it is not sent again.
func TestTransportWithoutTraceReadingExactlyTheBody(t *testing.T) {
	t.Parallel()
	var sent atomic.Int32
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		buf := make([]byte, r.ContentLength)
		if _, err := io.ReadFull(r.Body, buf); err != nil {
			return nil, err
		}
		sent.Add(1)
		return nil, errors.New("connection reset by peer")
	})
	c := openrouter.NewClient("sk-or-v1-test", openrouter.WithHTTPClient(&http.Client{Transport: rt}), openrouter.WithLimiter(nil))
	openrouter.SetWaitHook(c, func(time.Duration) time.Duration { return 0 })
	_, err := c.Chat(context.Background(), hello())
	if sent.Load() != 1 || !errors.Is(err, openrouter.ErrMaybeBilled) {
		t.Errorf("%d requests handed over, err %v; want 1 and ErrMaybeBilled", sent.Load(), err)
	}
}

// TestRecoverRefusesAnotherGeneration: the lookup of a lost answer's
// generation answers with another generation's record (a cache that
// ignores the query, say): the content it points to is not the lost
// answer, so nothing is recovered.
func TestRecoverRefusesAnotherGeneration(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/generation":
			_, _ = io.WriteString(w, `{"data":{"id":"gen-other","model":"m/x","total_cost":0.01,"finish_reason":"stop","cancelled":false}}`)
		case "/generation/content":
			_, _ = io.WriteString(w, `{"data":{"input":{"messages":[]},"output":{"completion":"someone else's answer","reasoning":null},"error":null}}`)
		default:
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("X-Generation-Id", "gen-lost")
			w.Header().Set("Content-Length", "100")
			_, _ = io.WriteString(w, `{"id":"gen-lost","choices":[`) // cut
		}
	}))
	defer srv.Close()
	c := openrouter.NewClient("sk-or-v1-test", openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil))
	openrouter.SetRecoverSleep(c, func(time.Duration) {})
	res, err := c.Chat(context.Background(), hello())
	if res != nil || !errors.Is(err, openrouter.ErrMaybeBilled) {
		t.Errorf("recovered %+v (err %v); want no answer made from another generation, and ErrMaybeBilled", res, err)
	}
}

// TestChatJSONDoesNotFallBackAfterAMaybeBilledTimeout: ChatJSON's
// fallback models are for a model that failed, not for one whose answer
// was lost after the request was sent (the http.Client's Timeout here):
// that generation may still run and be billed, so no second one is
// bought from the fallback model behind the caller's back.
func TestChatJSONDoesNotFallBackAfterAMaybeBilledTimeout(t *testing.T) {
	t.Parallel()
	var posts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		posts.Add(1)
		<-r.Context().Done() // never answers
	}))
	defer srv.Close()
	c := openrouter.NewClient("sk-or-v1-test", openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil),
		openrouter.WithHTTPClient(&http.Client{Timeout: time.Second}))
	type answer struct {
		Name string `json:"name"`
	}
	_, _, err := openrouter.ChatJSON[answer](context.Background(), c, hello(), openrouter.JSONFallbackModels("m/fallback"))
	if !errors.Is(err, openrouter.ErrMaybeBilled) || posts.Load() != 1 {
		t.Errorf("ChatJSON after a timeout: %v, %d POSTs; want ErrMaybeBilled and 1 POST (no fallback bought)", err, posts.Load())
	}
}

// TestChatJSONSplitKeepsThePaidParts: when one part of a split text
// fails, the answers of the parts that succeeded were paid for: the
// SectionError carries them (Answers), so that ChatJSONFrom reads them
// again without buying them a second time.
func TestChatJSONSplitKeepsThePaidParts(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		if strings.Contains(string(b), "bad part") {
			w.WriteHeader(400)
			_, _ = io.WriteString(w, `{"error":{"code":400,"message":"refused"}}`)
			return
		}
		_, _ = io.WriteString(w, `{"id":"gen-ok","model":"m/x","choices":[{"index":0,"message":{"role":"assistant","content":"{\"name\":\"paid\"}"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2,"cost":0.5}}`)
	}))
	defer srv.Close()
	c := openrouter.NewClient("sk-or-v1-test", openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil))
	type answer struct {
		Name string `json:"name"`
	}
	s := openrouter.SplitJSON[answer]{Text: "good part one two three.\n\nbad part four five six.", Format: "text", MaxWords: 5,
		Request: func(part string, i, n int) *openrouter.ChatRequest {
			return &openrouter.ChatRequest{Model: "m/x", Messages: []openrouter.Message{openrouter.UserMessage(part)}}
		},
		Merge: func(parts []answer) (answer, error) { return parts[0], nil }}
	_, _, err := openrouter.ChatJSONSplit[answer](context.Background(), c, s)
	var se *openrouter.SectionError
	if !errors.As(err, &se) || se.Index != 1 || len(se.Answers) != 2 || se.Answers[1] != nil || se.Answers[0] == nil {
		t.Fatalf("err = %v (%+v); want a SectionError for part 2 carrying part 1's paid answer", err, se)
	}
	v, _, err := openrouter.ChatJSONFrom[answer](context.Background(), c, s.Request("good part one two three.", 0, 2), se.Answers[0])
	if err != nil || v.Name != "paid" {
		t.Errorf("ChatJSONFrom(Answers[0]) = %+v, %v; want the paid value", v, err)
	}
}

// TestTransportCannotResendAWrittenPost: net/http's Transport sends a
// request again by itself in some cases (a POST carrying an
// Idempotency-Key on a reused connection cut after the write; an HTTP/2
// stream reset with PROTOCOL_ERROR). Here the caller's own transport adds
// the header, out of CallHeader's reach: the body of a request already
// written, whose answer did not come, is not handed over again, so the
// POST reaches the server once and the call says it may have been billed.
func TestTransportCannotResendAWrittenPost(t *testing.T) {
	t.Parallel()
	var posts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if posts.Add(1) == 1 {
			_, _ = io.WriteString(w, okChat) // the connection is kept, to be reused
			return
		}
		panic(http.ErrAbortHandler) // cut after the whole request was read
	}))
	defer srv.Close()
	base := http.DefaultTransport.(*http.Transport).Clone()
	defer base.CloseIdleConnections()
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.Header.Set("Idempotency-Key", "added-by-a-middleware")
		return base.RoundTrip(r)
	})
	c := openrouter.NewClient("sk-or-v1-test", openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil),
		openrouter.WithHTTPClient(&http.Client{Transport: rt}))
	if _, err := c.Chat(context.Background(), hello()); err != nil {
		t.Fatalf("first call: %v", err)
	}
	_, err := c.Chat(context.Background(), hello())
	var te *openrouter.TransportError
	if got := posts.Load() - 1; got != 1 || !errors.As(err, &te) || te.MaybeBilled != 1 {
		t.Errorf("a cut after the write: %d POSTs, err %v; want 1 POST and 1 maybe billed", got, err)
	}
}

// TestHTTP2CutAfterTheWriteIsNotResent: over HTTP/2, a POST whose stream
// is reset after the server read it is not sent again, and says it may
// have been billed; a GET reset so is sent again.
func TestHTTP2CutAfterTheWriteIsNotResent(t *testing.T) {
	t.Parallel()
	var posts, gets, h2 atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.ProtoMajor == 2 {
			h2.Add(1)
		}
		if r.Method == http.MethodGet && gets.Add(1) > 1 {
			_, _ = io.WriteString(w, `{"data":{"label":"sk-or-v1-abc...","usage":0,"limit":null,"is_free_tier":false}}`)
			return
		}
		if r.Method == http.MethodPost {
			posts.Add(1)
		}
		panic(http.ErrAbortHandler) // the stream is reset after the request was read
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	c := openrouter.NewClient("sk-or-v1-test", openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil), openrouter.WithHTTPClient(srv.Client()))
	openrouter.SetWaitHook(c, func(time.Duration) time.Duration { return 0 })
	_, err := c.Chat(context.Background(), hello())
	var te *openrouter.TransportError
	if posts.Load() != 1 || !errors.As(err, &te) || te.MaybeBilled != 1 {
		t.Errorf("HTTP/2 POST reset after the write: %d POSTs, err %v; want 1 POST, 1 maybe billed", posts.Load(), err)
	}
	if _, err := c.CheckKey(context.Background()); err != nil || gets.Load() != 2 {
		t.Errorf("HTTP/2 GET reset: %v after %d GETs; want it sent again and answered", err, gets.Load())
	}
	if h2.Load() == 0 {
		t.Errorf("no request came over HTTP/2")
	}
}

// TestStreamFirstChunkWaitRunsOnAfterA1xx: a 103 Early Hints is not the
// answer: a server that sends one and then nothing is still ended by the
// first-chunk wait, not left hanging until the caller's deadline.
func TestStreamFirstChunkWaitRunsOnAfterA1xx(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		<-r.Context().Done() // then nothing
	}))
	defer srv.Close()
	c := openrouter.NewClient("sk-or-v1-test", openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil),
		openrouter.WithStreamTimeouts(100*time.Millisecond, 0))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // a safety net, not the test's clock
	defer cancel()
	var err error
	for _, e := range c.ChatStream(ctx, hello()).Chunks() {
		if e != nil {
			err = e
		}
	}
	if err == nil || !strings.Contains(err.Error(), "no chunk within 100ms") || ctx.Err() != nil {
		t.Errorf("a 103 then nothing: %v; want the first-chunk wait to end it", err)
	}
}

// TestEchoedKeyInResponseHeadersIsNotPrinted: a proxy that echoes the
// Authorization header in its answer's headers: neither the error's
// Header nor ResponseInfo.Header prints the key, with any verb.
func TestEchoedKeyInResponseHeadersIsNotPrinted(t *testing.T) {
	t.Parallel()
	const key = "sk-or-v1-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, status := range []int{400, 200} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("X-Echo", r.Header.Get("Authorization"))
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			if status == 200 {
				_, _ = io.WriteString(w, okChat)
				return
			}
			_, _ = io.WriteString(w, `{"error":{"code":400,"message":"bad"}}`)
		}))
		c := openrouter.NewClient(key, openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil))
		var info openrouter.ResponseInfo
		_, err := c.Chat(context.Background(), hello(), openrouter.CallResponseInto(&info))
		srv.Close()
		var e *openrouter.APIError
		errors.As(err, &e)
		for _, verb := range []string{"%v", "%+v", "%#v"} {
			for name, v := range map[string]any{"error": e, "ResponseInfo": info, "*ResponseInfo": &info} {
				if got := fmt.Sprintf(verb, v); strings.Contains(got, key[len(key)-20:]) {
					t.Errorf("status %d: Sprintf(%q, %s) prints the key: %s", status, verb, name, got)
				}
			}
		}
		if info.Header.Get("X-Echo") == "" {
			t.Errorf("status %d: the header was dropped, want it kept, redacted", status)
		}
	}
}

// TestStreamRecoveryStopsAtTheCallTimeout: a stream cut mid-way is read
// back from its generation, but a lookup that hangs does not keep the
// call past its CallTimeout. The CallTimeout's clock starts once the
// server has read the POST (startedDeadline): started with the call, a
// loaded machine may pass it before the request is written, which is not
// maybe billed.
func TestStreamRecoveryStopsAtTheCallTimeout(t *testing.T) {
	t.Parallel()
	next := make(chan *startedDeadline, 2) // the CallTimeouts to start, in the order of the POSTs
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			<-r.Context().Done() // the lookup hangs
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		(<-next).start()
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("X-Generation-Id", "gen-cut")
		_, _ = io.WriteString(w, `data: {"id":"gen-cut","model":"m/x","choices":[{"index":0,"delta":{"content":"hi"}}]}`+"\n\n")
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // cut mid-stream
	}))
	defer srv.Close()
	c := openrouter.NewClient("sk-or-v1-test", openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil))
	openrouter.SetRecoverSleep(c, func(time.Duration) {})
	startedCallTimeouts(c, next)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // a safety net, not the test's clock
	defer cancel()
	var err error
	for _, e := range c.ChatStream(ctx, hello(), openrouter.CallTimeout(300*time.Millisecond)).Chunks() {
		if e != nil {
			err = e
		}
	}
	if !errors.Is(err, openrouter.ErrMaybeBilled) || ctx.Err() != nil {
		t.Errorf("a cut stream whose lookup hangs: %v (caller's context: %v); want ErrMaybeBilled once the CallTimeout passed", err, ctx.Err())
	}

	// Chat: an answer cut after its headers, the same hanging lookup.
	chat := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			<-r.Context().Done()
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		(<-next).start()
		w.Header().Set("X-Generation-Id", "gen-cut")
		w.Header().Set("Content-Length", "100")
		_, _ = io.WriteString(w, `{"id":"gen-cut","choices":[`) // cut
	}))
	defer chat.Close()
	c = openrouter.NewClient("sk-or-v1-test", openrouter.WithBaseURL(chat.URL), openrouter.WithLimiter(nil))
	openrouter.SetRecoverSleep(c, func(time.Duration) {})
	startedCallTimeouts(c, next)
	_, err = c.Chat(ctx, hello(), openrouter.CallTimeout(300*time.Millisecond))
	if !errors.Is(err, openrouter.ErrMaybeBilled) || ctx.Err() != nil {
		t.Errorf("a cut chat answer whose lookup hangs: %v (caller's context: %v); want ErrMaybeBilled once the CallTimeout passed", err, ctx.Err())
	}
}
