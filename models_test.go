package openrouter_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

func ids(models []openrouter.Model) []string {
	var out []string
	for _, m := range models {
		out = append(out, m.ID)
	}
	return out
}

func TestModelsTypedValues(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t, nil)
	m, err := c.Model(context.Background(), "openai/gpt-4o-mini")
	if err != nil {
		t.Fatal(err)
	}
	want := openrouter.Pricing{Prompt: 0.00000015, Completion: 0.0000006}
	if diff := cmp.Diff(want, m.Pricing); diff != "" {
		t.Errorf("pricing (-want +got):\n%s", diff)
	}
	if m.ContextLength != 128000 || m.TopProvider.MaxCompletionTokens != 16384 || m.Name != "OpenAI: GPT-4o-mini" ||
		!m.SupportsStructuredOutputs() || !m.Supports("tools") || m.OutputsImage() || m.Created.IsZero() {
		t.Errorf("model = %+v", m)
	}
	// Prices are per token: hand-computed costs.
	if got := m.Cost(1000, 500); math.Abs(got-0.00045) > 1e-12 { // 1000*0.00000015 + 500*0.0000006
		t.Errorf("gpt-4o-mini 1000+500 tokens = $%v, want $0.00045", got)
	}
	sonnet, _ := c.Model(context.Background(), "anthropic/claude-sonnet-4.5")
	if got := sonnet.Cost(2000, 1000); math.Abs(got-0.021) > 1e-12 { // 2000*0.000003 + 1000*0.000015
		t.Errorf("sonnet 2000+1000 tokens = $%v, want $0.021", got)
	}
	img, _ := c.Model(context.Background(), "google/gemini-2.5-flash-image")
	if !img.OutputsImage() || img.Pricing.Image != 0.001238 {
		t.Errorf("image model = %+v", img)
	}
	old, _ := c.Model(context.Background(), "openai/gpt-4-turbo-preview")
	if old.ExpirationDate != "2026-01-31" {
		t.Errorf("deprecated model's expiration = %q", old.ExpirationDate)
	}
}

func TestModelPriceMatchesCharge(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t, nil)
	res, err := c.Chat(context.Background(), hello())
	if err != nil {
		t.Fatal(err)
	}
	m, _ := c.Model(context.Background(), res.Model)
	if want := m.Cost(res.Usage.PromptTokens, res.Usage.CompletionTokens); math.Abs(res.Cost()-want) > 1e-15 {
		t.Errorf("charged $%v, catalogue price gives $%v", res.Cost(), want)
	}
}

