package openrouter_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// collect ranges over a stream and returns its chunks' content and the
// error that ended it.
func collect(s *openrouter.Stream) (chunks []string, err error) {
	for ch, err := range s.Chunks() {
		if err != nil {
			return chunks, err
		}
		chunks = append(chunks, ch.Content())
	}
	return chunks, nil
}

func TestStream(t *testing.T) {
	t.Parallel()
	for name, script := range map[string]ort.StreamScript{
		"LF":                     {},
		"CRLF":                   {CRLF: true},
		"usage without choices":  {UsageWithoutChoices: true},
		"no comments":            {NoComments: true},
		"no [DONE] after finish": {NoDone: true},
	} {
		srv, c, _ := setup(t, nil)
		srv.Enqueue(ort.Reply{Content: "Streaming works, chunk by chunk.", Cost: 0.25, Stream: script})
		s := c.ChatStream(context.Background(), hello())
		chunks, err := collect(s)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := strings.Join(chunks, ""); got != "Streaming works, chunk by chunk." {
			t.Errorf("%s: chunks join to %q", name, got)
		}
		res := s.Response()
		if res.Content() != "Streaming works, chunk by chunk." || res.FinishReason() != "stop" || res.Cost() != 0.25 ||
			res.Usage.CompletionTokens == 0 || res.ID == "" || res.Choices[0].Message.Role != "assistant" {
			t.Errorf("%s: response = %+v", name, res)
		}
		if c.Spent() != 0.25 {
			t.Errorf("%s: spent %v", name, c.Spent())
		}
		if !srv.Requests()[0].Stream {
			t.Errorf("%s: the request did not ask for a stream", name)
		}
	}
}

func TestStreamImageInOneLongLine(t *testing.T) {
	t.Parallel()
	big := ort.DataURL("image/png", ort.LargePNG(200<<10)) // one data: line far past 64 KiB
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.Reply{Content: "Here.", Images: []string{big}})
	s := c.ChatStream(context.Background(), hello())
	if _, err := collect(s); err != nil {
		t.Fatal(err)
	}
	imgs := s.Response().Choices[0].Message.Images
	if len(imgs) != 1 || imgs[0].ImageURL.URL != big {
		t.Fatalf("images = %d, first %d bytes", len(imgs), len(imgs[0].ImageURL.URL))
	}
	img, err := imgs[0].Decode() // the decoder GenerateImage uses
	if err != nil || img.MIME != "image/png" || img.Width == 0 || len(img.Data) < 200<<10 {
		t.Errorf("decoded %s %dx%d, %d bytes, %v", img.MIME, img.Width, img.Height, len(img.Data), err)
	}
	if _, err := (openrouter.ImagePart{ImageURL: openrouter.ImageURL{URL: "data:image/png;base64,@@"}}).Decode(); err == nil {
		t.Error("a broken data URL decoded")
	}
}

func TestStreamToolCalls(t *testing.T) {
	t.Parallel()
	var acc openrouter.Accumulator
	tc := func(index int, id, name, args string) openrouter.ToolCall {
		var c openrouter.ToolCall
		c.Index, c.ID, c.Function.Name, c.Function.Arguments = index, id, name, args
		return c
	}
	for _, ch := range []openrouter.Chunk{
		{ID: "gen-1", Model: "m", Choices: []openrouter.ChunkChoice{{Delta: openrouter.Delta{Role: "assistant", ToolCalls: []openrouter.ToolCall{tc(0, "call_a", "get_weather", `{"loc`)}}}}},
		{Choices: []openrouter.ChunkChoice{{Delta: openrouter.Delta{ToolCalls: []openrouter.ToolCall{tc(0, "", "", `ation":"Oslo"}`), tc(1, "call_b", "get_time", `{}`)}}}}},
		{Choices: []openrouter.ChunkChoice{{FinishReason: "tool_calls"}}},
		{Usage: &openrouter.Usage{Cost: 0.1}},
	} {
		acc.Add(ch)
	}
	r := acc.Response()
	calls := r.Choices[0].Message.ToolCalls
	if len(calls) != 2 || calls[0].ID != "call_a" || calls[0].Function.Arguments != `{"location":"Oslo"}` ||
		calls[1].Function.Name != "get_time" || r.FinishReason() != "tool_calls" || r.Cost() != 0.1 {
		t.Errorf("accumulated = %+v", r)
	}
}

