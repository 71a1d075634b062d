package openroutertest

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"strconv"
)

// webp1x1 is a valid 1×1 lossless WebP (VP8L). Its pixels are coded with
// one-symbol prefix codes, which take no bits, so the same bitstream is a
// valid image of any size once the header's width and height change:
// MakeWebP does that. (Checked with golang.org/x/image/webp, which this
// module does not depend on.)
var webp1x1, _ = base64.StdEncoding.DecodeString("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")

// MakeWebP returns a valid lossless WebP of w×h pixels (1 to 16384 a
// side), all one color: the standard library has no WebP encoder.
func MakeWebP(w, h int) []byte {
	out := bytes.Clone(webp1x1)
	v := binary.LittleEndian.Uint32(out[21:25])
	v = v&^(1<<28-1) | uint32(w-1)&0x3fff | (uint32(h-1)&0x3fff)<<14
	binary.LittleEndian.PutUint32(out[21:25], v)
	return out
}

// LargeWebP returns a WebP of at least minBytes bytes for memory
// benchmarks: MakeWebP(4096, 4096)'s bitstream, its VP8L chunk padded
// with zeros to the size (the header, all the SDK reads, is valid).
func LargeWebP(minBytes int) []byte {
	small := MakeWebP(4096, 4096)
	chunk := small[20:]
	pad := max(minBytes-len(small), 0)
	pad += pad & 1 // RIFF chunks have an even size
	out := make([]byte, 0, len(small)+pad)
	out = append(out, "RIFF"...)
	out = binary.LittleEndian.AppendUint32(out, uint32(4+8+len(chunk)+pad))
	out = append(out, "WEBPVP8L"...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(chunk)+pad))
	out = append(out, chunk...)
	return append(out, make([]byte, pad)...)
}

// MakeJPEG returns a real JPEG of w×h pixels (a gradient).
func MakeJPEG(w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{R: uint8(x * 255 / max(w-1, 1)), G: uint8(y * 255 / max(h-1, 1)), B: 128, A: 255})
		}
	}
	var buf bytes.Buffer
	_ = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80})
	return buf.Bytes()
}

// MakeSVG returns SVG markup of a w×h rectangle, as vectorization models
// answer output_format "svg".
func MakeSVG(w, h int) []byte {
	return []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="` + itoa(w) + `" height="` + itoa(h) + `"><rect width="100%" height="100%" fill="#888"/></svg>`)
}

func itoa(n int) string { return strconv.Itoa(n) }
