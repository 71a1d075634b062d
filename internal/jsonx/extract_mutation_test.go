package jsonx

import (
	"errors"
	"testing"
)

// TestExtractFenceIsTheAnswer checks the edges of fenced that mutation
// testing found unchecked: the inside of a closed fence is all that is
// read, even when the fence opens the text or brackets come before it;
// a fence without a language tag counts; the language tag is dropped
// whatever its last byte.
func TestExtractFenceIsTheAnswer(t *testing.T) {
	for in, want := range map[string]string{
		"see {x}\n```\n{\"a\":1}\n```":  `{"a":1}`, // a bracket in the prose before a bare fence
		"see {x}\n```js\n[2]\n```":      `[2]`,
		"```x[\n{\"a\":1}\n```":         `{"a":1}`, // a tag ending in a bracket is not JSON
		"note [1]\n```\n{\"b\":2}\n```": `{"b":2}`,
	} {
		got, _, err := Extract([]byte(in))
		if err != nil || string(got) != want {
			t.Errorf("Extract(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	// The fence closes before its value does: the value is cut off, even
	// though brackets after the fence would balance it.
	for _, in := range []string{
		"```\n{\"a\":\n```\n}",
		"```json\n{\"a\":\n```\n}",
		"text\n```\n[1,\n```\n]",
	} {
		if v, _, err := Extract([]byte(in)); !errors.Is(err, ErrTruncated) {
			t.Errorf("Extract(%q) = %q, %v; want ErrTruncated", in, v, err)
		}
	}
}

// TestExtractWrappedString checks the JSON-in-a-string path: its offset
// is where the string starts in the text (past a byte-order mark and
// prose), a string right before the value does not hide it, a string with
// nothing after it is no JSON, and strings are unwrapped two levels deep,
// not three.
func TestExtractWrappedString(t *testing.T) {
	text := "\ufeffsay \"{\\\"a\\\":1}\""
	v, off, err := Extract([]byte(text))
	if err != nil || string(v) != `{"a":1}` || off != 7 {
		t.Errorf("Extract(%q) = %q at %d, %v; want {\"a\":1} at 7", text, v, off, err)
	}
	fenced := "x\n```\n\"[1]\"\n```"
	if v, off, err := Extract([]byte(fenced)); err != nil || string(v) != `[1]` || off != 6 {
		t.Errorf("Extract(%q) = %q at %d, %v; want [1] at 6", fenced, v, off, err)
	}
	if v, _, err := Extract([]byte(`"hi"{"a":1}`)); err != nil || string(v) != `{"a":1}` {
		t.Errorf(`Extract("hi"{"a":1}) = %q, %v; want {"a":1}`, v, err)
	}
	for _, in := range []string{`"hi" and no JSON`, `"hi"`, `say "a" "b" then nothing`} {
		if v, _, err := Extract([]byte(in)); !errors.Is(err, ErrNoJSON) {
			t.Errorf("Extract(%q) = %q, %v; want ErrNoJSON", in, v, err)
		}
	}
	two := `"\"{\\\"a\\\":1}\""` // a string holding a string holding {"a":1}
	if v, _, err := Extract([]byte(two)); err != nil || string(v) != `{"a":1}` {
		t.Errorf("Extract(%s) = %q, %v; want {\"a\":1}", two, v, err)
	}
	three := `"\"\\\"{\\\\\\\"a\\\\\\\":1}\\\"\""` // one level more
	if v, _, err := Extract([]byte(three)); !errors.Is(err, ErrNoJSON) {
		t.Errorf("Extract(%s) = %q, %v; want ErrNoJSON (three levels of strings)", three, v, err)
	}
}

// TestExtractSyntaxErrorOffsetPastBOM checks that a syntax error's offset
// counts the byte-order mark skipped before the value.
func TestExtractSyntaxErrorOffsetPastBOM(t *testing.T) {
	_, _, err := Extract([]byte("\ufeffab {]"))
	var se *SyntaxError
	if !errors.As(err, &se) || se.Offset != 7 {
		t.Errorf("Extract(BOM + \"ab {]\") = %v; want a SyntaxError at byte 7", err)
	}
}
