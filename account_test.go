package openrouter_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

func TestKey(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, []ort.Option{ort.WithCredits(10), ort.WithKeyLimit(10)})
	srv.Enqueue(ort.Reply{Content: "x", Cost: 2.5})
	if _, err := c.Chat(context.Background(), hello()); err != nil {
		t.Fatal(err)
	}
	k, err := c.CheckKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if k.Limit == nil || *k.Limit != 10 || k.LimitRemaining == nil || *k.LimitRemaining != 7.5 || k.Usage != 2.5 ||
		k.UsageDaily != 2.5 || k.IsFreeTier || k.FreeModelDailyRequests == nil || k.FreeModelDailyRequests.Limit != 1000 ||
		!strings.HasPrefix(k.Label, "sk-or-v1-") || strings.Contains(k.Label, srv.Key) {
		t.Errorf("key = %+v", k)
	}
	_, err = openrouter.NewClient("sk-or-v1-revoked", openrouter.WithBaseURL(srv.URL)).CheckKey(context.Background())
	assertSentinels(t, err, "ErrUnauthorized")
}

func TestCreditsNeedsManagementKey(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, []ort.Option{ort.WithCredits(20)})
	_, err := c.Credits(context.Background())
	assertSentinels(t, err, "ErrForbidden")
	if h := openrouter.Hint(err); !strings.Contains(h, "management key") || !strings.Contains(h, "Client.CheckKey") {
		t.Errorf("hint = %q", h)
	}
	mc := openrouter.NewClient(srv.ManagementKey, openrouter.WithBaseURL(srv.URL))
	cr, err := mc.Credits(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if cr.TotalCredits != 20 || cr.TotalUsage != 0 || cr.Remaining() != 20 {
		t.Errorf("credits = %+v", cr)
	}
	if bal, ok := mc.Balance(); !ok || bal != 20 {
		t.Errorf("balance after Credits = %v, %v", bal, ok)
	}
}

func TestGeneration(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t, nil)
	res, err := c.Chat(context.Background(), hello())
	if err != nil {
		t.Fatal(err)
	}
	g, err := c.Generation(context.Background(), res.ID)
	if err != nil {
		t.Fatal(err)
	}
	if g.ID != res.ID || g.Model != res.Model || g.TotalCost != res.Cost() || g.TokensPrompt != res.Usage.PromptTokens ||
		g.TokensCompletion != res.Usage.CompletionTokens || g.ProviderName == "" || g.Latency <= 0 || g.CreatedAt.IsZero() {
		t.Errorf("generation = %+v, response = %+v", g, res)
	}
	_, err = c.Generation(context.Background(), "gen-unknown")
	assertSentinels(t, err, "ErrNotFound")
	_, err = c.Generation(context.Background(), "")
	assertSentinels(t, err, "ErrInvalidRequest")
}

func TestSpendingUnderConcurrency(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	chatConcurrently(t, []*openrouter.Client{c}, 50, 1)
	if got, want := c.Spent(), srv.Spent(); want == 0 || math.Abs(got-want) > 1e-12 {
		t.Errorf("client spent $%v, server charged $%v", got, want)
	}
}

func TestLowBalanceAlertFiresOnceOnCrossing(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var fired []float64
	srv, c, _ := setup(t, []ort.Option{ort.WithCredits(100), ort.WithKeyLimit(1.5)}, openrouter.WithLowBalanceAlert(0, func(b float64) {
		mu.Lock()
		defer mu.Unlock()
		fired = append(fired, b)
	}))
	srv.Enqueue(ort.Reply{Content: "x", Cost: 0.2}.Repeat(6))
	chat := func() {
		if _, err := c.Chat(context.Background(), hello()); err != nil {
			t.Fatal(err)
		}
	}
	chat() // the balance is not known yet: nothing can fire
	if _, err := c.CheckKey(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		chat() // 1.1, 0.9 (crosses $1), 0.7, 0.5, 0.3
	}
	if _, err := c.CheckKey(context.Background()); err != nil { // re-read: still under
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(fired) != 1 || math.Abs(fired[0]-0.9) > 1e-9 {
		t.Errorf("alert fired with %v, want once with 0.9", fired)
	}
	if bal, ok := c.Balance(); !ok || math.Abs(bal-0.3) > 1e-9 {
		t.Errorf("balance = %v, %v; want 0.3", bal, ok)
	}
}

func TestCreditsForbiddenKeepsAPIError(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t, nil)
	_, err := c.Credits(context.Background())
	var e *openrouter.APIError
	if !errors.As(err, &e) || e.StatusCode != 403 || e.Message != "Only management keys can perform this operation" {
		t.Errorf("err = %#v", err)
	}
}
