package blocks

import (
	"bytes"
	"errors"
	"testing"
)

// TestNoBoundMeansUnbounded checks that a zero Limit bounds nothing, for
// Write and ReadFrom alike (mutation testing found no test of a Buffer
// without a bound: "Limit >= 0" lived in both).
func TestNoBoundMeansUnbounded(t *testing.T) {
	want := bytes.Repeat([]byte("y"), 5000)
	var w Buffer
	if n, err := w.Write(want); n != len(want) || err != nil {
		t.Fatalf("Write without a bound: %d, %v", n, err)
	}
	var r Buffer
	if n, err := r.ReadFrom(bytes.NewReader(want)); n != int64(len(want)) || err != nil {
		t.Fatalf("ReadFrom without a bound: %d, %v", n, err)
	}
	for _, b := range []*Buffer{&w, &r} {
		if got := b.AppendTo(nil); !bytes.Equal(got, want) {
			t.Errorf("held %d bytes, want %d", len(got), len(want))
		}
	}
}

// TestWriteUpToTheBound checks that a Write filling the bound exactly is
// accepted and one byte more is not ("> Limit" turned ">= Limit" lived).
func TestWriteUpToTheBound(t *testing.T) {
	b := Buffer{Limit: 10}
	if n, err := b.Write([]byte("0123456789")); n != 10 || err != nil {
		t.Fatalf("10 bytes into a bound of 10: %d, %v", n, err)
	}
	if _, err := b.Write([]byte("x")); !errors.Is(err, ErrTooLong) {
		t.Fatalf("one byte past the bound: %v, want ErrTooLong", err)
	}
}
