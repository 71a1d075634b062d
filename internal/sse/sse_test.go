package sse

import (
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func readAll(t *testing.T, r io.Reader) ([]string, error) {
	t.Helper()
	rd := NewReader(r)
	var got []string
	for {
		d, err := rd.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return got, nil
			}
			return got, err
		}
		got = append(got, string(d))
	}
}

func TestReader(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 200<<10) // far past bufio's and Scanner's 64 KiB
	for name, tc := range map[string]struct {
		in   string
		want []string
	}{
		"LF":                     {"data: a\n\ndata: b\n\n", []string{"a", "b"}},
		"CRLF":                   {"data: a\r\n\r\ndata: b\r\n\r\n", []string{"a", "b"}},
		"comments anywhere":      {": OPENROUTER PROCESSING\n\ndata: a\n: keep-alive\ndata: b\n\n:x\n\n", []string{"a\nb"}},
		"multi-line data":        {"data: {\"a\":\ndata: 1}\n\n", []string{"{\"a\":\n1}"}},
		"no space after colon":   {"data:a\n\n", []string{"a"}},
		"other fields ignored":   {"event: message\nid: 7\nretry: 10\ndata: a\n\n", []string{"a"}},
		"only comments":          {": a\n\n: b\n\n", nil},
		"last event cut":         {"data: a\n\ndata: b", []string{"a", "b"}},
		"blank lines only":       {"\n\n\r\n", nil},
		"empty data kept":        {"data:\n\n", []string{""}},
		"a line past 64 KiB":     {"data: " + long + "\n\ndata: end\n\n", []string{long, "end"}},
		"event with no data":     {"event: ping\n\ndata: a\n\n", []string{"a"}},
		"field with no colon":    {"data\n\n", []string{""}}, // the spec: field "data", empty value
		"DONE":                   {"data: x\n\ndata: [DONE]\n\n", []string{"x", "[DONE]"}},
		"comment mid long event": {"data: " + long[:10] + "\n: c\ndata: y\n\n", []string{long[:10] + "\ny"}},
	} {
		got, err := readAll(t, strings.NewReader(tc.in))
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff[:min(len(diff), 400)])
		}
	}
}

// pipeReader hands over bytes only as the test writes them.
func TestEventHandedOverWhenComplete(t *testing.T) {
	t.Parallel()
	pr, pw := io.Pipe()
	rd := NewReader(pr)
	go func() {
		_, _ = pw.Write([]byte(": c\n\ndata: first\n\n"))
		// The reader must return "first" before anything more is written:
		// the test reads it, then this goroutine writes the rest.
	}()
	d, err := rd.Next()
	if err != nil || string(d) != "first" {
		t.Fatalf("Next = %q, %v", d, err)
	}
	go func() {
		_, _ = pw.Write([]byte("data: second\n\n"))
		pw.Close()
	}()
	if d, err := rd.Next(); err != nil || string(d) != "second" {
		t.Fatalf("Next = %q, %v", d, err)
	}
	if _, err := rd.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("Next at the end = %v", err)
	}
}

func TestReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("connection reset")
	rd := NewReader(io.MultiReader(strings.NewReader("data: a\n\ndata: b"), errReader{boom}))
	if d, _ := rd.Next(); string(d) != "a" {
		t.Fatalf("first = %q", d)
	}
	if _, err := rd.Next(); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the read error", err)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// FuzzReader: never panics, ends, and returns no more data than it read.
// Seeds: testdata/fuzz/FuzzReader.
func FuzzReader(f *testing.F) {
	f.Add(": OPENROUTER PROCESSING\n\ndata: {\"choices\":[]}\r\n\r\ndata: [DONE]\n\n")
	f.Add("data:\ndata:\n\n:\r\n")
	f.Add("data: a\rdata: b\n")
	f.Fuzz(func(t *testing.T, in string) {
		rd := NewReader(strings.NewReader(in))
		total := 0
		for i := 0; ; i++ {
			d, err := rd.Next()
			if err != nil {
				break
			}
			total += len(d)
			if total > len(in) || i > len(in) {
				t.Fatalf("read %d bytes of data in %d events from %d bytes", total, i, len(in))
			}
		}
	})
}

// TestLimit: a line or an event past the bound is refused without being
// held whole; events within it pass.
func TestLimit(t *testing.T) {
	t.Parallel()
	long := "data: " + strings.Repeat("x", 200<<10) + "\n\n"
	rd := NewReaderLimit(strings.NewReader("data: ok\n\n"+long), 100<<10)
	if d, err := rd.Next(); err != nil || string(d) != "ok" {
		t.Fatalf("first = %q, %v", d, err)
	}
	if _, err := rd.Next(); !errors.Is(err, ErrTooLong) {
		t.Fatalf("a 200 KiB line under a 100 KiB bound: %v", err)
	}
	// Many short data lines that make one long event.
	many := strings.Repeat("data: "+strings.Repeat("y", 1000)+"\n", 200) + "\n"
	if _, err := NewReaderLimit(strings.NewReader(many), 100<<10).Next(); !errors.Is(err, ErrTooLong) {
		t.Fatalf("a 200 KB event of short lines: %v", err)
	}
	if d, err := NewReaderLimit(strings.NewReader(many), 300<<10).Next(); err != nil || len(d) < 200000 {
		t.Fatalf("under the bound: %d bytes, %v", len(d), err)
	}
}

// TestLimitMemory: a 64 MiB line under a 1 MiB bound costs about the
// bound, not the line.
// TestLimitMemory: an event refused for its size has cost about the
// bound, whether it is one endless line or many lines that add up (a
// slice grown by append costs five times what it holds).
func TestLimitMemory(t *testing.T) {
	const bound = 1 << 20
	for _, c := range []struct {
		name string
		body io.Reader
		most float64 // bytes allocated, in bounds
	}{
		{"one endless line", io.MultiReader(strings.NewReader("data: "), endless{}), 1.15},
		{"many lines", strings.NewReader(strings.Repeat("data: "+strings.Repeat("y", 1000)+"\n", 3000)), 2.15},
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := NewReaderLimit(c.body, bound).Next()
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrTooLong) {
			t.Fatalf("%s: err = %v", c.name, err)
		}
		if n := float64(after.TotalAlloc-before.TotalAlloc) / bound; n > c.most*allocSlack {
			t.Errorf("%s: allocated %.2f times the bound, want at most %.2f", c.name, n, c.most)
		}
	}
}

// TestLongLineHandedOver: a long single-line event (a streamed image) is
// returned whole, and the next long line does not overwrite it until Next
// is called again.
func TestLongLineHandedOver(t *testing.T) {
	a, b := strings.Repeat("a", 100<<10), strings.Repeat("b", 90<<10)
	r := NewReader(strings.NewReader("data: " + a + "\n\ndata: " + b + "\ndata: c\n\ndata: " + a + "\n\n"))
	for i, want := range []string{a, b + "\nc", a} {
		got, err := r.Next()
		if err != nil || string(got) != want {
			t.Fatalf("event %d: %d bytes, %v", i, len(got), err)
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("end: %v", err)
	}
}

// endless is a body that never ends.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'z'
	}
	return len(p), nil
}
