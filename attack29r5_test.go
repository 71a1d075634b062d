package openrouter_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// obsServer is mbServer with an observer recorder on the client.
func obsServer(t *testing.T, status int, ctype, body string) (*openrouter.Client, *obsRecorder) {
	t.Helper()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("X-Generation-Id", "gen-obs-1")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(hs.Close)
	rec := &obsRecorder{}
	c := openrouter.NewClient(ort.DefaultKey, openrouter.WithBaseURL(hs.URL+"/api/v1"), openrouter.WithLimiter(nil),
		openrouter.WithRetry(3, time.Millisecond, time.Millisecond), openrouter.WithObserver(rec))
	return c, rec
}

// callEndOf is the last CallEnd of method and path (its query left
// out) the recorder saw, and how many CallEnds it saw in all.
func callEndOf(r *obsRecorder, method, path string) (openrouter.CallEnd, bool, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.calls) - 1; i >= 0; i-- {
		e := r.calls[i]
		if p, _, _ := strings.Cut(e.Path, "?"); e.Method == method && p == path {
			return e, true, len(r.calls)
		}
	}
	return openrouter.CallEnd{}, false, len(r.calls)
}

// TestAttack29ObserverSeesLostAnswerAfterHeaders: a call whose 200
// answer is lost in its body (a video or batch submission answered with
// HTML or without its ID, a GET answered with HTML) ends for the
// observer as it ends for the caller: with its error and, for a paid
// POST, its maybe-billed attempt. Before, such a call ended at its
// headers: the observer saw a success, and the maybe-billed attempt the
// caller was told of was never reported (nor counted by a metric built
// on it); a submission answered without its ID was not counted as maybe
// billed anywhere (ResponseInfo, CostMeter) though its error said so.
func TestAttack29ObserverSeesLostAnswerAfterHeaders(t *testing.T) {
	t.Parallel()
	for _, body := range []struct{ ctype, body string }{{"text/html", "<html>proxy</html>"}, {"application/json", "{}"}} {
		c, rec := obsServer(t, 200, body.ctype, body.body)
		var info openrouter.ResponseInfo
		ctx := context.Background()
		calls := []struct {
			method, path string
			paid         bool
			call         func() error
		}{
			{"POST", "/videos", true, func() error {
				_, err := c.Videos.Submit(ctx, &openrouter.VideoRequest{Model: "google/veo-3.1", Prompt: "x"}, openrouter.CallResponseInto(&info))
				return err
			}},
			{"POST", "/batches", true, func() error {
				_, err := c.Batches.Submit(ctx, &openrouter.BatchRequest{Model: "openai/gpt-4o-mini", Requests: []openrouter.BatchItem{{CustomID: "a", Body: hello()}}}, openrouter.CallResponseInto(&info))
				return err
			}},
			{"GET", "/credits", false, func() error { _, err := c.Credits(ctx); return err }},
			{"GET", "/videos/job-1", false, func() error { _, err := c.Videos.Get(ctx, "job-1"); return err }},
		}
		for _, k := range calls {
			what := body.body + ", " + k.method + " " + k.path
			info = openrouter.ResponseInfo{}
			_, _, before := callEndOf(rec, "", "")
			err := k.call()
			if err == nil {
				if body.body == "{}" && !k.paid {
					continue // an empty object is a GET's answer
				}
				t.Fatalf("%s: want an error", what)
			}
			e, ok, n := callEndOf(rec, k.method, k.path)
			if !ok || n == before {
				t.Errorf("%s: no CallEnd", what)
				continue
			}
			if e.Err == nil && !(k.method == "GET" && body.body == "{}") {
				t.Errorf("%s: the caller got %v; the observer's CallEnd has no error: %+v", what, err, e)
			}
			if k.paid && (!errors.Is(err, openrouter.ErrMaybeBilled) || e.MaybeBilled != 1 || info.MaybeBilled != 1) {
				t.Errorf("%s: the caller got %v (maybe billed %v); the observer's CallEnd says MaybeBilled %d, ResponseInfo %d",
					what, err, errors.Is(err, openrouter.ErrMaybeBilled), e.MaybeBilled, info.MaybeBilled)
			}
		}
	}
}

