package openrouter

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"
)

// WithManagementKey gives the client a management key beside its API key:
// the account routes (Credits, the keys API, Activity) are sent with it,
// and everything else, inference first, with the API key (OpenRouter
// refuses inference to a management key, and account routes to an
// ordinary key). It is redacted from every error, log line and formatted
// value, as the API key is.
func WithManagementKey(key string) Option {
	return func(c *config) error {
		if key == "" || strings.TrimSpace(key) != key || strings.ContainsAny(key, "\r\n\x00") {
			return errors.New("WithManagementKey: the key is empty, or has spaces or line breaks around or in it")
		}
		c.mgmtKey = key
		return nil
	}
}

// managementPath reports whether a request path is an account route that
// needs a management key.
func managementPath(path string) bool {
	path, _, _ = strings.Cut(path, "?")
	for _, p := range []string{"/credits", "/keys", "/activity", "/guardrails", "/workspaces", "/analytics"} {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

// KeyInfo describes the client's API key (GET /key). Money is in USD.
type KeyInfo struct {
	Label          string   `json:"label"`           // the key, masked ("sk-or-v1-au7...890")
	Limit          *float64 `json:"limit"`           // the key's spending limit; nil when it has none
	LimitRemaining *float64 `json:"limit_remaining"` // what is left of Limit; nil when it has none
	LimitReset     string   `json:"limit_reset"`     // "daily", "weekly", "monthly", or "" for never
	Usage          float64  `json:"usage"`           // all-time spending
	UsageDaily     float64  `json:"usage_daily"`     // this UTC day
	UsageWeekly    float64  `json:"usage_weekly"`    // this UTC week, from Monday
	UsageMonthly   float64  `json:"usage_monthly"`
	// IsFreeTier reports whether the account never bought credits.
	IsFreeTier      bool      `json:"is_free_tier"`
	IsManagementKey bool      `json:"is_management_key"`
	ExpiresAt       time.Time `json:"-"` // zero when the key does not expire
	// FreeModelDailyRequests is the daily quota of ":free" models, when
	// the API reports it.
	FreeModelDailyRequests *FreeModelRequests `json:"free_model_daily_requests"`
}

// FreeModelRequests is the daily quota of free-model requests.
type FreeModelRequests struct {
	Used      int `json:"used"`
	Limit     int `json:"limit"`
	Remaining int `json:"remaining"`
}

// CheckKey tests the client's API key against OpenRouter (GET /key): it
// returns what OpenRouter knows of the key, or an error matching
// [ErrUnauthorized] for a key that is missing, malformed or revoked. The
// key's remaining limit, when it has one, updates the balance the
// low-balance alert watches.
func (c *Client) CheckKey(ctx context.Context, opts ...CallOption) (*KeyInfo, error) {
	ctx, cancel, opts, err := prepareCall(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer cancel()
	var w struct {
		Data *struct {
			KeyInfo
			ExpiresAt *time.Time `json:"expires_at"`
		} `json:"data"`
	}
	err = c.getJSON(ctx, "/key", &w, opts)
	var e *APIError
	if errors.As(err, &e) && e.StatusCode == 404 { // older deployments: the legacy path
		err = c.getJSON(ctx, "/auth/key", &w, opts)
	}
	if err != nil {
		return nil, timeoutError(ctx, err)
	}
	if w.Data == nil {
		return nil, noData("/key")
	}
	k := w.Data.KeyInfo
	k.Label = c.redactor().String(k.Label) // OpenRouter masks it; an answer that does not must not bring the key in
	if w.Data.ExpiresAt != nil {
		k.ExpiresAt = *w.Data.ExpiresAt
	}
	if k.LimitRemaining != nil && k.Limit != nil { // the balance ReadBalance says it watches
		c.account.setBalance(c, *k.LimitRemaining, BalanceKeyLimit)
	}
	return &k, nil
}

// Credits is the account's balance (GET /credits), in USD.
type Credits struct {
	TotalCredits float64 `json:"total_credits"`
	TotalUsage   float64 `json:"total_usage"`
}

// Remaining returns TotalCredits - TotalUsage.
func (cr *Credits) Remaining() float64 { return cr.TotalCredits - cr.TotalUsage }

// Credits returns the account's credits and usage, and updates the
// balance the low-balance alert watches. OpenRouter answers it only for a
// management key (GET /credits: "Management key required"): give the
// client one with [WithManagementKey], or create the client with it.
// With an ordinary key the error matches [ErrForbidden] and its Hint
// says so, and points to CheckKey for the key's own limit.
func (c *Client) Credits(ctx context.Context, opts ...CallOption) (*Credits, error) {
	var w struct {
		Data *Credits `json:"data"`
	}
	if err := c.getJSON(ctx, "/credits", &w, opts); err != nil {
		var e *APIError
		if errors.As(err, &e) {
			e.hint = c.creditsHint(e)
		}
		return nil, err
	}
	if w.Data == nil { // a balance never read is not a balance of $0
		return nil, noData("/credits")
	}
	c.account.setBalance(c, w.Data.Remaining(), BalanceCredits)
	return w.Data, nil
}

// creditsHint is the hint of a refused GET /credits: it names the key
// that was refused, the management key when the client has one.
func (c *Client) creditsHint(e *APIError) string {
	mgmt := c.secrets().mgmtAuth != nil
	switch {
	case e.StatusCode == 401 && mgmt:
		return "The management key (WithManagementKey) was refused: it is mistyped, disabled or deleted; check it in the OpenRouter settings (the API key is not concerned)."
	case e.StatusCode == 403 && mgmt:
		return "The key given with WithManagementKey is not a management key: create one in the OpenRouter settings (Management keys); for this key's own limit and usage, use Client.CheckKey."
	case e.StatusCode == 403:
		return "Reading the account's credits needs a management key (create one in the OpenRouter settings); for this key's own limit and usage, use Client.CheckKey."
	}
	return e.hint
}

// Generation is the record of a past request (GET /generation).
type Generation struct {
	ID                     string  `json:"id"`
	Model                  string  `json:"model"`
	ProviderName           string  `json:"provider_name"`
	TotalCost              float64 `json:"total_cost"` // USD
	TokensPrompt           int     `json:"tokens_prompt"`
	TokensCompletion       int     `json:"tokens_completion"`
	NativeTokensPrompt     int     `json:"native_tokens_prompt"`
	NativeTokensCompletion int     `json:"native_tokens_completion"`
	NativeTokensReasoning  int     `json:"native_tokens_reasoning"`
	FinishReason           string  `json:"finish_reason"`
	NativeFinishReason     string  `json:"native_finish_reason"`
	NativeTokensCached     int     `json:"native_tokens_cached"`
	Streamed               bool    `json:"streamed"`
	Cancelled              bool    `json:"cancelled"`
	// IsBYOK reports a request served on the caller's own provider key;
	// UpstreamInferenceCost is then what that provider charged (USD),
	// beside TotalCost, OpenRouter's charge.
	IsBYOK                bool     `json:"is_byok"`
	UpstreamInferenceCost *float64 `json:"upstream_inference_cost"`
	// CacheDiscount is what prompt caching saved (USD), when reported.
	CacheDiscount *float64 `json:"cache_discount"`
	// UpstreamID is the provider's own ID of the completion.
	UpstreamID  string    `json:"upstream_id"`
	ServiceTier string    `json:"service_tier"`
	CreatedAt   time.Time `json:"-"`
	// Latency is the time to the first token; GenerationTime the time to
	// the last.
	Latency        time.Duration `json:"-"`
	GenerationTime time.Duration `json:"-"`
}

// Generation returns the cost, tokens, latency and provider of a past
// request, by the ID every response carries (ChatResponse.ID). A request
// just finished may not be recorded yet: that answer matches
// [ErrNotFound], and a retry a few seconds later finds it.
func (c *Client) Generation(ctx context.Context, id string, opts ...CallOption) (*Generation, error) {
	if id == "" {
		return nil, invalid("empty generation ID")
	}
	var w struct {
		Data *struct {
			Generation
			CreatedAt      string   `json:"created_at"`
			Latency        *float64 `json:"latency"`
			GenerationTime *float64 `json:"generation_time"`
		} `json:"data"`
	}
	if err := c.getJSON(ctx, "/generation?id="+url.QueryEscape(id), &w, opts); err != nil {
		var e *APIError
		if errors.As(err, &e) && e.Is(ErrNotFound) {
			e.hint = "OpenRouter records a generation a few seconds after it ends: retry in a few seconds, and check the ID (ChatResponse.ID)."
		}
		return nil, err
	}
	if w.Data == nil {
		return nil, noData("/generation")
	}
	g := w.Data.Generation
	g.CreatedAt, _ = time.Parse(time.RFC3339Nano, w.Data.CreatedAt)
	ms := func(f *float64) time.Duration {
		if f == nil {
			return 0
		}
		return time.Duration(*f * float64(time.Millisecond))
	}
	g.Latency, g.GenerationTime = ms(w.Data.Latency), ms(w.Data.GenerationTime)
	return &g, nil
}

// BalanceSource says where the balance the low-balance alert watches
// comes from (see ReadBalance).
type BalanceSource int

const (
	// BalanceUnknown: the key has no spending limit and the client no
	// management key, so no balance can be read: the alert cannot fire.
	BalanceUnknown BalanceSource = iota
	// BalanceKeyLimit: what is left of the key's own limit (GET /key).
	BalanceKeyLimit
	// BalanceCredits: the account's credits, read with the management
	// key (GET /credits).
	BalanceCredits
)

// String says the source in a sentence fit for a report.
func (s BalanceSource) String() string {
	switch s {
	case BalanceKeyLimit:
		return "the key's remaining limit (GET /key)"
	case BalanceCredits:
		return "the account's credits (GET /credits, with the management key)"
	}
	return "unknown: the key has no spending limit and the client has no management key (WithManagementKey), so the balance cannot be read"
}

// ReadBalance reads the balance the low-balance alert watches, and says
// where it came from: what is left of the key's limit when the key has
// one (GET /key); else the account's credits, when the client has a
// management key (GET /credits); else nothing can be known, and it
// returns BalanceUnknown and no error. An ordinary key can never read the
// account's credits; a client whose API key is a management key reads
// them with it.
func (c *Client) ReadBalance(ctx context.Context, opts ...CallOption) (float64, BalanceSource, error) {
	k, err := c.CheckKey(ctx, opts...)
	if err != nil {
		return 0, BalanceUnknown, err
	}
	if k.LimitRemaining != nil && k.Limit != nil {
		return *k.LimitRemaining, BalanceKeyLimit, nil // CheckKey set it
	}
	if c == nil || c.secrets().mgmtAuth == nil && !k.IsManagementKey { // a management key as the API key reads the credits too
		return 0, BalanceUnknown, nil
	}
	cr, err := c.Credits(ctx, opts...)
	if err != nil {
		return 0, BalanceUnknown, fmt.Errorf("reading the account's credits with the management key: %w", err)
	}
	return cr.Remaining(), BalanceCredits, nil
}

// DefaultLowBalance is the low-balance alert's default threshold in USD:
// OpenRouter advises keeping $1 to $2 so long jobs do not stop at zero.
const DefaultLowBalance = 1.0

// WithLowBalanceAlert calls alert, once each time the balance falls under
// threshold USD (DefaultLowBalance when threshold <= 0). The balance is the
// last one read by CheckKey (the key's remaining limit) or Credits (once
// the key's limit was read, only a lower one), less what the client has
// spent since; nothing is known, and nothing fires, before
// one of them is called. ReadBalance reads the right one and says when
// none can be read (a key without a limit, and no management key). alert runs on the goroutine whose call crossed the
// threshold; it must not block for long.
func WithLowBalanceAlert(threshold float64, alert func(balance float64)) Option {
	return func(c *config) error {
		if threshold <= 0 {
			threshold = DefaultLowBalance
		}
		c.lowBalance, c.onLowBalance = threshold, alert
		return nil
	}
}

// account tracks spending and the balance estimate.
type account struct {
	mu            sync.Mutex
	spent         float64 // USD, all responses of this client, BYOK upstream charges included
	credits       float64 // USD, the part of spent paid from OpenRouter credits
	balance       float64 // last balance read
	creditsAtRead float64
	known         bool
	keyLimit      bool // balance is the key's remaining limit (GET /key)
	alerted       bool // the alert fired and the balance has not risen back since
}

// Spent returns what the client's requests have cost so far, in USD, from
// the cost each response reports: OpenRouter's charges and, for BYOK
// requests, the upstream provider's charges to the caller's own key (see
// Usage.TotalCost).
func (c *Client) Spent() float64 {
	c.account.mu.Lock()
	defer c.account.mu.Unlock()
	return c.account.spent
}

// Balance returns the estimated balance in USD (the last read by CheckKey
// or Credits, less the credits spent since: BYOK upstream charges are not
// taken from it) and whether one is known.
func (c *Client) Balance() (float64, bool) {
	c.account.mu.Lock()
	defer c.account.mu.Unlock()
	return c.account.balance - (c.account.credits - c.account.creditsAtRead), c.account.known
}

// spend adds the cost of a response to the client's total (and the
// credits part of it to the balance estimate), and to every CostMeter in
// ctx.
func (c *Client) spend(ctx context.Context, u *Usage) {
	usd := u.TotalCost()
	if usd <= 0 {
		return
	}
	addCost(ctx, usd)
	c.account.spend(c, usd, max(u.Cost, 0))
}

func (a *account) spend(c *Client, usd, credits float64) {
	a.mu.Lock()
	a.spent += usd
	a.credits += credits
	a.mu.Unlock()
	a.check(c)
}

// setBalance records a balance read from src. Once the key's own limit
// was read, the account's credits replace it only when lower: the key
// stops at its limit whatever the account holds, so the alert watches
// what runs out first.
func (a *account) setBalance(c *Client, usd float64, src BalanceSource) {
	a.mu.Lock()
	current := a.balance - (a.credits - a.creditsAtRead)
	if src == BalanceKeyLimit || !a.keyLimit || usd < current {
		a.balance, a.creditsAtRead, a.known = usd, a.credits, true
		a.keyLimit = src == BalanceKeyLimit
	}
	a.mu.Unlock()
	a.check(c)
}

// check fires the alert once per crossing under the threshold, and re-arms
// it when the balance is back above.
func (a *account) check(c *Client) {
	if c.cfg.onLowBalance == nil {
		return
	}
	a.mu.Lock()
	bal := a.balance - (a.credits - a.creditsAtRead)
	fire := false
	switch {
	case !a.known:
	case bal < c.cfg.lowBalance && !a.alerted:
		a.alerted, fire = true, true
	case bal >= c.cfg.lowBalance:
		a.alerted = false
	}
	a.mu.Unlock()
	if fire {
		c.cfg.onLowBalance(bal)
	}
}

// noData is the error of a 200 answer without its "data" member: nothing
// is known, which must not read as zeros.
func noData(path string) error {
	return &APIError{StatusCode: 200, Message: "the answer of " + path + " has no data", kind: []error{ErrServer}}
}
