package dataurl

import (
	"bytes"
	"encoding/binary"
)

// MIMESVG is the type of an SVG image (vectorization models of the image
// API answer output_format "svg" with UTF-8 SVG markup).
const MIMESVG = "image/svg+xml"

// isSVG reports whether data is SVG markup: after optional white space, a
// byte-order mark, an XML declaration or comments, an <svg element within
// the first kilobyte.
func isSVG(data []byte) bool {
	head := data[:min(len(data), 1024)]
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	head = bytes.TrimLeft(head, " \t\r\n")
	if !bytes.HasPrefix(head, []byte("<")) {
		return false
	}
	return bytes.HasPrefix(head, []byte("<svg")) ||
		(bytes.HasPrefix(head, []byte("<?xml")) || bytes.HasPrefix(head, []byte("<!--")) || bytes.HasPrefix(head, []byte("<!DOCTYPE svg"))) &&
			bytes.Contains(head, []byte("<svg"))
}

// webpSize reads a WebP image's dimensions from its first chunk's header
// (RIFF container, then "VP8 " lossy, "VP8L" lossless or "VP8X"
// extended; see the WebP container and bitstream specifications). ok is
// false when the header is too short or malformed.
func webpSize(b []byte) (w, h int, ok bool) {
	if len(b) < 30 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WEBP" {
		return 0, 0, false
	}
	d := b[20:]
	switch string(b[12:16]) {
	case "VP8 ": // frame tag (3 bytes), start code 9d 01 2a, 14-bit sizes
		if d[3] != 0x9d || d[4] != 0x01 || d[5] != 0x2a {
			return 0, 0, false
		}
		w = int(binary.LittleEndian.Uint16(d[6:8]) & 0x3fff)
		h = int(binary.LittleEndian.Uint16(d[8:10]) & 0x3fff)
	case "VP8L": // signature 0x2f, then width-1 and height-1 in 14 bits each
		if d[0] != 0x2f {
			return 0, 0, false
		}
		v := binary.LittleEndian.Uint32(d[1:5])
		w, h = int(v&0x3fff)+1, int(v>>14&0x3fff)+1
	case "VP8X": // flags (4 bytes), then width-1 and height-1 in 24 bits each
		w = 1 + (int(d[4]) | int(d[5])<<8 | int(d[6])<<16)
		h = 1 + (int(d[7]) | int(d[8])<<8 | int(d[9])<<16)
	default:
		return 0, 0, false
	}
	return w, h, w > 0 && h > 0
}
