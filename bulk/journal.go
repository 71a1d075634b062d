package bulk

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Journal records the items a bulk run has done, so that a run given the
// same journal skips them: a job killed at item 3,000 restarts at 3,001
// without paying again. Back it with a database by implementing it;
// JSONLJournal (OpenJournal) is a file. Record is called from several
// goroutines.
type Journal interface {
	// Load returns the results recorded so far, by item key.
	Load() (map[string]json.RawMessage, error)
	// Record stores an item's result durably before returning.
	Record(key string, result json.RawMessage) error
}

// ErrJournalInUse is returned by OpenJournal when another JSONLJournal,
// in this process or another, has the file open; and by Run and RunBatch
// given a JSONLJournal that another run is using.
var ErrJournalInUse = errors.New("bulk: journal in use")

// JSONLJournal is a Journal in a JSON-lines file: one line per item done,
// appended in one write and synced before Record returns. It is safe for
// concurrent use; Close it when done.
//
// One journal at a time has the file: OpenJournal takes an exclusive
// advisory lock (flock) on Unix, so a second opener, in this process or
// another, fails with ErrJournalInUse instead of interleaving its records.
// On other systems only a second opener in the same process is refused
// (other processes are not locked out: do not share a journal file there).
// One run at a time uses it: a Run or RunBatch given it while another run
// has it fails with ErrJournalInUse.
//
// A torn last line (from a crash in the middle of a write) is cut off
// when the file is opened, so records appended later, before or after
// Load, are whole lines.
type JSONLJournal struct {
	mu      sync.Mutex
	f       *os.File
	path    string
	key     string // the entry in openJournals
	closed  bool
	damage  error // a damaged line before the end, found at open: Load returns it
	size    int64 // the length of the whole records: a failed write is cut back to it
	broken  error // a failed write that could not be cut back: every later record fails
	running bool  // a run has it (claimJournal)
	// write appends to the file (a seam for tests: a disk that fills up).
	write func([]byte) (int, error)
}

type journalLine struct {
	Key    string          `json:"key"`
	Result json.RawMessage `json:"result"`
	At     time.Time       `json:"at"`
}

// openJournals are the journal files open in this process, by absolute
// path: the lock for systems without flock, and for the same process
// where flock would not see the second opener.
var (
	openMu       sync.Mutex
	openJournals = map[string]bool{}
)

// OpenJournal opens (creating it if needed) the journal file at path,
// locks it, and cuts off a torn last line. It fails with ErrJournalInUse
// when the file is already open as a journal.
func OpenJournal(path string) (*JSONLJournal, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("bulk: opening the journal: %w", err)
	}
	openMu.Lock()
	defer openMu.Unlock()
	if openJournals[abs] {
		return nil, fmt.Errorf("%w: %s is already open as a journal in this process", ErrJournalInUse, path)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("bulk: opening the journal: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %s is locked by another process (%v)", ErrJournalInUse, path, err)
	}
	j := &JSONLJournal{f: f, path: path, key: abs}
	j.write = f.Write
	_, good, damage, err := j.scan()
	if err != nil {
		f.Close()
		return nil, err
	}
	j.damage = damage
	if st, serr := f.Stat(); serr == nil {
		j.size = st.Size()
	}
	if damage == nil {
		j.size = good
		if err := f.Truncate(good); err != nil { // the torn last line, if any
			f.Close()
			return nil, fmt.Errorf("bulk: cutting the torn last line of %s: %w", path, err)
		}
	}
	openJournals[abs] = true
	return j, nil
}

