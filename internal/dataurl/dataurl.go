// Package dataurl decodes base64 data URLs of images: one given as a
// string (Decode), or every one inside a JSON document read as a stream
// (Extract), so that a large image is never held as base64 text.
package dataurl

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // DecodeConfig for GIF dimensions
	_ "image/jpeg"
	_ "image/png"
	"strings"
)

// Image is a decoded image.
type Image struct {
	Data []byte
	// MIME is the type the bytes' own signature says ("image/png").
	MIME string
	// Declared is the type the data URL declared, when it differs.
	Declared string
	// Width and Height are read from the header (PNG, JPEG, GIF, WebP);
	// 0 for SVG or a header too short to say.
	Width, Height int
}

// ErrNotDataURL is returned by Decode for a string that is not a data URL
// (an https URL, say): the caller decides what to do with it.
var ErrNotDataURL = errors.New("not a data URL")

// Decode decodes a base64 data URL ("data:image/png;base64,...").
func Decode(s string) (Image, error) {
	rest, ok := strings.CutPrefix(s, "data:")
	if !ok {
		return Image{}, ErrNotDataURL
	}
	header, payload, ok := strings.Cut(rest, ",")
	if !ok {
		return Image{}, errors.New("malformed data URL: no comma after the header")
	}
	declared, err := parseHeader(header)
	if err != nil {
		return Image{}, err
	}
	d := decoder{cur: make([]byte, 0, len(payload)/4*3+3)}
	for i := 0; i < len(payload) && d.err == nil; i++ {
		d.feed(payload[i])
	}
	return d.finish(declared)
}

// parseHeader checks "<mime>[;param...];base64" and returns the MIME type.
func parseHeader(h string) (string, error) {
	parts := strings.Split(h, ";")
	if len(parts) < 2 || parts[len(parts)-1] != "base64" {
		return "", fmt.Errorf("malformed data URL: header %q is not <type>;base64", clip(h))
	}
	mime := strings.ToLower(strings.TrimSpace(parts[0]))
	if mime != "" && !strings.Contains(mime, "/") {
		return "", fmt.Errorf("malformed data URL: %q is not a MIME type", clip(mime))
	}
	return mime, nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// blockSize is the size of the blocks decoded bytes are gathered in,
// when their total is not known in advance, before the one copy into an
// exact-size slice.
const blockSize = 1 << 20

// maxPresize bounds the buffer a size hint may allocate up front.
const maxPresize = 256 << 20

// decoder turns base64 text, fed one byte at a time, into bytes. It
// accepts the standard and URL-safe alphabets, missing padding, and
// skips white space; anything else is an error with its position.
type decoder struct {
	quad [4]byte
	nq   int
	pad  int // '=' seen; only '=' may follow
	pos  int // base64 characters fed
	// cur is the buffer being filled: sized up front when the length of
	// the text is known (then blocks stays empty and cur is the result),
	// otherwise the last of the 1 MiB blocks.
	blocks [][]byte
	cur    []byte
	caller bool // cur is the caller's storage: kept, whatever its spare capacity
	err    error
}

var alphabet = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" {
		t[c] = int8(i)
	}
	t['-'], t['_'] = 62, 63
	return t
}()

func (d *decoder) feed(c byte) {
	switch {
	case c == ' ' || c == '\n' || c == '\r' || c == '\t':
		return
	case c == '=':
		d.pad++
		if d.nq+d.pad > 4 || d.nq < 2 {
			d.fail("misplaced padding")
		}
		return
	case d.pad > 0:
		d.fail("data after padding")
		return
	case alphabet[c] < 0:
		d.fail(fmt.Sprintf("byte %q is not base64", c))
		return
	}
	d.pos++
	d.quad[d.nq] = byte(alphabet[c])
	d.nq++
	if d.nq == 4 {
		d.emit(3)
	}
}

func (d *decoder) fail(why string) {
	if d.err == nil {
		d.err = fmt.Errorf("bad base64 at character %d: %s", d.pos, why)
	}
}

// emit writes the n bytes the quad holds.
func (d *decoder) emit(n int) {
	v := uint(d.quad[0])<<18 | uint(d.quad[1])<<12 | uint(d.quad[2])<<6 | uint(d.quad[3])
	out := [3]byte{byte(v >> 16), byte(v >> 8), byte(v)}
	for i := 0; i < n; i++ {
		if len(d.cur) == cap(d.cur) {
			if d.cur != nil {
				d.blocks = append(d.blocks, d.cur)
			}
			d.cur = make([]byte, 0, blockSize)
		}
		d.cur = append(d.cur, out[i])
	}
	d.nq, d.quad = 0, [4]byte{}
}

// finish decodes the last partial quad and returns the image, its type
// checked against the bytes' signature.
func (d *decoder) finish(declared string) (Image, error) {
	if d.err == nil {
		switch d.nq {
		case 1:
			d.fail("truncated")
		case 2:
			d.emit(1)
		case 3:
			d.emit(2)
		}
	}
	if d.err != nil {
		return Image{}, d.err
	}
	n := len(d.cur)
	for _, b := range d.blocks {
		n += len(b)
	}
	if n == 0 {
		return Image{}, errors.New("empty image data")
	}
	if len(d.blocks) == 0 && (d.caller || cap(d.cur)-n <= n/64+4096) {
		// Sized up front and filled (nearly) exactly: no copy.
		data := d.cur[:n:n]
		d.cur = nil
		return identify(data, declared)
	}
	data := make([]byte, 0, n)
	for _, b := range d.blocks {
		data = append(data, b...)
	}
	data = append(data, d.cur...)
	d.blocks, d.cur = nil, nil
	return identify(data, declared)
}

// identify checks the bytes' signature and reads the dimensions.
func identify(data []byte, declared string) (Image, error) {
	mime := Sniff(data)
	if mime == "" && isSVG(data) {
		mime = MIMESVG
	}
	if mime == "" {
		return Image{}, fmt.Errorf("unknown image format (declared %q): not PNG, JPEG, GIF, WebP or SVG", declared)
	}
	img := Image{Data: data, MIME: mime}
	if declared != mime && !(declared == "image/jpg" && mime == "image/jpeg") {
		img.Declared = declared
	}
	switch mime {
	case "image/webp":
		img.Width, img.Height, _ = webpSize(data)
	case MIMESVG: // vector: no pixel size
	default:
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil {
			img.Width, img.Height = cfg.Width, cfg.Height
		}
	}
	return img, nil
}

// Sniff returns the image type the bytes' signature says, or "".
func Sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}):
		return "image/jpeg"
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return "image/gif"
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "image/webp"
	}
	return ""
}

// Identify returns the image of decoded bytes: their type from their own
// signature (declared is the type the answer gave), and their dimensions.
func Identify(data []byte, declared string) (Image, error) {
	if len(data) == 0 {
		return Image{}, errors.New("empty image data")
	}
	return identify(data, declared)
}
