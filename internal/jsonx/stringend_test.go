package jsonx

import "testing"

// TestStringEndAsByteLoop checks stringEnd, which jumps from quote to
// quote, against the byte-by-byte reading it replaced (a backslash
// skips the next byte), on every text of up to 9 bytes made of a quote,
// a backslash and a letter after an opening quote.
func TestStringEndAsByteLoop(t *testing.T) {
	byteLoop := func(b []byte, i int) int {
		for j := i + 1; j < len(b); j++ {
			switch b[j] {
			case '\\':
				j++
			case '"':
				return j + 1
			}
		}
		return -1
	}
	var walk func(b []byte)
	walk = func(b []byte) {
		if got, want := stringEnd(b, 0), byteLoop(b, 0); got != want {
			t.Fatalf("stringEnd(%s) = %d, want %d", b, got, want)
		}
		if len(b) == 9 {
			return
		}
		for _, c := range []byte{'"', '\\', 'a'} {
			walk(append(b, c))
		}
	}
	walk([]byte{'"'})
}
