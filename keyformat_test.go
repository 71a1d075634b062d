package openrouter

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
)

// leaksEncoded is leaks for texts that may hold the key hex-encoded (%x
// and %X print a string's bytes in hex).
func leaksEncoded(s string) bool {
	secret := strings.TrimPrefix(testKey, "sk-or-v1-")[:redactRun]
	h := hex.EncodeToString([]byte(secret))
	return leaks(s) || strings.Contains(s, "Bearer") || strings.Contains(strings.ToLower(s), h)
}

// TestClientValueHidesKey: a Client value (not only a pointer) printed
// with any verb, or logged, shows no part of the key, nor the
// Authorization header; so does a struct holding one.
func TestClientValueHidesKey(t *testing.T) {
	t.Parallel()
	c := NewClient(testKey, WithAppInfo("https://example.com", "App"))
	// A copy of the Client, as a program that dereferences the pointer
	// holds (reflect makes it without a copy of the lock that vet flags).
	value := reflect.ValueOf(c).Elem().Interface()
	holder := reflect.New(reflect.StructOf([]reflect.StructField{{Name: "C", Type: reflect.TypeOf(value)}})).Elem()
	holder.Field(0).Set(reflect.ValueOf(value))
	stream := reflect.ValueOf(c.ChatStream(context.Background(), nil)).Elem().Interface()
	for what, v := range map[string]any{"pointer": c, "value": value, "struct holding a value": holder.Interface(),
		"struct holding a pointer": struct{ C *Client }{c}, "Stream value": stream} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%o", "%b", "%e", "%g", "%t", "%c", "%U", "%p", "%T %v", "%10.3s", "%-+#v"} {
			if got := fmt.Sprintf(verb, v); leaksEncoded(got) {
				t.Errorf("%s with %s prints the key: %s", what, verb, got)
			}
		}
		if got := fmt.Sprint(v) + fmt.Sprintln(v); leaksEncoded(got) {
			t.Errorf("%s with Sprint prints the key: %s", what, got)
		}
		var buf bytes.Buffer
		for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
			slog.New(h).Info("client", "client", v)
		}
		if leaksEncoded(buf.String()) {
			t.Errorf("%s logged with slog prints the key: %s", what, buf.String())
		}
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		if got := fmt.Sprintf(verb, c.secrets()); got != "[redacted]" {
			t.Errorf("the key holder with %s prints %q, want [redacted]", verb, got)
		}
	}
}
