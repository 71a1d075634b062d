package openrouter_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	ort "github.com/routerkit/openrouter/openroutertest"
)

// extRecorder is an obsRecorder that also sees the limiter, streams'
// first chunks and recoveries.
type extRecorder struct {
	obsRecorder
	limWaits   []openrouter.LimiterWait
	rates      []openrouter.RateChange
	firsts     []openrouter.FirstChunk
	recoveries []openrouter.Recovery
}

func (r *extRecorder) LimiterWait(_ context.Context, e openrouter.LimiterWait) {
	r.mu.Lock()
	r.limWaits = append(r.limWaits, e)
	r.mu.Unlock()
}
func (r *extRecorder) RateChange(_ context.Context, e openrouter.RateChange) {
	r.mu.Lock()
	r.rates = append(r.rates, e)
	r.mu.Unlock()
}
func (r *extRecorder) FirstChunk(_ context.Context, e openrouter.FirstChunk) {
	r.mu.Lock()
	r.firsts = append(r.firsts, e)
	r.mu.Unlock()
}
func (r *extRecorder) Recovery(_ context.Context, e openrouter.Recovery) {
	r.mu.Lock()
	r.recoveries = append(r.recoveries, e)
	r.mu.Unlock()
}

// A 429 is seen by the limiter's observer: the rate it learned, and the
// gate's wait before the retry (on the limiter's fake clock).
func TestObserverSeesLimiter(t *testing.T) {
	rec := &extRecorder{}
	clk := openrouter.NewFakeClock()
	lim := openrouter.NewAdaptiveLimiter()
	openrouter.SetClock(lim, clk)
	srv, c, _ := setup(t, nil, openrouter.WithObserver(rec), openrouter.WithLimiter(lim))
	openrouter.SetNow(c, clk.Now)
	srv.Enqueue(ort.Reply{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"2"}},
		Error: &ort.ErrorBody{Code: 429, Message: "slow down"}}, ort.Reply{Content: "Hi"})
	if _, err := c.Chat(context.Background(), hello()); err != nil {
		t.Fatal(err)
	}
	if len(rec.limWaits) != 2 || rec.limWaits[0].Wait != 0 || rec.limWaits[1].Wait < time.Second || rec.limWaits[1].Model != "openai/gpt-4o-mini" {
		t.Errorf("limiter waits = %+v, want none then the gate's", rec.limWaits)
	}
	if len(rec.rates) != 1 || rec.rates[0].Previous != 0 || rec.rates[0].Rate != lim.LearnedRate() || lim.LearnedRate() <= 0 {
		t.Errorf("rate changes = %+v, learned %v", rec.rates, lim.LearnedRate())
	}
}

// A cut answer read back from its generation is seen as a recovery, and
// its call ends with nothing maybe billed; a stream's first chunk is seen.
func TestObserverSeesRecoveryAndFirstChunk(t *testing.T) {
	rec := &extRecorder{}
	srv, c, _ := setup(t, []ort.Option{ort.WithContentLogging()}, openrouter.WithObserver(rec))
	openrouter.SetRecoverSleep(c, func(time.Duration) {})
	srv.Enqueue(ort.TextReply(wholeAnswer).CutAfter(0))
	res, err := c.Chat(context.Background(), hello())
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.recoveries) != 1 || !rec.recoveries[0].Recovered || rec.recoveries[0].GenerationID != res.ID {
		t.Errorf("recoveries = %+v, want %s recovered", rec.recoveries, res.ID)
	}
	// The lookups are calls of their own (GET /generation, its content),
	// ended before the chat call.
	if n := len(rec.calls); n != 3 || rec.calls[2].Path != "/chat/completions" || rec.calls[2].MaybeBilled != 0 || rec.calls[2].Err != nil || rec.calls[2].Usage == nil {
		t.Errorf("call ends = %+v", rec.calls)
	}
	srv.Enqueue(ort.TextReply(wholeAnswer))
	if _, err := collect(c.ChatStream(context.Background(), hello())); err != nil {
		t.Fatal(err)
	}
	if len(rec.firsts) != 1 || rec.firsts[0].Model != "openai/gpt-4o-mini" || len(rec.calls) != 4 {
		t.Errorf("first chunks = %+v, %d calls ended", rec.firsts, len(rec.calls))
	}
}
