package openrouter_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// Embed's split requests are one call: CallResponseInto counts them all
// (each part used to reset the info, and the parts raced on it).
func TestHostileEmbedResponseIntoCountsEveryPart(t *testing.T) {
	srv := openroutertest.NewServer()
	defer srv.Close()
	texts := make([]string, 12)
	for i := range texts {
		texts[i] = fmt.Sprintf("text %d", i)
	}
	var info openrouter.ResponseInfo
	res, err := srv.Client().Embed(context.Background(), &openrouter.EmbeddingRequest{Model: embedModel, Input: texts, BatchInputs: 3, Concurrency: 2},
		openrouter.CallResponseInto(&info))
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 4 || info.Requests != 4 || info.Attempts != 4 {
		t.Errorf("Embed sent %d requests; ResponseInfo says Requests %d Attempts %d, want 4 and 4", res.Requests, info.Requests, info.Attempts)
	}
}

// Batches.Submit's lost answer, then its lookup, are one call: the info
// keeps the maybe-billed submission (the lookup used to reset it).
func TestHostileSubmitBatchResponseIntoKeepsMaybeBilled(t *testing.T) {
	srv, _, c := batchServer(t)
	srv.LoseBatchSubmits(1)
	var info openrouter.ResponseInfo
	// The one match is still validating: nothing proves it is this submission.
	var se *openrouter.BatchSubmitError
	if _, err := c.Batches.Submit(context.Background(), batchOf(map[string]string{"a": "1"}), openrouter.CallResponseInto(&info)); !errors.As(err, &se) {
		t.Fatal(err)
	}
	lists := srv.BatchStats().Lists
	if info.MaybeBilled != 1 || info.Requests != 1+lists {
		t.Errorf("ResponseInfo %+v; want MaybeBilled 1 and Requests %d (the submission and %d lookups)", info, 1+lists, lists)
	}
}

// A stream whose first attempt was cut after being sent (so retried,
// maybe billed) and whose second attempt breaks off mid-stream: the
// StreamError says both attempts may have been billed.
func TestHostileStreamErrorCarriesMaybeBilled(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if n.Add(1) == 1 {
			panic(http.ErrAbortHandler) // the connection is cut after the request was read
		}
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, `data: {"id":"gen-1","model":"m/x","choices":[{"index":0,"delta":{"content":"hi"}}]}`+"\n\n")
	}))
	defer srv.Close()
	// Without recovery: this server answers every path with the stream,
	// and the test counts the chat attempts.
	c := openrouter.NewClient("sk-or-v1-test", openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil), openrouter.WithAnswerRecovery(false), openrouter.WithResendAfterCut(1))
	openrouter.SetWaitHook(c, func(time.Duration) time.Duration { return 0 })
	s := c.ChatStream(context.Background(), &openrouter.ChatRequest{Model: "m/x", Messages: []openrouter.Message{openrouter.UserMessage("hi")}})
	var err error
	for _, e := range s.Chunks() {
		if e != nil {
			err = e
		}
	}
	var se *openrouter.StreamError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want a StreamError", err)
	}
	if n.Load() != 2 || se.Attempts != 2 || se.MaybeBilled != 2 || !errors.Is(err, openrouter.ErrMaybeBilled) {
		t.Errorf("%d attempts sent; StreamError Attempts %d MaybeBilled %d, Is(ErrMaybeBilled) %v; want 2, 2, true",
			n.Load(), se.Attempts, se.MaybeBilled, errors.Is(err, openrouter.ErrMaybeBilled))
	}
}

