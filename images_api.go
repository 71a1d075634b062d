package openrouter

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/routerkit/openrouter/internal/dataurl"
)

// ImageModel is a model of the dedicated image API (GET /images/models).
// Image-only models (FLUX, Seedream, Recraft, ...) are listed there and
// not in Models' catalogue.
type ImageModel struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Description  string `json:"description"`
	Created      time.Time
	Architecture struct {
		InputModalities  []string `json:"input_modalities"`
		OutputModalities []string `json:"output_modalities"`
	} `json:"architecture"`
	// SupportedParameters maps each parameter the model accepts
	// ("resolution", "aspect_ratio", ...) to what it accepts.
	SupportedParameters map[string]ImageCapability `json:"supported_parameters"`
	SupportsStreaming   bool                       `json:"supports_streaming"`
	// Endpoints is the path of the model's per-provider records.
	Endpoints string `json:"endpoints"`
}

// ImageCapability is what an image model accepts for a parameter: one of
// Values ("enum"), a number from Min to Max ("range"), or a flag
// ("boolean").
type ImageCapability struct {
	Type   string   `json:"type"`
	Values []string `json:"values,omitempty"`
	Min    float64  `json:"min,omitempty"`
	Max    float64  `json:"max,omitempty"`
}

// UnmarshalJSON decodes created as Unix seconds.
func (m *ImageModel) UnmarshalJSON(b []byte) error {
	type plain ImageModel
	var w struct {
		plain
		Created float64 `json:"created"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*m = ImageModel(w.plain)
	if w.Created > 0 {
		m.Created = time.Unix(int64(w.Created), 0)
	}
	return nil
}

// asModel is the catalogue entry an image model stands for, so that
// Model, CheckRoles and the model check know image-only models.
func (m *ImageModel) asModel() Model {
	out := slices.Clone(m.Architecture.OutputModalities)
	if !slices.Contains(out, "image") {
		out = append(out, "image")
	}
	return Model{ID: m.ID, CanonicalSlug: m.ID, Name: m.Name, Description: m.Description, Created: m.Created,
		InputModalities: m.Architecture.InputModalities, OutputModalities: out, ImageAPIOnly: true,
		imageParams: m.SupportedParameters}
}

// ImageModels returns the models of the dedicated image API.
func (c *Client) ImageModels(ctx context.Context, opts ...CallOption) ([]ImageModel, error) {
	var out struct {
		Data []ImageModel `json:"data"`
	}
	if err := c.getJSON(ctx, "/images/models", &out, opts); err != nil {
		return nil, err
	}
	return out.Data, nil
}

// ImageEndpoint is one provider's offer of an image model.
type ImageEndpoint struct {
	ProviderName        string                     `json:"provider_name"`
	ProviderSlug        string                     `json:"provider_slug"`
	ProviderTag         string                     `json:"provider_tag"`
	SupportedParameters map[string]ImageCapability `json:"supported_parameters"`
	// AllowedPassthroughParameters are provider parameters sent through.
	AllowedPassthroughParameters []string       `json:"allowed_passthrough_parameters"`
	SupportsStreaming            bool           `json:"supports_streaming"`
	Pricing                      []ImagePricing `json:"pricing"`
}

// ImagePricing is one price of an image endpoint: CostUSD per Unit
// ("image", "megapixel", "token") of Billable ("output_image", ...).
type ImagePricing struct {
	Billable string  `json:"billable"`
	Unit     string  `json:"unit"`
	CostUSD  float64 `json:"cost_usd"`
	Variant  string  `json:"variant,omitempty"`
}

// ImageModelEndpoints returns the provider endpoints of an image model:
// their parameters and prices.
func (c *Client) ImageModelEndpoints(ctx context.Context, id string, opts ...CallOption) ([]ImageEndpoint, error) {
	path, err := modelPath(id)
	if err != nil {
		return nil, err
	}
	var out struct {
		Endpoints []ImageEndpoint `json:"endpoints"`
	}
	if err := c.getJSON(ctx, "/images/models/"+path+"/endpoints", &out, opts); err != nil {
		return nil, err
	}
	return out.Endpoints, nil
}

// imagesBody is the JSON of POST /images (OpenAPI
// ImageGenerationRequest).
type imagesBody struct {
	Model             string              `json:"model"`
	Prompt            string              `json:"prompt"`
	N                 int                 `json:"n,omitempty"`
	AspectRatio       string              `json:"aspect_ratio,omitempty"`
	Resolution        string              `json:"resolution,omitempty"`
	Quality           string              `json:"quality,omitempty"`
	OutputFormat      string              `json:"output_format,omitempty"`
	OutputCompression *int                `json:"output_compression,omitempty"`
	Background        string              `json:"background,omitempty"`
	Seed              *int                `json:"seed,omitempty"`
	InputReferences   []imageReference    `json:"input_references,omitempty"`
	Provider          *ImageProviderPrefs `json:"provider,omitempty"`
}

type imageReference struct {
	Type     string `json:"type"`
	ImageURL struct {
		URL string `json:"url"`
	} `json:"image_url"`
}

// imagesBody returns the JSON body of POST /images for req, checked
// against m, the model's image API entry: what the model does not accept
// is an ErrInvalidRequest.
func (req *ImageRequest) imagesBody(m *Model) ([]byte, error) {
	switch {
	case req.Modalities != nil:
		return nil, invalid("%s is served by the image API, which takes no modalities", m.ID)
	case req.MaxTokens != 0:
		return nil, invalid("%s is served by the image API, which takes no max_tokens", m.ID)
	}
	if err := req.checkImageAPIModel(m); err != nil {
		return nil, err
	}
	body := imagesBody{Model: m.ID, Prompt: req.Prompt, N: req.N, AspectRatio: req.AspectRatio, Resolution: req.Size,
		Quality: req.Quality, OutputFormat: req.OutputFormat, OutputCompression: req.OutputCompression,
		Background: req.Background, Seed: req.Seed, Provider: req.Provider}
	for _, in := range req.Inputs {
		u := in.URL
		if u == "" {
			u = "data:" + dataurl.Sniff(in.Data) + ";base64," + base64.StdEncoding.EncodeToString(in.Data)
		}
		ref := imageReference{Type: "image_url"}
		ref.ImageURL.URL = u
		body.InputReferences = append(body.InputReferences, ref)
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, invalid("%v", err)
	}
	if len(req.Extra) == 0 {
		return raw, nil
	}
	return mergeExtra(raw, req.Extra)
}

// generateWithImageAPI sends req to POST /images, for m, a model only the
// image API serves.
func (c *Client) generateWithImageAPI(ctx context.Context, req ImageRequest, m *Model, opts []CallOption) (*ImageResult, error) {
	raw, err := req.imagesBody(m)
	if err != nil {
		return nil, err
	}
	model := m.ID
	resp, st, err := c.doAnswer(ctx, http.MethodPost, "/images", raw, model, opts)
	if err != nil {
		return nil, c.suggestModels(err, model)
	}
	defer resp.Body.Close()
	var out imagesAnswer
	err = st.annotate(c.decodeImagesAnswer(resp, &out, req.Into))
	st.endAnswer(func() *ChatResponse { return &ChatResponse{Usage: out.Usage} }, err)
	if err != nil {
		return nil, err
	}
	if out.Usage != nil {
		c.spend(ctx, out.Usage)
	}
	res, err := out.result(model)
	var ne *NoImageError
	if errors.As(err, &ne) {
		c.redactImageErrors(ne.Broken)
	}
	if res != nil {
		c.redactImageErrors(res.Skipped)
		res.Mismatches = req.mismatches(res.Images)
		if asked, got := max(req.N, 1), len(out.Data); got > asked {
			res.Mismatches = append(res.Mismatches, fmt.Sprintf("n %d was asked, the answer has %d images (all kept; each may be billed)", asked, got))
		}
		// The attempts before this answer whose answers were lost
		// after they were sent: each may have been billed too.
		res.MaybeBilled = st.maybeBilled
	}
	return res, err
}

// imagesAnswer is the 200 answer of POST /images.
type imagesAnswer struct {
	Data []struct {
		B64JSON   string `json:"b64_json"`
		MediaType string `json:"media_type"`
	} `json:"data"`
	Usage *Usage `json:"usage"`
	// extracted holds the images the b64_json placeholders stand for.
	extracted []dataurl.Extracted
}

// decodeImagesAnswer reads an answer of POST /images into out, decoding
// each image's base64 as it streams in (never held as text: an 8 MB
// image costs about its size with the answer's length known, or with
// into, the caller's storage, whatever the answer), then the rest of the
// document as decodeAnswer does.
func (c *Client) decodeImagesAnswer(resp *http.Response, out *imagesAnswer, into []byte) error {
	doc, imgs, err := dataurl.ExtractInto(newLimitedBody(resp.Body, c.cfg.limits.JSON, "the answer"), resp.ContentLength, into)
	if err != nil {
		return readFailure(err)
	}
	rest := *resp
	rest.Body, rest.ContentLength = io.NopCloser(bytes.NewReader(doc)), int64(len(doc))
	out.extracted = imgs
	return c.decodeAnswer(&rest, out)
}

// image returns the i-th image of the answer: the one its placeholder
// stands for, or its base64 decoded.
func (out *imagesAnswer) image(i int) (dataurl.Image, error) {
	d := out.Data[i]
	if k, ok := dataurl.Index(d.B64JSON); ok && k < len(out.extracted) {
		img, err := out.extracted[k].Image, out.extracted[k].Err
		if err == nil && d.MediaType != "" && d.MediaType != img.MIME && !(d.MediaType == "image/jpg" && img.MIME == "image/jpeg") {
			img.Declared = d.MediaType
		}
		return img, err
	}
	data, err := base64.StdEncoding.DecodeString(d.B64JSON)
	if err != nil || len(data) == 0 {
		return dataurl.Image{}, errors.New("bad base64 in b64_json")
	}
	return dataurl.Identify(data, d.MediaType)
}

// result decodes the answer's images; an answer with none usable is a
// *NoImageError.
func (out *imagesAnswer) result(model string) (*ImageResult, error) {
	res := &ImageResult{Model: model, Usage: out.Usage}
	for i := range out.Data {
		img, err := out.image(i)
		if err != nil {
			res.Skipped = append(res.Skipped, fmt.Errorf("image %d: %w", i, err))
			continue
		}
		res.Images = append(res.Images, Image{Data: img.Data, MIME: img.MIME, DeclaredMIME: img.Declared, Width: img.Width, Height: img.Height})
	}
	if len(res.Images) == 0 {
		return nil, &NoImageError{Model: model, Broken: res.Skipped, Usage: out.Usage, CatalogueKnown: true, CatalogueImageOutput: true}
	}
	return res, nil
}

// imageAPIModel returns the image API's entry of id, or nil.
func (c *Client) imageAPIModel(ctx context.Context, id string, opts []CallOption) *Model {
	m, _ := c.cachedLookup(ctx, imageCatalogQuery, id, opts)
	return m
}
