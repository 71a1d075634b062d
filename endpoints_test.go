package openrouter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

func managementClient(srv *ort.Server, opts ...openrouter.Option) *openrouter.Client {
	return openrouter.NewClient(srv.ManagementKey, append([]openrouter.Option{openrouter.WithBaseURL(srv.URL), openrouter.WithLimiter(nil)}, opts...)...)
}

func TestKeysLifecycle(t *testing.T) {
	srv, _, _ := setup(t, nil)
	c := managementClient(srv)
	ctx := context.Background()
	k, err := c.Keys.Create(ctx, openrouter.NewKey{Name: "nightly rewrite", Limit: 25, LimitReset: "daily"})
	if err != nil {
		t.Fatal(err)
	}
	if k.Limit == nil || *k.Limit != 25 || k.LimitReset != "daily" || k.Hash == "" || !strings.HasPrefix(k.Secret.Reveal(), "sk-or-v1-") || k.CreatedAt.IsZero() {
		t.Fatalf("created %+v", k.ManagedKey)
	}
	got, err := c.Keys.Get(ctx, k.Hash)
	if err != nil || got.Name != "nightly rewrite" {
		t.Fatalf("%v %+v", err, got)
	}
	yes := true
	up, err := c.Keys.Update(ctx, k.Hash, openrouter.KeyUpdate{Disabled: &yes, RemoveLimit: true})
	if err != nil || !up.Disabled || up.Limit != nil || up.UpdatedAt.IsZero() {
		t.Fatalf("%v %+v", err, up)
	}
	if list, err := c.Keys.List(ctx, openrouter.KeyListOptions{}); err != nil || len(list) != 0 {
		t.Errorf("without disabled keys: %v %+v", err, list)
	}
	if list, err := c.Keys.List(ctx, openrouter.KeyListOptions{IncludeDisabled: true}); err != nil || len(list) != 1 {
		t.Errorf("with disabled keys: %v %+v", err, list)
	}
	if err := c.Keys.Delete(ctx, k.Hash); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Keys.Get(ctx, k.Hash); !errors.Is(err, openrouter.ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
}

// TestKeySecretNeverPrinted checks every way a created key can be
// printed, serialised or logged.
func TestKeySecretNeverPrinted(t *testing.T) {
	srv, _, _ := setup(t, nil)
	k, err := managementClient(srv).Keys.Create(context.Background(), openrouter.NewKey{Name: "job"})
	if err != nil {
		t.Fatal(err)
	}
	secret := k.Secret.Reveal()
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("created", "key", k, "secret", k.Secret)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("created", "secret", k.Secret)
	j, _ := json.Marshal(k)
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%+v", k), fmt.Sprintf("%#v", k), fmt.Sprintf("%v", *k),
		fmt.Sprintf("%s %q %x", k.Secret, k.Secret, k.Secret), k.Secret.String(), logs.String(), string(j)} {
		if strings.Contains(s, secret) || strings.Contains(s, secret[len(secret)-20:]) {
			t.Errorf("the secret is in %q", s)
		}
	}
}

func TestKeysNeedManagementKey(t *testing.T) {
	_, c, _ := setup(t, nil) // an ordinary key
	ctx := context.Background()
	_, err := c.Keys.Create(ctx, openrouter.NewKey{Name: "x"})
	assertSentinels(t, err, "ErrForbidden")
	if h := openrouter.Hint(err); !strings.Contains(h, "management key") {
		t.Errorf("hint %q does not name the management key", h)
	}
	_, err = c.Activity(ctx, openrouter.ActivityFilter{})
	if !strings.Contains(openrouter.Hint(err), "management key") {
		t.Errorf("activity: %v, hint %q", err, openrouter.Hint(err))
	}
}

