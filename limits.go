package openrouter

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"

	"github.com/routerkit/openrouter/internal/blocks"
)

// AnswerLimits bounds what a client reads of an answer, so that a broken
// or hostile server (an endless body, a gzip bomb, one huge stream line)
// costs bounded memory. Sizes are in bytes, counted after decompression
// (net/http unpacks gzip answers transparently). A zero field keeps its
// default. Passing a bound gives an error matching [ErrTooLarge].
type AnswerLimits struct {
	// JSON bounds a whole JSON answer (a completion, the model catalogue,
	// an image answer with its base64 data). Default 64 MiB: the full
	// catalogue is about 1 MiB and a completion a few, while an image
	// answer carries several base64 images of up to ~10 MiB each.
	JSON int64
	// SSEEvent bounds one event of a stream (a line, or the data lines of
	// one event joined). Default 32 MiB: a streamed image arrives whole in
	// one line, base64 (a 4K PNG is about 15 MiB of text); text chunks are
	// a few hundred bytes.
	SSEEvent int
	// Stream bounds a whole stream body. Default 256 MiB: far beyond any
	// answer a model can give, it stops an endless stream.
	Stream int64
}

// DefaultAnswerLimits are the bounds of a client created without
// WithAnswerLimits.
var DefaultAnswerLimits = AnswerLimits{JSON: 64 << 20, SSEEvent: 32 << 20, Stream: 256 << 20}

// WithAnswerLimits sets the bounds on answers (see [AnswerLimits]); a zero
// field keeps its default from [DefaultAnswerLimits], a negative one is
// refused.
func WithAnswerLimits(l AnswerLimits) Option {
	return func(c *config) error {
		if l.JSON < 0 || l.SSEEvent < 0 || l.Stream < 0 {
			return fmt.Errorf("WithAnswerLimits(%+v): negative bound", l)
		}
		if l.JSON > 0 {
			c.limits.JSON = l.JSON
		}
		if l.SSEEvent > 0 {
			c.limits.SSEEvent = l.SSEEvent
		}
		if l.Stream > 0 {
			c.limits.Stream = l.Stream
		}
		return nil
	}
}

// tooLarge is the error of an answer past a bound.
func tooLarge(what string, limit int64) error {
	return fmt.Errorf("%w: %s is over %d bytes (see WithAnswerLimits)", ErrTooLarge, what, limit)
}

// readBody reads a whole body of at most limit bytes, in one allocation
// when its length is known (bytes.Buffer.ReadFrom would grow the buffer
// once more at the end).
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	if n := resp.ContentLength; n > limit {
		return nil, tooLarge("the answer", limit)
	} else if n > 0 {
		b := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	return readAll(resp.Body, limit)
}

// readAll reads r to its end, refusing more than limit bytes. It reads
// into blocks that double in size, so that an answer refused for its
// size has cost about the bound (io.ReadAll's growing slice costs five
// times), and one that fits a block is handed over without a copy.
func readAll(r io.Reader, limit int64) ([]byte, error) {
	buf := blocks.Buffer{Limit: int(min(limit, math.MaxInt))}
	if _, err := buf.ReadFrom(r); err != nil {
		if errors.Is(err, blocks.ErrTooLong) {
			return nil, tooLarge("the answer", limit)
		}
		return nil, err
	}
	return buf.AppendTo(nil), nil
}

// limitedBody is a body that fails with ErrTooLarge past its bound,
// rather than ending quietly as io.LimitReader would.
type limitedBody struct {
	r     io.Reader
	left  int64
	limit int64
	what  string
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, tooLarge(b.what, b.limit)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

func newLimitedBody(r io.Reader, limit int64, what string) *limitedBody {
	return &limitedBody{r: r, left: limit, limit: limit, what: what}
}
