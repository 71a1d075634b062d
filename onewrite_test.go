package openrouter_test

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// writeCounter is a connection that counts its writes.
type writeCounter struct {
	net.Conn
	writes *atomic.Int64
}

func (c writeCounter) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// TestRequestWrittenInOneWrite holds issue 26's system-call bound: with
// net/http's transport, a call's headers and small body leave in one
// write, as a hand-written request with a *bytes.Reader body does (the
// client's own body type made net/http flush the headers apart).
func TestRequestWrittenInOneWrite(t *testing.T) {
	srv := openroutertest.NewServer()
	defer srv.Close()
	var writes atomic.Int64
	var d net.Dialer
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return writeCounter{conn, &writes}, nil
	}}
	defer tr.CloseIdleConnections()
	for _, tc := range []struct {
		name string
		opts []openrouter.Option
	}{
		{"paced", nil},
		{"unpaced", []openrouter.Option{openrouter.WithLimiter(nil)}},
	} {
		c := srv.Client(append(tc.opts, openrouter.WithHTTPClient(&http.Client{Transport: tr}))...)
		writes.Store(0)
		const calls = 20
		for range calls {
			if _, err := c.Chat(context.Background(), &openrouter.ChatRequest{Model: "openai/gpt-4o-mini",
				Messages: []openrouter.Message{openrouter.UserMessage("hi")}}); err != nil {
				t.Fatal(err)
			}
		}
		if n := writes.Load(); n != calls {
			t.Errorf("%s: %d writes for %d calls, want one each", tc.name, n, calls)
		}
	}
}
