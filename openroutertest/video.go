package openroutertest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// videoJob is a video generation job of the fake.
type videoJob struct {
	id, model, genID string
	status           string
	errMsg           string
	polls            int
	cost             float64
	callbackURL      string
}

// VideoCostPerSecond is what the fake charges per second of video, in USD.
const VideoCostPerSecond = 0.1

// VideoBytes is the size of the fake's videos.
const VideoBytes = 96 << 10

// WithVideoPolls sets how many polls a video job takes to complete
// (default 2): the first poll finds it in_progress, the n-th completed.
func WithVideoPolls(n int) Option { return func(s *Server) { s.media.polls = max(n, 1) } }

// VideoJobs returns the IDs of the video jobs submitted, in order.
func (s *Server) VideoJobs() []string {
	s.media.mu.Lock()
	defer s.media.mu.Unlock()
	return slices.Clone(s.media.jobOrder)
}

// SetVideoStatus sets a job's status ("failed", "cancelled", "expired",
// ...) and error message, as the provider's outcome; it reports false
// for an unknown job.
func (s *Server) SetVideoStatus(id, status, errMsg string) bool {
	s.media.mu.Lock()
	defer s.media.mu.Unlock()
	j, ok := s.media.jobs[id]
	if ok {
		j.status, j.errMsg = status, errMsg
	}
	return ok
}

// DefaultVideoModels are the models of GET /videos/models.
func DefaultVideoModels() []map[string]any {
	veo := map[string]any{"id": "google/veo-3.1", "canonical_slug": "google/veo-3.1", "name": "Google: Veo 3.1",
		"description": "Google video generation model", "created": 1760000000,
		"supported_resolutions": []string{"720p", "1080p"}, "supported_aspect_ratios": []string{"16:9", "9:16"},
		"supported_sizes": nil, "supported_durations": []int{4, 6, 8}, "supported_frame_images": []string{"first_frame", "last_frame"},
		"upscale_factor": nil, "creativity": nil, "generate_audio": true, "seed": true,
		"allowed_passthrough_parameters": []string{}, "pricing_skus": map[string]string{"generate": "0.40"}}
	sora := map[string]any{"id": "openai/sora-2", "canonical_slug": "openai/sora-2", "name": "OpenAI: Sora 2",
		"description": "OpenAI video generation model", "created": 1760000000,
		"supported_resolutions": []string{"720p"}, "supported_aspect_ratios": []string{"16:9", "9:16"},
		"supported_sizes": []string{"1280x720", "720x1280"}, "supported_durations": []int{4, 8, 12},
		"supported_frame_images": []string{"first_frame"}, "upscale_factor": nil, "creativity": nil,
		"generate_audio": true, "seed": nil, "allowed_passthrough_parameters": []string{}, "pricing_skus": nil}
	return []map[string]any{veo, sora}
}

func videoModel(id string) map[string]any {
	for _, m := range DefaultVideoModels() {
		if m["id"] == id {
			return m
		}
	}
	return nil
}

func (s *Server) handleVideoModels(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"data": DefaultVideoModels()})
}

// handleVideoSubmit serves POST /videos: 202 with a pending job, stored
// and billed (for its duration) at once.
func (s *Server) handleVideoSubmit(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model       string `json:"model"`
		Prompt      string `json:"prompt"`
		AspectRatio string `json:"aspect_ratio"`
		Resolution  string `json:"resolution"`
		Size        string `json:"size"`
		Duration    *int   `json:"duration"`
		CallbackURL string `json:"callback_url"`
		FrameImages []struct {
			FrameType string `json:"frame_type"`
		} `json:"frame_images"`
	}
	if !s.readMedia(w, r, "/videos", &req) {
		return
	}
	m := videoModel(req.Model)
	if m == nil {
		badRequest(w, req.Model+" is not a valid model ID")
		return
	}
	if msg := checkVideo(m, req.AspectRatio, req.Resolution, req.Size, req.Duration); msg != "" {
		badRequest(w, msg)
		return
	}
	if req.Prompt == "" && len(req.FrameImages) == 0 {
		badRequest(w, "prompt: Required")
		return
	}
	if u, err := url.Parse(req.CallbackURL); req.CallbackURL != "" && (err != nil || u.Scheme != "https") {
		badRequest(w, "callback_url: Must be HTTPS")
		return
	}
	done, cut := s.scripted(w, r, "/videos")
	if done {
		return
	}
	dur := 8
	if req.Duration != nil {
		dur = *req.Duration
	}
	cost := float64(dur) * VideoCostPerSecond
	genID, ok := s.charge(req.Model, len(req.Prompt), 0, cost)
	if !ok {
		writeNoCredits(w)
		return
	}
	s.media.mu.Lock()
	id := fmt.Sprintf("job-%06d", len(s.media.jobOrder)+1)
	s.media.jobs[id] = &videoJob{id: id, model: req.Model, genID: genID, status: "pending", cost: cost, callbackURL: req.CallbackURL}
	s.media.jobOrder = append(s.media.jobOrder, id)
	s.media.mu.Unlock()
	writeBody(w, http.StatusAccepted, "application/json", mustJSON(map[string]any{"id": id, "polling_url": "/api/v1/videos/" + id, "status": "pending"}), "", cut)
}