func TestStreamMidStreamError(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.Reply{Content: "The first part arrives, then", Stream: ort.StreamScript{After: 2},
		Error: &ort.ErrorBody{Code: 429, Message: "Rate limit exceeded", Metadata: map[string]any{"error_type": "rate_limit_exceeded"}}})
	chunks, err := collect(c.ChatStream(context.Background(), hello()))
	assertSentinels(t, err, "ErrRateLimited", "ErrMaybeBilled") // after the model began
	var e *openrouter.APIError
	if !errors.As(err, &e) || !e.InStream || e.Response.Content() != "The first part a" || len(chunks) != 2 {
		t.Errorf("err = %v; kept %q after %d chunks", err, e.Response.Content(), len(chunks))
	}
}

func TestStreamErrorAsOnlyEvent(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.Reply{Content: "never", Error: &ort.ErrorBody{Code: "server_error", Message: "Provider disconnected"}})
	_, err := collect(c.ChatStream(context.Background(), hello()))
	assertSentinels(t, err, "ErrServer", "ErrMaybeBilled") // inside a 200
}

func TestStreamFailures(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		script ort.StreamScript
		says   string
	}{
		"cut connection":           {ort.StreamScript{After: 2, Cut: true}, "the connection was cut"},
		"body ends without finish": {ort.StreamScript{NoFinish: true, NoDone: true, NoUsage: true}, "ended before a finish reason"},
		"only comments":            {ort.StreamScript{OnlyComments: true}, "without a chunk"},
	} {
		srv, c, _ := setup(t, nil)
		srv.Enqueue(ort.Reply{Content: "Some text that is cut short.", Stream: tc.script})
		s := c.ChatStream(context.Background(), hello())
		_, err := collect(s)
		var e *openrouter.StreamError
		if !errors.As(err, &e) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: err = %v, want a StreamError saying %q", name, err, tc.says)
			continue
		}
		// The answer began (a 200; OpenRouter's comments while the model
		// works, in "only comments") and was lost: it may have been billed.
		assertSentinels(t, err, "ErrServer", "ErrMaybeBilled")
		if e.Response.Content() != s.Response().Content() {
			t.Errorf("%s: the error lost the text received", name)
		}
	}
}

func TestStreamPreStreamErrors(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.ErrorReply(402, "Insufficient credits"))
	_, err := collect(c.ChatStream(context.Background(), hello()))
	assertSentinels(t, err, "ErrInsufficientCredits")
	// Before the first chunk, a 503 is retried like any request.
	srv.Enqueue(ort.ErrorReply(503, "Service temporarily unavailable"), ort.Reply{Content: "ok now"})
	chunks, err := collect(c.ChatStream(context.Background(), hello()))
	if err != nil || strings.Join(chunks, "") != "ok now" {
		t.Errorf("after a retried 503: %q, %v", chunks, err)
	}
	req := hello()
	req.Model = "no/such-model"
	_, err = collect(c.ChatStream(context.Background(), req))
	assertSentinels(t, err, "ErrModelNotFound", "ErrBadRequest")
}

func TestStreamEmptyAnswer(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.Reply{FinishReason: "content_filter"})
	_, err := collect(c.ChatStream(context.Background(), hello()))
	assertSentinels(t, err, "ErrEmptyContent")
}

func TestStreamFirstChunkTimeout(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil, openrouter.WithStreamTimeouts(30*time.Second, 0))
	timers := openrouter.ManualTimers(c)
	srv.Enqueue(ort.Reply{Content: "late", Stream: ort.StreamScript{Stall: true}})
	go func() { fire := <-timers; fire() }() // the first-chunk wait runs out
	_, err := collect(c.ChatStream(context.Background(), hello()))
	var e *openrouter.StreamError
	if !errors.As(err, &e) || !strings.Contains(err.Error(), "no chunk within 30s") {
		t.Fatalf("err = %v", err)
	}
	// The request was sent and its generation may be running: maybe billed.
	assertSentinels(t, err, "ErrMaybeBilled", "ErrTimeout")
}

