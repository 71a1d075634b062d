package openrouter

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
)

// AudioService holds the audio calls: speech (text to audio) and
// transcription (audio to text). Reach it as Client.Audio.
type AudioService struct{ c *Client }

// Output formats of Speech.
const (
	SpeechMP3 = "mp3"
	SpeechPCM = "pcm" // 16-bit little-endian samples; the API's default
)

// SpeechRequest is a text to speak (POST /audio/speech).
type SpeechRequest struct {
	// Model is the speech model ("openai/gpt-4o-mini-tts"); required.
	Model string `json:"model"`
	// Input is the text to speak; required.
	Input string `json:"input"`
	// Voice is the model's voice ("alloy", "en_paul_neutral", ...: each
	// provider has its own); "" lets the model choose.
	Voice string `json:"voice,omitempty"`
	// Format is SpeechMP3 or SpeechPCM; "" is the API's default, pcm.
	Format string `json:"response_format,omitempty"`
	// Speed multiplies the playback speed where the model supports it
	// (OpenAI's); 0 leaves it to the model.
	Speed float64 `json:"speed,omitempty"`
	// VoiceSample, when set, clones the voice of this audio (routed only
	// to endpoints that clone voices); VoiceSampleText is its transcript.
	VoiceSample     []byte `json:"-"`
	VoiceSampleText string `json:"-"`
	// ProviderOptions are passed through to providers, by provider slug.
	ProviderOptions map[string]any `json:"-"`
}

// SpeechResult describes the audio Speech wrote.
type SpeechResult struct {
	// Bytes is how many bytes of audio were written.
	Bytes int64
	// ContentType is the audio's type (audio/mpeg, audio/pcm).
	ContentType string
	// GenerationID names the generation (X-Generation-Id). The answer,
	// raw audio, carries no cost: Client.Generation tells it, and it is
	// not in the client's spending total.
	GenerationID string
}

// maxVoiceSample is the API's bound on a voice sample: 20 MiB of base64.
const maxVoiceSample = 15 << 20

// Speech turns text into audio (POST /audio/speech) and writes the
// audio to w as it arrives, in bounded memory. The audio is billed once
// it begins: when its stream breaks off, the call returns the bytes
// written so far with an error matching [ErrMaybeBilled] (never sent
// again); an error from w is returned as it is, the audio having been
// billed.
func (s *AudioService) Speech(ctx context.Context, req *SpeechRequest, w io.Writer, opts ...CallOption) (_ *SpeechResult, err error) {
	body, err := req.encode()
	if err != nil {
		return nil, err
	}
	if w == nil {
		return nil, invalid("Speech needs an io.Writer for the audio")
	}
	resp, st, err := s.client().doAnswer(ctx, http.MethodPost, "/audio/speech", body, req.Model, opts)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	defer func() { st.endAnswer(nil, err) }() // the audio ends the call; the answer carries no cost
	res := &SpeechResult{ContentType: resp.Header.Get("Content-Type"), GenerationID: resp.Header.Get("X-Generation-Id")}
	if mt, ok := notMedia(res.ContentType); ok {
		// A 200 that is no audio: an error object, or a page from a proxy.
		var discard json.RawMessage
		err := st.annotate(s.client().decodeAnswer(resp, &discard))
		if err == nil {
			err = st.annotate(malformed(req.Model, "the answer is %s, not audio: %s", mt, excerpt(discard)))
		}
		return nil, err
	}
	res.Bytes, err = copyAnswer(w, resp.Body, st)
	if err == nil && res.Bytes == 0 {
		e := malformed(req.Model, "the answer has no audio").(*APIError)
		e.unusable = true // an empty body: its cost is unknown
		err = st.annotate(e)
	}
	return res, err
}

