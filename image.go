package openrouter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"

	"github.com/routerkit/openrouter/internal/dataurl"
)

// ImageRequest asks a model for images (through chat completions with
// image output).
type ImageRequest struct {
	// Prompt describes the image; required.
	Prompt string
	// Model is the image model; empty means the client's Roles.Image.
	Model string
	// AspectRatio is "1:1" (the models' default), "16:9", "3:2", ...
	AspectRatio string
	// Size is "1K" (default), "2K" or "4K", where the model supports it.
	Size string
	// Inputs are images to edit or draw from.
	Inputs []ImageInput
	// Modalities overrides the output modalities asked for. By default:
	// ["image"] for a model the client's catalogue lists as image-only,
	// ["image", "text"] otherwise.
	Modalities []string
	// MaxTokens bounds the answer; 0 means the model's default.
	MaxTokens int
	// SkipModelCheck sends the request even when the client's cached
	// catalogue says the model has no image output.
	SkipModelCheck bool
	// N is how many images to ask for, for models of the image API
	// (POST /images); 0 means one, at most 10. Chat-completion image
	// models make one answer, so N > 1 is refused for them.
	N int

	// The fields below are the image API's (see the image generation
	// guide); Quality, OutputFormat, OutputCompression, Background and
	// the provider passthrough (ImageProviderPrefs.Options) are refused
	// for chat-completion image models.
	// Streaming partial images (the API's "stream") is not offered:
	// GenerateImage returns the finished images only.

	// Quality is "auto", "low", "medium" or "high".
	Quality string
	// OutputFormat is "png", "jpeg", "webp" or "svg" (vectorization
	// models); empty is the provider's default. The answer's bytes are
	// checked against it (ImageResult.Mismatches).
	OutputFormat string
	// OutputCompression is 0-100, for OutputFormat webp or jpeg; nil is
	// the provider's default.
	OutputCompression *int
	// Background is "auto", "transparent" (OutputFormat png or webp) or
	// "opaque".
	Background string
	// Seed asks for deterministic sampling where the model supports it.
	Seed *int
	// Provider routes the request and passes provider-specific options.
	Provider *ImageProviderPrefs
	// Extra holds body fields the SDK does not model, keyed by JSON
	// Pointer, with ChatRequest.Extra's rules: a path the typed fields
	// already set is refused, and so is "/stream".
	Extra map[string]any

	// Into, when it has spare capacity, is the storage the answer's
	// images are decoded into, one after the other from len(Into) on:
	// each Image.Data is then a slice of Into's array, and nothing is
	// allocated for the images' bytes. This is what keeps an image of a
	// chunked or gzip-encoded answer (no Content-Length) at its own size
	// in memory: without Into such an image is decoded into blocks and
	// copied once into one slice, about twice its size at the peak. An
	// image that does not fit in what is left costs what it would
	// without Into. Into's bytes past the images are overwritten; reuse
	// it only once the images are no longer needed. Not sent.
	Into []byte
}

// ImageInput is an image given to the model: bytes (their type is read
// from their signature) or a URL. Set exactly one.
type ImageInput struct {
	Data []byte
	URL  string
}

// Image is an image from an answer.
type Image struct {
	// Data is the decoded image; nil when the model gave a URL instead.
	Data []byte
	// MIME is the type the bytes' own signature says ("image/png").
	MIME string
	// DeclaredMIME is the type the answer declared, when it differed from
	// the bytes' signature (MIME is the one to trust).
	DeclaredMIME string
	// Width and Height in pixels, read from the header (PNG, JPEG, GIF,
	// WebP); 0 for SVG.
	Width, Height int
	// URL is set when the answer gave an https URL instead of data. It is
	// never fetched by this package.
	URL string
}

