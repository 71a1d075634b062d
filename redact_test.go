package openrouter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const testKey = "sk-or-v1-0123456789abcdef0123456789abcdef0123456789abcdef01234567fedc"

// leaks reports whether s holds the key or any 12-character run of its
// secret part.
func leaks(s string) bool {
	secret := strings.TrimPrefix(testKey, "sk-or-v1-")
	for i := 0; i+redactRun <= len(secret); i++ {
		if strings.Contains(s, secret[i:i+redactRun]) {
			return true
		}
	}
	return strings.Contains(s, testKey)
}

func TestRedactorString(t *testing.T) {
	t.Parallel()
	r := newRedactor(testKey)
	secret := strings.TrimPrefix(testKey, "sk-or-v1-")
	for _, in := range []string{
		"key " + testKey + " rejected",
		"key " + testKey[:len(testKey)-5] + "... rejected", // the end cut off
		"key ..." + testKey[20:] + " rejected",             // the start cut off
		"Bearer " + secret[10:22],                          // exactly one run
		secret[:12] + secret[:12] + "x" + secret[30:50],    // several runs
	} {
		got := r.String(in)
		if leaks(got) || !strings.Contains(got, "[redacted]") {
			t.Errorf("String(%q) = %q", in, got)
		}
	}
	for _, in := range []string{"", "short", "nothing of the key here, only text", secret[:11]} {
		if got := r.String(in); got != in {
			t.Errorf("String(%q) = %q, want it unchanged", in, got)
		}
	}
	if got := r.String("a " + secret[:12] + " b"); got != "a [redacted] b" {
		t.Errorf("the text around a run is kept: %q", got)
	}
}

// TestClientFormatting: no verb, and no slog handler, prints the key.
func TestClientFormatting(t *testing.T) {
	t.Parallel()
	c := NewClient(testKey, WithAppInfo("https://example.com", "App"))
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%T %v"} {
		if got := fmt.Sprintf(verb, c); leaks(got) || strings.Contains(got, "Bearer") {
			t.Errorf("Sprintf(%q) prints the key: %s", verb, got)
		}
	}
	if got := fmt.Sprint(c) + fmt.Sprintln(c) + fmt.Sprintf("%#v", c); leaks(got) || !strings.Contains(got, DefaultBaseURL) {
		t.Errorf("Sprint: %s", got)
	}
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		slog.New(h).Info("client", "client", c, "any", slog.Any("c", c))
	}
	if leaks(buf.String()) || !strings.Contains(buf.String(), "base_url") {
		t.Errorf("slog prints: %s", buf.String())
	}
	// The structs that hold a *Client print its pointer, not its fields.
	if got := fmt.Sprintf("%+v %#v", c.ChatStream(context.Background(), nil), struct{ C *Client }{c}); leaks(got) {
		t.Errorf("a struct holding the client prints the key: %s", got)
	}
}

// echoKey answers every request with a body that echoes the key it was
// sent, whole and cut, in the places a proxy or a provider might.
func echoKey(status int, contentType, body string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		cut := key[:len(key)-7]
		b := strings.NewReplacer("KEY", key, "CUT", cut).Replace(body)
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(b))
	}))
}

// TestKeyEchoRedacted: an echoed key, whole or cut, is in no error text,
// whatever carried it: an error status, an error inside a 200, an HTML
// page, a stream event, a chunk that is not JSON.
func TestKeyEchoRedacted(t *testing.T) {
	t.Parallel()
	errObj := `{"error":{"code":"CUT","message":"bad key KEY","metadata":{"raw":"{\"error\":{\"message\":\"key CUT invalid\"}}","provider_name":"CUT","headers":{"Authorization":"Bearer KEY"},"reasons":["CUT"]}}}`
	for _, tc := range []struct {
		name, ct, body string
		status         int
		stream         bool
	}{
		{"401", "application/json", errObj, 401, false},
		{"error in a 200", "application/json", errObj, 200, false},
		{"HTML 502", "text/html", "<html><title>Bad key CUT</title></html>", 502, false},
		{"200 not JSON", "text/html", "<html><title>key CUT</title></html>", 200, false},
		{"error event", "text/event-stream", "data: " + errObj + "\n\n", 200, true},
		{"chunk not JSON", "text/event-stream", "data: {not json CUT}\n\n", 200, true},
		{"JSON error as text/plain", "text/plain", errObj, 200, true},
		{"choice error", "application/json", `{"id":"g","choices":[{"index":0,"finish_reason":"error","error":{"code":502,"message":"upstream said KEY"},"message":{"role":"assistant","content":""}}]}`, 200, false},
		{"choice error event", "text/event-stream", `data: {"id":"g","choices":[{"index":0,"finish_reason":"error","error":{"code":502,"message":"upstream said CUT"},"delta":{}}]}` + "\n\n", 200, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := echoKey(tc.status, tc.ct, tc.body)
			defer srv.Close()
			c := NewClient(testKey, WithBaseURL(srv.URL), WithRetry(0, 0, 0), WithLimiter(nil))
			req := &ChatRequest{Model: "m/x", Messages: []Message{UserMessage("hi")}}
			var err error
			if tc.stream {
				for _, e := range c.ChatStream(context.Background(), req).Chunks() {
					if e != nil {
						err = e
					}
				}
			} else {
				_, err = c.Chat(context.Background(), req)
			}
			if err == nil {
				t.Fatal("no error")
			}
			texts := []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), Hint(err)}
			var e *APIError
			if errors.As(err, &e) {
				md, _ := json.Marshal(e.Metadata)
				texts = append(texts, string(md), e.Code)
			}
			for _, s := range texts {
				if leaks(s) {
					t.Errorf("the key leaks: %s", s)
				}
			}
		})
	}
}