// checkVideo returns what the model refuses of the video's shape.
func checkVideo(m map[string]any, aspect, res, size string, dur *int) string {
	switch {
	case aspect != "" && !slices.Contains(m["supported_aspect_ratios"].([]string), aspect):
		return fmt.Sprintf("aspect_ratio %q is not supported by %s", aspect, m["id"])
	case res != "" && !slices.Contains(m["supported_resolutions"].([]string), res):
		return fmt.Sprintf("resolution %q is not supported by %s", res, m["id"])
	case dur != nil && !slices.Contains(m["supported_durations"].([]int), *dur):
		return fmt.Sprintf("duration %d is not supported by %s", *dur, m["id"])
	}
	if size != "" {
		sizes, _ := m["supported_sizes"].([]string)
		if !slices.Contains(sizes, size) {
			return fmt.Sprintf("size %q is not supported by %s", size, m["id"])
		}
	}
	return ""
}

// job returns a job's answer after one more poll when poll is set.
func (s *Server) videoJob(id string, poll bool) (map[string]any, bool) {
	s.media.mu.Lock()
	defer s.media.mu.Unlock()
	j, ok := s.media.jobs[id]
	if !ok {
		return nil, false
	}
	if poll && (j.status == "pending" || j.status == "in_progress") {
		j.polls++
		j.status = "in_progress"
		if j.polls >= s.media.polls {
			j.status = "completed"
		}
	}
	return j.answer(), true
}

// answer is the job as GET /videos/{jobId} gives it.
func (j *videoJob) answer() map[string]any {
	out := map[string]any{"id": j.id, "polling_url": "/api/v1/videos/" + j.id, "status": j.status}
	switch j.status {
	case "completed":
		out["generation_id"] = j.genID
		out["unsigned_urls"] = []string{"/api/v1/videos/" + j.id + "/content?index=0"}
		out["usage"] = map[string]any{"cost": j.cost, "is_byok": false}
	case "failed", "cancelled", "expired":
		if j.errMsg != "" {
			out["error"] = j.errMsg
		}
	}
	return out
}

func (s *Server) handleVideoGet(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r, s.Key) {
		return
	}
	if done, _ := s.scripted(w, r, "/videos/poll"); done {
		return
	}
	out, ok := s.videoJob(r.PathValue("id"), true)
	if !ok {
		writeError(w, http.StatusNotFound, ErrorBody{Code: 404, Message: "Video generation job not found"})
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// handleVideoContent serves GET /videos/{jobId}/content: a completed
// job's video, VideoBytes of video/mp4.
func (s *Server) handleVideoContent(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r, s.Key) {
		return
	}
	out, ok := s.videoJob(r.PathValue("id"), false)
	if !ok {
		writeError(w, http.StatusNotFound, ErrorBody{Code: 404, Message: "Video generation job not found"})
		return
	}
	if out["status"] != "completed" {
		badRequest(w, "Video generation is not completed (status "+out["status"].(string)+")")
		return
	}
	if idx := r.URL.Query().Get("index"); idx != "" && idx != "0" {
		if _, err := strconv.Atoi(idx); err != nil {
			badRequest(w, "index: Expected number")
			return
		}
		writeError(w, http.StatusNotFound, ErrorBody{Code: 404, Message: "No video at index " + idx})
		return
	}
	done, cut := s.scripted(w, r, "/videos/content")
	if done {
		return
	}
	writeBody(w, http.StatusOK, "video/mp4", fakeVideo(r.PathValue("id")), "", cut)
}

// fakeVideo is an MP4 file type box and the job's ID, padded to VideoBytes.
func fakeVideo(id string) []byte {
	b := bytes.NewBuffer([]byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"))
	b.WriteString(id)
	b.Write(make([]byte, VideoBytes-b.Len()))
	return b.Bytes()
}

// VideoWebhook returns the webhook OpenRouter would post to a job's
// callback URL now that it ended: its body, and its X-OpenRouter-Signature
// header signed with secret at now. ok is false for an unknown job or one
// still running.
func (s *Server) VideoWebhook(id, secret string, now time.Time) (body []byte, signature string, ok bool) {
	s.media.mu.Lock()
	j, found := s.media.jobs[id]
	var data map[string]any
	if found {
		data = j.answer()
		data["model"] = j.model
	}
	s.media.mu.Unlock()
	if !found || (data["status"] != "completed" && data["status"] != "failed" && data["status"] != "cancelled" && data["status"] != "expired") {
		return nil, "", false
	}
	body = mustJSON(map[string]any{"type": "video.generation." + data["status"].(string),
		"created_at": now.UTC().Format(time.RFC3339Nano), "data": data})
	ts := strconv.FormatInt(now.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + ","))
	mac.Write(body)
	return body, "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil)), true
}