func TestStreamIdleTimeout(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil, openrouter.WithStreamTimeouts(0, 10*time.Second))
	timers := openrouter.ManualTimers(c)
	srv.Enqueue(ort.Reply{Content: "sixteen letters!", Stream: ort.StreamScript{After: 2, Stall: true}})
	s := c.ChatStream(context.Background(), hello())
	var err error
	for ch, e := range s.Chunks() {
		if e != nil {
			err = e
			break
		}
		if ch.Content() == "letters!" { // the stream stalls after this chunk
			(<-timers)()
		}
	}
	assertSentinels(t, err, "ErrTimeout", "ErrMaybeBilled") // the generation ran: its usage never came
	if !strings.Contains(err.Error(), "no content for 10s") || s.Response().Content() != "sixteen letters!" {
		t.Errorf("err = %v; received %q", err, s.Response().Content())
	}
}

// TestStreamCommentsAreNotProgress runs the idle watchdog on the real
// clock against a stream that stalls while sending keep-alive comments:
// the comments must not keep it alive.
func TestStreamCommentsAreNotProgress(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil, openrouter.WithStreamTimeouts(0, 150*time.Millisecond))
	srv.Enqueue(ort.Reply{Content: "some text", Stream: ort.StreamScript{After: 1, Stall: true, StallComments: 20 * time.Millisecond}})
	_, err := collect(c.ChatStream(context.Background(), hello()))
	assertSentinels(t, err, "ErrTimeout", "ErrMaybeBilled") // the generation ran: its usage never came
}

func TestStreamCancel(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.Reply{Content: "0123456789abcdef", Stream: ort.StreamScript{After: 1, Stall: true}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var err error
	for _, e := range c.ChatStream(ctx, hello()).Chunks() {
		if e != nil {
			err = e
			break
		}
		cancel()
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	assertSentinels(t, err)
}

func TestStreamEarlyStopFreesSlotAndConnection(t *testing.T) {
	t.Parallel()
	srv := ort.NewServer()
	lim := openrouter.NewAdaptiveLimiter()
	c := srv.Client(openrouter.WithLimiter(lim))
	srv.Enqueue(ort.Reply{Content: strings.Repeat("x", 400), Stream: ort.StreamScript{Delay: time.Millisecond}})
	held := -1
	for _, err := range c.ChatStream(context.Background(), hello()).Chunks() {
		if err != nil {
			t.Fatal(err)
		}
		held = lim.InFlight()
		break
	}
	if held != 1 || lim.InFlight() != 0 {
		t.Errorf("slots held: %d during the stream, %d after it (want 1, 0)", held, lim.InFlight())
	}
	srv.Close() // waits for the handler, which sees the client leave
	if n := srv.Stats().StreamsAborted; n != 1 {
		t.Errorf("the server saw %d aborted streams, want 1: the connection was not closed", n)
	}
}

func TestStreamDeliversFirstChunkBeforeSecondIsSent(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.Reply{Content: "first...second..", Stream: ort.StreamScript{BeforeChunk: func(i int) {
		if i == 1 {
			<-release // the second chunk waits until the client has the first
		}
	}}})
	guard := time.AfterFunc(10*time.Second, func() { close(release) })
	defer guard.Stop()
	n := 0
	for ch, err := range c.ChatStream(context.Background(), hello()).Chunks() {
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			if ch.Content() != "first..." {
				t.Fatalf("first chunk = %q", ch.Content())
			}
			if !guard.Stop() {
				t.Fatal("the first chunk arrived only after the server was released by the guard")
			}
			close(release)
		}
		n++
	}
}

func TestStreamOnce(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t, nil)
	s := c.ChatStream(context.Background(), hello())
	if _, err := collect(s); err != nil {
		t.Fatal(err)
	}
	_, err := collect(s)
	assertSentinels(t, err, "ErrInvalidRequest")
}

func TestStreamJSONAnswer(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.Enqueue(ort.RawReply(200, `{"id":"gen-9","model":"m","choices":[{"finish_reason":"stop","message":{"role":"assistant","content":"whole"}}]}`))
	chunks, err := collect(c.ChatStream(context.Background(), hello()))
	if err != nil || len(chunks) != 1 || chunks[0] != "whole" {
		t.Errorf("chunks = %q, %v", chunks, err)
	}
	srv.Enqueue(ort.RawReply(200, `{"error":{"code":429,"message":"Rate limit exceeded"}}`))
	_, err = collect(c.ChatStream(context.Background(), hello()))
	assertSentinels(t, err, "ErrRateLimited", "ErrMaybeBilled") // inside a 200
}
