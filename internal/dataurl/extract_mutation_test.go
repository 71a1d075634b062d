package dataurl

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/routerkit/openrouter/internal/memtest"
)

// TestExtractIntoExactFit checks that an image filling what is left of
// the caller's storage exactly is kept there, and that the next image is
// decoded elsewhere instead of over it.
func TestExtractIntoExactFit(t *testing.T) {
	a, b := bigImage(3000), bigImage(2000)
	b[len(b)-1] = 7
	doc := `{"images":[{"url":"data:image/png;base64,` + base64.StdEncoding.EncodeToString(a) +
		`"},{"url":"data:image/png;base64,` + base64.StdEncoding.EncodeToString(b) + `"}]}`
	into := make([]byte, 0, len(a))
	_, imgs, err := ExtractInto(strings.NewReader(doc), -1, into)
	if err != nil || len(imgs) != 2 || imgs[0].Err != nil || imgs[1].Err != nil {
		t.Fatalf("err %v, images %+v", err, imgs)
	}
	if !bytes.Equal(imgs[0].Image.Data, a) || !bytes.Equal(imgs[1].Image.Data, b) {
		t.Fatal("an image was not decoded intact: the second was decoded over the first")
	}
	if &imgs[0].Image.Data[0] != &into[:1][0] {
		t.Error("the first image, which fits exactly, is not in the caller's storage")
	}
}

// TestExtractDataURLHeaders checks the header reading of a data URL:
// JSON's escaped slash is unescaped, a header of 256 bytes is still read
// as one, and a "data:" string that is not a base64 data URL (it ends
// before a comma, or its header runs past 256 bytes) is copied unchanged.
func TestExtractDataURLHeaders(t *testing.T) {
	img := bigImage(600)
	b64 := base64.StdEncoding.EncodeToString(img)
	escaped := `{"url":"data:image\/png;base64,` + b64 + `"}`
	out, imgs, err := Extract(strings.NewReader(escaped))
	if err != nil || len(imgs) != 1 || imgs[0].Err != nil || !bytes.Equal(imgs[0].Image.Data, img) {
		t.Fatalf("escaped header: err %v, images %+v", err, imgs)
	}
	if d := imgs[0].Image.Declared; d != "" {
		t.Errorf("escaped header read as declaring %q, not image/png", d)
	}
	if want := `{"url":"` + Placeholder + `0"}`; string(out) != want {
		t.Errorf("escaped header: document %q, want %q", out, want)
	}

	// "data:" + "image/png;" + padding + ";base64" = 256 bytes exactly.
	pad := "x=" + strings.Repeat("y", 256-len("data:image/png;;base64")-2)
	head := "data:image/png;" + pad + ";base64"
	if len(head) != 256 {
		t.Fatalf("header of %d bytes", len(head))
	}
	_, imgs, err = Extract(strings.NewReader(`{"url":"` + head + "," + b64 + `"}`))
	if err != nil || len(imgs) != 1 || !bytes.Equal(imgs[0].Image.Data, img) {
		t.Errorf("a 256-byte header: err %v, %d images; want the image", err, len(imgs))
	}

	for _, doc := range []string{
		`{"url":"data:no-comma","n":1}`,
		`{"url":"data:` + strings.Repeat("z", 300) + `","n":1}`,
		`{"url":"data:` + strings.Repeat("z", 300) + `,AAAA","n":1}`,
	} {
		out, imgs, err := Extract(strings.NewReader(doc))
		if err != nil || len(imgs) != 0 || string(out) != doc {
			t.Errorf("Extract(%.40q...) = %.60q, %d images, %v; want it unchanged", doc, out, len(imgs), err)
		}
	}
}

// TestExtractSizedPresizesFromWhatIsLeft checks that the buffer sized
// from the document's length counts only the text left to read (not the
// text before the image), and has room for the last bytes of an image
// whose string ends the document: either mistake decodes into blocks and
// copies, twice the image.
func TestExtractSizedPresizesFromWhatIsLeft(t *testing.T) {
	img := bigImage(1<<20 + 1) // its base64 ends in "=="
	b64 := base64.StdEncoding.EncodeToString(img)
	for name, doc := range map[string]string{
		"after 64 KB of text": `{"text":"` + strings.Repeat("t", 64<<10) + `","b64_json":"` + b64 + `"}`,
		"ending the document": `{"b64_json":"` + b64 + `"}`,
	} {
		var imgs []Extracted
		n := memtest.Allocated(func() { _, imgs, _ = ExtractSized(strings.NewReader(doc), int64(len(doc))) })
		if len(imgs) != 1 || imgs[0].Err != nil || !bytes.Equal(imgs[0].Image.Data, img) {
			t.Fatalf("%s: the image was not decoded intact", name)
		}
		ratio := float64(n) / float64(len(img))
		t.Logf("%s: allocated %.2f times the image", name, ratio)
		// About 1.1-1.35x plainly and 1.6x under -race, whose
		// instrumentation allocates too; sizing from the whole document
		// instead of what is left of it gives 2.44x and more.
		if ratio > 2 {
			t.Errorf("%s: ExtractSized allocated %.2f times the image, want under 2", name, ratio)
		}
	}
}

// TestIndexZero checks that the first image's placeholder is index 0.
func TestIndexZero(t *testing.T) {
	if i, ok := Index(Placeholder + "0"); !ok || i != 0 {
		t.Errorf("Index(placeholder 0) = %d, %v; want 0, true", i, ok)
	}
	if _, ok := Index(Placeholder + "-1"); ok {
		t.Error("Index accepted a negative index")
	}
}

// TestExtractSizedHugeHintAllocatesNothingUpFront checks that a size hint
// whose image would pass maxPresize (1 GiB of document: 768 MiB of image)
// allocates no buffer up front: the image is decoded in blocks.
func TestExtractSizedHugeHintAllocatesNothingUpFront(t *testing.T) {
	img := bigImage(3000)
	doc := `{"b64_json":"` + base64.StdEncoding.EncodeToString(img) + `"}`
	var imgs []Extracted
	n := memtest.Allocated(func() { _, imgs, _ = ExtractSized(strings.NewReader(doc), 1<<30) })
	if len(imgs) != 1 || !bytes.Equal(imgs[0].Image.Data, img) {
		t.Fatal("the image was not decoded intact")
	}
	if n > 8<<20 {
		t.Errorf("a 1 GiB size hint allocated %d bytes for a 3 KB image", n)
	}
}
