package dataurl

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/routerkit/openrouter/internal/memtest"
)

// TestExtractIntoFillsTheCallersStorage checks that, with no size known,
// images are decoded one after the other into the caller's storage with
// nothing allocated for them, that a broken image leaves its space to
// the next, and that an image too large for what is left is decoded
// whole outside it.
func TestExtractIntoFillsTheCallersStorage(t *testing.T) {
	a, b, big := bigImage(300<<10), bigImage(200<<10), bigImage(1<<20)
	b[len(b)-1] = 1
	url := func(img []byte) string {
		return `{"url":"data:image/png;base64,` + base64.StdEncoding.EncodeToString(img) + `"}`
	}
	doc := `{"images":[` + url(a) + `,{"url":"data:image/png;base64,AAAA!"},` + url(b) + `,` + url(big) + `]}`
	into := make([]byte, 3, 600<<10) // three bytes the caller keeps
	copy(into, "abc")
	var imgs []Extracted
	n := memtest.Allocated(func() { _, imgs, _ = ExtractInto(strings.NewReader(doc), -1, into) })
	if len(imgs) != 4 || imgs[1].Err == nil {
		t.Fatalf("%d images, the broken one: %v", len(imgs), imgs[1].Err)
	}
	for i, want := range [][]byte{a, nil, b, big} {
		if want != nil && (imgs[i].Err != nil || !bytes.Equal(imgs[i].Image.Data, want)) {
			t.Fatalf("image %d not decoded intact: %v", i, imgs[i].Err)
		}
	}
	if string(into[:3]) != "abc" {
		t.Error("the bytes before len(into) were overwritten")
	}
	if &imgs[0].Image.Data[0] != &into[3:4][0] || &imgs[2].Image.Data[0] != &into[:cap(into)][3+len(a)] {
		t.Error("the first and third images are not where they should be in the caller's storage")
	}
	if cap(imgs[0].Image.Data) != len(a) {
		t.Errorf("the first image's capacity %d reaches into the next", cap(imgs[0].Image.Data))
	}
	if n > uint64(len(big))*3 {
		t.Errorf("%d bytes allocated: more than the large image's blocks and copy", n)
	}
	if n < uint64(len(big)) {
		t.Errorf("%d bytes allocated: the large image cannot be in the storage", n)
	}
}
