package openrouter

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// checkChatModel checks req against what a chat-completion image model's
// catalogue entry says, as far as it says: image inputs need an image
// input modality, a seed the "seed" parameter. entry nil (unknown) or
// SkipModelCheck checks nothing.
func (req *ImageRequest) checkChatModel(model string, entry *Model) error {
	if entry == nil || req.SkipModelCheck {
		return nil
	}
	if len(req.Inputs) > 0 && len(entry.InputModalities) > 0 && !slices.Contains(entry.InputModalities, "image") {
		return invalid("%s takes no image input (its input modalities: %s): Inputs cannot be sent", model, strings.Join(entry.InputModalities, ", "))
	}
	if req.Seed != nil && entry.ParametersKnown() && !entry.Supports("seed") {
		return invalid("%s does not accept seed (its catalogue entry's supported parameters leave it out)", model)
	}
	return nil
}

// imageField is a field of an image API request, as its capability
// descriptor names it.
type imageField struct {
	name string
	set  bool
	text string  // an enum's value
	num  float64 // a range's value
}

// fields returns the request's fields that a capability descriptor can
// refuse: each one set must be in the model's supported_parameters.
func (req *ImageRequest) fields() []imageField {
	num := func(p *int) float64 {
		if p == nil {
			return 0
		}
		return float64(*p)
	}
	return []imageField{
		{name: "resolution", set: req.Size != "", text: req.Size},
		{name: "aspect_ratio", set: req.AspectRatio != "", text: req.AspectRatio},
		{name: "quality", set: req.Quality != "", text: req.Quality},
		{name: "output_format", set: req.OutputFormat != "", text: req.OutputFormat},
		{name: "background", set: req.Background != "", text: req.Background},
		{name: "output_compression", set: req.OutputCompression != nil, num: num(req.OutputCompression)},
		{name: "seed", set: req.Seed != nil, num: num(req.Seed)},
		{name: "n", set: req.N > 1, num: float64(req.N), text: strconv.Itoa(req.N)},
		{name: "input_references", set: len(req.Inputs) > 0, num: float64(len(req.Inputs))},
	}
}

// checkImageAPIModel checks req against an image API model's capability
// descriptors (GET /images/models; the image generation guide,
// "Capability Descriptors": an absent key means the parameter is
// unsupported; enum is an allowlist, range an inclusive bound, boolean
// supported). What the model does not accept is an ErrInvalidRequest
// naming the field and what is allowed. A model listed without
// descriptors, or SkipModelCheck, checks nothing.
func (req *ImageRequest) checkImageAPIModel(m *Model) error {
	if m == nil || req.SkipModelCheck {
		return nil
	}
	if len(req.Inputs) > 0 && len(m.InputModalities) > 0 && !slices.Contains(m.InputModalities, "image") {
		return invalid("%s takes no reference images (its input modalities: %s)", m.ID, strings.Join(m.InputModalities, ", "))
	}
	caps := m.imageParams
	if caps == nil {
		return nil
	}
	for _, f := range req.fields() {
		if !f.set {
			continue
		}
		c, ok := caps[f.name]
		if !ok {
			return invalid("%s does not accept %s; it accepts %s", m.ID, f.name, strings.Join(slices.Sorted(maps.Keys(caps)), ", "))
		}
		switch c.Type {
		case "enum":
			// An enum of no values allows nothing, which no listed
			// parameter means: it says nothing enforceable.
			if len(c.Values) > 0 && !slices.Contains(c.Values, f.text) {
				return invalid("%s: %s %q is not accepted; allowed: %s", m.ID, f.name, f.text, strings.Join(c.Values, ", "))
			}
		case "range":
			if c.Max != 0 && c.Min > c.Max {
				continue // an empty range, read as a malformed descriptor: the server decides
			}
			if f.num < c.Min || c.Max != 0 && f.num > c.Max {
				return invalid("%s: %s %v is out of range; allowed: %v to %v", m.ID, f.name, f.num, c.Min, c.Max)
			}
		}
	}
	return nil
}

// aspectTolerance is how far an image's width over height may be from
// the asked aspect ratio's: providers round sizes to their own grids
// (16:9 at 1K is 1344×768, 1.75 for 1.78).
const aspectTolerance = 0.05

// mismatches compares the images with what req asked: the type the bytes
// have with OutputFormat, the header's width over height with
// AspectRatio.
func (req *ImageRequest) mismatches(imgs []Image) []string {
	var out []string
	want := aspectRatio(req.AspectRatio)
	for i, img := range imgs {
		if img.Data == nil {
			continue // a URL: nothing read
		}
		if mime := formatMIME[req.OutputFormat]; mime != "" && img.MIME != mime {
			out = append(out, "image "+strconv.Itoa(i)+": output_format "+req.OutputFormat+" was asked, the bytes are "+img.MIME)
		}
		if want > 0 && img.Width > 0 && img.Height > 0 {
			got := float64(img.Width) / float64(img.Height)
			if got < want*(1-aspectTolerance) || got > want*(1+aspectTolerance) {
				out = append(out, "image "+strconv.Itoa(i)+": aspect_ratio "+req.AspectRatio+" was asked, the image is "+
					strconv.Itoa(img.Width)+"×"+strconv.Itoa(img.Height))
			}
		}
	}
	return out
}

// aspectRatio returns W/H of "W:H", or 0 for "", "auto" or a malformed
// ratio.
func aspectRatio(s string) float64 {
	w, h, ok := strings.Cut(s, ":")
	if !ok {
		return 0
	}
	fw, err1 := strconv.ParseFloat(w, 64)
	fh, err2 := strconv.ParseFloat(h, 64)
	if err1 != nil || err2 != nil || fh == 0 {
		return 0
	}
	return fw / fh
}