// fmtRecorder is an Observer, with every extension, that keeps each
// event formatted with %+v.
type fmtRecorder struct {
	mu     sync.Mutex
	events []string
}

func (r *fmtRecorder) add(name string, e any) {
	r.mu.Lock()
	r.events = append(r.events, fmt.Sprintf("%s %+v", name, e))
	r.mu.Unlock()
}
func (r *fmtRecorder) CallStart(ctx context.Context, e openrouter.CallStart) context.Context {
	r.add("CallStart", e)
	return ctx
}
func (r *fmtRecorder) AttemptStart(_ context.Context, e openrouter.AttemptStart) {
	r.add("AttemptStart", e)
}
func (r *fmtRecorder) AttemptEnd(_ context.Context, e openrouter.AttemptEnd) { r.add("AttemptEnd", e) }
func (r *fmtRecorder) RetryWait(_ context.Context, e openrouter.RetryWait)   { r.add("RetryWait", e) }
func (r *fmtRecorder) CallEnd(_ context.Context, e openrouter.CallEnd)       { r.add("CallEnd", e) }
func (r *fmtRecorder) FirstChunk(_ context.Context, e openrouter.FirstChunk) { r.add("FirstChunk", e) }
func (r *fmtRecorder) Recovery(_ context.Context, e openrouter.Recovery)     { r.add("Recovery", e) }

