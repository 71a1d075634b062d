package openrouter

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// VideoWait configures VideosService.Wait. The zero value polls after
// 10 s, then backs off to one poll every 2 minutes, with jitter.
type VideoWait struct {
	// MinInterval is the first wait between polls (default 10 s); each
	// wait doubles it, up to MaxInterval (default 2 min), jittered in its
	// upper half so that many waiters do not poll together.
	MinInterval, MaxInterval time.Duration
	// Notify, when set, makes Wait poll at once each time it receives
	// (from the callback_url webhook handler, say), but not sooner than
	// MinInterval after the previous notified poll. A closed channel is
	// ignored from then on.
	Notify <-chan struct{}
	// OnPoll, when set, sees each state the job was polled in.
	OnPoll func(*VideoJob)
	// MaxPollErrors is how many polls in a row may fail with a retryable
	// error (5xx, 429, network) before Wait gives up (default 5).
	MaxPollErrors int

	sleep func(ctx context.Context, d time.Duration, notify <-chan struct{}) (bool, error) // tests
}

// Wait polls a video job until it ends (completed, failed, cancelled or
// expired) and returns it; the job's Err says whether it ended without
// a video. A completed job's cost is added to the client's spending
// total, once however many Waits see it. It returns early with ctx's error. Polls are reads, retried
// freely.
func (s *VideosService) Wait(ctx context.Context, id string, w VideoWait, opts ...CallOption) (*VideoJob, error) {
	if w.MinInterval <= 0 {
		w.MinInterval = 10 * time.Second
	}
	if w.MaxInterval < w.MinInterval {
		w.MaxInterval = max(2*time.Minute, w.MinInterval)
	}
	if w.MaxPollErrors <= 0 {
		w.MaxPollErrors = 5
	}
	sleep := w.sleep
	if sleep == nil {
		sleep = sleepOrNotify
	}
	failures, notified := 0, false
	for attempt := 0; ; {
		job, err := s.Get(ctx, id, opts...)
		switch {
		case err == nil:
			failures = 0
			if w.OnPoll != nil {
				w.OnPoll(job)
			}
			if job.Status.Terminal() {
				if job.Usage != nil && job.Usage.Cost != nil && *job.Usage.Cost > 0 {
					c := s.client()
					if _, counted := c.videosCounted.LoadOrStore(job.ID, struct{}{}); !counted {
						c.spend(ctx, &Usage{Cost: *job.Usage.Cost})
					}
				}
				return job, nil
			}
		case ctx != nil && ctx.Err() != nil, !retryablePoll(err):
			return nil, err
		default:
			if failures++; failures >= w.MaxPollErrors {
				return nil, err
			}
		}
		if notified { // a flood of notifications polls at most once per MinInterval
			if _, serr := sleep(ctx, w.MinInterval, nil); serr != nil {
				return nil, serr
			}
		}
		var serr error
		if notified, serr = sleep(ctx, expBackoff(w.MinInterval, w.MaxInterval, attempt), w.Notify); serr != nil {
			return nil, serr
		}
		if !notified {
			attempt++
		}
	}
}

// VideoWebhook is the event OpenRouter posts to a video job's callback
// URL when the job ends.
type VideoWebhook struct {
	// Type is "video.generation.completed", ".failed", ".cancelled" or
	// ".expired".
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"created_at"`
	Job       VideoJob  `json:"data"`
	// Token is the openrouter_video_token of the callback URL
	// (VideoWebhookHandler fills it in): the submission's VideoJob.Token,
	// or VideoSubmitError.Token when its answer was lost.
	Token string `json:"-"`
	// IdempotencyKey is the delivery's X-OpenRouter-Idempotency-Key
	// header ("<job id>-<status>"; VideoWebhookHandler fills it in): a
	// repeated delivery has the same.
	IdempotencyKey string `json:"-"`
}

// maxWebhookBody bounds a webhook's body.
const maxWebhookBody = 1 << 20

// VideoWebhookHandler returns the handler of a video job's callback URL:
// it checks each delivery with ParseVideoWebhook (401 when it fails, 400
// for a body over 1 MiB), answers 204, and passes the event to on, with
// its Token and IdempotencyKey. now is the clock of the signature's age (nil: time.Now).
// Deliveries may repeat: on must tolerate a second one. To wake a Wait,
// send on its VideoWait.Notify without blocking.
func VideoWebhookHandler(secret string, now func() time.Time, on func(*VideoWebhook)) http.Handler {
	if now == nil {
		now = time.Now
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
		if err != nil {
			http.Error(w, "body too large or unreadable", http.StatusBadRequest)
			return
		}
		ev, err := ParseVideoWebhook(body, r.Header.Get("X-OpenRouter-Signature"), secret, now())
		if err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		ev.Token = r.URL.Query().Get("openrouter_video_token")
		ev.IdempotencyKey = r.Header.Get("X-OpenRouter-Idempotency-Key")
		if on != nil {
			on(ev)
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// webhookMaxAge is how old a webhook's signed timestamp may be.
const webhookMaxAge = 5 * time.Minute

// ParseVideoWebhook checks the signature of a video webhook and decodes
// it. body is the request's body exactly as received; signature is its
// X-OpenRouter-Signature header ("t=<unix seconds>,v1=<hex HMAC-SHA256 of
// "t,body" under secret>"), which must be at most 5 minutes from now.
// Deliveries may repeat: the X-OpenRouter-Idempotency-Key header
// ("<job id>-<status>") tells them apart. Any failure matches
// [ErrInvalidRequest].
func ParseVideoWebhook(body []byte, signature, secret string, now time.Time) (*VideoWebhook, error) {
	if secret == "" {
		return nil, invalid("video webhook: no signing secret")
	}
	var ts, sig string
	for _, part := range strings.Split(signature, ",") {
		part = strings.TrimSpace(part)
		if v, ok := strings.CutPrefix(part, "t="); ok {
			ts = v
		} else if v, ok := strings.CutPrefix(part, "v1="); ok {
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return nil, invalid("video webhook: the signature header is not t=...,v1=...")
	}
	if age := now.Sub(time.Unix(sec, 0)); age > webhookMaxAge || age < -webhookMaxAge {
		return nil, invalid("video webhook: signed %v from now, more than %v", age.Round(time.Second), webhookMaxAge)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%s,", ts)
	mac.Write(body)
	got, err := hex.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
		return nil, invalid("video webhook: bad signature")
	}
	var ev VideoWebhook
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, invalid("video webhook: the body is not the event's JSON: %v", err)
	}
	if ev.Job.ID == "" {
		return nil, invalid("video webhook: the event names no job")
	}
	return &ev, nil
}
