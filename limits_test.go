package openrouter

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
)

var smallLimits = AnswerLimits{JSON: 1 << 20, SSEEvent: 1 << 20, Stream: 4 << 20}

// allocated returns the bytes allocated while f ran (all goroutines: the
// test server's too, which only adds to the figure).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

var bomb = sync.OnceValue(func() []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	for i := 0; i < 64; i++ { // 64 MiB of zero bytes that unpack from ~64 KiB
		_, _ = zw.Write(zeros)
	}
	_ = zw.Close()
	return buf.Bytes()
})

// limitServer answers every request with handler and returns a client
// with the small bounds.
func limitServer(t *testing.T, handler http.HandlerFunc) *Client {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return NewClient(testKey, WithBaseURL(srv.URL), WithRetry(0, 0, 0), WithLimiter(nil), WithAnswerLimits(smallLimits))
}

func chatReq() *ChatRequest {
	return &ChatRequest{Model: "m/x", Messages: []Message{UserMessage("hi")}}
}

// TestGzipBomb: a 64 KiB gzip body that unpacks to 64 MiB is refused at
// the JSON bound (1 MiB here), having cost about that much memory.
func TestGzipBomb(t *testing.T) {
	z := bomb()
	c := limitServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(z)
	})
	var err error
	n := allocated(func() { _, err = c.Chat(context.Background(), chatReq()) })
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if n > 16<<20 {
		t.Errorf("a 64 MiB bomb under a 1 MiB bound allocated %d MiB", n>>20)
	}
	// GET endpoints read through the same bound.
	if _, err := c.Credits(context.Background()); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Credits: err = %v", err)
	}
}

// endlessBody writes piece until the client hangs up.
func endlessBody(contentType, first, piece string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		_, _ = io.WriteString(w, first)
		for r.Context().Err() == nil {
			if _, err := io.WriteString(w, piece); err != nil {
				return
			}
		}
	}
}

// TestEndlessAnswers: a JSON body, a stream line, a stream of small
// events and an image answer that never end are each stopped at their
// bound with ErrTooLarge, in bounded memory.
func TestEndlessAnswers(t *testing.T) {
	chunk := `data: {"id":"g","choices":[{"index":0,"delta":{"content":"x"}}]}` + "\n\n"
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		call    func(c *Client) error
		most    uint64 // bytes allocated in all
	}{
		// Refused having allocated about the bound (1 MiB): io.ReadAll's
		// growing slice allocated 2.3 MiB, the SSE line's 5.3 MiB.
		{"JSON", endlessBody("application/json", `{"id":"`, strings.Repeat("a", 4096)),
			func(c *Client) error { _, err := c.Chat(context.Background(), chatReq()); return err }, 3 << 19},
		{"image", endlessBody("application/json", `{"choices":[{"message":{"images":[{"image_url":{"url":"data:image/png;base64,`, strings.Repeat("QUJD", 1024)),
			func(c *Client) error {
				_, err := c.GenerateImage(context.Background(), ImageRequest{Model: "m/x", Prompt: "cat"})
				return err
			}, 5 << 19},
		{"SSE line", endlessBody("text/event-stream", "data: ", strings.Repeat("a", 4096)), streamErr, 3 << 19},
		// Each small event is decoded and dropped: the garbage grows with
		// the stream (4 MiB here), what is held does not.
		{"SSE events", endlessBody("text/event-stream", "", chunk), streamErr, 64 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := limitServer(t, tc.handler)
			var err error
			n := allocated(func() { err = tc.call(c) })
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("err = %v, want ErrTooLarge", err)
			}
			if Hint(err) == "" || !strings.Contains(err.Error(), "WithAnswerLimits") {
				t.Errorf("the error does not say how to raise the bound: %v", err)
			}
			if n > tc.most {
				t.Errorf("allocated %.2f MiB, want at most %.2f MiB", float64(n)/(1<<20), float64(tc.most)/(1<<20))
			}
		})
	}
}

func streamErr(c *Client) error {
	var err error
	for _, e := range c.ChatStream(context.Background(), chatReq()).Chunks() {
		if e != nil {
			err = e
		}
	}
	return err
}

// TestStreamedImageWithinDefaults: an image streams as one long line; the
// default SSE event bound lets a 6 MiB one through.
func TestStreamedImageWithinDefaults(t *testing.T) {
	t.Parallel()
	url := "data:image/png;base64," + strings.Repeat("QUJD", 6<<20/4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, `data: {"id":"g","choices":[{"index":0,"delta":{"images":[{"type":"image_url","image_url":{"url":"`+url+`"}}]}}]}`+"\n\n")
		_, _ = io.WriteString(w, `data: {"id":"g","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`+"\n\ndata: [DONE]\n\n")
	}))
	defer srv.Close()
	c := NewClient(testKey, WithBaseURL(srv.URL), WithRetry(0, 0, 0), WithLimiter(nil))
	s := c.ChatStream(context.Background(), chatReq())
	if err := streamErr2(s); err != nil {
		t.Fatal(err)
	}
	if imgs := s.Response().Choices[0].Message.Images; len(imgs) != 1 || len(imgs[0].ImageURL.URL) != len(url) {
		t.Errorf("the image did not arrive whole")
	}
}

func streamErr2(s *Stream) error {
	for _, e := range s.Chunks() {
		if e != nil {
			return e
		}
	}
	return nil
}

func TestWithAnswerLimits(t *testing.T) {
	t.Parallel()
	c := NewClient(testKey, WithAnswerLimits(AnswerLimits{SSEEvent: 5}))
	if got := c.cfg.limits; got.SSEEvent != 5 || got.JSON != DefaultAnswerLimits.JSON || got.Stream != DefaultAnswerLimits.Stream {
		t.Errorf("limits = %+v", got)
	}
	if c := NewClient(testKey, WithAnswerLimits(AnswerLimits{JSON: -1})); !errors.Is(c.cfgErr, ErrInvalidRequest) {
		t.Errorf("a negative bound: %v", c.cfgErr)
	}
}