// scan reads every whole line. good is the length of the whole records:
// what follows is a torn last line. damage is a bad line before the end.
func (j *JSONLJournal) scan() (out map[string]json.RawMessage, good int64, damage, err error) {
	st, err := j.f.Stat()
	if err != nil {
		return nil, 0, nil, err
	}
	out = map[string]json.RawMessage{}
	br := bufio.NewReader(io.NewSectionReader(j.f, 0, st.Size()))
	for lineNo := 1; ; lineNo++ {
		line, rerr := br.ReadBytes('\n')
		if errors.Is(rerr, io.EOF) {
			return out, good, nil, nil // a last line without its newline is torn
		}
		if rerr != nil {
			return nil, 0, nil, rerr
		}
		var l journalLine
		if jerr := json.Unmarshal(bytes.TrimSpace(line), &l); jerr != nil || l.Key == "" {
			if _, perr := br.Peek(1); errors.Is(perr, io.EOF) {
				return out, good, nil, nil // a torn last line that happens to end in a newline
			}
			return nil, good, fmt.Errorf("bulk: %s line %d is not a journal record: %v", j.path, lineNo, jerr), nil
		}
		out[l.Key] = l.Result
		good += int64(len(line))
	}
}

// Load reads every record.
func (j *JSONLJournal) Load() (map[string]json.RawMessage, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.damage != nil {
		return nil, j.damage
	}
	out, _, damage, err := j.scan()
	if err == nil {
		err = damage
	}
	return out, err
}

// Record appends one line, in one write, and syncs the file.
func (j *JSONLJournal) Record(key string, result json.RawMessage) error {
	b, err := json.Marshal(journalLine{Key: key, Result: result, At: time.Now().UTC()})
	if err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.appendLocked(append(b, '\n'), true)
}

// recordUnsynced appends one line, in one write, without syncing the
// file: the line outlives the process at once (a kill), and the disk's
// failure only until the next record is synced. A run records items'
// starts this way: they count what may be paid twice, and guard nothing
// from being bought again.
func (j *JSONLJournal) recordUnsynced(key string, result json.RawMessage) error {
	b, err := json.Marshal(journalLine{Key: key, Result: result, At: time.Now().UTC()})
	if err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.appendLocked(append(b, '\n'), false)
}

// appendLocked writes whole records and, when sync is set, syncs the
// file. A write that fails part way (a full disk) is cut back, so that
// the next record is not appended to a torn line (which would damage
// both, and the journal would no longer load); when it cannot be, the
// journal refuses every later record.
func (j *JSONLJournal) appendLocked(buf []byte, sync bool) error {
	if j.broken != nil {
		return j.broken
	}
	n, err := j.write(buf)
	if err != nil {
		if n > 0 {
			if terr := j.f.Truncate(j.size); terr != nil {
				j.broken = fmt.Errorf("bulk: %s: a record was written in part (%v), and cutting it off failed (%v): no more records can be appended", j.path, err, terr)
			}
		}
		return err
	}
	j.size += int64(n)
	if !sync {
		return nil
	}
	return j.f.Sync()
}

// recordAll appends several records in one write, synced once: a run
// records an item's result and its state together this way. It is not
// part of Journal, so that a wrapper's Record sees every record.
func (j *JSONLJournal) recordAll(keys []string, results []json.RawMessage) error {
	var buf []byte
	at := time.Now().UTC()
	for k, key := range keys {
		b, err := json.Marshal(journalLine{Key: key, Result: results[k], At: at})
		if err != nil {
			return err
		}
		buf = append(append(buf, b...), '\n')
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.appendLocked(buf, true)
}

// Close unlocks and closes the file.
func (j *JSONLJournal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil
	}
	j.closed = true
	openMu.Lock()
	delete(openJournals, j.key)
	openMu.Unlock()
	return j.f.Close() // closing the file releases its lock
}

// claimJournal gives a run the journal j for its length, when j is a
// *JSONLJournal: a second run on it while the first lasts (two Run or
// RunBatch calls sharing it, in goroutines) would run the same items and
// pay for them twice, so it is refused with ErrJournalInUse. Call the
// returned function at the end of the run.
func claimJournal(j Journal) (release func(), err error) {
	jj, ok := j.(*JSONLJournal)
	if !ok {
		return func() {}, nil
	}
	jj.mu.Lock()
	defer jj.mu.Unlock()
	if jj.running {
		return nil, fmt.Errorf("%w: %s: another run is using it", ErrJournalInUse, jj.path)
	}
	jj.running = true
	return func() {
		jj.mu.Lock()
		jj.running = false
		jj.mu.Unlock()
	}, nil
}
