package openrouter_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// recorder keeps the requests a test server saw, and their bodies.
type recorder struct {
	mu   sync.Mutex
	reqs []*http.Request
	body []string
}

func (r *recorder) add(req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, req)
	r.body = append(r.body, string(b))
}

func (r *recorder) all() ([]*http.Request, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reqs, r.body
}

// redirector answers every request with status and a Location of
// target() + the request's path, and records what it saw.
func redirector(t *testing.T, status int, target func() string) (*httptest.Server, *recorder) {
	rec := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		http.Redirect(w, r, target()+r.URL.Path, status)
	}))
	t.Cleanup(srv.Close)
	return srv, rec
}

// TestRedirectToAnotherPortIsRefused: a redirect to the same host on
// another port is another origin: it is not followed, so the key is not
// sent there.
func TestRedirectToAnotherPortIsRefused(t *testing.T) {
	t.Parallel()
	other := ort.NewServer()
	t.Cleanup(other.Close)
	otherRoot := strings.TrimSuffix(other.URL, "/api/v1")
	for _, status := range []int{301, 302, 307, 308} {
		first, _ := redirector(t, status, func() string { return otherRoot })
		c := openrouter.NewClient(other.Key, openrouter.WithBaseURL(first.URL+"/api/v1"), openrouter.WithLimiter(nil))
		openrouter.SetWaitHook(c, func(time.Duration) time.Duration { return 0 })
		_, err := c.Chat(context.Background(), hello())
		if err == nil || !strings.Contains(err.Error(), "another origin") {
			t.Errorf("%d: err = %v, want a refused redirect", status, err)
		}
		if h := openrouter.Hint(err); !strings.Contains(h, "base URL") {
			t.Errorf("%d: Hint = %q", status, h)
		}
	}
	if n := other.Stats().Requests; n != 0 {
		t.Errorf("the other port saw %d requests (with the key)", n)
	}
}

// TestRedirectChangingTheMethodIsRefused: a 301, 302 or 303 on a POST
// would become a GET; that GET's answer must not come back as the POST's.
func TestRedirectChangingTheMethodIsRefused(t *testing.T) {
	t.Parallel()
	for _, status := range []int{301, 302, 303} {
		rec := &recorder{}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec.add(r)
			if r.Method == http.MethodPost {
				http.Redirect(w, r, "/elsewhere", status)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, completion700)
		}))
		t.Cleanup(srv.Close)
		lim := openrouter.NewAdaptiveLimiter()
		c := openrouter.NewClient(ort.DefaultKey, openrouter.WithBaseURL(srv.URL+"/api/v1"), openrouter.WithLimiter(lim))
		openrouter.SetWaitHook(c, func(time.Duration) time.Duration { return 0 })
		res, err := c.Chat(context.Background(), hello())
		if n := lim.InFlight(); n != 0 {
			t.Errorf("%d: InFlight = %d after a refused redirect", status, n)
		}
		if err == nil || res != nil || !strings.Contains(err.Error(), "as a GET") {
			t.Errorf("%d: res = %v, err = %v, want a refused redirect", status, res, err)
		}
		var te *openrouter.TransportError
		if !errors.As(err, &te) || te.Attempts != 1 {
			t.Errorf("%d: err = %#v, want one attempt", status, err)
		}
		if reqs, _ := rec.all(); len(reqs) != 1 || reqs[0].Method != "POST" {
			t.Errorf("%d: the server saw %d requests", status, len(reqs))
		}
	}
}

// TestSameOriginRedirectIsFollowed: a 307 or 308 to the same origin is
// followed, with the same method, the key and the body replayed; the
// caller's http.Client is left as it was.
func TestSameOriginRedirectIsFollowed(t *testing.T) {
	t.Parallel()
	api := ort.NewServer()
	t.Cleanup(api.Close)
	for _, status := range []int{307, 308} {
		rec := &recorder{}
		var srv *httptest.Server
		srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec.add(r)
			if strings.HasPrefix(r.URL.Path, "/old/") {
				http.Redirect(w, r, "/new/"+strings.TrimPrefix(r.URL.Path, "/old/"), status)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"id":"gen-1","model":"m","choices":[{"finish_reason":"stop","message":{"role":"assistant","content":"moved"}}]}`)
		}))
		t.Cleanup(srv.Close)
		hc := &http.Client{}
		// One slot: following the redirect must not wait for the slot the
		// redirect answer held.
		lim := openrouter.NewAdaptiveLimiter(openrouter.LimitInFlight(1))
		c := openrouter.NewClient(api.Key, openrouter.WithBaseURL(srv.URL+"/old"), openrouter.WithHTTPClient(hc), openrouter.WithLimiter(lim))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // bounds a failure only
		res, err := c.Chat(ctx, hello())
		cancel()
		if err != nil || res.Content() != "moved" {
			t.Fatalf("%d: res = %v, err = %v", status, res, err)
		}
		if n := lim.InFlight(); n != 0 {
			t.Errorf("%d: InFlight = %d", status, n)
		}
		reqs, bodies := rec.all()
		if len(reqs) != 2 || reqs[1].Method != "POST" || reqs[1].URL.Path != "/new/chat/completions" ||
			reqs[1].Header.Get("Authorization") != "Bearer "+api.Key || bodies[1] == "" || bodies[1] != bodies[0] {
			t.Errorf("%d: the server saw %d requests; the second: %v with body %q (first %q)", status, len(reqs), reqs[len(reqs)-1], bodies[len(bodies)-1], bodies[0])
		}
		if hc.CheckRedirect != nil || hc.Transport != nil {
			t.Errorf("the caller's http.Client was modified")
		}
	}
}
