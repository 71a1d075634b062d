package openrouter

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// VideosService holds the video generation calls: Submit a job, Wait
// for it, Download its video; and the video models' catalogue. Reach it
// as Client.Videos.
type VideosService struct{ c *Client }

// VideoRequest is a video to generate (POST /videos).
type VideoRequest struct {
	// Model is the video model ("google/veo-3.1"); required.
	Model string `json:"model"`
	// Prompt describes the video; a model that animates a frame image
	// alone may go without.
	Prompt string `json:"prompt,omitempty"`
	// AspectRatio ("16:9", "9:16", "1:1", ...), Resolution ("720p",
	// "1080p", ...) or Size ("1280x720") shape the video: see the model's
	// VideoModel for what it takes.
	AspectRatio string `json:"aspect_ratio,omitempty"`
	Resolution  string `json:"resolution,omitempty"`
	Size        string `json:"size,omitempty"`
	// Duration is the video's length in seconds; 0 is the model's default.
	Duration      int   `json:"duration,omitempty"`
	GenerateAudio *bool `json:"generate_audio,omitempty"`
	Seed          *int  `json:"seed,omitempty"`
	// UpscaleFactor (more than 0) and Creativity are for video upscaling
	// models only (see VideoModel.UpscaleFactor and Creativity); 0 and
	// nil are not sent.
	UpscaleFactor float64 `json:"upscale_factor,omitempty"`
	Creativity    *int    `json:"creativity,omitempty"`
	// FirstFrame and LastFrame are image URLs (or data URLs) the video
	// starts or ends with.
	FirstFrame string `json:"-"`
	LastFrame  string `json:"-"`
	// References guide the video: image, audio or video URLs.
	References []VideoReference `json:"-"`
	// CallbackURL is an HTTPS URL that receives a webhook when the job
	// ends (see ParseVideoWebhook). The client adds the query parameter
	// "openrouter_video_token" with Token, so that the receiver can tell
	// a job whose submission answer was lost.
	CallbackURL string `json:"-"`
	// Token marks this submission; "" lets Submit draw one.
	Token string `json:"-"`
	// ProviderOptions are passed through to providers, by provider slug.
	ProviderOptions map[string]any `json:"-"`
}

// VideoReference is a reference asset of a video: Type is "image_url",
// "audio_url" or "video_url".
type VideoReference struct {
	Type string
	URL  string
}

// VideoStatus is a video job's state.
type VideoStatus string

// The states of a video job.
const (
	VideoPending    VideoStatus = "pending"
	VideoInProgress VideoStatus = "in_progress"
	VideoCompleted  VideoStatus = "completed"
	VideoFailed     VideoStatus = "failed"
	VideoCancelled  VideoStatus = "cancelled"
	VideoExpired    VideoStatus = "expired"
)

// Terminal reports whether the job has ended.
func (s VideoStatus) Terminal() bool {
	return s == VideoCompleted || s == VideoFailed || s == VideoCancelled || s == VideoExpired
}

// VideoJob is a video generation job.
type VideoJob struct {
	ID           string      `json:"id"`
	Status       VideoStatus `json:"status"`
	GenerationID string      `json:"generation_id,omitempty"`
	PollingURL   string      `json:"polling_url"`
	// URLs are the videos' download URLs once completed; Download reads
	// them through the API.
	URLs []string `json:"unsigned_urls,omitempty"`
	// SignedURLs are signed storage URLs of the videos, when the API
	// gives them (the video guide's "urls"): read without the API key.
	SignedURLs []string    `json:"urls,omitempty"`
	Usage      *VideoUsage `json:"usage,omitempty"`
	// Error says why a failed job failed.
	Error string `json:"error,omitempty"`
	// Model is the job's model (in webhooks).
	Model string `json:"model,omitempty"`
	// Token is the submission's token (Submit only).
	Token string `json:"-"`
}

// VideoUsage is what a finished video cost.
type VideoUsage struct {
	Cost   *float64 `json:"cost,omitempty"` // USD; nil until known
	IsBYOK bool     `json:"is_byok,omitempty"`
}

// ErrVideoFailed matches the error of a video job that ended without a
// video (failed, cancelled or expired): see VideoJob.Err.
var ErrVideoFailed = errors.New("openrouter: video generation did not complete")

// VideoJobError is a video job that ended without a video.
type VideoJobError struct {
	ID      string
	Status  VideoStatus
	Message string // the job's error, when it gave one
}

