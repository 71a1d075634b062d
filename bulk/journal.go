package bulk

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Journal records the items a bulk run has done, so that a run given the
// same journal skips them: a job killed at item 3,000 restarts at 3,001
// without paying again. Back it with a database by implementing it;
// JSONLJournal (OpenJournal) is a file. Record is called from several goroutines.
type Journal interface {
	// Load returns the results recorded so far, by item key.
	Load() (map[string]json.RawMessage, error)
	// Record stores an item's result durably before returning.
	Record(key string, result json.RawMessage) error
}

// JSONLJournal is a Journal in a JSON-lines file: one line per item done,
// appended, flushed and synced before Record returns. A torn last line
// (from a crash in the middle of a write) is ignored, and cut off before
// the next record. It is safe for concurrent use; Close it when done.
type JSONLJournal struct {
	mu   sync.Mutex
	f    *os.File
	path string
}

type journalLine struct {
	Key    string          `json:"key"`
	Result json.RawMessage `json:"result"`
	At     time.Time       `json:"at"`
}

// OpenJournal opens (creating it if needed) the journal file at path.
func OpenJournal(path string) (*JSONLJournal, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("bulk: opening the journal: %w", err)
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil { // Record appends, even before Load
		f.Close()
		return nil, err
	}
	return &JSONLJournal{f: f, path: path}, nil
}

// Load reads every whole line; a torn last line is cut off the file.
func (j *JSONLJournal) Load() (map[string]json.RawMessage, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	out := map[string]json.RawMessage{}
	br := bufio.NewReader(j.f)
	var good int64
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			break // a last line without its newline is torn: dropped below
		}
		if err != nil {
			return nil, err
		}
		var l journalLine
		if jerr := json.Unmarshal(bytes.TrimSpace(line), &l); jerr != nil || l.Key == "" {
			if _, perr := br.Peek(1); errors.Is(perr, io.EOF) {
				break // a torn last line that happens to end in a newline
			}
			return nil, fmt.Errorf("%s line %d is not a journal record: %v", j.path, lineNo, jerr)
		}
		out[l.Key] = l.Result
		good += int64(len(line))
	}
	if err := j.f.Truncate(good); err != nil {
		return nil, err
	}
	if _, err := j.f.Seek(good, io.SeekStart); err != nil {
		return nil, err
	}
	return out, nil
}

// Record appends one line and syncs the file.
func (j *JSONLJournal) Record(key string, result json.RawMessage) error {
	b, err := json.Marshal(journalLine{Key: key, Result: result, At: time.Now().UTC()})
	if err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.f.Write(append(b, '\n')); err != nil {
		return err
	}
	return j.f.Sync()
}

// Close closes the file.
func (j *JSONLJournal) Close() error { return j.f.Close() }