// JSON Pointer edge cases of ChatRequest.Extra: a bare ~ hidden by a
// following ~0 or ~1 is refused; an overlap is found even when another
// key sorts between the two.
func TestHostileExtraPointerEdges(t *testing.T) {
	srv, c, _ := setup(t, nil)
	for name, tc := range map[string]struct {
		extra map[string]any
		want  string
	}{
		"bare ~ before ~01": {map[string]any{"/a~~01": 1}, `escaped`},
		"bare ~ before ~1":  {map[string]any{"/a~~1": 1}, `escaped`},
		"overlap past a-x":  {map[string]any{"/a": map[string]any{}, "/a-x": 1, "/a/b": 1}, `overlap`},
	} {
		r := hello()
		r.Extra = tc.extra
		_, err := c.Chat(context.Background(), r)
		if !errors.Is(err, openrouter.ErrInvalidRequest) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want ErrInvalidRequest with %q", name, err, tc.want)
		}
	}
	// Escapes that are valid reach the body unescaped.
	r := hello()
	r.Extra = map[string]any{"/x~1y": 1, "/p~0q~01": 2}
	if _, err := c.Chat(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	body := reqs[len(reqs)-1].Body
	if body["x/y"] == nil || body["p~q~1"] == nil {
		t.Errorf("body %v: want the keys x/y and p~q~1", body)
	}
}

// A chat answer cut after its headers lost a generation that was
// processed: the error says it may have been billed, and so does the
// ResponseInfo; nothing is sent again.
func TestHostileChatBodyCutIsMaybeBilled(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "500")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"id":"gen-1","model":"m/x","choices":[{"index":0,"message":{"role":"assistant","content":"hel`)
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}))
	defer srv.Close()
	c := openrouter.NewClient("sk-or-v1-test", openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil))
	openrouter.SetWaitHook(c, func(time.Duration) time.Duration { return 0 })
	var info openrouter.ResponseInfo
	_, err := c.Chat(context.Background(), &openrouter.ChatRequest{Model: "m/x", Messages: []openrouter.Message{openrouter.UserMessage("hi")}},
		openrouter.CallResponseInto(&info))
	if err == nil || n.Load() != 1 {
		t.Fatalf("err = %v after %d requests; want an error after 1", err, n.Load())
	}
	if !errors.Is(err, openrouter.ErrMaybeBilled) || info.MaybeBilled != 1 {
		t.Errorf("err = %v (Is ErrMaybeBilled %v), info.MaybeBilled %d; want true and 1", err, errors.Is(err, openrouter.ErrMaybeBilled), info.MaybeBilled)
	}
}

// Answers that echo the key, in every shape a broken server may send,
// never put it in the error.
func TestHostileKeyEchoedNeverInErrors(t *testing.T) {
	const key = "sk-or-v1-0123456789abcdef0123456789abcdef"
	bodies := map[string]struct {
		status int
		ctype  string
		body   string
		loc    string
	}{
		"html 200":        {200, "text/html", "<html>your key " + key + "</html>", ""},
		"truncated json":  {200, "application/json", `{"id":"` + key, ""},
		"wrong type":      {200, "application/json", `{"id":1,"choices":"` + key + `"}`, ""},
		"error object":    {200, "application/json", `{"error":{"code":401,"message":"bad key ` + key + `"}}`, ""},
		"html 502":        {502, "text/html", "<h1>" + key + "</h1>", ""},
		"redirect w/ key": {302, "", "", "http://evil.example/?key=" + key},
		"sse":             {200, "text/event-stream", "data: {\"error\":{\"code\":500,\"message\":\"" + key + "\"}}\n\n", ""},
	}
	for name, b := range bodies {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			if b.loc != "" {
				w.Header().Set("Location", b.loc)
			}
			if b.ctype != "" {
				w.Header().Set("Content-Type", b.ctype)
			}
			w.WriteHeader(b.status)
			_, _ = io.WriteString(w, b.body)
		}))
		c := openrouter.NewClient(key, openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil), openrouter.WithRetry(0, time.Millisecond, time.Millisecond))
		req := &openrouter.ChatRequest{Model: "m/x", Messages: []openrouter.Message{openrouter.UserMessage("hi")}}
		_, err := c.Chat(context.Background(), req)
		var serr error
		for _, e := range c.ChatStream(context.Background(), req).Chunks() {
			if e != nil {
				serr = e
			}
		}
		srv.Close()
		for which, e := range map[string]error{"Chat": err, "ChatStream": serr} {
			if e == nil {
				t.Errorf("%s %s: no error", name, which)
				continue
			}
			for _, s := range []string{e.Error(), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e), openrouter.Hint(e)} {
				if strings.Contains(s, key) || strings.Contains(s, key[10:]) {
					t.Errorf("%s %s: the key is in %q", name, which, s)
				}
			}
		}
	}
}

