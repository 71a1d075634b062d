package openrouter_test

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/routerkit/openrouter"
	"github.com/routerkit/openrouter/openroutertest"
)

// sleeps is a VideoWait sleep that records each wait and never sleeps.
type sleeps struct {
	waits  []time.Duration
	notify []bool // what each wait answers; false once they run out
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration, _ <-chan struct{}) (bool, error) {
	s.waits = append(s.waits, d)
	if len(s.notify) > 0 {
		n := s.notify[0]
		s.notify = s.notify[1:]
		return n, ctx.Err()
	}
	return false, ctx.Err()
}

func TestVideoSubmitWaitDownload(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, []openroutertest.Option{openroutertest.WithVideoPolls(4)})
	ctx := context.Background()
	job, err := c.Videos.Submit(ctx, &openrouter.VideoRequest{Model: "google/veo-3.1", Prompt: "A lighthouse at dusk",
		AspectRatio: "9:16", Resolution: "720p", Duration: 8, GenerateAudio: openrouter.Ptr(true), Seed: openrouter.Ptr(7),
		FirstFrame: openroutertest.PNGDataURL, LastFrame: "https://example.com/last.png",
		References:  []openrouter.VideoReference{{Type: "image_url", URL: "https://example.com/style.png"}, {Type: "audio_url", URL: "https://example.com/a.mp3"}},
		CallbackURL: "https://example.com/hook?site=1", Token: "tok-1",
		ProviderOptions: map[string]any{"google-vertex": map[string]any{"output_config": map[string]any{"effort": "low"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if job.Status != openrouter.VideoPending || job.ID == "" || job.Token != "tok-1" {
		t.Fatalf("submitted %+v", job)
	}
	if n := checkRequests(t, srv, "/videos", "/videos"); n != 1 {
		t.Fatalf("%d submissions", n)
	}
	if body := string(srv.MediaRequests("/videos")[0]); !strings.Contains(body, `"callback_url":"https://example.com/hook?openrouter_video_token=tok-1\u0026site=1"`) {
		t.Errorf("the callback URL does not carry the token: %s", body)
	}
	s := &sleeps{}
	var polled []openrouter.VideoStatus
	w := openrouter.WithVideoSleep(openrouter.VideoWait{MinInterval: time.Second, MaxInterval: 3 * time.Second,
		OnPoll: func(j *openrouter.VideoJob) { polled = append(polled, j.Status) }}, s.sleep)
	done, err := c.Videos.Wait(ctx, job.ID, w)
	if err != nil || done.Status != openrouter.VideoCompleted || done.Err() != nil || len(done.URLs) != 1 || done.GenerationID == "" {
		t.Fatalf("wait: %+v, %v", done, err)
	}
	if len(polled) != 4 || len(s.waits) != 3 {
		t.Fatalf("polls %v after waits %v: want 4 polls, 3 waits", polled, s.waits)
	}
	// Backoff with jitter in the upper half: 1 s, 2 s, then capped at 3 s.
	for i, lim := range []time.Duration{time.Second, 2 * time.Second, 3 * time.Second} {
		if d := s.waits[i]; d < lim/2 || d > lim {
			t.Errorf("wait %d is %v, want within [%v, %v]", i, d, lim/2, lim)
		}
	}
	if want := 8 * openroutertest.VideoCostPerSecond; c.Spent() != want {
		t.Errorf("spent %v, want the video's %v", c.Spent(), want)
	}
	var out writes
	n, err := c.Videos.Download(ctx, job.ID, 0, &out)
	if err != nil || n != openroutertest.VideoBytes || out.Len() != openroutertest.VideoBytes || !bytes.Contains(out.Bytes()[:12], []byte("ftyp")) {
		t.Fatalf("download: %d bytes, %v", n, err)
	}
	if out.largest > 32<<10 || out.n < 3 {
		t.Errorf("%d writes, the largest %d bytes: want the video streamed", out.n, out.largest)
	}
	if _, err := c.Videos.Download(ctx, job.ID, 1, &out); !errors.Is(err, openrouter.ErrNotFound) {
		t.Errorf("index 1 of one video: %v", err)
	}
}

// TestVideoSubmissionNeverResentBlindly: a submission that may have been
// stored (answer cut, 500) is not sent again, and says so; one refused
// unprocessed (429) is.
func TestVideoSubmissionNeverResentBlindly(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	ctx := context.Background()
	req := &openrouter.VideoRequest{Model: "openai/sora-2", Prompt: "A cat", Token: "tok-lost"}
	for _, fault := range []openroutertest.Reply{openroutertest.Reply{}.CutAfter(0), openroutertest.ErrorReply(500, "Internal Server Error")} {
		before := len(srv.MediaRequests("/videos"))
		srv.EnqueueFor("/videos", fault)
		_, err := c.Videos.Submit(ctx, req)
		var se *openrouter.VideoSubmitError
		if !errors.Is(err, openrouter.ErrMaybeBilled) || !errors.As(err, &se) || se.Token != "tok-lost" {
			t.Errorf("fault %d: %v: want a VideoSubmitError with the token", fault.Status, err)
		}
		if n := len(srv.MediaRequests("/videos")) - before; n != 1 {
			t.Errorf("fault %d: %d submissions: want 1", fault.Status, n)
		}
	}
	if jobs := srv.VideoJobs(); len(jobs) != 1 {
		t.Errorf("jobs stored %v: the cut submission was stored", jobs)
	}
	srv.EnqueueFor("/videos", openroutertest.ErrorReply(429, "Rate limit exceeded").WithRetryAfter("0"))
	before := len(srv.MediaRequests("/videos"))
	if _, err := c.Videos.Submit(ctx, req); err != nil || len(srv.MediaRequests("/videos"))-before != 2 {
		t.Errorf("429 then stored: %v after %d submissions", err, len(srv.MediaRequests("/videos"))-before)
	}
	srv.EnqueueFor("/videos", openroutertest.ErrorReply(402, "Insufficient credits"))
	if _, err := c.Videos.Submit(ctx, req); !errors.Is(err, openrouter.ErrInsufficientCredits) || errors.Is(err, openrouter.ErrMaybeBilled) {
		t.Errorf("402: %v: want a plain refusal", err)
	}
}

func TestVideoWaitEnds(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, []openroutertest.Option{openroutertest.WithVideoPolls(100)})
	ctx := context.Background()
	job, err := c.Videos.Submit(ctx, &openrouter.VideoRequest{Model: "openai/sora-2", Prompt: "A cat"})
	if err != nil {
		t.Fatal(err)
	}
	// A failed job ends the wait, with the job's error.
	s := &sleeps{}
	w := openrouter.WithVideoSleep(openrouter.VideoWait{OnPoll: func(j *openrouter.VideoJob) {
		srv.SetVideoStatus(j.ID, "failed", "content policy")
	}}, s.sleep)
	done, err := c.Videos.Wait(ctx, job.ID, w)
	var je *openrouter.VideoJobError
	if err != nil || !errors.Is(done.Err(), openrouter.ErrVideoFailed) || !errors.As(done.Err(), &je) || je.Message != "content policy" {
		t.Fatalf("failed job: %+v, %v", done, err)
	}
	if c.Spent() != 0 {
		t.Errorf("spent %v on a failed job", c.Spent())
	}
	// The context ends the wait.
	job, _ = c.Videos.Submit(ctx, &openrouter.VideoRequest{Model: "openai/sora-2", Prompt: "A dog"})
	cctx, cancel := context.WithCancel(ctx)
	w = openrouter.WithVideoSleep(openrouter.VideoWait{}, func(ctx context.Context, d time.Duration, _ <-chan struct{}) (bool, error) {
		cancel()
		return false, ctx.Err()
	})
	if _, err := c.Videos.Wait(cctx, job.ID, w); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled wait: %v", err)
	}
	// A notification polls at once, keeps the backoff, and is followed by
	// a deaf MinInterval.
	s = &sleeps{notify: []bool{true}}
	w = openrouter.WithVideoSleep(openrouter.VideoWait{MinInterval: time.Second, MaxInterval: time.Minute, Notify: make(chan struct{}),
		OnPoll: func(j *openrouter.VideoJob) {
			if len(s.waits) == 3 {
				srv.SetVideoStatus(j.ID, "completed", "")
			}
		}}, s.sleep)
	if _, err := c.Videos.Wait(ctx, job.ID, w); err != nil {
		t.Fatal(err)
	}
	// The job completes at the poll after the third wait; the fourth poll sees it.
	if len(s.waits) != 4 || s.waits[1] != time.Second || s.waits[2] > time.Second || s.waits[3] <= time.Second {
		t.Errorf("waits %v: want a notified backoff wait, the deaf MinInterval, the same first backoff wait, the next", s.waits)
	}
	// An unknown job ends the wait at once.
	if _, err := c.Videos.Wait(ctx, "job-404", w); !errors.Is(err, openrouter.ErrNotFound) {
		t.Errorf("unknown job: %v", err)
	}
}

func TestVideoInvalidRequests(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	ctx := context.Background()
	for name, req := range map[string]*openrouter.VideoRequest{
		"Model":       {Prompt: "p"},
		"Prompt":      {Model: "openai/sora-2"},
		"Duration":    {Model: "openai/sora-2", Prompt: "p", Duration: -1},
		"Size":        {Model: "openai/sora-2", Prompt: "p", Size: "1280x720", Resolution: "720p"},
		"CallbackURL": {Model: "openai/sora-2", Prompt: "p", CallbackURL: "http://example.com/hook"},
		"Type":        {Model: "openai/sora-2", Prompt: "p", References: []openrouter.VideoReference{{Type: "file", URL: "u"}}},
	} {
		if _, err := c.Videos.Submit(ctx, req); !errors.Is(err, openrouter.ErrInvalidRequest) || !strings.Contains(err.Error(), name) {
			t.Errorf("video without a good %s: %v", name, err)
		}
	}
	for _, id := range []string{"", "..", "."} {
		if _, err := c.Videos.Get(ctx, id); !errors.Is(err, openrouter.ErrInvalidRequest) {
			t.Errorf("job ID %q: %v", id, err)
		}
	}
	if _, err := c.Videos.Download(ctx, "job-1", -1, &bytes.Buffer{}); !errors.Is(err, openrouter.ErrInvalidRequest) {
		t.Errorf("index -1: %v", err)
	}
	if n := srv.Stats().Requests; n != 0 {
		t.Errorf("%d requests sent for bad input", n)
	}
}

func TestVideoModels(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t, nil)
	ms, err := c.Videos.Models(context.Background())
	if err != nil || len(ms) != 2 || ms[0].ID != "google/veo-3.1" || len(ms[0].SupportedDurations) == 0 || ms[1].SupportedSizes[0] != "1280x720" {
		t.Fatalf("models %+v, %v", ms, err)
	}
}

func TestParseVideoWebhook(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, []openroutertest.Option{openroutertest.WithVideoPolls(1)})
	ctx := context.Background()
	job, err := c.Videos.Submit(ctx, &openrouter.VideoRequest{Model: "openai/sora-2", Prompt: "A cat"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Videos.Get(ctx, job.ID); err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	body, sig, ok := srv.VideoWebhook(job.ID, "whsec", now)
	if !ok {
		t.Fatal("no webhook")
	}
	ev, err := openrouter.ParseVideoWebhook(body, sig, "whsec", now.Add(time.Minute))
	if err != nil || ev.Type != "video.generation.completed" || ev.Job.ID != job.ID || ev.Job.Status != openrouter.VideoCompleted || ev.Job.Model != "openai/sora-2" {
		t.Fatalf("event %+v, %v", ev, err)
	}
	for name, c := range map[string]struct {
		body        []byte
		sig, secret string
		at          time.Time
	}{
		"bad signature": {body, sig, "other", now},
		"changed body":  {bytes.Replace(body, []byte("completed"), []byte("cancelled"), 1), sig, "whsec", now},
		"too old":       {body, sig, "whsec", now.Add(6 * time.Minute)},
		"no secret":     {body, sig, "", now},
		"bad header":    {body, "v1=abc", "whsec", now},
	} {
		if _, err := openrouter.ParseVideoWebhook(c.body, c.sig, c.secret, c.at); !errors.Is(err, openrouter.ErrInvalidRequest) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestVideoWebhookHandler: a signed delivery reaches the callback with
// the submission's token and wakes a Wait; a forged one gets 401.
func TestVideoWebhookHandler(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, []openroutertest.Option{openroutertest.WithVideoPolls(1)})
	ctx := context.Background()
	job, err := c.Videos.Submit(ctx, &openrouter.VideoRequest{Model: "openai/sora-2", Prompt: "A cat", Token: "tok-7",
		CallbackURL: "https://hooks.example.com/video"})
	if err == nil {
		_, err = c.Videos.Get(ctx, job.ID)
	}
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	notify := make(chan struct{}, 1)
	var got []*openrouter.VideoWebhook
	h := openrouter.VideoWebhookHandler("whsec", func() time.Time { return now }, func(ev *openrouter.VideoWebhook) {
		got = append(got, ev)
		select {
		case notify <- struct{}{}:
		default:
		}
	})
	body, sig, _ := srv.VideoWebhook(job.ID, "whsec", now)
	for _, s := range []string{sig, strings.Replace(sig, "v1=", "v1=00", 1)} {
		req := httptest.NewRequest("POST", "/video?openrouter_video_token=tok-7", bytes.NewReader(body))
		req.Header.Set("X-OpenRouter-Signature", s)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if want := map[bool]int{true: 204, false: 401}[s == sig]; rec.Code != want {
			t.Errorf("signature %q: status %d, want %d", s, rec.Code, want)
		}
	}
	if len(got) != 1 || got[0].Token != "tok-7" || got[0].Job.ID != job.ID || len(notify) != 1 {
		t.Fatalf("events %+v, %d notifications", got, len(notify))
	}
}