func TestKeysInvalid(t *testing.T) {
	srv, _, _ := setup(t, nil)
	c := managementClient(srv)
	ctx := context.Background()
	neg, empty, bad := -1.0, "", "hourly"
	for name, err := range map[string]error{
		"no name":   func() error { _, err := c.Keys.Create(ctx, openrouter.NewKey{}); return err }(),
		"neg limit": func() error { _, err := c.Keys.Create(ctx, openrouter.NewKey{Name: "x", Limit: -1}); return err }(),
		"bad reset": func() error {
			_, err := c.Keys.Create(ctx, openrouter.NewKey{Name: "x", LimitReset: "hourly"})
			return err
		}(),
		"no hash":   func() error { _, err := c.Keys.Get(ctx, ""); return err }(),
		"no change": func() error { _, err := c.Keys.Update(ctx, "h", openrouter.KeyUpdate{}); return err }(),
		"upd neg":   func() error { _, err := c.Keys.Update(ctx, "h", openrouter.KeyUpdate{Limit: &neg}); return err }(),
		"upd name":  func() error { _, err := c.Keys.Update(ctx, "h", openrouter.KeyUpdate{Name: &empty}); return err }(),
		"upd reset": func() error { _, err := c.Keys.Update(ctx, "h", openrouter.KeyUpdate{LimitReset: &bad}); return err }(),
		"upd both": func() error {
			_, err := c.Keys.Update(ctx, "h", openrouter.KeyUpdate{Limit: &neg, RemoveLimit: true})
			return err
		}(),
		"delete empty": c.Keys.Delete(ctx, ""),
	} {
		if !errors.Is(err, openrouter.ErrInvalidRequest) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if n := srv.Stats().Requests; n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

// TestActivity runs on the fake's clock: the day it reports as today
// does not change under the test at midnight.
func TestActivity(t *testing.T) {
	now := time.Date(2026, 3, 1, 23, 59, 59, 0, time.UTC)
	srv, _, _ := setup(t, []ort.Option{ort.WithClock(func() time.Time { return now })})
	yesterday := now.AddDate(0, 0, -1)
	day := yesterday.Format("2006-01-02")
	srv.AddActivity(
		ort.ActivityRow{Date: day, Model: "openai/gpt-4o-mini", Usage: 1.25, Requests: 100},
		ort.ActivityRow{Date: day, Model: "anthropic/claude-haiku-4.5", Usage: 0.75, Requests: 10},
		ort.ActivityRow{Date: yesterday.AddDate(0, 0, -1).Format("2006-01-02"), Model: "openai/gpt-4o-mini", Usage: 2, Requests: 3},
		ort.ActivityRow{Date: now.Format("2006-01-02"), Model: "openai/gpt-4o-mini", Usage: 9, Requests: 1}, // today: not reported
	)
	c := managementClient(srv)
	all, err := c.Activity(context.Background(), openrouter.ActivityFilter{})
	if err != nil || len(all) != 3 || all.Total() != 4 {
		t.Fatalf("%v: %d rows, total %v", err, len(all), all.Total())
	}
	one, err := c.Activity(context.Background(), openrouter.ActivityFilter{Date: yesterday})
	if err != nil || len(one) != 2 || one.ByDay()[day] != 2 || one.ByModel()["openai/gpt-4o-mini"] != 1.25 {
		t.Fatalf("%v %+v", err, one)
	}
}

func TestModelEndpoints(t *testing.T) {
	_, c, _ := setup(t, nil)
	m, err := c.ModelEndpoints(context.Background(), "mistralai/mistral-nemo")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Endpoints) != 2 || m.Endpoints[1].Quantization != "fp8" || m.Endpoints[0].Pricing.Prompt != 0.00000002 ||
		m.Endpoints[1].Discount != 0.2 || m.Endpoints[0].UptimeLast30m != 99.9 || m.Endpoints[0].LatencyLast30m == nil || m.Endpoints[0].ContextLength != 131072 {
		t.Errorf("%+v", m)
	}
	if _, err := c.ModelEndpoints(context.Background(), "nobody/nothing"); !errors.Is(err, openrouter.ErrModelNotFound) {
		t.Errorf("unknown model: %v", err)
	}
	if _, err := c.ModelEndpoints(context.Background(), "no-slash"); !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("bad ID: %v", err)
	}
}

func TestProvidersUserModelsCount(t *testing.T) {
	srv, c, _ := setup(t, nil)
	ctx := context.Background()
	ps, err := c.Providers(ctx)
	if err != nil || len(ps) == 0 || ps[0].Slug == "" || ps[0].PrivacyPolicyURL == "" {
		t.Fatalf("%v %+v", err, ps)
	}
	srv.HideFromUser("mistralai/mistral-nemo")
	um, err := c.UserModels(ctx)
	if err != nil || len(um) != len(ort.DefaultModels())-1 {
		t.Fatalf("%v: %d user models", err, len(um))
	}
	n, err := c.ModelCount(ctx, "all")
	if err != nil || n != len(ort.DefaultModels()) {
		t.Errorf("count %d, %v", n, err)
	}
	n, err = c.ModelCount(ctx, "image")
	if err != nil || n != 1 {
		t.Errorf("image count %d, %v", n, err)
	}
}

// TestModelCheckUsesUserModels checks that WithModelCheck refuses a model
// the account's settings exclude (absent from /models/user) before
// sending anything, and that CheckRoles says so.
func TestModelCheckUsesUserModels(t *testing.T) {
	srv, c, _ := setup(t, nil, openrouter.WithModelCheck())
	srv.HideFromUser("openai/gpt-4o-mini")
	_, err := c.Chat(context.Background(), hello())
	if !errors.Is(err, openrouter.ErrModelUnsuitable) || srv.Stats().Completions != 0 {
		t.Fatalf("%v, %d completions", err, srv.Stats().Completions)
	}
	checks, err := c.CheckRoles(context.Background())
	if err != nil || !errors.Is(checks[0].Err, openrouter.ErrModelUnsuitable) || checks[1].Err != nil {
		t.Errorf("%v %+v", err, checks)
	}
}

// TestCreateKeyIsNotResentAfterAnErrorAnswer checks that a key's creation
// is sent once even when its answer is a 502: the key may exist already,
// and a second one would have a budget of its own.
func TestCreateKeyIsNotResentAfterAnErrorAnswer(t *testing.T) {
	var posts atomic.Int32
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, `{"error":{"code":502,"message":"Bad gateway"}}`)
	}))
	defer hs.Close()
	c := openrouter.NewClient(ort.DefaultKey, openrouter.WithBaseURL(hs.URL), openrouter.WithLimiter(nil))
	openrouter.SetWaitHook(c, func(time.Duration) time.Duration { return 0 })
	_, err := c.Keys.Create(context.Background(), openrouter.NewKey{Name: "job", Limit: 5})
	if !errors.Is(err, openrouter.ErrServer) || posts.Load() != 1 {
		t.Errorf("Keys.Create after a 502: %v, %d POSTs; want ErrServer and one POST", err, posts.Load())
	}
}
