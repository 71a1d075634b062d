package bulk_test

import (
	"context"
	"errors"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/routerkit/openrouter/bulk"
	ort "github.com/routerkit/openrouter/openroutertest"
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

// Two runs sharing one journal at once would run the same items and pay
// for them twice: the second is refused while the first lasts, and runs
// once it has ended.
func TestRunSecondRunOnTheSameJournalIsRefused(t *testing.T) {
	_, c := setup(t, nil)
	j := openJournal(t)
	entered, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		_, err := bulk.Runner[string, string]{Workers: 1, Journal: j, Key: func(s string) string { return s }}.Run(context.Background(), items(1),
			func(ctx context.Context, it string) (string, error) {
				close(entered)
				<-release
				return chatItem(c)(ctx, it)
			})
		first <- err
	}()
	<-entered
	_, err := bulk.Runner[string, string]{Journal: j, Key: func(s string) string { return s }}.Run(context.Background(), items(1), chatItem(c))
	_, berr := bulk.Runner[job, string]{Key: jobKey, Journal: j}.RunBatch(context.Background(), jobs(1, ""), textMode(c, ort.NewClock(time.Now())))
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if !errors.Is(err, bulk.ErrJournalInUse) || !errors.Is(berr, bulk.ErrJournalInUse) {
		t.Fatalf("Run: %v; RunBatch: %v; want both refused while the first run lasts", err, berr)
	}
	rep, err := bulk.Runner[string, string]{Journal: j, Key: func(s string) string { return s }}.Run(context.Background(), items(1), chatItem(c))
	if err != nil || rep.Done != 1 || !rep.Results[0].Resumed {
		t.Fatalf("after the first run: %v, %+v", err, rep)
	}
}
