package openrouter

import (
	"encoding/base64"
	"slices"
	"strconv"

	"github.com/routerkit/openrouter/internal/dataurl"
)

// Content part types, the "type" of a ContentPart.
const (
	PartText       = "text"
	PartImageURL   = "image_url"
	PartFile       = "file"
	PartInputAudio = "input_audio"
	PartVideoURL   = "video_url"
)

// ContentPart is one part of a multi-part message. Type says which one
// field is set: Text ("text"), ImageURL ("image_url"), File ("file"),
// InputAudio ("input_audio") or VideoURL ("video_url"). Build parts with
// TextPart, CachedTextPart, ImageURLPart, ImageInputPart, FilePart,
// FileDataPart, AudioPart and VideoURLPart.
type ContentPart struct {
	Type       string      `json:"type"`
	Text       string      `json:"text,omitempty"`
	ImageURL   *ImageURL   `json:"image_url,omitempty"`
	File       *FileInput  `json:"file,omitempty"`
	InputAudio *AudioInput `json:"input_audio,omitempty"`
	VideoURL   *VideoURL   `json:"video_url,omitempty"`
	// CacheControl marks a prompt-cache breakpoint on a text part: the
	// prompt up to and including this part is cached, and later requests
	// that repeat it read it at a fraction of the input price.
	CacheControl *CacheControl `json:"cache_control,omitempty"`
}

// ImageURL is an image given by URL or data URL.
type ImageURL struct {
	URL    string `json:"url"`
	Detail string `json:"detail,omitempty"` // "auto", "low", "high", "original"
}

// FileInput is a document (a PDF, ...) given to the model: FileData is an
// https URL or a data URL; FileID names a file uploaded before instead.
type FileInput struct {
	Filename string `json:"filename,omitempty"`
	FileData string `json:"file_data,omitempty"`
	FileID   string `json:"file_id,omitempty"`
}

// AudioInput is audio given to the model: Data is the base64 encoding of
// the audio, Format its format ("wav", "mp3", "flac", "m4a", "ogg", ...).
type AudioInput struct {
	Data   string `json:"data"`
	Format string `json:"format"`
}

// VideoURL is a video given by URL or data URL.
type VideoURL struct {
	URL string `json:"url"`
}

// CacheControl is a prompt-cache directive: Type "ephemeral" and a TTL of
// "5m" (the default when empty) or "1h".
type CacheControl struct {
	Type string `json:"type"`
	TTL  string `json:"ttl,omitempty"`
}

// EphemeralCache returns the cache directive {"type":"ephemeral"} with
// the given TTL ("" for the provider's default of five minutes, "5m",
// "1h").
func EphemeralCache(ttl string) *CacheControl { return &CacheControl{Type: "ephemeral", TTL: ttl} }

// TextPart returns a text content part.
func TextPart(text string) ContentPart { return ContentPart{Type: PartText, Text: text} }

// CachedTextPart returns a text content part that ends a prompt-cache
// breakpoint with the given TTL ("" for the default, "5m", "1h"): put
// long instructions repeated across many requests in one.
func CachedTextPart(text, ttl string) ContentPart {
	return ContentPart{Type: PartText, Text: text, CacheControl: EphemeralCache(ttl)}
}

// ImageURLPart returns an image content part for a URL or a data URL.
func ImageURLPart(url string) ContentPart {
	return ContentPart{Type: PartImageURL, ImageURL: &ImageURL{URL: url}}
}

// ImageInputPart returns an image content part for an ImageInput: its URL,
// or its bytes as a data URL (their type read from their signature). The
// error, matching [ErrInvalidRequest], is for an input with neither or
// both, or bytes of no known image format.
func ImageInputPart(in ImageInput) (ContentPart, error) {
	u, err := in.dataURL()
	if err != nil {
		return ContentPart{}, err
	}
	return ImageURLPart(u), nil
}

// FilePart returns a file content part for a document given by an https
// URL or a data URL; filename names it for the model ("report.pdf").
func FilePart(filename, urlOrDataURL string) ContentPart {
	return ContentPart{Type: PartFile, File: &FileInput{Filename: filename, FileData: urlOrDataURL}}
}