func TestModelsFilters(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t, nil)
	ctx := context.Background()
	for name, tc := range map[string]struct {
		f    openrouter.ModelFilter
		want []string
	}{
		"image output": {openrouter.ModelFilter{OutputModality: "image"}, []string{"google/gemini-2.5-flash-image"}},
		"structured outputs and a 200k context": {openrouter.ModelFilter{SupportedParameters: []string{"structured_outputs", "tools"}, MinContextLength: 200000},
			[]string{"anthropic/claude-haiku-4.5", "anthropic/claude-sonnet-4.5", "google/gemini-2.5-flash"}},
	} {
		got, err := c.Models(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, ids(got)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	all, _ := c.Models(ctx, openrouter.ModelFilter{})
	if len(all) != len(ort.DefaultModels()) {
		t.Errorf("zero filter: %d models, want the whole catalogue (%d)", len(all), len(ort.DefaultModels()))
	}
}

func TestCatalogueFetchedOncePerTTL(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	var wg sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Models(context.Background(), openrouter.ModelFilter{}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if _, err := c.Model(context.Background(), "openai/gpt-4o-mini"); err != nil {
		t.Fatal(err)
	}
	if n := srv.Stats().ModelsRequests; n != 1 {
		t.Errorf("100 goroutines and a lookup made %d catalogue fetches, want 1", n)
	}
}

func TestCatalogueServesLastGoodCopy(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	srv := ort.NewServer()
	c := srv.Client(openrouter.WithCatalogTTL(0), openrouter.WithRetry(0, 0, 0),
		openrouter.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if _, err := c.Models(context.Background(), openrouter.ModelFilter{}); err != nil {
		t.Fatal(err)
	}
	srv.Close() // every refresh fails from now on
	got, err := c.Models(context.Background(), openrouter.ModelFilter{})
	if err != nil || len(got) != len(ort.DefaultModels()) {
		t.Fatalf("after a failed refresh: %d models, %v; want the last good copy", len(got), err)
	}
	if !strings.Contains(logs.String(), "refresh failed") {
		t.Errorf("the failed refresh was not logged: %q", logs.String())
	}
	if strings.Contains(logs.String(), srv.Key) {
		t.Error("the log contains the API key")
	}
}

func TestModelVariants(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t, nil)
	for id, want := range map[string]string{
		"openai/gpt-4o-mini:nitro":                     "openai/gpt-4o-mini",
		"openai/gpt-4o-mini:online":                    "openai/gpt-4o-mini",
		"openai/gpt-4o-mini:floor:exacto":              "openai/gpt-4o-mini",
		"meta-llama/llama-3.3-70b-instruct:free":       "meta-llama/llama-3.3-70b-instruct:free",
		"meta-llama/llama-3.3-70b-instruct:free:nitro": "meta-llama/llama-3.3-70b-instruct:free",
	} {
		m, err := c.Model(context.Background(), id)
		if err != nil || m.ID != want {
			t.Errorf("Model(%q) = %v, %v; want %s", id, m, err, want)
		}
	}
	if m, _ := c.Model(context.Background(), "meta-llama/llama-3.3-70b-instruct:free"); m.Pricing.Prompt != 0 {
		t.Errorf(":free entry is priced %v", m.Pricing)
	}
	_, err := c.Model(context.Background(), "openai/gpt-4o-mini:free") // no such catalogue entry
	assertSentinels(t, err, "ErrModelNotFound")
}

func TestDidYouMean(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t, nil)
	for typo, want := range map[string]string{
		"claude-haiku-4.5":            "anthropic/claude-haiku-4.5", // missing vendor prefix
		"anthropic/claude-haiku-4-5":  "anthropic/claude-haiku-4.5", // wrong version separator
		"anthropic/claude-3-haiku":    "anthropic/claude-haiku-4.5", // a retired model
		"google/gemini-2.5-flash-img": "google/gemini-2.5-flash-image",
	} {
		_, err := c.Model(context.Background(), typo)
		var e *openrouter.APIError
		if !errors.As(err, &e) || !errors.Is(err, openrouter.ErrModelNotFound) {
			t.Fatalf("Model(%q): err = %v", typo, err)
		}
		if len(e.Suggestions) == 0 || e.Suggestions[0] != want {
			t.Errorf("Model(%q) suggests %v, want %s first", typo, e.Suggestions, want)
		}
		if !strings.Contains(err.Error(), "did you mean "+want) {
			t.Errorf("error %q does not ask 'did you mean %s'", err, want)
		}
	}
}

func TestChatUnknownModelSuggestsWhenCatalogueKnown(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t, nil)
	req := hello()
	req.Model = "anthropic/claude-haiku-4-5"
	_, err := c.Chat(context.Background(), req)
	var e *openrouter.APIError
	if !errors.As(err, &e) || len(e.Suggestions) != 0 {
		t.Fatalf("without the catalogue: err = %v, want no suggestions", err)
	}
	if _, err := c.Models(context.Background(), openrouter.ModelFilter{}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Chat(context.Background(), req)
	if !errors.As(err, &e) || len(e.Suggestions) == 0 || e.Suggestions[0] != "anthropic/claude-haiku-4.5" {
		t.Errorf("with the catalogue: err = %v", err)
	}
	assertSentinels(t, err, "ErrModelNotFound", "ErrBadRequest")
}

func TestModelCheckSendsNothing(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil, openrouter.WithModelCheck())
	req := hello()
	req.Models = []string{"anthropic/claude-haiku-4.5", "mistral/mistral-nemo"}
	_, err := c.Chat(context.Background(), req)
	assertSentinels(t, err, "ErrModelNotFound")
	if !strings.Contains(err.Error(), "mistralai/mistral-nemo") {
		t.Errorf("err = %v, want a suggestion", err)
	}
	if n := srv.Stats().Completions + len(srv.Requests()); n != 0 {
		t.Errorf("a chat request was sent")
	}
	req.Models = nil
	if _, err := c.Chat(context.Background(), req); err != nil {
		t.Errorf("a known model was refused: %v", err)
	}
}

func TestRoles(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t, nil)
	checks, err := c.CheckRoles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range checks {
		if ch.Err != nil {
			t.Errorf("default role %s (%s): %v", ch.Role, ch.Model, ch.Err)
		}
	}
	_, bad, _ := setup(t, nil, openrouter.WithRoles(openrouter.Roles{Standard: "openai/gpt-4o", Deep: "google/gemini-2.5-flash-image",
		Rewrite: "mistralai/mistral-nemo", Image: "openai/gpt-4o-mini"}))
	checks, err = bad.CheckRoles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]error{"standard": openrouter.ErrModelNotFound, "deep": openrouter.ErrModelUnsuitable,
		"rewrite": openrouter.ErrModelUnsuitable, "image": openrouter.ErrModelUnsuitable}
	for _, ch := range checks {
		if !errors.Is(ch.Err, want[ch.Role]) {
			t.Errorf("role %s (%s): err = %v, want %v", ch.Role, ch.Model, ch.Err, want[ch.Role])
		}
	}
}
