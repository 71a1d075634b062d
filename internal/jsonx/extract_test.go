package jsonx

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

func TestExtract(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`{"a":1}`:                                 `{"a":1}`,
		"```json\n{\"a\":1}\n```":                 `{"a":1}`,
		"Here you go:\n```\n[1,2]\n```\nThanks!":  `[1,2]`,
		"Sure: {\"a\":\"}{\"} and more {\"b\":2}": `{"a":"}{"}`,
		"\ufeff{\"a\":1}":                         `{"a":1}`,
		`"{\"a\":1}"`:                             `{"a":1}`,
		`He said "hi" then {"a":[{"b":null}]}.`:   `{"a":[{"b":null}]}`,
		`{"esc":"a \" } b"}`:                      `{"esc":"a \" } b"}`,
	} {
		got, _, err := Extract([]byte(in))
		if err != nil || string(got) != want {
			t.Errorf("Extract(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestExtractOffset(t *testing.T) {
	t.Parallel()
	text := []byte("Intro text. ```json\n{\"a\":1}\n```")
	v, off, err := Extract(text)
	if err != nil || string(text[off:off+int64(len(v))]) != string(v) {
		t.Errorf("offset %d does not point at %q", off, v)
	}
}

func TestExtractErrors(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]error{
		"no json here":          ErrNoJSON,
		`{"a":1, "b":"unterm`:   ErrTruncated,
		`{"a":[1,2}`:            nil, // a *SyntaxError
		`prose ] {"a":1`:        ErrTruncated,
		"```json\n{\"a\":\n```": ErrTruncated,
	} {
		_, _, err := Extract([]byte(in))
		var se *SyntaxError
		switch {
		case want == nil && !errors.As(err, &se):
			t.Errorf("Extract(%q) = %v, want a SyntaxError", in, err)
		case want != nil && !errors.Is(err, want):
			t.Errorf("Extract(%q) = %v, want %v", in, err, want)
		}
	}
	_, _, err := Extract([]byte(`xx {"a":[1,2}`))
	var se *SyntaxError
	if !errors.As(err, &se) || se.Offset != 12 {
		t.Errorf("syntax error offset = %v, want 12", err)
	}
}

// FuzzExtract: never panics, and whatever it returns is balanced JSON
// that, when it decodes, decodes whole. Seeds: testdata/fuzz/FuzzExtract.
func FuzzExtract(f *testing.F) {
	f.Add("```json\n{\"title\":\"x\"}\n```")
	f.Add(`Sure! {"a":[1,{"b":"}"}]} done`)
	f.Add(`"{\"a\":\"{\\\"b\\\":1}\"}"`)
	f.Add("\ufeff[1,2,3]")
	f.Fuzz(func(t *testing.T, in string) {
		v, off, err := Extract([]byte(in))
		if err != nil {
			return
		}
		if len(v) == 0 || (v[0] != '{' && v[0] != '[') || off < 0 || off > int64(len(in)) {
			t.Fatalf("Extract(%q) = %q at %d", in, v, off)
		}
		if json.Valid(v) {
			// As numbers: a valid number may not fit a float64
			// (1e400), which the caller reports as unparseable.
			dec := json.NewDecoder(bytes.NewReader(v))
			dec.UseNumber()
			var x any
			if err := dec.Decode(&x); err != nil || dec.More() {
				t.Fatalf("valid %q does not decode whole: %v", v, err)
			}
		}
	})
}