// TestAttack29NoEventHoldsEchoedKey: Observer promises that no event
// holds the API key. An answer that echoes it (a proxy's page, a
// hostile server) in what CallEnd reports of it (the model, the
// provider, the generation ID in the body or the header) or in the
// record a recovery looks up does not bring it into an event. Before,
// CallEnd passed them on as the server wrote them.
func TestAttack29NoEventHoldsEchoedKey(t *testing.T) {
	t.Parallel()
	key := ort.DefaultKey
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Generation-Id", "gen-"+key)
		switch {
		case r.Method == http.MethodPost && r.Header.Get("X-Test-Stream") != "":
			w.Header().Set("Content-Type", "text/event-stream")
			w.Header().Set("Content-Length", "5000")
			w.WriteHeader(200)
			fmt.Fprintf(w, "data: {\"id\":\"gen-%s\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}\n\n", key)
		case r.Method == http.MethodPost && r.Header.Get("X-Test-Cut2") != "":
			w.Header().Set("X-Generation-Id", "gen-ok")
			w.Header().Set("Content-Length", "500")
			w.WriteHeader(200)
			fmt.Fprint(w, `{"id":"gen-ok","choices":[`)
		case r.URL.Query().Get("id") == "gen-ok": // its record, finished with the key as its reason
			fmt.Fprintf(w, `{"data":{"id":"gen-ok","finish_reason":"%s","total_cost":0.001}}`, key)
		case r.Method == http.MethodPost && r.Header.Get("X-Test-Cut") != "":
			w.Header().Set("Content-Length", "500")
			w.WriteHeader(200)
			fmt.Fprint(w, `{"id":"gen-1","choices":[`)
		case r.Method == http.MethodPost:
			fmt.Fprintf(w, `{"id":"gen-%[1]s","model":"m-%[1]s","provider":"p-%[1]s","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2,"cost":0.001}}`, key)
		default: // the generation lookup: another generation's record
			fmt.Fprintf(w, `{"data":{"id":"other-%s","finish_reason":"stop"}}`, key)
		}
	}))
	t.Cleanup(hs.Close)
	rec := &fmtRecorder{}
	c := openrouter.NewClient(key, openrouter.WithBaseURL(hs.URL+"/api/v1"), openrouter.WithLimiter(nil),
		openrouter.WithRetry(0, 0, 0), openrouter.WithObserver(rec))
	ctx := context.Background()
	if _, err := c.Chat(ctx, hello()); err != nil {
		t.Fatal(err)
	}
	_, err := c.Chat(ctx, hello(), openrouter.CallHeader("X-Test-Cut", "1"))
	if err == nil {
		t.Fatal("a cut answer: want an error")
	}
	_, err2 := c.Chat(ctx, hello(), openrouter.CallHeader("X-Test-Cut2", "1"))
	if err2 == nil {
		t.Fatal("a cut answer: want an error")
	}
	var serr error
	for _, e := range c.ChatStream(ctx, hello(), openrouter.CallHeader("X-Test-Stream", "1")).Chunks() {
		if e != nil {
			serr = e
		}
	}
	if serr == nil {
		t.Fatal("a cut stream: want an error")
	}
	for _, e := range []error{err, err2, serr} {
		if s := fmt.Sprintf("%v %+v", e, e); strings.Contains(s, key[12:]) {
			t.Errorf("the caller's error holds the key: %s", s)
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	recovered := false
	for _, e := range rec.events {
		if strings.Contains(e, key) || strings.Contains(e, key[12:]) {
			t.Errorf("an event holds the key: %s", e)
		}
		recovered = recovered || strings.HasPrefix(e, "Recovery")
	}
	if !recovered || len(rec.events) < 8 {
		t.Errorf("events %q: want both calls and a recovery", rec.events)
	}
}

// TestAttack29ObserverPanicReleasesEveryCallKind: as
// TestObserverPanicReleasesTheCall for the calls it leaves out (the
// Responses API, streamed or not, speech, rerank, video and batch
// submissions, a GET read after its headers): whichever hook panics, the
// limiter's slot is given back and the client stays usable.
func TestAttack29ObserverPanicReleasesEveryCallKind(t *testing.T) {
	hooks := []string{"CallStart", "AttemptStart", "LimiterWait", "AttemptEnd", "RetryWait", "CallEnd", "RateChange", "FirstChunk"}
	calls := map[string]func(context.Context, *openrouter.Client) error{
		"responses": func(ctx context.Context, c *openrouter.Client) error {
			_, err := c.Responses.Create(ctx, helloResponse())
			return err
		},
		"responses stream": func(ctx context.Context, c *openrouter.Client) error {
			for _, err := range c.Responses.Stream(ctx, helloResponse()).Events() {
				if err != nil {
					return err
				}
			}
			return nil
		},
		"speech": func(ctx context.Context, c *openrouter.Client) error {
			var b strings.Builder
			_, err := c.Audio.Speech(ctx, &openrouter.SpeechRequest{Model: "openai/gpt-4o-mini-tts", Input: "Hello", Format: openrouter.SpeechMP3}, &b)
			return err
		},
		"rerank": func(ctx context.Context, c *openrouter.Client) error {
			_, err := c.Rerank(ctx, &openrouter.RerankRequest{Model: "cohere/rerank-v3.5", Query: "q", Documents: openrouter.RerankTexts("a", "b")})
			return err
		},
		"video": func(ctx context.Context, c *openrouter.Client) error {
			_, err := c.Videos.Submit(ctx, &openrouter.VideoRequest{Model: "google/veo-3.1", Prompt: "a cat"})
			return err
		},
		"batches": func(ctx context.Context, c *openrouter.Client) error {
			_, err := c.Batches.List(ctx, openrouter.BatchListOptions{})
			return err
		},
	}
	for _, hook := range hooks {
		for name, call := range calls {
			t.Run(hook+"/"+name, func(t *testing.T) {
				lim := &slotCounter{}
				p := &panicker{at: hook}
				_, c, _ := setup(t, nil, openrouter.WithLimiter(lim), openrouter.WithObserver(p))
				func() {
					defer func() { recover() }()
					call(context.Background(), c)
				}()
				if n := lim.held.Load(); n != 0 {
					t.Errorf("%d limiter slots held after the observer's panic in %s", n, hook)
				}
				p.at = ""
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				if err := call(ctx, c); err != nil {
					t.Errorf("the next call: %v", err)
				}
				if n := lim.held.Load(); n != 0 {
					t.Errorf("%d limiter slots held after a call without a panic", n)
				}
			})
		}
	}
}

// TestAttack29NoRetryPromisedPastTheDeadline: AttemptEnd.Retry promises
// that another attempt follows. When the wait before it would pass the
// context's deadline, the call ends at once without it: the attempt's
// end must not say it will be retried, and no wait is reported. Before,
// the attempt ended with Retry set, and no attempt followed.
func TestAttack29NoRetryPromisedPastTheDeadline(t *testing.T) {
	t.Parallel()
	rec := &obsRecorder{}
	srv := ort.NewServer()
	t.Cleanup(srv.Close)
	// No wait hook: the wait is judged against the deadline as it is.
	c := srv.Client(openrouter.WithObserver(rec), openrouter.WithRetry(2, 0, 3*time.Hour), openrouter.WithLimiter(nil))
	srv.Enqueue(ort.Reply{Status: 503, Error: &ort.ErrorBody{Code: 503, Message: "overloaded"}}.WithRetryAfter("7200"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	_, err := c.Chat(ctx, hello())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want the deadline's refusal of the wait, got %v", err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.starts) != 1 || len(rec.ends) != 1 || len(rec.calls) != 1 {
		t.Fatalf("events %q", rec.events)
	}
	if rec.ends[0].Retry {
		t.Errorf("the attempt's end says another attempt follows; none did: %+v", rec.ends[0])
	}
	if len(rec.waits) != 0 {
		t.Errorf("waits reported: %+v", rec.waits)
	}
}

// TestAttack29ObserverSeesChatAnswerErrors: a chat answered 200 whose
// answer the caller gets as an error (an error inside its choice, which
// may have been billed; no content at all) ends for the observer with
// that error, and its usage. Before, CallEnd said the call succeeded.
func TestAttack29ObserverSeesChatAnswerErrors(t *testing.T) {
	t.Parallel()
	rec := &obsRecorder{}
	srv, c, _ := setup(t, nil, openrouter.WithObserver(rec), openrouter.WithRetry(0, 0, 0))
	srv.Enqueue(ort.Reply{ChoiceError: &ort.ErrorBody{Code: 502, Message: "provider failed mid-way"}, Cost: 0.001},
		ort.Reply{Content: " ", Cost: 0.002})
	for _, want := range []error{openrouter.ErrMaybeBilled, openrouter.ErrEmptyContent} {
		_, err := c.Chat(context.Background(), hello())
		if !errors.Is(err, want) {
			t.Fatalf("want %v, got %v", want, err)
		}
		e, n := lastCallEnd(rec)
		if e.Err == nil || !errors.Is(e.Err, want) || e.Usage == nil {
			t.Errorf("the caller got %v; CallEnd %d is %+v", err, n, e)
		}
	}
}

// TestObserverSeesChatReadErrors: a chat whose 200 answer fails as it is
// read (an error object in the body, a body that is not JSON) ends for
// the observer once, with the caller's error: sendChat ends it, since
// Chat returns before judging the answer.
func TestObserverSeesChatReadErrors(t *testing.T) {
	t.Parallel()
	rec := &obsRecorder{}
	srv, c, _ := setup(t, nil, openrouter.WithObserver(rec), openrouter.WithRetry(0, 0, 0))
	srv.Enqueue(ort.Reply{Error: &ort.ErrorBody{Code: 502, Message: "provider failed"}}.MidStream(),
		ort.Reply{Body: "<html>bad gateway</html>"})
	for i := 1; i <= 2; i++ {
		_, err := c.Chat(context.Background(), hello())
		if err == nil {
			t.Fatalf("call %d: no error", i)
		}
		rec.mu.Lock()
		calls := append([]openrouter.CallEnd(nil), rec.calls...)
		rec.mu.Unlock()
		if len(calls) != i || calls[i-1].Err == nil || calls[i-1].Err.Error() != err.Error() {
			t.Errorf("call %d: the caller got %v; CallEnds %+v, want %d, the last with that error", i, err, calls, i)
		}
	}
}
