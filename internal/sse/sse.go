// Package sse reads server-sent events: "data:" lines (several make one
// event, joined by "\n"), events ended by a blank line, comment lines
// (":" first) skipped wherever they stand, CRLF or LF line ends, and lines
// of any length.
package sse

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// ErrTooLong is returned by Next when a line or an event's data passes
// the Reader's bound.
var ErrTooLong = errors.New("sse: event longer than the limit")

// Reader reads the data of events from a stream.
type Reader struct {
	br   *bufio.Reader
	data []byte // the current event's data
	long []byte // a line longer than the buffer, assembled
	eof  bool
	max  int // the most bytes of a line or of an event's data; 0: no bound
}

// NewReader returns a Reader of r. It reads no further than the event it
// returns: each event is handed over as soon as its blank line arrives.
// Lines and events may be of any length; see NewReaderLimit.
func NewReader(r io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 32<<10)}
}

// NewReaderLimit is NewReader with a bound: a line, or an event's data,
// longer than max bytes makes Next return ErrTooLong, having held at most
// about max bytes of it. max <= 0 means no bound.
func NewReaderLimit(r io.Reader, max int) *Reader {
	rd := NewReader(r)
	rd.max = max
	return rd
}

// Next returns the data of the next event that has any; io.EOF at the
// end of the stream. An event cut by the end of the stream (no blank line
// after it) is returned, then io.EOF. The data is valid until the next
// call.
func (r *Reader) Next() ([]byte, error) {
	r.data = r.data[:0]
	has := false
	for {
		line, err := r.line()
		if err != nil {
			if errors.Is(err, io.EOF) && has {
				return r.data, nil
			}
			return nil, err
		}
		if len(line) == 0 {
			if has {
				return r.data, nil
			}
			continue
		}
		if line[0] == ':' {
			continue // a comment: ": OPENROUTER PROCESSING"
		}
		field, value, found := bytes.Cut(line, []byte(":"))
		if found && len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
		if string(field) == "data" {
			if r.max > 0 && len(r.data)+len(value)+1 > r.max {
				return nil, ErrTooLong
			}
			if has {
				r.data = append(r.data, '\n')
			}
			r.data = append(r.data, value...)
			has = true
		}
		// event:, id:, retry: and unknown fields carry nothing we use.
	}
}

// line returns the next line without its end, however long.
func (r *Reader) line() ([]byte, error) {
	if r.eof {
		return nil, io.EOF
	}
	r.long = r.long[:0]
	for {
		frag, err := r.br.ReadSlice('\n')
		switch {
		case err == nil:
			if len(r.long) > 0 {
				r.long = append(r.long, frag...)
				frag = r.long
			}
			return trimEOL(frag), nil
		case errors.Is(err, bufio.ErrBufferFull):
			if r.max > 0 && len(r.long)+len(frag) > r.max+2 { // +2: the line's end
				return nil, ErrTooLong
			}
			r.long = append(r.long, frag...)
		case errors.Is(err, io.EOF):
			r.eof = true
			r.long = append(r.long, frag...)
			if len(r.long) == 0 {
				return nil, io.EOF
			}
			return trimEOL(r.long), nil
		default:
			return nil, err
		}
	}
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}