// ImageResult is the answer to an ImageRequest.
type ImageResult struct {
	Images []Image
	// Text is what the model said besides the images.
	Text         string
	Model        string
	FinishReason string
	// ID is the generation ID, for Client.Generation.
	ID    string
	Usage *Usage
	// Skipped lists the images of the answer that could not be decoded
	// (a malformed data URL, bad base64, an unknown format), beside the
	// good ones in Images.
	Skipped []error
	// MaybeBilled counts earlier attempts that may have been billed
	// besides this answer (see ChatResponse.MaybeBilled).
	MaybeBilled int
	// Mismatches says where the images differ from what was asked: a
	// type other than OutputFormat's (read from the bytes), or a shape
	// other than AspectRatio (read from the header, 5% allowed). The
	// images are kept in Images; nil when all is as asked.
	Mismatches []string
}

// Cost returns what the answer cost in all, in USD (see Usage.TotalCost).
func (r *ImageResult) Cost() float64 {
	if r == nil {
		return 0
	}
	return r.Usage.TotalCost()
}

// NoImageError is returned, matching [ErrNoImage], when an answer has no
// usable image, or when the client's catalogue says the model cannot
// output images (then nothing was sent).
type NoImageError struct {
	Model string
	// Text is what the model said instead: often a refusal or a question.
	Text         string
	FinishReason string
	// CatalogueKnown reports whether the client's catalogue had the
	// model; CatalogueImageOutput whether it lists image output.
	CatalogueKnown       bool
	CatalogueImageOutput bool
	// NotSent reports whether the request was refused before sending.
	NotSent bool
	// Broken holds why each image of the answer could not be decoded.
	Broken []error
	// Usage is the answer's usage (the request was billed); nil when
	// nothing was sent.
	Usage *Usage
}

// Error says that the answer had no image, and what it had instead.
func (e *NoImageError) Error() string {
	var b strings.Builder
	b.WriteString("openrouter: no image from " + e.Model)
	switch {
	case e.NotSent:
		b.WriteString(": the model's catalogue entry has no image output (nothing was sent)")
	case len(e.Broken) > 0:
		fmt.Fprintf(&b, ": %d image(s) could not be decoded: %v", len(e.Broken), e.Broken[0])
	case e.Text != "":
		fmt.Fprintf(&b, "; it said: %q", clip(collapseSpace(e.Text), 200))
	}
	if e.FinishReason != "" && !e.NotSent {
		b.WriteString(" (finish_reason " + e.FinishReason + ")")
	}
	if e.CatalogueKnown && !e.CatalogueImageOutput && !e.NotSent {
		b.WriteString("; its catalogue entry lists no image output")
	}
	return b.String()
}

// Unwrap returns [ErrNoImage].
func (e *NoImageError) Unwrap() error { return ErrNoImage }

func (r *ImageRequest) validate() error {
	switch {
	case strings.TrimSpace(r.Prompt) == "":
		return invalid("image request with no prompt")
	case r.AspectRatio != "" && !aspectRatioRe.MatchString(r.AspectRatio):
		return invalid("aspect ratio %q is not W:H, like 16:9, or auto", r.AspectRatio)
	case r.Size != "" && !imageSizeRe.MatchString(r.Size):
		return invalid("image size %q is not like 512, 1K, 2K or 4K", r.Size)
	case r.MaxTokens < 0:
		return invalid("max_tokens %d is negative", r.MaxTokens)
	case r.N < 0:
		return invalid("n %d is negative", r.N)
	}
	for i, in := range r.Inputs {
		if (len(in.Data) > 0) == (in.URL != "") {
			return invalid("inputs[%d]: set Data or URL, not both or neither", i)
		}
		if len(in.Data) > 0 && dataurl.Sniff(in.Data) == "" {
			return invalid("inputs[%d]: the data is not a PNG, JPEG, GIF or WebP image", i)
		}
	}
	return r.validateImageAPIFields()
}

