package bulk_test

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/routerkit/openrouter/bulk"
)

// TestJournalTornLine: a torn last line is cut off when the file is
// opened, so a record appended next, before or after Load, is a line of
// its own.
func TestJournalTornLine(t *testing.T) {
	t.Parallel()
	good := `{"key":"a","result":"\"A\"","at":"2026-11-25T00:00:00Z"}` + "\n"
	for _, tc := range []struct {
		name, tail string
		loadFirst  bool
	}{
		{"no newline, load first", `{"key":"b","resu`, true},
		{"torn with newline, load first", "{\"key\":\"b\",\"re\n", true},
		{"no newline, record first", `{"key":"b","resu`, false},
		{"torn with newline, record first", "{\"key\":\"b\",\"re\n", false},
	} {
		path := filepath.Join(t.TempDir(), "j.jsonl")
		if err := os.WriteFile(path, []byte(good+tc.tail), 0o644); err != nil {
			t.Fatal(err)
		}
		j, err := bulk.OpenJournal(path)
		if err != nil {
			t.Fatal(err)
		}
		if tc.loadFirst {
			if m, err := j.Load(); err != nil || len(m) != 1 || string(m["a"]) != `"\"A\""` {
				t.Errorf("%s: loaded %v, %v", tc.name, m, err)
			}
		}
		if err := j.Record("c", []byte(`"C"`)); err != nil {
			t.Fatal(err)
		}
		if err := j.Record("d", []byte(`"D"`)); err != nil {
			t.Fatal(err)
		}
		if m, err := j.Load(); err != nil || len(m) != 3 || string(m["c"]) != `"C"` || string(m["d"]) != `"D"` {
			t.Errorf("%s: after two records, loaded %v, %v", tc.name, m, err)
		}
		j.Close()
		b, _ := os.ReadFile(path)
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[1], `{"key":"c"`) || !strings.HasPrefix(lines[2], `{"key":"d"`) {
			t.Errorf("%s: after the records the file is %q", tc.name, b)
		}
	}
}

func TestJournalDamagedMiddleLine(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j.jsonl")
	good := `{"key":"a","result":"\"A\"","at":"2026-11-25T00:00:00Z"}` + "\n"
	if err := os.WriteFile(path, []byte("garbage\n"+good), 0o644); err != nil {
		t.Fatal(err)
	}
	j, err := bulk.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if _, err := j.Load(); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("a damaged line in the middle: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "garbage\n"+good {
		t.Errorf("the damaged file was changed: %q", b)
	}
}

// TestJournalSecondOpenerInProcess: a second journal on the same file
// fails, naming the file, until the first is closed.
func TestJournalSecondOpenerInProcess(t *testing.T) {
	// Not parallel: a process forked by a parallel test (the kill tests)
	// holds a copy of j1's descriptor, and so its lock, until it execs,
	// which can outlast j1.Close() by a moment.
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j1, err := bulk.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	j2, err := bulk.OpenJournal(path)
	if !errors.Is(err, bulk.ErrJournalInUse) || !strings.Contains(err.Error(), path) {
		t.Fatalf("second opener: %v, %v", j2, err)
	}
	// The same file by another name is the same journal.
	if _, err := bulk.OpenJournal(filepath.Join(filepath.Dir(path), ".", "j.jsonl")); !errors.Is(err, bulk.ErrJournalInUse) {
		t.Errorf("second opener by another name: %v", err)
	}
	j1.Close()
	j3, err := bulk.OpenJournal(path)
	if err != nil {
		t.Fatalf("after Close: %v", err)
	}
	j3.Close()
}

// TestJournalHelperProcess holds a journal open for
// TestJournalSecondOpenerOtherProcess until its stdin closes.
func TestJournalHelperProcess(t *testing.T) {
	if os.Getenv("JOURNAL_HELPER") != "1" {
		t.Skip("run by TestJournalSecondOpenerOtherProcess")
	}
	j, err := bulk.OpenJournal(os.Getenv("JOURNAL_PATH"))
	if err != nil {
		os.Stdout.WriteString("error " + err.Error() + "\n")
		return
	}
	defer j.Close()
	os.Stdout.WriteString("open\n")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // until the parent closes stdin
}

// TestJournalSecondOpenerOtherProcess: while another process has the
// journal open, opening it fails with an error naming the file.
func TestJournalSecondOpenerOtherProcess(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" || runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("no advisory lock across processes on " + runtime.GOOS)
	}
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j.jsonl")
	cmd := exec.Command(os.Args[0], "-test.run=^TestJournalHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "JOURNAL_HELPER=1", "JOURNAL_PATH="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if line != "open\n" {
		t.Fatalf("helper: %q, %v", line, err)
	}
	if j, err := bulk.OpenJournal(path); !errors.Is(err, bulk.ErrJournalInUse) || !strings.Contains(err.Error(), path) {
		if j != nil {
			j.Close()
		}
		t.Fatalf("open while another process holds the journal: %v", err)
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	j, err := bulk.OpenJournal(path)
	if err != nil {
		t.Fatalf("after the other process ended: %v", err)
	}
	j.Close()
}
