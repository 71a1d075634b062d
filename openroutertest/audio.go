package openroutertest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
)

// SpeechModels and TranscriptionModels are the models the fake's
// /audio endpoints accept; others get 400, as an unknown model does.
var (
	SpeechModels        = []string{"openai/gpt-4o-mini-tts", "mistralai/voxtral-mini-tts-2603"}
	TranscriptionModels = []string{"openai/whisper-large-v3", "openai/gpt-4o-transcribe"}
)

// audioMarker starts the text the fake's speech carries, so that its
// transcription gives the text back: speech and transcription round-trip
// offline.
const audioMarker = "ORTEST-SPEECH\n"

// SpeechBytesPerChar is how many bytes of audio the fake speaks per
// character of input.
const SpeechBytesPerChar = 400

// speechCostPerChar is what the fake charges per character spoken, in USD.
const speechCostPerChar = 0.000015

// handleSpeech serves POST /audio/speech: raw audio bytes (audio/mpeg for
// mp3, audio/pcm for pcm, the default), which carry the input text.
func (s *Server) handleSpeech(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model          string  `json:"model"`
		Input          string  `json:"input"`
		Voice          *string `json:"voice"`
		ResponseFormat string  `json:"response_format"`
		Speed          float64 `json:"speed"`
	}
	if !s.readMedia(w, r, "/audio/speech", &req) {
		return
	}
	switch {
	case !slices.Contains(SpeechModels, req.Model):
		badRequest(w, req.Model+" is not a valid model ID")
		return
	case req.Input == "":
		badRequest(w, "input: Required")
		return
	case req.Voice != nil && *req.Voice == "":
		badRequest(w, "voice: String must contain at least 1 character(s)")
		return
	case req.ResponseFormat != "" && req.ResponseFormat != "mp3" && req.ResponseFormat != "pcm":
		badRequest(w, "response_format: Invalid enum value. Expected 'mp3' | 'pcm', received '"+req.ResponseFormat+"'")
		return
	}
	done, cut := s.scripted(w, r, "/audio/speech")
	if done {
		return
	}
	id, ok := s.charge(req.Model, len(req.Input), 0, float64(len(req.Input))*speechCostPerChar)
	if !ok {
		writeNoCredits(w)
		return
	}
	ct, audio := "audio/pcm", fakeAudio(req.Input, nil)
	if req.ResponseFormat == "mp3" {
		ct, audio = "audio/mpeg", fakeAudio(req.Input, []byte("ID3\x04\x00\x00\x00\x00\x00\x00"))
	}
	writeBody(w, http.StatusOK, ct, audio, id, cut)
}

// fakeAudio is head, the marker, the text, and silence: SpeechBytesPerChar
// bytes per character in all.
func fakeAudio(text string, head []byte) []byte {
	b := bytes.NewBuffer(head)
	b.WriteString(audioMarker)
	b.WriteString(text)
	b.WriteByte(0)
	if n := len(text)*SpeechBytesPerChar - b.Len(); n > 0 {
		b.Write(make([]byte, n))
	}
	return b.Bytes()
}

// handleTranscription serves POST /audio/transcriptions (JSON with base64
// audio). Audio the fake spoke is transcribed to its text; other audio to
// a sentence that says how long it was.
func (s *Server) handleTranscription(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model      string `json:"model"`
		InputAudio *struct {
			Data   string `json:"data"`
			Format string `json:"format"`
		} `json:"input_audio"`
		Language               string   `json:"language"`
		ResponseFormat         string   `json:"response_format"`
		TimestampGranularities []string `json:"timestamp_granularities"`
	}
	if !s.readMedia(w, r, "/audio/transcriptions", &req) {
		return
	}
	if !slices.Contains(TranscriptionModels, req.Model) {
		badRequest(w, req.Model+" is not a valid model ID")
		return
	}
	if req.InputAudio == nil || req.InputAudio.Data == "" || req.InputAudio.Format == "" {
		badRequest(w, "input_audio: data and format are required")
		return
	}
	audio, err := base64.StdEncoding.DecodeString(req.InputAudio.Data)
	if err != nil || strings.HasPrefix(req.InputAudio.Data, "data:") {
		badRequest(w, "input_audio.data: not base64 (raw bytes, not a data URI)")
		return
	}
	if req.ResponseFormat != "" && req.ResponseFormat != "json" && req.ResponseFormat != "verbose_json" {
		badRequest(w, "response_format: Invalid enum value. Expected 'json' | 'verbose_json', received '"+req.ResponseFormat+"'")
		return
	}
	for _, g := range req.TimestampGranularities {
		if g != "word" && g != "segment" {
			badRequest(w, "timestamp_granularities: Invalid enum value. Expected 'word' | 'segment', received '"+g+"'")
			return
		}
	}
	done, cut := s.scripted(w, r, "/audio/transcriptions")
	if done {
		return
	}
	text := transcript(audio, req.InputAudio.Format)
	ws := strings.Fields(text)
	seconds := math.Round(float64(len(ws))*4) / 10 // 0.4 s a word
	cost := seconds * 0.0001
	id, ok := s.charge(req.Model, len(audio)/100, len(ws), cost)
	if !ok {
		writeNoCredits(w)
		return
	}
	out := map[string]any{"text": text, "usage": map[string]any{"cost": cost, "seconds": seconds,
		"input_tokens": len(audio) / 100, "output_tokens": len(ws), "total_tokens": len(audio)/100 + len(ws)}}
	if req.ResponseFormat == "verbose_json" {
		lang := "english"
		if req.Language != "" {
			lang = req.Language
		}
		out["task"], out["language"], out["duration"] = "transcribe", lang, seconds
		out["segments"] = []map[string]any{{"id": 0, "seek": 0, "start": 0.0, "end": seconds, "text": text}}
		if slices.Contains(req.TimestampGranularities, "word") {
			words := make([]map[string]any, len(ws))
			for i, wd := range ws {
				words[i] = map[string]any{"word": wd, "start": float64(i) * 0.4, "end": float64(i+1) * 0.4}
			}
			out["words"] = words
		}
	}
	writeBody(w, http.StatusOK, "application/json", mustJSON(out), id, cut)
}

// transcript is the text the fake's speech carries, or a sentence about
// other audio.
func transcript(audio []byte, format string) string {
	if _, rest, ok := bytes.Cut(audio, []byte(audioMarker)); ok {
		text, _, _ := bytes.Cut(rest, []byte{0})
		return string(text)
	}
	return fmt.Sprintf("This is a fake transcript of %d bytes of %s audio.", len(audio), format)
}
