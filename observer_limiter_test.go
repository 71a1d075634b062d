package openrouter_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// limiterSetup returns a client whose AdaptiveLimiter (opts) runs on a
// fake clock, observed by rec.
func limiterSetup(t *testing.T, rec openrouter.Observer, opts ...openrouter.LimiterOption) (*ort.Server, *openrouter.Client, *openrouter.AdaptiveLimiter) {
	t.Helper()
	clk := openrouter.NewFakeClock()
	lim := openrouter.NewAdaptiveLimiter(opts...)
	openrouter.SetClock(lim, clk)
	srv, c, _ := setup(t, nil, openrouter.WithObserver(rec), openrouter.WithLimiter(lim))
	openrouter.SetNow(c, clk.Now)
	return srv, c, lim
}

// chatAfter429 sends a chat that srv answers first with a 429 of
// Retry-After secs (scoped to the model, its provider full, when
// toModel), then with "Hi".
func chatAfter429(t *testing.T, srv *ort.Server, c *openrouter.Client, secs string, toModel bool) {
	t.Helper()
	e := &ort.ErrorBody{Code: 429, Message: "slow down"}
	if toModel {
		e = &ort.ErrorBody{Code: 429, Message: "provider at capacity", Metadata: map[string]any{"provider_name": "OpenAI"}}
	}
	srv.Enqueue(ort.Reply{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {secs}}, Error: e}, ort.Reply{Content: "Hi"})
	if _, err := c.Chat(context.Background(), hello()); err != nil {
		t.Fatal(err)
	}
}

// The limiter's waits say which part held them: the account's gate after
// a long Retry-After, the model's gate after a 429 scoped to the model
// (its provider full), and pacing to a fixed rate.
func TestObserverLimiterWaitParts(t *testing.T) {
	t.Run("gate", func(t *testing.T) {
		rec := &extRecorder{}
		srv, c, _ := limiterSetup(t, rec)
		chatAfter429(t, srv, c, "5", false)
		if len(rec.limWaits) != 2 || rec.limWaits[0].Cause() != "" || rec.limWaits[1].Gate < 4*time.Second ||
			rec.limWaits[1].ModelGate != 0 || rec.limWaits[1].Cause() != "gate" {
			t.Errorf("limiter waits = %+v, want none, then the account's gate", rec.limWaits)
		}
	})
	t.Run("model gate", func(t *testing.T) {
		rec := &extRecorder{}
		srv, c, _ := limiterSetup(t, rec)
		chatAfter429(t, srv, c, "5", true)
		if len(rec.limWaits) != 2 || rec.limWaits[1].ModelGate < 4*time.Second || rec.limWaits[1].Gate != 0 || rec.limWaits[1].Cause() != "model_gate" {
			t.Errorf("limiter waits = %+v, want the model's gate", rec.limWaits)
		}
	})
	t.Run("pace", func(t *testing.T) {
		rec := &extRecorder{}
		_, c, _ := limiterSetup(t, rec, openrouter.LimitRate(1, 1))
		for i := 0; i < 2; i++ {
			if _, err := c.Chat(context.Background(), hello()); err != nil {
				t.Fatal(err)
			}
		}
		if len(rec.limWaits) != 2 || rec.limWaits[1].Pace < 900*time.Millisecond || rec.limWaits[1].Gate != 0 || rec.limWaits[1].Cause() != "pace" {
			t.Errorf("limiter waits = %+v, want pacing to 1/s", rec.limWaits)
		}
	})
}

// The learned rate's changes are reported with the rate before: the
// first 429 sets one, the cut of a second 429 lowers it.
func TestObserverLimiterRateChanges(t *testing.T) {
	rec := &extRecorder{}
	srv, c, lim := limiterSetup(t, rec)
	for i := 0; i < 2; i++ {
		chatAfter429(t, srv, c, "1", false)
	}
	if len(rec.rates) == 0 || rec.rates[0].Previous != 0 || rec.rates[len(rec.rates)-1].Rate != lim.LearnedRate() {
		t.Fatalf("rate changes = %+v, learned %v", rec.rates, lim.LearnedRate())
	}
	for k := 1; k < len(rec.rates); k++ {
		if rec.rates[k].Previous != rec.rates[k-1].Rate {
			t.Errorf("change %d: previous %v, want %v", k, rec.rates[k].Previous, rec.rates[k-1].Rate)
		}
	}
}

// A 429 scoped to the model (its provider full) changes the rate learned
// for that model: reported with the model's name, the account's rate
// untouched.
func TestObserverModelRateChange(t *testing.T) {
	rec := &extRecorder{}
	srv, c, lim := limiterSetup(t, rec)
	chatAfter429(t, srv, c, "1", true)
	model := hello().Model
	if len(rec.rates) != 1 || rec.rates[0].Model != model || rec.rates[0].Previous != 0 || rec.rates[0].Rate != lim.ModelRate(model) ||
		lim.ModelRate(model) <= 0 || lim.LearnedRate() != 0 {
		t.Errorf("rate changes %+v; the model's rate %v, the account's %v", rec.rates, lim.ModelRate(model), lim.LearnedRate())
	}
}