// GenerateImage asks a model for images and returns them decoded. With no
// usable image in the answer the error is a *[NoImageError] (matching
// [ErrNoImage]) carrying what the model said instead. When the client's
// cached catalogue lists the model without image output, the request is
// refused the same way before anything is spent (SkipModelCheck sends it
// anyway). Other failures are those of Chat.
//
// The path follows the model: a model of the chat catalogue is asked
// through chat completions; an image-only model, listed only by the image
// API (see ImageModels), through POST /images. When the client's cached
// catalogue lacks the model, the image API's catalogue is read (once per
// catalogue TTL) to decide.
//
// The answer is decoded as it streams in: an image's base64 text is never
// held whole. With the answer's length known, an 8 MB image costs about
// its own size in memory (one buffer sized from the length). Without it
// (a chunked or gzip-encoded answer) the size is known only at the end of
// the base64 text, so the bytes are gathered in blocks and copied once:
// about twice the image, unless ImageRequest.Into gives the storage to
// decode into, which costs the image's size and nothing more.
func (c *Client) GenerateImage(ctx context.Context, req ImageRequest, opts ...CallOption) (*ImageResult, error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	ctx, cancel, opts, err := prepareCall(ctx, opts) // a catalogue read may come first
	if err != nil {
		return nil, err
	}
	defer cancel()
	model := req.Model
	if model == "" {
		model = c.Roles().Image
	}
	entry := c.catalog.entry(model)
	if entry == nil && ctx != nil {
		if m := c.imageAPIModel(ctx, model, opts); m != nil {
			return c.generateWithImageAPI(ctx, req, m, opts)
		}
	}
	if req.N > 1 {
		return nil, invalid("%s answers through chat completions, one image set per request: N %d is for models of the image API", model, req.N)
	}
	if entry != nil && !entry.OutputsImage() && !req.SkipModelCheck {
		return nil, &NoImageError{Model: model, CatalogueKnown: true, NotSent: true}
	}
	creq, err := req.chatRequest(model, entry)
	if err != nil {
		return nil, err
	}

	var extracted []dataurl.Extracted
	decode := func(resp *http.Response, out any) error {
		doc, imgs, err := dataurl.ExtractInto(newLimitedBody(resp.Body, c.cfg.limits.JSON, "the answer"), resp.ContentLength, req.Into)
		if err != nil { // a cut answer (io.ErrUnexpectedEOF too) may have been billed
			return readFailure(err)
		}
		extracted = imgs
		return decodeJSON(resp, doc, out)
	}
	r, model, st, err := c.sendChat(ctx, creq, decode, opts)
	if err != nil {
		return nil, err
	}
	if err := choiceError(r, model); err != nil {
		err = st.annotate(c.answerErr(err))
		st.endCall(r, err)
		return nil, err
	}
	res := &ImageResult{Model: r.Model, ID: r.ID, Usage: r.Usage, Text: r.Content(), FinishReason: r.FinishReason(), MaybeBilled: r.MaybeBilled}
	for _, ch := range r.Choices {
		for _, part := range ch.Message.Images {
			img, err := imageFrom(part.ImageURL.URL, extracted)
			if err != nil {
				res.Skipped = append(res.Skipped, err)
				continue
			}
			res.Images = append(res.Images, img)
		}
	}
	c.redactImageErrors(res.Skipped)
	res.Mismatches = req.mismatches(res.Images)
	if len(res.Images) == 0 {
		e := &NoImageError{Model: res.Model, Text: res.Text, FinishReason: res.FinishReason, Broken: res.Skipped, Usage: r.Usage}
		if e.Model == "" {
			e.Model = model
		}
		if entry != nil {
			e.CatalogueKnown, e.CatalogueImageOutput = true, entry.OutputsImage()
		}
		st.endCall(r, e)
		return nil, e
	}
	st.endCall(r, nil)
	return res, nil
}