// encode validates the request and returns its JSON.
func (r *SpeechRequest) encode() ([]byte, error) {
	switch {
	case r == nil:
		return nil, invalid("nil *SpeechRequest")
	case strings.TrimSpace(r.Model) == "":
		return nil, invalid("SpeechRequest.Model is empty")
	case strings.TrimSpace(r.Input) == "":
		return nil, invalid("SpeechRequest.Input is empty: nothing to speak")
	case r.Format != "" && r.Format != SpeechMP3 && r.Format != SpeechPCM:
		return nil, invalid("SpeechRequest.Format %q: %q or %q", r.Format, SpeechMP3, SpeechPCM)
	case r.Speed < 0:
		return nil, invalid("SpeechRequest.Speed is %v: 0 (the model's) or more", r.Speed)
	case len(r.VoiceSample) > maxVoiceSample:
		return nil, invalid("SpeechRequest.VoiceSample is %d bytes: at most %d", len(r.VoiceSample), maxVoiceSample)
	case r.VoiceSampleText != "" && len(r.VoiceSample) == 0:
		return nil, invalid("SpeechRequest.VoiceSampleText is set without a VoiceSample")
	}
	type plain SpeechRequest
	w := struct {
		plain
		References []map[string]any `json:"input_references,omitempty"`
		Provider   map[string]any   `json:"provider,omitempty"`
	}{plain: plain(*r), Provider: providerOptions(r.ProviderOptions)}
	if len(r.VoiceSample) > 0 {
		w.References = append(w.References, map[string]any{"type": "input_audio",
			"input_audio": map[string]string{"data": base64.StdEncoding.EncodeToString(r.VoiceSample)}})
		if r.VoiceSampleText != "" {
			w.References = append(w.References, map[string]any{"type": "text", "text": r.VoiceSampleText})
		}
	}
	b, err := json.Marshal(w)
	if err != nil {
		return nil, invalid("SpeechRequest: %v", err)
	}
	return b, nil
}

// providerOptions is the request's "provider" member for passthrough
// options; nil without any.
func providerOptions(o map[string]any) map[string]any {
	if len(o) == 0 {
		return nil
	}
	return map[string]any{"options": o}
}

// notMedia returns the media type of a 2xx answer's Content-Type and
// whether it says the answer is JSON or text (an error object, a proxy's
// page) rather than the audio or video asked for ("audio/*" in the
// OpenAPI document). No type, or application/octet-stream, may be media.
func notMedia(contentType string) (string, bool) {
	mt, _, _ := mime.ParseMediaType(contentType)
	return mt, mt == "application/json" || strings.HasSuffix(mt, "+json") || strings.HasPrefix(mt, "text/")
}

// copyAnswer copies a 2xx body to w through one 32-kibibyte buffer and
// returns the bytes written. A body that breaks off is the call's error
// (st.annotate: maybe billed for a POST); w's error is returned wrapped.
func copyAnswer(w io.Writer, body io.Reader, st *callState) (int64, error) {
	buf := make([]byte, 32<<10)
	var n int64
	for {
		k, rerr := body.Read(buf)
		if k > 0 {
			m, werr := w.Write(buf[:k])
			n += int64(m)
			if werr == nil && m < k {
				werr = io.ErrShortWrite
			}
			if werr != nil {
				return n, fmt.Errorf("openrouter: writing the answer after %d bytes: %w", n, werr)
			}
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, st.annotate(readFailure(rerr))
		}
	}
}

// Response formats of Transcribe.
const (
	TranscriptJSON        = "json"         // the text and usage; the default
	TranscriptVerboseJSON = "verbose_json" // also language, duration, segments (OpenAI-compatible providers)
)

// Timestamp granularities of a verbose transcription.
const (
	TimestampSegment = "segment"
	TimestampWord    = "word"
)

// TranscriptionRequest is audio to transcribe (POST
// /audio/transcriptions). The audio is sent as base64 in JSON: give it as
// Audio, or as Reader, read to its end (at most MaxTranscriptionAudio
// bytes).
type TranscriptionRequest struct {
	// Model is the transcription model ("openai/whisper-large-v3"); required.
	Model  string
	Audio  []byte
	Reader io.Reader
	// Format is the audio's format ("wav", "mp3", "flac", "m4a", "ogg",
	// "webm", "aac"); "" recognises wav, mp3, flac, ogg, webm and m4a by
	// their first bytes.
	Format string
	// Language is the audio's ISO-639-1 language ("en"); "" detects it.
	Language    string
	Temperature *float64
	// ResponseFormat is TranscriptJSON (default) or TranscriptVerboseJSON.
	ResponseFormat string
	// TimestampGranularities are TimestampSegment and/or TimestampWord;
	// they need TranscriptVerboseJSON.
	TimestampGranularities []string
	// ProviderOptions are passed through to providers, by provider slug.
	ProviderOptions map[string]any
}

