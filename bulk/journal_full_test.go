package bulk_test

import (
	"errors"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/routerkit/openrouter/bulk"
)

// A record that a full disk writes in part is cut off: the records
// appended after it (once there is room again) are whole lines, and the
// journal loads when opened again.
func TestJournalPartialWriteIsCutBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j, err := bulk.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Record("a", []byte(`"A"`)); err != nil {
		t.Fatal(err)
	}
	full := true
	bulk.SetJournalWrite(j, func(write func([]byte) (int, error), b []byte) (int, error) {
		if full {
			full = false
			n, _ := write(b[:len(b)/2])
			return n, syscall.ENOSPC
		}
		return write(b)
	})
	if err := j.Record("b", []byte(`"B"`)); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("record on a full disk: %v", err)
	}
	if err := j.Record("c", []byte(`"C"`)); err != nil {
		t.Fatal(err)
	}
	if m, err := j.Load(); err != nil || len(m) != 2 || string(m["c"]) != `"C"` {
		t.Errorf("loaded %v, %v; want a and c", m, err)
	}
	j.Close()
	j, err = bulk.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if m, err := j.Load(); err != nil || len(m) != 2 || string(m["a"]) != `"A"` || string(m["c"]) != `"C"` {
		t.Errorf("reopened: loaded %v, %v; want a and c", m, err)
	}
}