// Error says which job ended how.
func (e *VideoJobError) Error() string {
	s := fmt.Sprintf("openrouter: video job %s ended %s", e.ID, e.Status)
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Unwrap returns ErrVideoFailed.
func (e *VideoJobError) Unwrap() error { return ErrVideoFailed }

// Err returns nil for a job that is completed or still running, and a
// *VideoJobError ([ErrVideoFailed]) for one that failed, was cancelled
// or expired.
func (j *VideoJob) Err() error {
	if !j.Status.Terminal() || j.Status == VideoCompleted {
		return nil
	}
	return &VideoJobError{ID: j.ID, Status: j.Status, Message: j.Error}
}

// VideoSubmitError reports a submission that may have been stored (its
// answer was lost, or the server failed after it arrived): a job may
// exist, run and be billed. The API lists no jobs, so it cannot be
// looked up; with a CallbackURL, the webhook of such a job carries
// Token. Do not submit again blindly. It matches [ErrMaybeBilled] and
// the cause.
type VideoSubmitError struct {
	Token string
	Model string
	Err   error
}

// Error says what was lost and what to do.
func (e *VideoSubmitError) Error() string {
	return fmt.Sprintf("openrouter: the answer to a video submission (%s, token %s) was lost: %v; a job may exist and be billed: "+
		"its webhook carries the token; do not submit again blindly", e.Model, e.Token, e.Err)
}

// Unwrap returns ErrMaybeBilled and the cause.
func (e *VideoSubmitError) Unwrap() []error { return []error{ErrMaybeBilled, e.Err} }

// Submit submits a video job (POST /videos) and returns it, pending.
// A submission is never sent twice blindly: it is resent only when it
// surely was not processed (nothing reached the server, or a 429); when
// it may have been stored, Submit returns a *[VideoSubmitError].
func (s *VideosService) Submit(ctx context.Context, req *VideoRequest, opts ...CallOption) (_ *VideoJob, err error) {
	body, token, err := req.encode()
	if err != nil {
		return nil, err
	}
	resp, st, err := s.client().doOnce(ctx, http.MethodPost, "/videos", body, req.Model, opts)
	if err == nil {
		defer resp.Body.Close()
		defer func() { st.endAnswer(nil, err) }()
		var job VideoJob
		err = st.annotate(s.client().decodeBody(resp, &job))
		if err == nil && job.ID == "" {
			e := malformed(req.Model, "the submission's answer carries no job ID").(*APIError)
			e.unusable = true // a lost answer: the job may exist, and be billed
			err = st.annotate(e)
		}
		if err == nil {
			job.Token, job.Error = token, s.client().redactor().String(job.Error)
			return &job, nil
		}
	}
	if maybeStored(err) {
		return nil, &VideoSubmitError{Token: token, Model: req.Model, Err: err}
	}
	return nil, err
}

// Get returns a video job's state (GET /videos/{jobId}). It does not
// add a completed job's cost to the client's spending total (Wait does):
// a job may be polled any number of times.
func (s *VideosService) Get(ctx context.Context, id string, opts ...CallOption) (*VideoJob, error) {
	p, err := pathSegment("video job ID", id)
	if err != nil {
		return nil, err
	}
	var job VideoJob
	if err := s.client().getWith(ctx, "/videos/"+p, &job, opts, s.client().decodeBody); err != nil {
		return nil, err
	}
	if job.ID != id { // another job's state (and cost) is not this one's
		return nil, malformed("", "the answer for video job %q names job %q", id, job.ID)
	}
	job.Error = s.client().redactor().String(job.Error) // the server's text: it may echo the key
	return &job, nil
}

// Download writes video index (0 for the first) of a completed job to w
// (GET /videos/{jobId}/content) as it arrives, in bounded memory, and
// returns the bytes written. A download is a read: it is retried, and
// may be made again.
func (s *VideosService) Download(ctx context.Context, id string, index int, w io.Writer, opts ...CallOption) (_ int64, err error) {
	p, err := pathSegment("video job ID", id)
	if err != nil {
		return 0, err
	}
	if index < 0 {
		return 0, invalid("video index %d: 0 or more", index)
	}
	if w == nil {
		return 0, invalid("Download needs an io.Writer for the video")
	}
	resp, st, err := s.client().do(ctx, http.MethodGet, "/videos/"+p+"/content?index="+strconv.Itoa(index), nil, "", opts)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	defer func() { st.endAnswer(nil, err) }()
	if mt, ok := notMedia(resp.Header.Get("Content-Type")); ok { // an error object, a proxy's page
		var discard json.RawMessage
		if err := st.annotate(s.client().decodeAnswer(resp, &discard)); err != nil {
			return 0, err
		}
		return 0, malformed("", "the content's answer is %s, not a video: %s", mt, excerpt(discard))
	}
	return copyAnswer(w, resp.Body, st)
}

// VideoModel is a model of GET /videos/models and what it accepts.
type VideoModel struct {
	ID                    string   `json:"id"`
	CanonicalSlug         string   `json:"canonical_slug"`
	Name                  string   `json:"name"`
	Description           string   `json:"description,omitempty"`
	Created               int64    `json:"created"`
	SupportedResolutions  []string `json:"supported_resolutions"`
	SupportedAspectRatios []string `json:"supported_aspect_ratios"`
	SupportedSizes        []string `json:"supported_sizes"`
	SupportedDurations    []int    `json:"supported_durations"`
	SupportedFrameImages  []string `json:"supported_frame_images"`
	// GenerateAudio and Seed say whether the model takes them; nil when
	// the catalogue does not say.
	GenerateAudio                *bool    `json:"generate_audio"`
	Seed                         *bool    `json:"seed"`
	AllowedPassthroughParameters []string `json:"allowed_passthrough_parameters"`
	// PricingSKUs are the model's prices by SKU ("generate": "0.50"), in USD.
	PricingSKUs   map[string]string `json:"pricing_skus"`
	HuggingFaceID *string           `json:"hugging_face_id,omitempty"`
	// UpscaleFactor and Creativity are what upscaling models accept.
	UpscaleFactor *struct {
		Min *float64 `json:"min"`
		Max *float64 `json:"max"`
	} `json:"upscale_factor"`
	Creativity []int `json:"creativity"`
}

// Models returns the video generation models (GET /videos/models).
func (s *VideosService) Models(ctx context.Context, opts ...CallOption) ([]VideoModel, error) {
	var out struct {
		Data []VideoModel `json:"data"`
	}
	if err := s.client().getJSON(ctx, "/videos/models", &out, opts); err != nil {
		return nil, err
	}
	return out.Data, nil
}

// encode validates the request and returns its JSON and token.
func (r *VideoRequest) encode() ([]byte, string, error) {
	if err := r.validate(); err != nil {
		return nil, "", err
	}
	token := r.Token
	if token == "" {
		var b [12]byte
		_, _ = rand.Read(b[:])
		token = "orv-" + hex.EncodeToString(b[:])
	}
	type plain VideoRequest
	w := struct {
		plain
		CallbackURL string           `json:"callback_url,omitempty"`
		Frames      []map[string]any `json:"frame_images,omitempty"`
		References  []map[string]any `json:"input_references,omitempty"`
		Provider    map[string]any   `json:"provider,omitempty"`
	}{plain: plain(*r), Provider: providerOptions(r.ProviderOptions)}
	if r.CallbackURL != "" {
		u, _ := url.Parse(r.CallbackURL) // validated
		q := u.Query()
		q.Set("openrouter_video_token", token)
		u.RawQuery = q.Encode()
		w.CallbackURL = u.String()
	}
	for _, f := range []struct{ kind, url string }{{"first_frame", r.FirstFrame}, {"last_frame", r.LastFrame}} {
		if f.url != "" {
			w.Frames = append(w.Frames, map[string]any{"type": "image_url", "image_url": map[string]string{"url": f.url}, "frame_type": f.kind})
		}
	}
	for _, ref := range r.References {
		key := ref.Type
		w.References = append(w.References, map[string]any{"type": key, key: map[string]string{"url": ref.URL}})
	}
	b, err := json.Marshal(w)
	if err != nil {
		return nil, "", invalid("VideoRequest: %v", err)
	}
	return b, token, nil
}

func (r *VideoRequest) validate() error {
	switch {
	case r == nil:
		return invalid("nil *VideoRequest")
	case strings.TrimSpace(r.Model) == "":
		return invalid("VideoRequest.Model is empty")
	case r.Prompt == "" && r.FirstFrame == "" && len(r.References) == 0:
		return invalid("VideoRequest.Prompt is empty, and there is no frame image or reference to animate")
	case r.Duration < 0:
		return invalid("VideoRequest.Duration is %d: 0 (the model's) or more seconds", r.Duration)
	case !(r.UpscaleFactor >= 0) || math.IsInf(r.UpscaleFactor, 0):
		return invalid("VideoRequest.UpscaleFactor is %v: more than 0, or 0 (not sent)", r.UpscaleFactor)
	case r.Size != "" && (r.Resolution != "" || r.AspectRatio != ""):
		return invalid("VideoRequest.Size stands for Resolution and AspectRatio: give one or the other")
	}
	if r.CallbackURL != "" {
		u, err := url.Parse(r.CallbackURL)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return invalid("VideoRequest.CallbackURL %q: an absolute https URL is required", r.CallbackURL)
		}
	}
	for i, ref := range r.References {
		if ref.Type != "image_url" && ref.Type != "audio_url" && ref.Type != "video_url" {
			return invalid("VideoRequest.References[%d].Type %q: image_url, audio_url or video_url", i, ref.Type)
		}
		if ref.URL == "" {
			return invalid("VideoRequest.References[%d].URL is empty", i)
		}
	}
	return nil
}
