package openrouter_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

const wholeAnswer = "The whole answer, which is longer than two chunks of eight bytes."

// recoverySetup is setup with the recovery's waits recorded instead of
// slept.
func recoverySetup(t *testing.T, srvOpts ...ort.Option) (*ort.Server, *openrouter.Client, *recoverWaits) {
	t.Helper()
	srv, c, _ := setup(t, srvOpts)
	w := &recoverWaits{}
	openrouter.SetRecoverSleep(c, w.add)
	return srv, c, w
}

type recoverWaits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *recoverWaits) add(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.d = append(w.d, d)
}

func (w *recoverWaits) list() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.d...)
}

// A stream cut after two chunks, its content stored: the rest of the
// answer comes as one more chunk, the response is whole and says it was
// recovered, its cost is counted once (as the server billed it), and the
// request was sent once.
func TestRecoverCutStream(t *testing.T) {
	t.Parallel()
	srv, c, w := recoverySetup(t, ort.WithContentLogging())
	srv.Enqueue(ort.TextReply(wholeAnswer).CutAfter(2))
	ctx, meter := openrouter.TrackCost(context.Background())
	var info openrouter.ResponseInfo
	s := c.ChatStream(ctx, hello(), openrouter.CallResponseInto(&info))
	chunks, err := collect(s)
	if err != nil {
		t.Fatalf("err = %v, want the answer recovered", err)
	}
	res := s.Response()
	if got := strings.Join(chunks, ""); got != wholeAnswer || res.Content() != wholeAnswer || len(chunks) != 3 {
		t.Errorf("chunks %q (%d), response %q: want the whole answer, the last chunk recovered", got, len(chunks), res.Content())
	}
	if !res.Recovered || !info.Recovered || info.MaybeBilled != 0 || res.FinishReason() != "stop" {
		t.Errorf("Recovered %v, info %+v, finish %q: want recovered, nothing maybe billed, stop", res.Recovered, info, res.FinishReason())
	}
	if n := len(srv.Requests()); n != 1 || srv.Stats().Completions != 1 {
		t.Errorf("%d chat requests, %d completions: want the request sent once", n, srv.Stats().Completions)
	}
	if spent := srv.Spent(); spent <= 0 || c.Spent() != spent || meter.USD() != spent || meter.MaybeBilled() != 0 {
		t.Errorf("server billed %v; client spent %v, meter %v (maybe billed %d): want the cost counted once", spent, c.Spent(), meter.USD(), meter.MaybeBilled())
	}
	if res.Usage == nil || res.Usage.CompletionTokens == 0 || info.RequestID != res.ID || len(w.list()) != 0 {
		t.Errorf("usage %+v, info ID %q vs %q, waits %v", res.Usage, info.RequestID, res.ID, w.list())
	}
}

// A whole answer cut after its headers, its content stored: Chat returns
// it via X-Generation-Id, recovered, its cost counted once.
func TestRecoverCutBody(t *testing.T) {
	t.Parallel()
	srv, c, _ := recoverySetup(t, ort.WithContentLogging())
	srv.Enqueue(ort.TextReply(wholeAnswer).CutAfter(0))
	ctx, meter := openrouter.TrackCost(context.Background())
	var info openrouter.ResponseInfo
	res, err := c.Chat(ctx, hello(), openrouter.CallResponseInto(&info))
	if err != nil {
		t.Fatalf("err = %v, want the answer recovered", err)
	}
	if res.Content() != wholeAnswer || !res.Recovered || !info.Recovered || info.MaybeBilled != 0 || res.MaybeBilled != 0 {
		t.Errorf("content %q, Recovered %v, info %+v, MaybeBilled %d", res.Content(), res.Recovered, info, res.MaybeBilled)
	}
	if spent := srv.Spent(); len(srv.Requests()) != 1 || spent <= 0 || c.Spent() != spent || meter.USD() != spent || meter.MaybeBilled() != 0 {
		t.Errorf("%d requests; server billed %v, client %v, meter %v (maybe %d)", len(srv.Requests()), spent, c.Spent(), meter.USD(), meter.MaybeBilled())
	}
}

