package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestOffline runs the program against the embedded fake server and
// checks both parts: the streamed text, and the function-call turn.
func TestOffline(t *testing.T) {
	t.Setenv("OPENROUTER_BASE_URL", "")
	var out bytes.Buffer
	if err := run(context.Background(), &out, "", "openai/gpt-4o-mini"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"running offline", "Streams arrive as typed events.\n(stream completed, $",
		`The model calls get_weather({"city":"Paris"})`, "It is sunny in Paris, 21°C.", "Spent $"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
