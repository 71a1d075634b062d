package openrouter_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"testing"

	"github.com/routerkit/openrouter"
)

// TestMediaStreamsInBoundedMemory downloads 16 MiB of speech and of video
// served from one fixed buffer, and checks that the client allocates a
// small fraction of it: the answer goes to the writer, not into memory.
// Not parallel, so that no other test's allocations count.
func TestMediaStreamsInBoundedMemory(t *testing.T) {
	const size = 16 << 20
	payload := make([]byte, size)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", map[bool]string{true: "video/mp4", false: "audio/mpeg"}[r.Method == http.MethodGet])
		w.Header().Set("Content-Length", strconv.Itoa(size))
		_, _ = w.Write(payload)
	}))
	t.Cleanup(srv.Close)
	c := openrouter.NewClient("sk-or-v1-test", openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil))
	ctx := context.Background()
	for name, call := range map[string]func() (int64, error){
		"speech": func() (int64, error) {
			res, err := c.Audio.Speech(ctx, &openrouter.SpeechRequest{Model: "openai/gpt-4o-mini-tts", Input: "Hi"}, io.Discard)
			if err != nil {
				return 0, err
			}
			return res.Bytes, nil
		},
		"video": func() (int64, error) { return c.Videos.Download(ctx, "job-1", 0, io.Discard) },
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		n, err := call()
		runtime.ReadMemStats(&after)
		if err != nil || n != size {
			t.Fatalf("%s: %d bytes, %v", name, n, err)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > size/8 {
			t.Errorf("%s: %d bytes allocated for a %d-byte answer: want it streamed", name, alloc, size)
		} else {
			t.Logf("%s: %d bytes allocated for a %d-byte answer", name, alloc, size)
		}
	}
}