// Without Input & Output Logging the answer cannot be read back: the
// error matches ErrMaybeBilled and carries the generation's ID and
// record (finished, its cost), nothing is counted in USD, and nothing is
// sent again.
func TestRecoverContentNotStored(t *testing.T) {
	t.Parallel()
	for _, stream := range []bool{true, false} {
		srv, c, _ := recoverySetup(t)
		srv.Enqueue(ort.TextReply(wholeAnswer).CutAfter(2))
		ctx, meter := openrouter.TrackCost(context.Background())
		var err error
		if stream {
			_, err = collect(c.ChatStream(ctx, hello()))
		} else {
			_, err = c.Chat(ctx, hello())
		}
		id, g := lostGeneration(t, err)
		if !errors.Is(err, openrouter.ErrMaybeBilled) || id == "" || g == nil {
			t.Fatalf("stream=%v: err = %v, want ErrMaybeBilled with the generation", stream, err)
		}
		if g.ID != id || g.FinishReason != "stop" || g.TotalCost != srv.Spent() || g.TotalCost <= 0 {
			t.Errorf("stream=%v: generation %+v, server billed %v", stream, g, srv.Spent())
		}
		if msg := err.Error(); !strings.Contains(msg, id) || !strings.Contains(msg, "not stored") || strings.Contains(msg, srv.Key) {
			t.Errorf("stream=%v: error %q: want the ID and why, never the key", stream, msg)
		}
		if len(srv.Requests()) != 1 || c.Spent() != 0 || meter.MaybeBilled() != 1 {
			t.Errorf("stream=%v: %d requests, spent %v, maybe billed %d: want 1, 0, 1", stream, len(srv.Requests()), c.Spent(), meter.MaybeBilled())
		}
		if _, err := c.Generation(context.Background(), id); err != nil {
			t.Errorf("stream=%v: the ID in the error is not a generation: %v", stream, err)
		}
	}
}

// lostGeneration returns the generation ID and record a lost answer's
// error carries.
func lostGeneration(t *testing.T, err error) (string, *openrouter.Generation) {
	t.Helper()
	var se *openrouter.StreamError
	var te *openrouter.TransportError
	switch {
	case errors.As(err, &se):
		return se.GenerationID, se.Generation
	case errors.As(err, &te):
		return te.GenerationID, te.Generation
	}
	t.Fatalf("err = %v (%T), want a StreamError or a TransportError", err, err)
	return "", nil
}

// A generation OpenRouter has not recorded yet (404): the client looks
// again after each of its waits, a bounded number of times, and then
// fails with the ID; one recorded within them is recovered.
func TestRecoverWaitsBoundedForTheGeneration(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		lag       int
		recovered bool
		lookups   int
	}{
		{lag: 2, recovered: true, lookups: 4}, // /generation 404, 404, found; then the content
		{lag: 1000, recovered: false, lookups: 3},
	} {
		srv, c, w := recoverySetup(t, ort.WithContentLogging(), ort.WithGenerationLag(tc.lag))
		srv.Enqueue(ort.TextReply(wholeAnswer).CutAfter(1))
		s := c.ChatStream(context.Background(), hello())
		_, err := collect(s)
		if (err == nil) != tc.recovered || srv.GenerationLookups() != tc.lookups || len(srv.Requests()) != 1 {
			t.Errorf("lag %d: err = %v, %d lookups, %d requests; want recovered %v, %d lookups, 1 request",
				tc.lag, err, srv.GenerationLookups(), len(srv.Requests()), tc.recovered, tc.lookups)
		}
		if got := w.list(); len(got) != 2 || got[0] != time.Second || got[1] != 2*time.Second {
			t.Errorf("lag %d: waits %v, want 1s then 2s", tc.lag, got)
		}
		if !tc.recovered {
			if id, _ := lostGeneration(t, err); id == "" || !strings.Contains(err.Error(), "not found") {
				t.Errorf("lag %d: err = %v, want the ID and that the generation was not found", tc.lag, err)
			}
		}
	}
}

// The recovered answer goes through ChatJSON's checks like a live one:
// decoded into T, no repair sent.
func TestRecoverChatJSON(t *testing.T) {
	t.Parallel()
	srv, c, _ := recoverySetup(t, ort.WithContentLogging())
	srv.Enqueue(ort.TextReply(`{"city":"Paris","population":2102650}`).CutAfter(0))
	type city struct {
		City       string `json:"city"`
		Population int    `json:"population"`
	}
	var info openrouter.ResponseInfo
	got, _, err := openrouter.ChatJSON[city](context.Background(), c, hello(), openrouter.CallResponseInto(&info))
	if err != nil || got.City != "Paris" || got.Population != 2102650 || !info.Recovered {
		t.Errorf("ChatJSON = %+v, %v, recovered %v: want the stored answer decoded", got, err, info.Recovered)
	}
	if len(srv.Requests()) != 1 {
		t.Errorf("%d requests, want 1", len(srv.Requests()))
	}
}

