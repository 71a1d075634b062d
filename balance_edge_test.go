package openrouter_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// TestReadBalanceManagementKeyRefused checks that when the management key
// is refused (revoked: 401; an ordinary key given as one: 403) ReadBalance
// fails with a hint about that key, not about the API key (which works)
// nor advice to get a management key the caller already gave.
func TestReadBalanceManagementKeyRefused(t *testing.T) {
	t.Parallel()
	srv := ort.NewServer(ort.WithCredits(20))
	t.Cleanup(srv.Close)
	for name, mgmt := range map[string]string{"revoked": "sk-or-v1-revoked-management-key-000000000000000000000000000000", "ordinary": srv.Key} {
		c := srv.Client(openrouter.WithManagementKey(mgmt), openrouter.WithLimiter(nil), openrouter.WithRetry(0, time.Millisecond, time.Minute))
		_, src, err := c.ReadBalance(context.Background())
		if err == nil || src != openrouter.BalanceUnknown {
			t.Fatalf("%s: %v %v, want an error", name, src, err)
		}
		if h := openrouter.Hint(err); !strings.Contains(h, "WithManagementKey") || strings.Contains(h, "API key is missing") {
			t.Errorf("%s: Hint = %q, want one about the management key", name, h)
		}
	}
}

// TestReadBalanceRemainingWithoutLimit checks that a /key answer with a
// limit_remaining but no limit (a hostile or future answer) is not taken
// as the alert's balance while ReadBalance says none can be read: the
// two agree.
func TestReadBalanceRemainingWithoutLimit(t *testing.T) {
	t.Parallel()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"data":{"label":"sk-or-v1-abc...xyz","limit":null,"limit_remaining":0.5,"usage":1}}`)
	}))
	t.Cleanup(hs.Close)
	fired := 0
	c := openrouter.NewClient(ort.DefaultKey, openrouter.WithBaseURL(hs.URL), openrouter.WithLimiter(nil),
		openrouter.WithLowBalanceAlert(1, func(float64) { fired++ }))
	_, src, err := c.ReadBalance(context.Background())
	if err != nil || src != openrouter.BalanceUnknown {
		t.Fatalf("ReadBalance: %v %v, want BalanceUnknown", src, err)
	}
	if b, known := c.Balance(); known || fired != 0 {
		t.Errorf("Balance() = %v, %v and the alert fired %d times, though ReadBalance says no balance can be read", b, known, fired)
	}
}

// TestLowBalanceKeyLimitNotReplacedByCredits checks that once the key's
// own limit is read (a key with $0.50 left), reading the account's ample
// credits through the management key does not replace it as the alert's
// balance: the key stops at its limit whatever the account holds.
func TestLowBalanceKeyLimitNotReplacedByCredits(t *testing.T) {
	t.Parallel()
	srv := ort.NewServer(ort.WithCredits(100), ort.WithKeyLimit(0.5))
	t.Cleanup(srv.Close)
	fired := 0
	c := srv.Client(openrouter.WithManagementKey(srv.ManagementKey), openrouter.WithLimiter(nil),
		openrouter.WithLowBalanceAlert(1, func(float64) { fired++ }))
	if usd, src, err := c.ReadBalance(context.Background()); err != nil || src != openrouter.BalanceKeyLimit || usd != 0.5 {
		t.Fatalf("ReadBalance: %v %v %v, want $0.50 from the key's limit", usd, src, err)
	}
	if _, err := c.Credits(context.Background()); err != nil {
		t.Fatal(err)
	}
	if b, known := c.Balance(); !known || b != 0.5 || fired != 1 {
		t.Errorf("after Credits: Balance() = %v, %v (alert fired %d times), want the key's $0.50 kept and one alert", b, known, fired)
	}
}

// TestReadBalanceWithManagementKeyAsAPIKey checks that a client created
// with a management key as its only key (for account work) reads the
// account's credits, which that key may read, rather than saying no
// balance can be read.
func TestReadBalanceWithManagementKeyAsAPIKey(t *testing.T) {
	t.Parallel()
	srv := ort.NewServer(ort.WithCredits(20))
	t.Cleanup(srv.Close)
	c := openrouter.NewClient(srv.ManagementKey, openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil))
	usd, src, err := c.ReadBalance(context.Background())
	if err != nil || src != openrouter.BalanceCredits || usd != 20 {
		t.Errorf("ReadBalance with a management key: %v %v %v, want $20 from the credits", usd, src, err)
	}
}

// TestCheckKeyLabelRedacted checks that a /key answer whose label echoes
// the whole key (a hostile or broken server; OpenRouter masks it) does
// not bring the key into KeyInfo, which programs print (examples/doctor).
func TestCheckKeyLabelRedacted(t *testing.T) {
	t.Parallel()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"data":{"label":%q,"limit":null,"usage":1}}`, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	}))
	t.Cleanup(hs.Close)
	c := openrouter.NewClient(ort.DefaultKey, openrouter.WithBaseURL(hs.URL), openrouter.WithLimiter(nil))
	k, err := c.CheckKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	secret := ort.DefaultKey[len("sk-or-v1-"):]
	if s := fmt.Sprintf("%v %+v", k, k); strings.Contains(s, secret[:16]) {
		t.Errorf("the key shows in %s", s)
	}
}
