package dataurl

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Placeholder is the prefix of the strings Extract puts where it took a
// data URL out: Placeholder + the index of the image ("0", "1", ...).
const Placeholder = "data:openrouter-extracted;index="

// Extracted is one data URL taken out of a document: the image, or why it
// could not be decoded.
type Extracted struct {
	Image Image
	Err   error
}

// Extract reads a JSON document from r and returns it with every string
// value of a "url" key that is a base64 data URL, and of a "b64_json" key
// (the image API's bare base64), replaced by a placeholder (see
// Placeholder), and the decoded images in order. The
// base64 text is decoded as it is read, so an image is never held as text:
// what Extract allocates is about twice the decoded size, plus the rest of
// the document. A document that is not JSON is returned as read, for the
// caller's decoder to reject; only a read error is an error.
func Extract(r io.Reader) ([]byte, []Extracted, error) { return ExtractSized(r, -1) }

// ExtractSized is Extract for a document of size bytes (-1 when unknown,
// as for a chunked answer). Knowing the size, it decodes each image into
// one buffer sized from the text left to read, instead of 1 MiB blocks
// copied at the end: an image then costs about its own size, not twice.
func ExtractSized(r io.Reader, size int64) ([]byte, []Extracted, error) {
	return ExtractInto(r, size, nil)
}

// ExtractInto is ExtractSized decoding into the caller's storage: the
// images are decoded one after the other into into[len(into):cap(into)],
// each Image.Data then a slice of into's array, and no memory is
// allocated for them. This is how an image of a document of unknown size
// costs its own size: without it, its bytes are decoded into blocks and
// copied once at the end into one slice of their exact size (about twice
// the image). An image that does not fit in what is left is decoded as
// ExtractSized would, after what was decoded into into is copied out;
// the space it used is given to the next image, and so is that of an
// image that could not be decoded. The bytes of into past the images are
// left undefined.
func ExtractInto(r io.Reader, size int64, into []byte) ([]byte, []Extracted, error) {
	cr := &countingReader{r: r}
	x := extractor{br: bufio.NewReaderSize(cr, 64<<10), cr: cr, size: size, free: into[len(into):]}
	err := x.run()
	return x.out.Bytes(), x.images, err
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

type extractor struct {
	br     *bufio.Reader
	cr     *countingReader
	size   int64 // the document's length; -1 when unknown
	out    bytes.Buffer
	images []Extracted
	free   []byte // the caller's storage left for images: len 0, its capacity

	lastString []byte // the last short string read, a key if ':' follows
	stringEnd  bool   // the last token was a string
	pendingKey string // the key whose value comes next
}

func (x *extractor) run() error {
	for {
		c, err := x.br.ReadByte()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch c {
		case '"':
			key := x.pendingKey
			x.pendingKey = ""
			if err := x.readString(key); err != nil {
				return err
			}
			x.stringEnd = true
			continue
		case ':':
			if x.stringEnd {
				x.pendingKey = string(x.lastString)
			}
		case ' ', '\t', '\r', '\n':
			x.out.WriteByte(c)
			continue
		default:
			x.pendingKey = ""
		}
		x.stringEnd = false
		x.out.WriteByte(c)
	}
}

// readString handles a string whose opening quote was read, the value of
// key ("" for a key or an array element). A url value that starts with
// "data:" and declares base64 is decoded, and so is a b64_json value;
// every other string is copied as it is.
func (x *extractor) readString(key string) error {
	x.lastString = x.lastString[:0]
	switch key {
	case "url":
		if p, _ := x.br.Peek(5); string(p) == "data:" {
			return x.readDataURL()
		}
	case "b64_json":
		return x.readBase64("")
	}
	x.out.WriteByte('"')
	return x.copyString()
}

// copyString copies the rest of a string, its closing quote included,
// keeping a short one for key detection.
func (x *extractor) copyString() error {
	for {
		c, err := x.br.ReadByte()
		if err != nil {
			return eof(err)
		}
		x.out.WriteByte(c)
		switch c {
		case '"':
			return nil
		case '\\':
			e, err := x.br.ReadByte()
			if err != nil {
				return eof(err)
			}
			x.out.WriteByte(e)
			c = e
		}
		if len(x.lastString) < 16 {
			x.lastString = append(x.lastString, c)
		}
	}
}

// readDataURL reads a data URL string: its header (at most 256 bytes, up
// to the comma), then its base64 text into the decoder, unescaping what
// JSON may escape in it. A header that is not base64 makes it an ordinary
// string again.
func (x *extractor) readDataURL() error {
	var head []byte
	for {
		c, err := x.br.ReadByte()
		if err != nil {
			return eof(err)
		}
		if c == '\\' {
			e, err := x.br.ReadByte()
			if err != nil {
				return eof(err)
			}
			if e != '/' { // only \/ is expected in a header; keep it verbatim
				head = append(head, c)
			}
			c = e
		}
		if c == '"' || len(head) > 256 {
			x.out.WriteByte('"')
			x.out.Write(head)
			if c == '"' {
				x.out.WriteByte('"')
				return nil
			}
			x.out.WriteByte(c)
			return x.copyString()
		}
		if c == ',' {
			break
		}
		head = append(head, c)
	}
	declared, herr := parseHeader(strings.TrimPrefix(string(head), "data:"))
	if herr != nil {
		// Not base64: an ordinary string, whatever it holds.
		x.out.WriteByte('"')
		x.out.Write(head)
		x.out.WriteByte(',')
		return x.copyString()
	}
	return x.readBase64(declared)
}

// readBase64 decodes the rest of a string, up to its closing quote, as
// base64 text of an image of the declared type, unescaping what JSON may
// escape in it, and puts a placeholder in its place.
func (x *extractor) readBase64(declared string) error {
	var d decoder
	left := x.size - (x.cr.n - int64(x.br.Buffered()))
	switch {
	case cap(x.free) > 0:
		d.cur, d.caller = x.free, true
	case x.size > 0 && left > 0 && left/4*3 <= maxPresize:
		// The base64 text is at most what is left of the document.
		d.cur = make([]byte, 0, left/4*3+3)
	}
	for {
		c, err := x.br.ReadByte()
		if err != nil {
			return eof(err)
		}
		if c == '"' {
			break
		}
		if c == '\\' {
			e, err := x.br.ReadByte()
			if err != nil {
				return eof(err)
			}
			switch e {
			case '/':
				c = '/'
			case 'n', 'r', 't':
				continue
			default:
				d.fail(fmt.Sprintf("escape \\%c in base64", e))
				continue
			}
		}
		if d.err == nil {
			d.feed(c)
		}
	}
	img, derr := d.finish(declared)
	if n := len(img.Data); derr == nil && n > 0 && n <= cap(x.free) && &img.Data[0] == &x.free[:1][0] {
		// Decoded into the caller's storage: the next image follows it.
		x.free = x.free[len(img.Data):len(img.Data)]
	}
	x.images = append(x.images, Extracted{Image: img, Err: derr})
	x.out.WriteString(strconv.Quote(Placeholder + strconv.Itoa(len(x.images)-1)))
	return nil
}

// eof turns the end of the input inside a string into an error.
func eof(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Index returns the image index of a placeholder string, and whether s is
// one.
func Index(s string) (int, bool) {
	rest, ok := strings.CutPrefix(s, Placeholder)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil && n >= 0
}