// With recovery off (client or call), nothing is looked up; the error
// still names the generation.
func TestRecoverOff(t *testing.T) {
	t.Parallel()
	for name, opt := range map[string]struct {
		client []openrouter.Option
		call   []openrouter.CallOption
	}{
		"client": {client: []openrouter.Option{openrouter.WithAnswerRecovery(false)}},
		"call":   {call: []openrouter.CallOption{openrouter.CallAnswerRecovery(false)}},
	} {
		srv, c, _ := setup(t, []ort.Option{ort.WithContentLogging()}, opt.client...)
		srv.Enqueue(ort.TextReply(wholeAnswer).CutAfter(0))
		_, err := c.Chat(context.Background(), hello(), opt.call...)
		id, g := lostGeneration(t, err)
		if !errors.Is(err, openrouter.ErrMaybeBilled) || id == "" || g != nil || srv.GenerationLookups() != 0 {
			t.Errorf("%s: err = %v, %d lookups: want ErrMaybeBilled with the ID, nothing looked up", name, err, srv.GenerationLookups())
		}
	}
	// A call may turn on what the client turned off.
	srv, c, _ := setup(t, []ort.Option{ort.WithContentLogging()}, openrouter.WithAnswerRecovery(false))
	srv.Enqueue(ort.TextReply(wholeAnswer).CutAfter(0))
	if res, err := c.Chat(context.Background(), hello(), openrouter.CallAnswerRecovery(true)); err != nil || !res.Recovered {
		t.Errorf("CallAnswerRecovery(true) = %v: want the answer recovered", err)
	}
}

// A stream its provider cancelled when the connection was cut: the
// record says so at the first lookup, and the error says it.
func TestRecoverCancelledGeneration(t *testing.T) {
	t.Parallel()
	srv, c, w := recoverySetup(t, ort.WithContentLogging())
	srv.Enqueue(ort.Reply{Content: wholeAnswer, Stream: ort.StreamScript{After: 2, Cut: true}})
	_, err := collect(c.ChatStream(context.Background(), hello()))
	id, g := lostGeneration(t, err)
	if id == "" || g == nil || !g.Cancelled || !strings.Contains(err.Error(), "cancelled") {
		t.Errorf("err = %v, generation %+v: want the cancelled generation", err, g)
	}
	if srv.GenerationLookups() != 1 || len(w.list()) != 0 {
		t.Errorf("%d lookups, waits %v: want one lookup and no wait", srv.GenerationLookups(), w.list())
	}
}

// An image request's answer cannot be read back (the stored content
// holds no images): not recovered, and its content not even read.
func TestRecoverNotForImages(t *testing.T) {
	t.Parallel()
	srv, c, _ := recoverySetup(t, ort.WithContentLogging())
	srv.Enqueue(ort.TextReply("Here is your image.").CutAfter(0))
	req := hello()
	req.Model, req.Modalities = "google/gemini-2.5-flash-image", []string{"image", "text"}
	_, err := c.Chat(context.Background(), req)
	if id, _ := lostGeneration(t, err); id == "" || !strings.Contains(err.Error(), "images") || srv.GenerationLookups() != 1 {
		t.Errorf("err = %v, %d lookups: want not recovered, one lookup", err, srv.GenerationLookups())
	}
}

// GenerationContent reads back a completion's stored prompt and answer;
// without Input & Output Logging it is ErrNotFound, with a hint that
// says why.
func TestGenerationContent(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, []ort.Option{ort.WithContentLogging()})
	res, err := c.Chat(context.Background(), hello())
	if err != nil {
		t.Fatal(err)
	}
	gc, err := c.GenerationContent(context.Background(), res.ID)
	if err != nil || !gc.HasCompletion || gc.Completion != res.Content() || len(gc.Messages) != 1 || gc.Failure != nil {
		t.Fatalf("GenerationContent = %+v, %v: want the answer %q and one message", gc, err, res.Content())
	}
	if _, err := c.GenerationContent(context.Background(), ""); !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("empty ID: %v, want ErrInvalidRequest", err)
	}
	if n := srv.GenerationLookups(); n != 1 {
		t.Errorf("%d lookups, want 1 (an empty ID is refused before sending)", n)
	}

	_, c2, _ := setup(t, nil)
	res, err = c2.Chat(context.Background(), hello())
	if err != nil {
		t.Fatal(err)
	}
	_, err = c2.GenerationContent(context.Background(), res.ID)
	if !errors.Is(err, openrouter.ErrNotFound) || !strings.Contains(openrouter.Hint(err), "Input & Output Logging") {
		t.Errorf("without logging: %v (hint %q), want ErrNotFound naming Input & Output Logging", err, openrouter.Hint(err))
	}
}

