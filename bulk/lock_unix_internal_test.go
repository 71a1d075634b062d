//go:build unix

package bulk

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// setLockSleep replaces lockFile's wait for the test.
func setLockSleep(t *testing.T, f func(time.Duration)) {
	old := lockSleep
	lockSleep = f
	t.Cleanup(func() { lockSleep = old })
}

// A journal closed while a copy of its file is still open elsewhere (a
// child process between its fork and its exec holds one) opens again
// once that copy is gone, without failing at once. (Before, the reopen
// failed with ErrJournalInUse: TestBulkCancelledAndResumedWithJournal
// met it in CI while the package's crash tests were starting their
// helper processes.)
func TestJournalReopenWaitsForAForkedCopy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	child, err := syscall.Dup(int(j.f.Fd())) // the child's copy, sharing the lock
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	waits := 0
	setLockSleep(t, func(time.Duration) {
		if waits++; waits == 2 { // the child runs its program
			syscall.Close(child)
		}
	})
	j2, err := OpenJournal(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer j2.Close()
	if waits != 2 {
		t.Errorf("%d waits, want 2", waits)
	}
}

// A lock another open file keeps is reported after the last try, with
// ErrJournalInUse.
func TestJournalLockHeldElsewhereFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.jsonl")
	other, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := flock(other); err != nil {
		t.Fatal(err)
	}
	var waited time.Duration
	setLockSleep(t, func(d time.Duration) { waited += d })
	if _, err := OpenJournal(path); !errors.Is(err, ErrJournalInUse) {
		t.Fatalf("open: %v, want ErrJournalInUse", err)
	}
	if waited < time.Second || waited > 2*time.Second {
		t.Errorf("waited %v in all, want about a second", waited)
	}
}
