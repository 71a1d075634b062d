package openrouter_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/routerkit/openrouter"
)

// TestSetRolesKeepsWhatTheClientKnows: a user picks other models after
// the client checked them; the client changes roles without a second
// client, and keeps its spending and its limiter.
func TestSetRolesKeepsWhatTheClientKnows(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil, openrouter.WithLimiter(openrouter.NewAdaptiveLimiter()))
	lim := c.Limiter()
	if _, err := c.Chat(context.Background(), hello()); err != nil {
		t.Fatal(err)
	}
	spent := c.Spent()
	if err := c.SetRoles(openrouter.Roles{Standard: "anthropic/claude-haiku-4.5"}); err != nil {
		t.Fatal(err)
	}
	want := openrouter.DefaultRoles()
	want.Standard = "anthropic/claude-haiku-4.5"
	if c.Roles() != want {
		t.Errorf("Roles() = %+v", c.Roles())
	}
	if _, err := c.Chat(context.Background(), &openrouter.ChatRequest{Messages: hello().Messages}); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if got := reqs[len(reqs)-1].Model; got != "anthropic/claude-haiku-4.5" {
		t.Errorf("a request with no model went to %s", got)
	}
	if c.Spent() <= spent || c.Limiter() != lim {
		t.Errorf("the client forgot what it knew: spent %v then %v", spent, c.Spent())
	}
}

func TestSetRolesRefusesBadModels(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t, nil)
	err := c.SetRoles(openrouter.Roles{Rewrite: "anthropic/claude haiku"})
	if !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("err = %v", err)
	}
	if c.Roles() != openrouter.DefaultRoles() {
		t.Errorf("a refused SetRoles changed the roles: %+v", c.Roles())
	}
}

// TestSetRolesWhileCalling is for the race detector: roles change while
// calls read them.
func TestSetRolesWhileCalling(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t, nil)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				_ = c.SetRoles(openrouter.Roles{Standard: "openai/gpt-4o-mini"})
				return
			}
			if _, err := c.Chat(context.Background(), &openrouter.ChatRequest{Messages: hello().Messages}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}

// TestSetRolesReplacesAllRoles pins what README.md and SetRoles' doc say:
// SetRoles replaces every role (an empty field takes its default, not the
// client's current model), so changing one role starts from Client.Roles.
func TestSetRolesReplacesAllRoles(t *testing.T) {
	t.Parallel()
	custom := openrouter.Roles{Standard: "anthropic/claude-haiku-4.5"}
	_, c, _ := setup(t, nil, openrouter.WithRoles(custom))

	roles := c.Roles()
	roles.Rewrite = "openai/gpt-4o-mini"
	if err := c.SetRoles(roles); err != nil {
		t.Fatal(err)
	}
	if got := c.Roles(); got.Standard != custom.Standard || got.Rewrite != "openai/gpt-4o-mini" {
		t.Errorf("starting from Roles(): got %+v, want Standard kept and Rewrite changed", got)
	}

	if err := c.SetRoles(openrouter.Roles{Rewrite: "openai/gpt-4o-mini"}); err != nil {
		t.Fatal(err)
	}
	if got, def := c.Roles().Standard, openrouter.DefaultRoles().Standard; got != def {
		t.Errorf("SetRoles with an empty Standard kept %s; the doc says it takes the default %s", got, def)
	}
}