// An answer whose body stalls after its headers until the call's
// timeout: the caller's time is up, so nothing is looked up, and the
// error carries the generation's ID for later.
func TestRecoverNotAfterATimeout(t *testing.T) {
	t.Parallel()
	var lookups atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			lookups.Add(1)
			http.NotFound(w, r)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Generation-Id", "gen-stalled")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "\n") // OpenRouter's keep-alive padding
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	c := openrouter.NewClient("sk-or-v1-test", openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil))
	openrouter.SetRecoverSleep(c, func(time.Duration) {})
	var info openrouter.ResponseInfo
	// The deadline passes once the answer has begun, whatever the
	// machine's speed: a context whose deadline is the answer's first byte.
	ctx := newFirstByteDeadline()
	_, err := c.Chat(ctx, hello(), openrouter.CallResponseInto(&info))
	var te *openrouter.TransportError
	if !errors.As(err, &te) || !errors.Is(err, openrouter.ErrMaybeBilled) || lookups.Load() != 0 {
		t.Errorf("err = %v, %d lookups: want ErrMaybeBilled, nothing looked up", err, lookups.Load())
	}
	// The deadline may pass while the headers are read: the ID is then
	// unknown. Once they came, the error carries it.
	if info.StatusCode == http.StatusOK && te.GenerationID != "gen-stalled" {
		t.Errorf("the headers came, but the error carries the generation %q, want gen-stalled", te.GenerationID)
	}
}

// With one request in flight allowed, the lookups do not wait for the
// slot the lost answer held: it is freed first.
func TestRecoverWithOneSlot(t *testing.T) {
	t.Parallel()
	for _, stream := range []bool{true, false} {
		srv := ort.NewServer(ort.WithContentLogging())
		t.Cleanup(srv.Close)
		c := srv.Client(openrouter.WithLimiter(openrouter.NewAdaptiveLimiter(openrouter.LimitInFlight(1))))
		openrouter.SetRecoverSleep(c, func(time.Duration) {})
		srv.Enqueue(ort.TextReply(wholeAnswer).CutAfter(1))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // a deadlock fails, not hangs
		var content string
		var err error
		if stream {
			s := c.ChatStream(ctx, hello())
			_, err = collect(s)
			content = s.Response().Content()
		} else {
			var res *openrouter.ChatResponse
			if res, err = c.Chat(ctx, hello()); err == nil {
				content = res.Content()
			}
		}
		cancel()
		if err != nil || content != wholeAnswer {
			t.Errorf("stream=%v: %q, %v: want the answer recovered", stream, content, err)
		}
	}
}

// Stored content that does not continue the chunks received is not
// stitched onto them: the stream fails with the ID and says why.
func TestRecoverStoredContentMustContinueTheStream(t *testing.T) {
	t.Parallel()
	srv, c, _ := recoverySetup(t, ort.WithContentLogging())
	srv.Enqueue(ort.Reply{Content: wholeAnswer, Stream: ort.StreamScript{Pieces: []string{"Something ", "else"}}}.CutAfter(1))
	s := c.ChatStream(context.Background(), hello())
	_, err := collect(s)
	if id, _ := lostGeneration(t, err); id == "" || !strings.Contains(err.Error(), "does not continue") || s.Response().Recovered {
		t.Errorf("err = %v, recovered %v: want not recovered, saying why", err, s.Response().Recovered)
	}
}

