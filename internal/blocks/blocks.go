// Package blocks gathers bytes of unknown length in blocks that double in
// size, up to a bound, and hands them over as one slice at the end. Bytes
// refused for passing the bound have cost about the bound, where a slice
// grown by append (1.25x per step past 256 bytes) costs about five times
// what it holds.
package blocks

import (
	"errors"
	"io"
	"slices"
)

// ErrTooLong is returned by ReadFrom when the bytes pass the bound.
var ErrTooLong = errors.New("blocks: longer than the bound")

const first = 512 // the first block's size, as io.ReadAll's

// Buffer holds bytes in blocks. The zero value is empty and unbounded.
type Buffer struct {
	bufs  [][]byte
	n     int
	Limit int // the most bytes the blocks may hold in all; 0: no bound
}

// Len is the number of bytes held.
func (b *Buffer) Len() int { return b.n }

// Reset empties b, dropping its blocks.
func (b *Buffer) Reset() {
	clear(b.bufs)
	b.bufs, b.n = b.bufs[:0], 0
}

// Write adds p; it fails with ErrTooLong, adding nothing, when p would
// pass the bound.
func (b *Buffer) Write(p []byte) (int, error) {
	if b.Limit > 0 && b.n+len(p) > b.Limit {
		return 0, ErrTooLong
	}
	n := len(p)
	for len(p) > 0 {
		buf := b.block()
		k := min(len(p), cap(buf)-len(buf))
		b.bufs[len(b.bufs)-1] = append(buf, p[:k]...)
		p, b.n = p[k:], b.n+k
	}
	return n, nil
}

// block returns the last block, adding one when it is full.
func (b *Buffer) block() []byte {
	if last := len(b.bufs) - 1; last >= 0 && len(b.bufs[last]) < cap(b.bufs[last]) {
		return b.bufs[last]
	}
	size := first << min(len(b.bufs), 20)
	if b.Limit > 0 {
		size = min(size, b.Limit-b.n)
	}
	b.bufs = append(b.bufs, make([]byte, 0, max(size, 1)))
	return b.bufs[len(b.bufs)-1]
}

// ReadFrom reads r to its end into b; past the bound it fails with
// ErrTooLong, having read at most one byte more than the bound.
func (b *Buffer) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	for {
		if b.Limit > 0 && b.n == b.Limit {
			// Full: one more byte says whether the reader has more.
			var one [1]byte
			n, err := io.ReadFull(r, one[:])
			if n > 0 {
				return total, ErrTooLong
			}
			if errors.Is(err, io.EOF) {
				return total, nil
			}
			return total, err
		}
		buf := b.block()
		n, err := r.Read(buf[len(buf):cap(buf)])
		b.bufs[len(b.bufs)-1] = buf[:len(buf)+n]
		b.n += n
		total += int64(n)
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// AppendTo appends the bytes held to dst, growing it once to the exact
// length needed, and returns it. When dst is empty and too small, and
// the bytes fit one block, that block is returned itself, not a copy:
// Reset b before writing to it again.
func (b *Buffer) AppendTo(dst []byte) []byte {
	if len(b.bufs) == 1 && len(dst) == 0 && cap(dst) < b.n {
		return b.bufs[0]
	}
	dst = slices.Grow(dst, b.n)
	for _, p := range b.bufs {
		dst = append(dst, p...)
	}
	return dst
}
