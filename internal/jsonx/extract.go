// Package jsonx finds the JSON value in what a model answered: inside a
// code fence, with prose before or after it, behind a byte-order mark, or
// as a JSON string that holds the JSON.
package jsonx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// SyntaxError says where the text stops being JSON.
type SyntaxError struct {
	Offset int64 // byte offset in the text given to Extract
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.Offset, e.Msg)
}

// ErrNoJSON is returned when the text holds no '{' or '['.
var ErrNoJSON = errors.New("no JSON object or array in the answer")

// ErrTruncated is returned when the JSON starts but the text ends before
// it does.
var ErrTruncated = errors.New("the JSON is cut off before its end")

// Extract returns the first JSON object or array in text: its brackets
// balance, outside strings; whether the inside is valid JSON is left to
// the decoder that follows (one scan instead of two). It looks inside a
// ``` fence when there is one, skips a byte-order mark and prose around
// the value, and unwraps a JSON string that holds JSON. The error is
// ErrNoJSON, ErrTruncated (wrapped), or a *SyntaxError with the byte
// offset in text.
//
// offset is where the value starts in text (for a value unwrapped from a
// JSON string, where that string starts), so that a decoder's error
// position can be given in the text's terms.
func Extract(text []byte) (value []byte, offset int64, err error) {
	return extract(text, 0, 0)
}

func extract(text []byte, base int64, depth int) ([]byte, int64, error) {
	body, off := text, int64(0)
	if b, o, ok := fenced(text); ok {
		body, off = b, o
	}
	body, skipped := trimBOM(body)
	off += skipped
	start := bytes.IndexAny(body, "{[\"")
	for start >= 0 && body[start] == '"' {
		// A JSON string that holds JSON: "{\"title\": ...}".
		end := stringEnd(body, start)
		if end < 0 {
			break
		}
		var s string
		if depth < 2 && json.Unmarshal(body[start:end], &s) == nil {
			if inner, _, err := extract([]byte(s), base+off+int64(start), depth+1); err == nil {
				return inner, base + off + int64(start), nil
			}
		}
		next := bytes.IndexAny(body[end:], "{[\"")
		if next < 0 {
			start = -1
			break
		}
		start = end + next
	}
	if start < 0 {
		return nil, 0, ErrNoJSON
	}
	end, err := valueEnd(body, start)
	if err != nil {
		var se *SyntaxError
		if errors.As(err, &se) {
			se.Offset += base + off
		}
		return nil, 0, err
	}
	return body[start:end], base + off + int64(start), nil
}

func trimBOM(b []byte) ([]byte, int64) {
	if bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
		return b[3:], 3
	}
	return b, 0
}

// fenced returns the inside of the first ``` fence (its language tag
// dropped) and its offset.
func fenced(text []byte) ([]byte, int64, bool) {
	i := bytes.Index(text, []byte("```"))
	if i < 0 {
		return nil, 0, false
	}
	rest := text[i+3:]
	nl := bytes.IndexByte(rest, '\n')
	if nl < 0 {
		return nil, 0, false
	}
	start := i + 3 + nl + 1
	j := bytes.Index(text[start:], []byte("```"))
	if j < 0 {
		return text[start:], int64(start), true // an unclosed fence: the rest
	}
	return text[start : start+j], int64(start), true
}

// stringEnd returns the index after the string starting at i, or -1. A
// quote ends the string unless an odd run of backslashes comes before
// it (the last one escapes it): each quote is found by bytes.IndexByte,
// which skips the text between at once.
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		q := bytes.IndexByte(b[j:], '"')
		if q < 0 {
			return -1
		}
		j += q
		run := 0
		for k := j - 1; k > i && b[k] == '\\'; k-- {
			run++
		}
		if run%2 == 0 {
			return j + 1
		}
	}
	return -1
}

// valueEnd returns the index after the object or array starting at i,
// tracking strings and nesting.
func valueEnd(b []byte, i int) (int, error) {
	var stack []byte
	for j := i; j < len(b); j++ {
		switch c := b[j]; c {
		case '"':
			e := stringEnd(b, j)
			if e < 0 {
				return 0, fmt.Errorf("%w (inside a string starting at byte %d)", ErrTruncated, j)
			}
			j = e - 1
		case '{', '[':
			stack = append(stack, c)
		case '}', ']':
			if len(stack) == 0 {
				return 0, &SyntaxError{Offset: int64(j), Msg: fmt.Sprintf("unexpected %q", c)}
			}
			open := stack[len(stack)-1]
			if (open == '{') != (c == '}') {
				return 0, &SyntaxError{Offset: int64(j), Msg: fmt.Sprintf("%q closes %q", c, open)}
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return j + 1, nil
			}
		}
	}
	return 0, fmt.Errorf("%w (%d bracket(s) still open)", ErrTruncated, len(stack))
}