// chatRequest is the chat completion that asks model for req's images;
// entry is the model's cached catalogue entry, or nil. req is validated.
// Fields only the image API takes are an ErrInvalidRequest, and so is
// what entry says the model does not accept (unless SkipModelCheck).
func (req *ImageRequest) chatRequest(model string, entry *Model) (*ChatRequest, error) {
	if set := req.imageAPIOnlyFields(); len(set) > 0 {
		return nil, invalid("%s answers through chat completions, which take no %s: those are fields of the image API (POST /images)", model, strings.Join(set, ", "))
	}
	if err := req.checkChatModel(model, entry); err != nil {
		return nil, err
	}
	modalities := req.Modalities
	if modalities == nil {
		modalities = []string{"image", "text"}
		if entry != nil && entry.OutputsImage() && !slices.Contains(entry.OutputModalities, "text") {
			modalities = []string{"image"}
		}
	}
	msg := Message{Role: "user", Content: req.Prompt}
	if len(req.Inputs) > 0 {
		msg = Message{Role: "user", Parts: []ContentPart{TextPart(req.Prompt)}}
		for _, in := range req.Inputs {
			u, _ := in.dataURL() // validated
			msg.Parts = append(msg.Parts, ImageURLPart(u))
		}
	}
	creq := &ChatRequest{Model: model, Messages: []Message{msg}, Modalities: modalities, MaxTokens: req.MaxTokens,
		Seed: req.Seed, Provider: req.chatProvider(), Extra: req.Extra}
	if req.AspectRatio != "" || req.Size != "" {
		creq.ImageConfig = &ImageConfig{AspectRatio: req.AspectRatio, ImageSize: req.Size}
	}
	return creq, nil
}

// Decode decodes an image of an answer (message.images, or a streamed
// answer's delta.images, as the Accumulator gathers them) with the same
// checks as GenerateImage: its data URL's bytes, their type from their own
// signature, and their dimensions; an https URL is kept as the Image's
// URL, never fetched.
func (p ImagePart) Decode() (Image, error) { return imageFrom(p.ImageURL.URL, nil) }

// imageFrom turns an image URL of the answer into an Image: a placeholder
// for an image Extract decoded, a data URL, or an https URL kept as is.
func imageFrom(u string, extracted []dataurl.Extracted) (Image, error) {
	var d dataurl.Image
	if i, ok := dataurl.Index(u); ok && i < len(extracted) {
		if err := extracted[i].Err; err != nil {
			return Image{}, fmt.Errorf("image %d: %w", i, err)
		}
		d = extracted[i].Image
	} else if strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
		return Image{URL: u}, nil
	} else {
		var err error
		if d, err = dataurl.Decode(u); err != nil {
			if errors.Is(err, dataurl.ErrNotDataURL) {
				return Image{}, fmt.Errorf("image URL %q is neither a data URL nor http(s)", clip(u, 40))
			}
			return Image{}, err
		}
	}
	return Image{Data: d.Data, MIME: d.MIME, DeclaredMIME: d.Declared, Width: d.Width, Height: d.Height}, nil
}

// Ext returns the file extension for the image's type (".png", ".jpg",
// ".gif", ".webp", ".svg"), or "" for an image given by URL.
func (img *Image) Ext() string {
	switch img.MIME {
	case "image/png":
		return ".png"
	case "image/jpeg":
		return ".jpg"
	case "image/gif":
		return ".gif"
	case "image/webp":
		return ".webp"
	case "image/svg+xml":
		return ".svg"
	}
	return ""
}

// WriteTo writes the image's bytes to w. An image given by URL has none:
// that is an error, since this package never fetches URLs.
func (img *Image) WriteTo(w io.Writer) (int64, error) {
	if img.Data == nil {
		return 0, fmt.Errorf("openrouter: the image is a URL (%s), not data; fetch it yourself if you trust it", clip(img.URL, 60))
	}
	n, err := w.Write(img.Data)
	return int64(n), err
}

// WriteFile writes the image to base plus the extension of its type
// ("cover" becomes "cover.png"; a base that already ends with it is kept)
// and returns the path written.
func (img *Image) WriteFile(base string) (string, error) {
	if img.Data == nil {
		_, err := img.WriteTo(io.Discard)
		return "", err
	}
	path := base
	if ext := img.Ext(); !strings.HasSuffix(strings.ToLower(base), ext) {
		path += ext
	}
	return path, os.WriteFile(path, img.Data, 0o644)
}
