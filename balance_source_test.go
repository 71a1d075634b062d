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

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// TestManagementKeyRoutes checks that a client holding both keys sends
// inference with the API key (the fake refuses it to the management key)
// and the account routes with the management key (the fake refuses
// /credits and /keys to the API key).
func TestManagementKeyRoutes(t *testing.T) {
	t.Parallel()
	const mgmt = "sk-or-v1-management-test-key-0000000000000000000000000000000000"
	srv, c, _ := setup(t, []ort.Option{ort.WithCredits(20), ort.WithManagementKey(mgmt)}, openrouter.WithManagementKey(mgmt))
	if _, err := c.Chat(context.Background(), hello()); err != nil {
		t.Fatalf("Chat: %v", err)
	}
	cr, err := c.Credits(context.Background())
	if err != nil || cr.TotalCredits != 20 {
		t.Fatalf("Credits: %+v, %v", cr, err)
	}
	if _, err := c.Keys.List(context.Background(), openrouter.KeyListOptions{}); err != nil {
		t.Fatalf("Keys.List: %v", err)
	}
	if _, err := openrouter.NewClient(srv.Key, openrouter.WithManagementKey(" x")).Credits(context.Background()); !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("a management key with spaces: %v, want ErrInvalidRequest", err)
	}
}

// TestManagementKeyRedacted checks that the management key never shows:
// not in an error whose body echoes it, nor in the client's formatted
// values.
func TestManagementKeyRedacted(t *testing.T) {
	t.Parallel()
	const mgmt = "sk-or-v1-mgmt0123456789abcdef0123456789abcdef0123456789abcdef01234567"
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(403)
		fmt.Fprintf(w, `{"error":{"code":403,"message":"key %s is not allowed","metadata":{"raw":"%s"}}}`, r.Header.Get("Authorization"), r.Header.Get("Authorization"))
	}))
	defer hs.Close()
	c := openrouter.NewClient(ort.DefaultKey, openrouter.WithManagementKey(mgmt), openrouter.WithBaseURL(hs.URL), openrouter.WithRetry(0, 0, 0))
	_, err := c.Credits(context.Background())
	if err == nil {
		t.Fatal("no error")
	}
	secret := mgmt[len("sk-or-v1-"):]
	for _, s := range []string{err.Error(), fmt.Sprintf("%+v %#v %v", err, err, c), fmt.Sprintf("%#v", c), openrouter.Hint(err)} {
		if strings.Contains(s, secret[:20]) || strings.Contains(s, secret[len(secret)-20:]) {
			t.Errorf("the management key shows in %q", s)
		}
	}
	if !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("%q: the echo was not redacted", err)
	}
}

// TestReadBalanceSources checks where the low-balance alert's balance
// comes from: the key's limit when it has one, else the credits through
// the management key, else nothing, said plainly; and that the alert
// fires from a balance read through the management key.
func TestReadBalanceSources(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, limited, _ := setup(t, []ort.Option{ort.WithCredits(100), ort.WithKeyLimit(3)})
	if usd, src, err := limited.ReadBalance(ctx); err != nil || src != openrouter.BalanceKeyLimit || usd != 3 {
		t.Errorf("key with a limit: %v %v %v, want $3 from the key limit", usd, src, err)
	}

	_, plain, _ := setup(t, []ort.Option{ort.WithCredits(100)})
	usd, src, err := plain.ReadBalance(ctx)
	if err != nil || src != openrouter.BalanceUnknown || !strings.Contains(src.String(), "cannot be read") {
		t.Errorf("no limit, no management key: %v %v %v, want BalanceUnknown", usd, src, err)
	}
	if _, known := plain.Balance(); known {
		t.Error("a balance is known though none could be read")
	}

	var mu sync.Mutex
	var fired []float64
	srv := ort.NewServer(ort.WithCredits(0.5))
	t.Cleanup(srv.Close)
	mc := srv.Client(openrouter.WithManagementKey(srv.ManagementKey), openrouter.WithLimiter(nil),
		openrouter.WithLowBalanceAlert(1, func(b float64) { mu.Lock(); fired = append(fired, b); mu.Unlock() }))
	usd, src, err = mc.ReadBalance(ctx)
	if err != nil || src != openrouter.BalanceCredits || usd != 0.5 {
		t.Errorf("management key: %v %v %v, want $0.50 from the credits", usd, src, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(fired) != 1 || fired[0] != 0.5 {
		t.Errorf("alert fired with %v, want once with 0.5", fired)
	}
}
