package blocks

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadFromWithinTheBound(t *testing.T) {
	for _, n := range []int{0, 1, 511, 512, 513, 100_000, 1 << 20} {
		want := bytes.Repeat([]byte("x"), n)
		b := Buffer{Limit: 1 << 20}
		if _, err := b.ReadFrom(iotest.HalfReader(bytes.NewReader(want))); err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		if got := b.AppendTo(nil); !bytes.Equal(got, want) {
			t.Errorf("%d bytes: got %d", n, len(got))
		}
	}
}

func TestReadFromPastTheBound(t *testing.T) {
	b := Buffer{Limit: 1000}
	_, err := b.ReadFrom(strings.NewReader(strings.Repeat("x", 1001)))
	if !errors.Is(err, ErrTooLong) {
		t.Errorf("1001 bytes under a bound of 1000: %v", err)
	}
	b = Buffer{Limit: 1000}
	if _, err := b.ReadFrom(iotest.ErrReader(io.ErrUnexpectedEOF)); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a failing reader: %v", err)
	}
}

// TestRefusalCostsAboutTheBound: io.ReadAll of an endless reader under a
// bound allocates about five times the bound; the blocks about one.
func TestRefusalCostsAboutTheBound(t *testing.T) {
	const bound = 4 << 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b := Buffer{Limit: bound}
	_, err := b.ReadFrom(endless{})
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooLong) {
		t.Fatal(err)
	}
	if n := float64(after.TotalAlloc-before.TotalAlloc) / bound; n > 1.1 {
		t.Errorf("allocated %.2f times the bound", n)
	}
}

func TestWriteAndAppend(t *testing.T) {
	var b Buffer
	b.Limit = 10
	if _, err := b.Write([]byte("hello ")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Write([]byte("world")); !errors.Is(err, ErrTooLong) {
		t.Errorf("11 bytes under a bound of 10: %v", err)
	}
	if got := string(b.AppendTo([]byte(">"))); got != ">hello " {
		t.Errorf("got %q", got)
	}
	b.Reset()
	if b.Len() != 0 || len(b.AppendTo(nil)) != 0 {
		t.Error("not empty after Reset")
	}
}

type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'z'
	}
	return len(p), nil
}