// Odd Retry-After values on 429s: no panic, no hang, every wait bounded.
func TestHostileOddRetryAfter(t *testing.T) {
	for _, ra := range []string{"99999999999999999999", "-5", "1e9", "Thu, 01 Jan 1970 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "NaN", "", "0x10", " 3 ", "9223372036"} {
		var n atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			n.Add(1)
			w.Header().Set("Retry-After", ra)
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"error":{"code":429,"message":"slow down"}}`)
		}))
		c := openrouter.NewClient("sk-or-v1-test", openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil))
		var waits []time.Duration
		openrouter.SetWaitHook(c, func(d time.Duration) time.Duration { waits = append(waits, d); return 0 })
		_, err := c.Chat(context.Background(), &openrouter.ChatRequest{Model: "m/x", Messages: []openrouter.Message{openrouter.UserMessage("hi")}})
		srv.Close()
		if !errors.Is(err, openrouter.ErrRateLimited) {
			t.Errorf("Retry-After %q: err = %v", ra, err)
		}
		for _, d := range waits {
			if d < 0 || d > 10*time.Minute {
				t.Errorf("Retry-After %q: a wait of %v", ra, d)
			}
		}
	}
}

// SSE framings the specification allows: CRLF, no space after "data:",
// comments, a final event without its blank line. (Bare CR line ends are
// not read: internal/sse documents CRLF or LF.)
func TestHostileSSEFramings(t *testing.T) {
	ev := func(content, finish string) string {
		f := "null"
		if finish != "" {
			f = `"` + finish + `"`
		}
		return `{"id":"gen-1","model":"m/x","choices":[{"index":0,"delta":{"content":"` + content + `"},"finish_reason":` + f + `}]}`
	}
	for name, body := range map[string]string{
		"crlf":     ": hi\r\n\r\ndata: " + ev("a", "") + "\r\n\r\ndata: " + ev("b", "stop") + "\r\n\r\ndata: [DONE]\r\n\r\n",
		"nospace":  "data:" + ev("a", "") + "\n\ndata:" + ev("b", "stop") + "\n\n",
		"no final": "data: " + ev("a", "") + "\n\ndata: " + ev("b", "stop"),
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = io.WriteString(w, body)
		}))
		c := openrouter.NewClient("sk-or-v1-test", openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil))
		s := c.ChatStream(context.Background(), &openrouter.ChatRequest{Model: "m/x", Messages: []openrouter.Message{openrouter.UserMessage("hi")}})
		var err error
		for _, e := range s.Chunks() {
			if e != nil {
				err = e
			}
		}
		srv.Close()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if r := s.Response(); r == nil || r.Content() != "ab" {
			t.Errorf("%s: response %+v, want content ab", name, r)
		}
	}
}

// Faults after the headers leave no limiter slot held: a cut JSON body,
// a cut stream, a stream the caller leaves after one chunk, a cut
// embedding part.
func TestHostileFaultsLeakNoSlot(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		switch r.URL.Path {
		case "/stream/chat/completions", "/leave/chat/completions":
			w.Header().Set("Content-Type", "text/event-stream")
			for i := 0; i < 3; i++ {
				_, _ = io.WriteString(w, `data: {"id":"g","model":"m/x","choices":[{"index":0,"delta":{"content":"a"}}]}`+"\n\n")
			}
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "400")
			_, _ = io.WriteString(w, `{"id":"g","choices":[`)
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}
	}))
	defer srv.Close()
	lim := openrouter.NewAdaptiveLimiter(openrouter.LimitInFlight(2), openrouter.LimitAdaptive(false))
	client := func(prefix string) *openrouter.Client {
		c := openrouter.NewClient("sk-or-v1-test", openrouter.WithBaseURL(srv.URL+prefix), openrouter.WithLimiter(lim))
		openrouter.SetWaitHook(c, func(time.Duration) time.Duration { return 0 })
		return c
	}
	req := &openrouter.ChatRequest{Model: "m/x", Messages: []openrouter.Message{openrouter.UserMessage("hi")}}
	if _, err := client("/json").Chat(context.Background(), req); err == nil {
		t.Error("cut JSON: no error")
	}
	for _, err := range client("/stream").ChatStream(context.Background(), req).Chunks() {
		_ = err
	}
	for range client("/leave").ChatStream(context.Background(), req).Chunks() {
		break
	}
	if _, err := client("/json").Embed(context.Background(), &openrouter.EmbeddingRequest{Model: "m/e", Input: []string{"a", "b", "c"}, BatchInputs: 1}); err == nil {
		t.Error("cut embeddings: no error")
	}
	if n := lim.InFlight(); n != 0 {
		t.Errorf("InFlight = %d after the calls, want 0", n)
	}
}

// A conversation carries the assistant's answers back as they came: an
// answer that was only a refusal, only images or only audio is valid
// history, and so is a tool's empty result.
func TestHostileHistoryOfAnswersWithoutContentIsValid(t *testing.T) {
	srv, c, _ := setup(t, nil)
	for name, m := range map[string]openrouter.Message{
		"refusal only": {Role: "assistant", Refusal: "I can't help with that."},
		"images only":  {Role: "assistant", Images: []openrouter.ImagePart{{Type: "image_url", ImageURL: openrouter.ImageURL{URL: "data:image/png;base64,iVBORw0KGgo="}}}},
		"audio only":   {Role: "assistant", Audio: &openrouter.AudioOutput{ID: "audio_1"}},
		"empty tool":   {Role: "tool", ToolCallID: "call_1"},
	} {
		r := hello()
		if m.Role == "tool" {
			tc := openrouter.ToolCall{ID: "call_1", Type: "function"}
			tc.Function.Name, tc.Function.Arguments = "f", "{}"
			r.Messages = append(r.Messages, openrouter.Message{Role: "assistant", ToolCalls: []openrouter.ToolCall{tc}})
		}
		r.Messages = append(r.Messages, m, openrouter.UserMessage("and now?"))
		if _, err := c.Chat(context.Background(), r); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	_ = srv
}

// "-" appends to an array the request does not have yet: it creates the
// array, not an object with a member named "-".
func TestHostileExtraAppendCreatesArray(t *testing.T) {
	srv, c, _ := setup(t, nil)
	r := hello()
	r.Extra = map[string]any{"/transforms/-": "middle-out"}
	if _, err := c.Chat(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	got, ok := reqs[len(reqs)-1].Body["transforms"].([]any)
	if !ok || len(got) != 1 || got[0] != "middle-out" {
		t.Errorf("transforms = %#v, want [\"middle-out\"]", reqs[len(reqs)-1].Body["transforms"])
	}
}

// A submission refused once with a 429 (surely not stored, so resent)
// whose second attempt is cut after being sent may be stored: Batches.Submit
// looks it up and says so, instead of returning the bare error because
// the earlier 429 was a 4xx.
func TestHostileSubmitBatchCutAfter429IsLookedUp(t *testing.T) {
	var posts, lists atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.Method == http.MethodGet {
			lists.Add(1)
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"object":"list","data":[],"has_more":false}`)
			return
		}
		if posts.Add(1) == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"error":{"code":429,"message":"slow down"}}`)
			return
		}
		panic(http.ErrAbortHandler)
	}))
	defer srv.Close()
	c := openrouter.NewClient("sk-or-v1-test", openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil))
	openrouter.SetWaitHook(c, func(time.Duration) time.Duration { return 0 })
	_, err := c.Batches.Submit(context.Background(), batchOf(map[string]string{"a": "1"}))
	var se *openrouter.BatchSubmitError
	if !errors.As(err, &se) || !errors.Is(err, openrouter.ErrMaybeBilled) || posts.Load() != 2 || lists.Load() == 0 {
		t.Errorf("err = %v after %d submissions and %d lookups; want a BatchSubmitError after 2 submissions and a lookup", err, posts.Load(), lists.Load())
	}
}
