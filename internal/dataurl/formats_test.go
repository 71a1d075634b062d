package dataurl

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/jpeg"
	"strings"
	"testing"

	"github.com/routerkit/openrouter/internal/memtest"
)

// TestIdentifyReadsEveryFormatsSize checks that the type comes from the
// bytes (whatever was declared) and the size from the header, for WebP
// (lossy, lossless, extended), JPEG and SVG.
func TestIdentifyReadsEveryFormatsSize(t *testing.T) {
	b64 := func(s string) []byte {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	lossless := b64("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
	lossless[21], lossless[22] = 0x7f, 0x41 // width-1 = 0x17f (384), height-1 bits start at 14: 0x41>>6 = 1 → 2
	lossy := b64("UklGRiIAAABXRUJQVlA4IBYAAAAwAQCdASoBAAEADsD+JaQAA3AAAAAA")
	extended := append([]byte("RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x10\x00\x00\x00"), 0x3f, 0x05, 0x00, 0xff, 0x02, 0x00)
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, image.NewGray(image.Rect(0, 0, 40, 30)), nil); err != nil {
		t.Fatal(err)
	}
	svg := []byte("\xef\xbb\xbf  <?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>")
	for _, tc := range []struct {
		name       string
		data       []byte
		mime       string
		w, h       int
		declaredAs string
	}{
		{"webp lossless", lossless, "image/webp", 384, 2, "image/png"},
		{"webp lossy", lossy, "image/webp", 1, 1, "image/webp"},
		{"webp extended", extended, "image/webp", 1344, 768, ""},
		{"jpeg", jpg.Bytes(), "image/jpeg", 40, 30, "image/webp"},
		{"svg", svg, MIMESVG, 0, 0, MIMESVG},
	} {
		img, err := Identify(tc.data, tc.declaredAs)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if img.MIME != tc.mime || img.Width != tc.w || img.Height != tc.h {
			t.Errorf("%s: got %s %d×%d, want %s %d×%d", tc.name, img.MIME, img.Width, img.Height, tc.mime, tc.w, tc.h)
		}
		if wantDeclared := tc.declaredAs != "" && tc.declaredAs != tc.mime; (img.Declared != "") != wantDeclared {
			t.Errorf("%s: declared %q kept as %q", tc.name, tc.declaredAs, img.Declared)
		}
	}
	if _, err := Identify([]byte("<html><body>not an svg</body></html>"), MIMESVG); err == nil {
		t.Error("HTML declared as SVG was accepted")
	}
	if _, _, ok := webpSize([]byte("RIFF\x00\x00\x00\x00WEBPVP8 ")); ok {
		t.Error("a truncated WebP header gave a size")
	}
}

// TestExtractDecodesB64JSON checks that the image API's bare base64
// ("b64_json") is decoded as it is read, into one buffer of the image's
// size, and replaced by a placeholder; other strings are kept.
func TestExtractDecodesB64JSON(t *testing.T) {
	img := bigImage(4 << 20)
	doc := `{"created":1,"data":[{"b64_json":"` + base64.StdEncoding.EncodeToString(img) + `","media_type":"image/png"}],"note":"b64_json"}`
	var out []byte
	var imgs []Extracted
	n := memtest.Allocated(func() {
		out, imgs, _ = ExtractSized(strings.NewReader(doc), int64(len(doc)))
	})
	if len(imgs) != 1 || imgs[0].Err != nil || !bytes.Equal(imgs[0].Image.Data, img) || imgs[0].Image.MIME != "image/png" {
		t.Fatalf("the image was not decoded intact: %d images", len(imgs))
	}
	if want := `{"created":1,"data":[{"b64_json":"` + Placeholder + `0","media_type":"image/png"}],"note":"b64_json"}`; string(out) != want {
		t.Errorf("document:\n%s\nwant\n%s", out, want)
	}
	if ratio := float64(n) / float64(len(img)); ratio > 1.2 {
		t.Errorf("ExtractSized allocated %.2f times the image, want under 1.2", ratio)
	}
}
