package dataurl

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
)

func pngBytes(w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.NRGBA{255, 0, 0, 255})
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

func jpegBytes() []byte {
	var b bytes.Buffer
	_ = jpeg.Encode(&b, image.NewRGBA(image.Rect(0, 0, 5, 3)), nil)
	return b.Bytes()
}

func TestDecode(t *testing.T) {
	t.Parallel()
	p := pngBytes(7, 3)
	b64 := base64.StdEncoding.EncodeToString(p)
	for name, s := range map[string]string{
		"standard":         "data:image/png;base64," + b64,
		"no padding":       "data:image/png;base64," + strings.TrimRight(b64, "="),
		"url-safe":         "data:image/png;base64," + base64.URLEncoding.EncodeToString(p),
		"wrapped":          "data:image/png;base64," + b64[:10] + "\n" + b64[10:],
		"params":           "data:image/png;name=x.png;base64," + b64,
		"upper-case MIME":  "data:IMAGE/PNG;base64," + b64,
		"no declared type": "data:;base64," + b64,
	} {
		img, err := Decode(s)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !bytes.Equal(img.Data, p) || img.MIME != "image/png" || img.Width != 7 || img.Height != 3 {
			t.Errorf("%s: got %s %dx%d, %d bytes", name, img.MIME, img.Width, img.Height, len(img.Data))
		}
	}
}

func TestDecodeWrongDeclaredType(t *testing.T) {
	t.Parallel()
	j := jpegBytes()
	img, err := Decode("data:image/png;base64," + base64.StdEncoding.EncodeToString(j))
	if err != nil {
		t.Fatal(err)
	}
	if img.MIME != "image/jpeg" || img.Declared != "image/png" || img.Width != 5 || img.Height != 3 {
		t.Errorf("got %+v", img)
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	b64 := base64.StdEncoding.EncodeToString(pngBytes(2, 2))
	for s, says := range map[string]string{
		"https://example.com/a.png":                  "not a data URL",
		"data:image/png;base64":                      "no comma",
		"data:image/png," + b64:                      "not <type>;base64",
		"data:png;base64," + b64:                     "not a MIME type",
		"data:image/png;base64,@@@@":                 "not base64",
		"data:image/png;base64," + b64 + "==":        "padding",
		"data:image/png;base64,QUI=QUJD":             "after padding",
		"data:image/png;base64,QUJD=":                "misplaced padding",
		"data:image/png;base64,A":                    "truncated",
		"data:image/png;base64,":                     "empty image",
		"data:text/plain;base64,aGVsbG8gd29ybGQ=":    "unknown image format",
		"data:image/png;base64,aGVsbG8gd29ybGQgaGk=": "unknown image format",
	} {
		img, err := Decode(s)
		if err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("Decode(%.40q): err = %v, want it to say %q", s, err, says)
		}
		if img.Data != nil {
			t.Errorf("Decode(%.40q) returned bytes with an error", s)
		}
	}
}

func TestExtract(t *testing.T) {
	t.Parallel()
	p1, p2 := pngBytes(4, 4), pngBytes(9, 2)
	u1 := "data:image/png;base64," + base64.StdEncoding.EncodeToString(p1)
	// The second URL escapes its slashes, as some JSON encoders do.
	u2 := strings.ReplaceAll("data:image/png;base64,"+base64.StdEncoding.EncodeToString(p2), "/", `\/`)
	doc := `{"id":"gen-1","choices":[{"message":{"content":"url: \"data:text\" is not a key","images":[` +
		`{"type":"image_url","image_url":{"url":"` + u1 + `"}},` +
		`{"type":"image_url","image_url":{"url" : "` + u2 + `"}},` +
		`{"type":"image_url","image_url":{"url":"https://example.com/x.png"}},` +
		`{"type":"image_url","image_url":{"url":"data:image/png;base64,@@"}}]}}],"note":"data:image/png;base64,AAAA"}`
	out, imgs, err := Extract(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 3 {
		t.Fatalf("%d images extracted, want 3", len(imgs))
	}
	if !bytes.Equal(imgs[0].Image.Data, p1) || !bytes.Equal(imgs[1].Image.Data, p2) || imgs[2].Err == nil {
		t.Errorf("extracted %+v", imgs)
	}
	var v struct {
		Choices []struct {
			Message struct {
				Content string
				Images  []struct {
					ImageURL struct{ URL string } `json:"image_url"`
				}
			}
		}
		Note string
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("the rewritten document is not JSON: %v\n%s", err, out)
	}
	m := v.Choices[0].Message
	if m.Content != `url: "data:text" is not a key` || v.Note != "data:image/png;base64,AAAA" {
		t.Errorf("strings that are not url values were changed: %q, %q", m.Content, v.Note)
	}
	for i, want := range []string{Placeholder + "0", Placeholder + "1", "https://example.com/x.png", Placeholder + "2"} {
		if got := m.Images[i].ImageURL.URL; got != want {
			t.Errorf("image %d url = %q, want %q", i, got, want)
		}
	}
	if n, ok := Index(Placeholder + "2"); !ok || n != 2 {
		t.Errorf("Index = %d, %v", n, ok)
	}
}

func TestExtractTruncated(t *testing.T) {
	t.Parallel()
	_, _, err := Extract(strings.NewReader(`{"image_url":{"url":"data:image/png;base64,iVBOR`))
	if err == nil {
		t.Error("a document cut inside a data URL gave no error")
	}
}

// FuzzDecode: never panics, and never returns bytes with an error or
// bytes that are not an image of a known type. Seeds:
// testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	f.Add("data:image/png;base64," + base64.StdEncoding.EncodeToString(pngBytes(2, 2)))
	f.Add("data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(jpegBytes()))
	f.Add("data:image/png;base64,iVBORw0KGgo=")
	f.Add("data:;base64,R0lGODlh")
	f.Add("data:image/png;base64,====")
	f.Add("https://example.com/x.png")
	f.Fuzz(func(t *testing.T, s string) {
		img, err := Decode(s)
		if err != nil {
			if img.Data != nil {
				t.Fatalf("bytes returned with error %v", err)
			}
			return
		}
		if len(img.Data) == 0 || Sniff(img.Data) != img.MIME || img.MIME == "" {
			t.Fatalf("accepted %q as %q (%d bytes)", s, img.MIME, len(img.Data))
		}
	})
}

// FuzzExtract: never panics; every image it reports decoded is a known
// image type, and on a document that is valid JSON its output is valid
// JSON too.
func FuzzExtract(f *testing.F) {
	f.Add(`{"image_url":{"url":"data:image/png;base64,` + base64.StdEncoding.EncodeToString(pngBytes(2, 2)) + `"}}`)
	f.Add(`{"url":"data:image/png;base64,@@","x":"\"url\":"}`)
	f.Add(`{"url":"data:text/plain,hello"}`)
	f.Add(`[{"url":"data:` + strings.Repeat("a", 300) + `"}]`)
	f.Fuzz(func(t *testing.T, doc string) {
		out, imgs, err := Extract(strings.NewReader(doc))
		for _, x := range imgs {
			if x.Err == nil && (len(x.Image.Data) == 0 || Sniff(x.Image.Data) != x.Image.MIME) {
				t.Fatalf("bad image accepted from %q", doc)
			}
			if x.Err != nil && x.Image.Data != nil {
				t.Fatalf("bytes with an error from %q", doc)
			}
		}
		if err == nil && json.Valid([]byte(doc)) && !json.Valid(out) {
			t.Fatalf("valid %q became invalid %q", doc, out)
		}
	})
}
