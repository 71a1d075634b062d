package openrouter

import "github.com/routerkit/openrouter/internal/dataurl"

// DecodeImageBytes identifies decoded image bytes as GenerateImage does:
// their type from their signature, their size from their header.
func DecodeImageBytes(b []byte) (Image, error) {
	d, err := dataurl.Identify(b, "")
	return Image{Data: d.Data, MIME: d.MIME, Width: d.Width, Height: d.Height}, err
}
