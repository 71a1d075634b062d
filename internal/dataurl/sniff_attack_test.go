package dataurl

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/jpeg"
	"testing"
)

// vp8x is an extended WebP header declaring width and height.
func vp8x(w, h int) []byte {
	b := []byte("RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x10\x00\x00\x00")
	wm, hm := w-1, h-1
	return append(b, byte(wm), byte(wm>>8), byte(wm>>16), byte(hm), byte(hm>>8), byte(hm>>16))
}

// TestWebPExtendedSizeCarries: the VP8X size is 1 + a 24-bit field; the
// reading added 1 to the low byte before OR-ing the others in, so a
// width-1 with a low byte of 0xff and an odd middle byte (512 wide:
// 0x0001ff) came out as 256.
func TestWebPExtendedSizeCarries(t *testing.T) {
	for _, sz := range [][2]int{{512, 512}, {768, 1536}, {1 << 24, 1 << 24}, {1, 1}, {1344, 768}} {
		img, err := Identify(vp8x(sz[0], sz[1]), "image/webp")
		if err != nil {
			t.Fatal(err)
		}
		if img.Width != sz[0] || img.Height != sz[1] {
			t.Errorf("VP8X %d×%d read as %d×%d", sz[0], sz[1], img.Width, img.Height)
		}
	}
}

// TestIdentifyHostileHeaders: truncated and absurd headers of every
// format give no panic, no negative size, and never a size read past the
// bytes.
func TestIdentifyHostileHeaders(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x7f\xff\xff\xff\x7f\xff\xff\xff\x08\x02\x00\x00\x00")
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, image.NewGray(image.Rect(0, 0, 40, 30)), nil); err != nil {
		t.Fatal(err)
	}
	jpegManyMarkers := []byte{0xff, 0xd8}
	for range 5000 { // APP markers before any SOF
		jpegManyMarkers = append(jpegManyMarkers, 0xff, 0xe1, 0x00, 0x04, 'x', 'x')
	}
	jpegManyMarkers = append(jpegManyMarkers, jpg.Bytes()[2:]...)
	cases := map[string][]byte{
		"png truncated":    png[:12],
		"png huge":         png,
		"jpeg soi only":    {0xff, 0xd8, 0xff},
		"jpeg markers":     jpegManyMarkers,
		"riff short":       []byte("RIFF\x00\x00\x00\x00WEBP"),
		"vp8 short":        []byte("RIFF\x00\x00\x00\x00WEBPVP8 \x00\x00\x00\x00\x00\x00\x00\x9d\x01"),
		"vp8l short":       []byte("RIFF\x00\x00\x00\x00WEBPVP8L\x00\x00\x00\x00\x2f"),
		"vp8x short":       vp8x(5, 5)[:27],
		"vp8x max":         vp8x(1<<24, 1<<24),
		"gif short":        []byte("GIF89a\x01"),
		"svg unterminated": []byte("<svg"),
	}
	for name, data := range cases {
		img, err := Identify(data, "")
		if err != nil {
			continue // refusing is fine
		}
		if img.Width < 0 || img.Height < 0 || img.Width > 1<<31 || img.Height > 1<<31 {
			t.Errorf("%s: size %d×%d", name, img.Width, img.Height)
		}
	}
	if img, _ := Identify(jpegManyMarkers, ""); img.Width != 40 || img.Height != 30 {
		t.Errorf("JPEG after 5000 markers: %d×%d, want 40×30", img.Width, img.Height)
	}
}

// FuzzIdentify feeds arbitrary bytes to the sniffer: no panic, no
// negative size, and a VP8X header's size is exactly 1 + its 24-bit
// fields.
func FuzzIdentify(f *testing.F) {
	f.Add(vp8x(512, 300))
	f.Add([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02\x00\x00\x00"))
	f.Add([]byte{0xff, 0xd8, 0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x10, 0x00, 0x10, 0x01, 0x01, 0x11, 0x00})
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"))
	f.Add([]byte("GIF89a\x10\x00\x10\x00\x00\x00\x00"))
	f.Add([]byte(" <?xml version=\"1.0\"?><svg/>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := Identify(data, "image/png")
		if err != nil {
			return
		}
		if img.Width < 0 || img.Height < 0 {
			t.Fatalf("negative size %d×%d", img.Width, img.Height)
		}
		if len(data) >= 30 && bytes.Equal(data[12:16], []byte("VP8X")) && img.MIME == "image/webp" {
			d := data[24:30]
			w := 1 + int(binary.LittleEndian.Uint32(append(d[0:3:3], 0)))
			h := 1 + int(binary.LittleEndian.Uint32(append(d[3:6:6], 0)))
			if img.Width != w || img.Height != h {
				t.Fatalf("VP8X read %d×%d, the header says %d×%d", img.Width, img.Height, w, h)
			}
		}
	})
}
