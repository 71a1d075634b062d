package openrouter_test

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// TestNothingListeningIsUnreachable: connection refused, a DNS failure
// and a TLS handshake failure all match ErrUnreachable, with its hint,
// after the client's retries (its waits injected: no sleeping).
func TestNothingListeningIsUnreachable(t *testing.T) {
	t.Parallel()
	var tlsRequests atomic.Int32
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { tlsRequests.Add(1) }))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake errors are the point
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	// The refused port is freed after the TLS server has its own, so that
	// the TLS server cannot be given it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String() + "/api/v1"
	ln.Close()

	noDNS := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: "openrouter.invalid", IsNotFound: true}}
	}}}

	// A plain client: it does not trust the test server's certificate.
	untrusting := &http.Client{Transport: &http.Transport{}}

	for _, tc := range []struct {
		name     string
		opts     []openrouter.Option
		attempts int
	}{
		{"refused", []openrouter.Option{openrouter.WithBaseURL(refused)}, 5},
		{"dns", []openrouter.Option{openrouter.WithBaseURL("https://openrouter.invalid/api/v1"), openrouter.WithHTTPClient(noDNS)}, 5},
		// A certificate that fails verification is not tried again.
		{"tls", []openrouter.Option{openrouter.WithBaseURL(tlsSrv.URL + "/api/v1"), openrouter.WithHTTPClient(untrusting)}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := openrouter.NewClient(ort.DefaultKey, tc.opts...)
			w := &waits{}
			openrouter.SetWaitHook(c, w.hook)
			_, err := c.Chat(context.Background(), hello())
			if !errors.Is(err, openrouter.ErrUnreachable) || errors.Is(err, openrouter.ErrMaybeBilled) {
				t.Fatalf("err = %v, want ErrUnreachable and not ErrMaybeBilled", err)
			}
			if h := openrouter.Hint(err); !strings.Contains(h, "could not be reached") {
				t.Errorf("Hint = %q", h)
			}
			var te *openrouter.TransportError
			if !errors.As(err, &te) || te.Method != "POST" || te.Path != "/chat/completions" || te.Attempts != tc.attempts || te.MaybeBilled != 0 || te.Err == nil {
				t.Errorf("err = %#v", err)
			}
			if n := len(w.all()); n != tc.attempts-1 {
				t.Errorf("%d waits, want %d", n, tc.attempts-1)
			}
			if strings.Contains(err.Error(), ort.DefaultKey[10:30]) {
				t.Errorf("err = %v shows the key", err)
			}
		})
	}
	if n := tlsRequests.Load(); n != 0 {
		t.Errorf("the TLS server saw %d requests", n)
	}
}