// FileDataPart returns a file content part carrying data as a data URL of
// the given MIME type ("application/pdf").
func FileDataPart(filename, mime string, data []byte) ContentPart {
	return FilePart(filename, DataURL(mime, data))
}

// AudioPart returns an audio content part for the audio bytes in the given
// format ("wav", "mp3", ...).
func AudioPart(data []byte, format string) ContentPart {
	return ContentPart{Type: PartInputAudio, InputAudio: &AudioInput{Data: base64.StdEncoding.EncodeToString(data), Format: format}}
}

// VideoURLPart returns a video content part for a URL or a data URL.
func VideoURLPart(url string) ContentPart {
	return ContentPart{Type: PartVideoURL, VideoURL: &VideoURL{URL: url}}
}

// DataURL returns data as a base64 data URL of the given MIME type.
func DataURL(mime string, data []byte) string {
	return "data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(data)
}

// dataURL returns the input's URL, or its bytes as a data URL.
func (in ImageInput) dataURL() (string, error) {
	switch {
	case (len(in.Data) > 0) == (in.URL != ""):
		return "", invalid("an ImageInput has Data or a URL: exactly one")
	case in.URL != "":
		return in.URL, nil
	}
	mime := dataurl.Sniff(in.Data)
	if mime == "" {
		return "", invalid("image bytes of unknown format (not PNG, JPEG, GIF or WebP)")
	}
	return DataURL(mime, in.Data), nil
}

// validate checks one part of messages[i].content.
func (p *ContentPart) validate(i, j int, role string) error {
	where := func() string { return "messages[" + strconv.Itoa(i) + "].content[" + strconv.Itoa(j) + "]" }
	set := 0
	for _, b := range []bool{p.Text != "", p.ImageURL != nil, p.File != nil, p.InputAudio != nil, p.VideoURL != nil} {
		if b {
			set++
		}
	}
	ok := set == 1
	switch p.Type {
	case PartText:
		ok = ok && p.Text != ""
	case PartImageURL:
		ok = ok && p.ImageURL != nil && p.ImageURL.URL != ""
		if ok && !oneOf(p.ImageURL.Detail, "", "auto", "low", "high", "original") {
			return invalid("%s.image_url.detail %q is not auto, low, high or original", where(), p.ImageURL.Detail)
		}
	case PartFile:
		ok = ok && p.File != nil && (p.File.FileData != "") != (p.File.FileID != "")
		if !ok {
			return invalid("%s: a \"file\" part has File with FileData (a URL or data URL) or FileID, exactly one", where())
		}
	case PartInputAudio:
		ok = ok && p.InputAudio != nil && p.InputAudio.Data != "" && p.InputAudio.Format != ""
		if !ok {
			return invalid("%s: an \"input_audio\" part has InputAudio with Data and Format", where())
		}
	case PartVideoURL:
		ok = ok && p.VideoURL != nil && p.VideoURL.URL != ""
	default:
		return invalid("%s.type %q is not text, image_url, file, input_audio or video_url", where(), p.Type)
	}
	if !ok {
		return invalid("%s: a %q part has exactly its own field set (see ContentPart)", where(), p.Type)
	}
	if (role == "system" || role == "developer") && p.Type != PartText {
		return invalid("%s: a %s message takes only text parts", where(), role)
	}
	if p.CacheControl != nil {
		if p.Type != PartText {
			return invalid("%s.cache_control: only text parts take one", where())
		}
		if err := p.CacheControl.validate(where() + ".cache_control"); err != nil {
			return err
		}
	}
	return nil
}

func (c *CacheControl) validate(field string) error {
	if c.Type != "ephemeral" {
		return invalid("%s.type %q is not \"ephemeral\"", field, c.Type)
	}
	if !oneOf(c.TTL, "", "5m", "1h") {
		return invalid("%s.ttl %q is not 5m or 1h", field, c.TTL)
	}
	return nil
}

func oneOf(v string, allowed ...string) bool { return slices.Contains(allowed, v) }