// MaxTranscriptionAudio bounds the audio TranscriptionRequest.Reader may
// give, as the whole of it is held to be encoded.
const MaxTranscriptionAudio = 100 << 20

// Transcription is a transcription's answer; Language, Duration, Task
// and Segments come with TranscriptVerboseJSON, Words with TimestampWord.
type Transcription struct {
	Text     string              `json:"text"`
	Language string              `json:"language,omitempty"`
	Duration float64             `json:"duration,omitempty"`
	Task     string              `json:"task,omitempty"`
	Segments []TranscriptSegment `json:"segments,omitempty"`
	Words    []TranscriptWord    `json:"words,omitempty"`
	Usage    TranscriptionUsage  `json:"usage"`
	// GenerationID names the generation (X-Generation-Id).
	GenerationID string `json:"-"`

	hasText bool // the answer had its required "text" (STTResponse)
}

// UnmarshalJSON decodes a transcription and notes whether it had its
// text, which the API requires (an answer without it is lost, not an
// empty transcript).
func (t *Transcription) UnmarshalJSON(b []byte) error {
	type plain Transcription
	var p struct {
		plain
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*t = Transcription(p.plain)
	if p.Text != nil {
		t.Text, t.hasText = *p.Text, true
	}
	return nil
}

// TranscriptSegment is a timed piece of a transcript, in seconds.
type TranscriptSegment struct {
	ID      int     `json:"id"`
	Start   float64 `json:"start"`
	End     float64 `json:"end"`
	Text    string  `json:"text"`
	Speaker *int    `json:"speaker,omitempty"` // with diarization
	// What OpenAI-compatible providers add.
	Seek             int     `json:"seek,omitempty"`
	Tokens           []int   `json:"tokens,omitempty"`
	Temperature      float64 `json:"temperature,omitempty"`
	AvgLogprob       float64 `json:"avg_logprob,omitempty"`
	CompressionRatio float64 `json:"compression_ratio,omitempty"`
	NoSpeechProb     float64 `json:"no_speech_prob,omitempty"`
}

// TranscriptWord is a timed word, in seconds.
type TranscriptWord struct {
	Word    string  `json:"word"`
	Start   float64 `json:"start"`
	End     float64 `json:"end"`
	Speaker *int    `json:"speaker,omitempty"`
}

// TranscriptionUsage is what a transcription used and cost.
type TranscriptionUsage struct {
	// Cost is what the transcription cost, in USD.
	Cost         float64 `json:"cost"`
	Seconds      float64 `json:"seconds"`
	InputTokens  int     `json:"input_tokens"`
	OutputTokens int     `json:"output_tokens"`
	TotalTokens  int     `json:"total_tokens"`
}

// Transcribe turns audio into text (POST /audio/transcriptions) and adds
// its cost to the client's spending total. An answer without its text
// (which the API requires) is an *[APIError] matching [ErrServer] and
// [ErrMaybeBilled], returned with the Transcription as it came.
func (s *AudioService) Transcribe(ctx context.Context, req *TranscriptionRequest, opts ...CallOption) (_ *Transcription, err error) {
	body, err := req.encode()
	if err != nil {
		return nil, err
	}
	c := s.client()
	resp, st, err := c.doAnswer(ctx, http.MethodPost, "/audio/transcriptions", body, req.Model, opts)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out Transcription
	defer func() { st.endAnswer(out.answer, err) }()
	if err := st.annotate(c.decodeAnswer(resp, &out)); err != nil {
		return nil, err
	}
	out.GenerationID = resp.Header.Get("X-Generation-Id")
	if out.Usage.Cost > 0 {
		c.spend(ctx, &Usage{Cost: out.Usage.Cost})
	}
	if !out.hasText { // "text" is required (OpenAPI schemas/STTResponse)
		return &out, st.annotate(malformed(req.Model, "the transcription has no text"))
	}
	return &out, nil
}

// sttBody is the JSON of POST /audio/transcriptions.
type sttBody struct {
	Model      string `json:"model"`
	InputAudio struct {
		Data   string `json:"data"`
		Format string `json:"format"`
	} `json:"input_audio"`
	Language               string         `json:"language,omitempty"`
	Temperature            *float64       `json:"temperature,omitempty"`
	ResponseFormat         string         `json:"response_format,omitempty"`
	TimestampGranularities []string       `json:"timestamp_granularities,omitempty"`
	Provider               map[string]any `json:"provider,omitempty"`
}

// encode validates the request, reads its audio and returns its JSON.
func (r *TranscriptionRequest) encode() ([]byte, error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	audio := r.Audio
	if r.Reader != nil {
		var err error
		if audio, err = io.ReadAll(io.LimitReader(r.Reader, MaxTranscriptionAudio+1)); err != nil {
			return nil, fmt.Errorf("openrouter: reading TranscriptionRequest.Reader: %w", err)
		}
		if len(audio) > MaxTranscriptionAudio {
			return nil, invalid("TranscriptionRequest.Reader gives more than %d bytes", MaxTranscriptionAudio)
		}
	}
	if len(audio) == 0 {
		return nil, invalid("TranscriptionRequest has no audio (Audio or Reader)")
	}
	format := r.Format
	if format == "" {
		if format = sniffAudio(audio); format == "" {
			return nil, invalid("TranscriptionRequest.Format is empty and the audio's first bytes are no format known: set Format")
		}
	}
	b := sttBody{Model: r.Model, Language: r.Language, Temperature: r.Temperature, ResponseFormat: r.ResponseFormat,
		TimestampGranularities: r.TimestampGranularities, Provider: providerOptions(r.ProviderOptions)}
	b.InputAudio.Data = base64.StdEncoding.EncodeToString(audio)
	b.InputAudio.Format = format
	j, err := json.Marshal(b)
	if err != nil {
		return nil, invalid("TranscriptionRequest: %v", err)
	}
	return j, nil
}

func (r *TranscriptionRequest) validate() error {
	switch {
	case r == nil:
		return invalid("nil *TranscriptionRequest")
	case strings.TrimSpace(r.Model) == "":
		return invalid("TranscriptionRequest.Model is empty")
	case r.Reader != nil && len(r.Audio) > 0:
		return invalid("TranscriptionRequest has both Audio and Reader: give one")
	case r.ResponseFormat != "" && r.ResponseFormat != TranscriptJSON && r.ResponseFormat != TranscriptVerboseJSON:
		return invalid("TranscriptionRequest.ResponseFormat %q: %q or %q", r.ResponseFormat, TranscriptJSON, TranscriptVerboseJSON)
	case len(r.TimestampGranularities) > 0 && r.ResponseFormat != TranscriptVerboseJSON:
		return invalid("TranscriptionRequest.TimestampGranularities need ResponseFormat %q", TranscriptVerboseJSON)
	case r.Temperature != nil && (*r.Temperature < 0 || *r.Temperature > 1):
		return invalid("TranscriptionRequest.Temperature is %v: from 0 to 1", *r.Temperature)
	}
	for i, g := range r.TimestampGranularities {
		if g != TimestampSegment && g != TimestampWord {
			return invalid("TranscriptionRequest.TimestampGranularities[%d] %q: %q or %q", i, g, TimestampSegment, TimestampWord)
		}
		if slices.Index(r.TimestampGranularities, g) != i {
			return invalid("TranscriptionRequest.TimestampGranularities[%d] %q is given twice", i, g)
		}
	}
	return nil
}

// sniffAudio names the format of audio by its first bytes; "" when it
// is none it knows.
func sniffAudio(b []byte) string {
	switch {
	case len(b) >= 12 && bytes.HasPrefix(b, []byte("RIFF")) && string(b[8:12]) == "WAVE":
		return "wav"
	case bytes.HasPrefix(b, []byte("ID3")), len(b) >= 2 && b[0] == 0xFF && b[1]&0xE0 == 0xE0:
		return "mp3"
	case bytes.HasPrefix(b, []byte("fLaC")):
		return "flac"
	case bytes.HasPrefix(b, []byte("OggS")):
		return "ogg"
	case bytes.HasPrefix(b, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		return "webm"
	case len(b) >= 8 && string(b[4:8]) == "ftyp":
		return "m4a"
	}
	return ""
}
