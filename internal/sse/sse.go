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
	"slices"

	"github.com/routerkit/openrouter/internal/blocks"
)

// ErrTooLong is returned by Next when a line or an event's data passes
// the Reader's bound.
var ErrTooLong = errors.New("sse: event longer than the limit")

// Reader reads the data of events from a stream.
type Reader struct {
	br    *bufio.Reader
	data  []byte        // the current event's data
	long  []byte        // a line longer than the buffer, assembled
	parts blocks.Buffer // the pieces of a long line as they arrive
	eof   bool
	max   int // the most bytes of a line or of an event's data; 0: no bound
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
	if max > 0 {
		rd.parts.Limit = max + 2 // +2: the line's end
	}
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
		line, owned, err := r.line()
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
		if string(field) != "data" {
			continue // event:, id:, retry: and unknown fields carry nothing we use.
		}
		if err := r.addData(value, owned, has); err != nil {
			return nil, err
		}
		has = true
	}
}

// addData adds a data line's value to the event's data. The first line
// of an event, when it is the Reader's own assembled long line, becomes
// the data without a copy (a streamed image is one such line).
func (r *Reader) addData(value []byte, owned, has bool) error {
	n := len(value)
	if has {
		n += len(r.data) + 1
	}
	if r.max > 0 && n > r.max {
		return ErrTooLong
	}
	if !has && owned {
		r.data, r.long = value, r.data[:0] // the line's buffer is the data's now
		return nil
	}
	if n > cap(r.data) {
		// Grow by doubling, never past the bound: json-sized growth
		// (1.25x) would allocate five times the bound before refusing.
		r.data = slices.Grow(r.data, grown(cap(r.data), n, r.max)-len(r.data))
	}
	if has {
		r.data = append(r.data, '\n')
	}
	r.data = append(r.data, value...)
	return nil
}

// grown is the capacity a buffer of capacity c grows to so as to hold n
// bytes: twice c at least, at most limit when there is one.
func grown(c, n, limit int) int {
	g := max(2*c, n, 512)
	if limit > 0 && g > limit {
		g = max(limit, n)
	}
	return g
}

// line returns the next line without its end, however long. owned
// reports that the line is in the Reader's own buffer (a line longer than
// bufio's), which the next long line reuses; otherwise it is bufio's,
// valid until the next read.
func (r *Reader) line() ([]byte, bool, error) {
	if r.eof {
		return nil, false, io.EOF
	}
	r.parts.Reset()
	for {
		frag, err := r.br.ReadSlice('\n')
		if r.max > 0 && r.parts.Len()+len(frag) > r.max+2 { // +2: the line's end
			return nil, false, ErrTooLong
		}
		switch {
		case err == nil && r.parts.Len() == 0:
			return trimEOL(frag), false, nil
		case err == nil:
			r.parts.Write(frag)
			return trimEOL(r.assemble()), true, nil
		case errors.Is(err, bufio.ErrBufferFull):
			r.parts.Write(frag)
		case errors.Is(err, io.EOF):
			r.eof = true
			if r.parts.Len() == 0 {
				if len(frag) == 0 {
					return nil, false, io.EOF
				}
				return trimEOL(frag), false, nil
			}
			r.parts.Write(frag)
			return trimEOL(r.assemble()), true, nil
		default:
			return nil, false, err
		}
	}
}

// assemble hands over the parts of a long line as one slice, r.long.
func (r *Reader) assemble() []byte {
	r.long = r.parts.AppendTo(r.long[:0])
	r.parts.Reset()
	return r.long
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}
