package openroutertest

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
)

// PNG is a small real PNG image (64×64, a gradient), the image the default
// responder answers with.
var PNG = makePNG(64, 64)

// PNGDataURL is PNG as a data URL, as OpenRouter sends images.
var PNGDataURL = DataURL("image/png", PNG)

// DataURL returns data as a base64 data URL of the given MIME type.
func DataURL(mime string, data []byte) string {
	return "data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(data)
}

// MakePNG returns a real PNG of w×h pixels (a gradient); its size grows
// with w×h, for tests of large images.
func MakePNG(w, h int) []byte { return makePNG(w, h) }

func makePNG(w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.NRGBA{R: uint8(x * 255 / max(w-1, 1)), G: uint8(y * 255 / max(h-1, 1)), B: uint8((x ^ y) & 0xff), A: 255})
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}

// LargePNG returns a real PNG of at least minBytes bytes: a square of
// noise, stored without compression so that building it is quick. The
// 8 MB image of the image benchmarks is LargePNG(8 << 20).
func LargePNG(minBytes int) []byte {
	side := 1
	for side*side*4 < minBytes {
		side++
	}
	img := image.NewNRGBA(image.Rect(0, 0, side, side))
	x := uint32(2463534242)
	for i := range img.Pix {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		img.Pix[i] = byte(x)
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.NoCompression}
	_ = enc.Encode(&buf, img)
	return buf.Bytes()
}