// A stream without an X-Generation-Id header is looked up by its chunks'
// id.
func TestRecoverStreamIDFromChunks(t *testing.T) {
	t.Parallel()
	var looked atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			looked.Store(r.URL.Query().Get("id"))
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"error":{"code":404,"message":"Generation not found"}}`)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, `data: {"id":"gen-from-chunk","model":"m/x","choices":[{"index":0,"delta":{"content":"hi"}}]}`+"\n\n")
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // cut
	}))
	t.Cleanup(srv.Close)
	c := openrouter.NewClient("sk-or-v1-test", openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil))
	openrouter.SetRecoverSleep(c, func(time.Duration) {})
	_, err := collect(c.ChatStream(context.Background(), hello()))
	if id, _ := lostGeneration(t, err); id != "gen-from-chunk" || looked.Load() != "gen-from-chunk" || !errors.Is(err, openrouter.ErrMaybeBilled) {
		t.Errorf("err = %v, looked up %v: want gen-from-chunk looked up and in the error", err, looked.Load())
	}
}

// A lookup answered 429 is not retried (its Retry-After could be long):
// the error says why the answer was not read back.
func TestRecoverLookupNotRetried(t *testing.T) {
	t.Parallel()
	var gets atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			gets.Add(1)
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"error":{"code":429,"message":"Rate limit exceeded"}}`)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("X-Generation-Id", "gen-busy")
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "100")
		_, _ = io.WriteString(w, `{"id":"gen-busy","choices":[`) // cut
	}))
	t.Cleanup(srv.Close)
	c := openrouter.NewClient("sk-or-v1-test", openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil))
	waited := false
	openrouter.SetWaitHook(c, func(d time.Duration) time.Duration { waited = true; return 0 })
	openrouter.SetRecoverSleep(c, func(time.Duration) { waited = true })
	_, err := c.Chat(context.Background(), hello())
	if id, _ := lostGeneration(t, err); id != "gen-busy" || gets.Load() != 1 || waited || !strings.Contains(err.Error(), "Rate limit") {
		t.Errorf("err = %v, %d lookups, waited %v: want one lookup, no wait, the reason", err, gets.Load(), waited)
	}
}

// Hostile lookup answers: the call fails with the ID and a reason, never
// panics, never recovers a made-up answer.
func TestRecoverHostileLookups(t *testing.T) {
	t.Parallel()
	okGen := `{"data":{"id":"gen-h","model":"m/x","total_cost":0.01,"finish_reason":"stop","cancelled":false}}`
	for name, tc := range map[string]struct{ gen, content string }{
		"generation without data":   {`{}`, ``},
		"generation is HTML":        {`<html>oops</html>`, ``},
		"generation error in a 200": {`{"error":{"code":500,"message":"boom"}}`, ``},
		"content without data":      {okGen, `{}`},
		"content completion number": {okGen, `{"data":{"input":{"messages":[]},"output":{"completion":42,"reasoning":null},"error":null}}`},
		"content completion null":   {okGen, `{"data":{"input":{"messages":[]},"output":{"completion":null,"reasoning":null},"error":null}}`},
		"content is not JSON":       {okGen, `data: [DONE]`},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			switch r.URL.Path {
			case "/generation":
				_, _ = io.WriteString(w, tc.gen)
			case "/generation/content":
				_, _ = io.WriteString(w, tc.content)
			default:
				_, _ = io.Copy(io.Discard, r.Body)
				w.Header().Set("X-Generation-Id", "gen-h")
				w.Header().Set("Content-Length", "100")
				_, _ = io.WriteString(w, `{"id":"gen-h","choices":[`) // cut
			}
		}))
		c := openrouter.NewClient("sk-or-v1-test", openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil))
		openrouter.SetRecoverSleep(c, func(time.Duration) {})
		res, err := c.Chat(context.Background(), hello())
		srv.Close()
		if res != nil || err == nil {
			t.Errorf("%s: recovered %+v, want an error", name, res)
			continue
		}
		if id, _ := lostGeneration(t, err); id != "gen-h" || !strings.Contains(err.Error(), "not recovered: ") || !errors.Is(err, openrouter.ErrMaybeBilled) {
			t.Errorf("%s: err = %v, want ErrMaybeBilled naming gen-h and why", name, err)
		}
	}
}

// firstByteDeadline is a context whose deadline passes when its request's
// answer sends its first byte (httptrace's GotFirstResponseByte).
type firstByteDeadline struct {
	context.Context
	done chan struct{}
	once sync.Once
}

func newFirstByteDeadline() *firstByteDeadline {
	d := &firstByteDeadline{done: make(chan struct{})}
	d.Context = httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		GotFirstResponseByte: func() { d.once.Do(func() { close(d.done) }) },
	})
	return d
}

func (d *firstByteDeadline) Done() <-chan struct{} { return d.done }

func (d *firstByteDeadline) Err() error {
	select {
	case <-d.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}
