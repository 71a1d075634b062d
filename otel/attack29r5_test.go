package orotel_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
	orotel "github.com/routerkit/openrouter/otel"
)

// recoveryServer answers a chat with its body cut after the headers
// (X-Generation-Id gen-lost), the generation's record as finished, and
// its stored content with body (status 200).
func recoveryServer(t *testing.T, content string) string {
	t.Helper()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodPost:
			w.Header().Set("X-Generation-Id", "gen-lost")
			w.Header().Set("Content-Length", "500")
			w.WriteHeader(200)
			fmt.Fprint(w, `{"id":"gen-lost","choices":[{"message":{"content":"`)
			// the handler returns: the body ends short of its length
		case strings.HasPrefix(r.URL.Path, "/api/v1/generation/content"):
			fmt.Fprint(w, content)
		case strings.HasPrefix(r.URL.Path, "/api/v1/generation"):
			fmt.Fprint(w, `{"data":{"id":"gen-lost","model":"openai/gpt-4o-mini","finish_reason":"stop","total_cost":0.001}}`)
		default:
			w.WriteHeader(404)
		}
	}))
	t.Cleanup(hs.Close)
	return hs.URL + "/api/v1"
}

// The reason a lost answer was not recovered reaches no span when it
// quotes the stored generation (its prompt, its completion), as an
// error's message does not without WithErrorMessages: a stored content
// not of the shape expected quotes the answer (the prompt in it). Before,
// the Recovery event recorded the reason verbatim, prompt and all.
func TestAttack29RecoveryReasonQuotesNoContent(t *testing.T) {
	const secret = "SECRET-PROMPT-TEXT"
	base := recoveryServer(t, `{"data":{"input":{"prompt":"`+secret+`"},"output":{"completion":17}}}`)
	for _, opts := range [][]orotel.Option{nil, {orotel.WithErrorMessages()}} {
		o, sr, _, _ := newObserver(t, opts...)
		c := openrouter.NewClient(openroutertest.DefaultKey, openrouter.WithBaseURL(base), openrouter.WithObserver(o),
			openrouter.WithLimiter(nil), openrouter.WithRetry(0, 0, 0))
		_, err := c.Chat(context.Background(), hello())
		if err == nil {
			t.Fatal("want an error")
		}
		if !strings.Contains(err.Error(), secret) {
			t.Logf("the call's error: %v", err)
			t.Fatal("the error does not quote the stored content: the check below would see nothing")
		}
		found, recovery := false, false
		for _, s := range sr.Ended() {
			for _, ev := range s.Events() {
				if ev.Name != "openrouter.recovery" {
					continue
				}
				recovery = true
				if r := attrs(ev.Attributes)["openrouter.reason"].AsString(); opts == nil && r != "reading its content: ErrServer (HTTP 200)" {
					t.Errorf("the recovery's reason is %q, want the step and the error's name", r)
				}
			}
		}
		for _, s := range spanTexts(sr.Ended()) {
			if strings.Contains(s, secret) {
				found = true
				if opts == nil {
					t.Errorf("a span holds the stored prompt: %s", s)
				}
			}
		}
		if !recovery {
			t.Error("no recovery event")
		}
		if opts != nil && !found {
			t.Error("WithErrorMessages: the recovery's reason is not recorded")
		}
	}
}
