package openrouter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// KeysService holds the calls that manage the account's API keys: create
// one with its own spending limit, list, read, change, delete, and find a
// key whose creation answer was lost. They need a management key
// ([WithManagementKey]). Reach it as Client.Keys.
type KeysService struct{ c *Client }

// ManagedKey is an API key as the keys API describes it (GET /keys).
// Money is in USD.
type ManagedKey struct {
	// Hash identifies the key in the keys API; it is not the secret.
	Hash  string `json:"hash"`
	Name  string `json:"name"`
	Label string `json:"label"` // the key, masked
	// Disabled keys authenticate nothing.
	Disabled bool `json:"disabled"`
	// Limit is the spending limit; nil when the key has none.
	Limit *float64 `json:"limit"`
	// LimitRemaining is what is left of Limit in the current period.
	LimitRemaining *float64 `json:"limit_remaining"`
	// LimitReset is when the limit starts over: "daily", "weekly",
	// "monthly", or "" for never.
	LimitReset         string  `json:"limit_reset"`
	IncludeBYOKInLimit bool    `json:"include_byok_in_limit"`
	Usage              float64 `json:"usage"` // all-time spending
	UsageDaily         float64 `json:"usage_daily"`
	UsageWeekly        float64 `json:"usage_weekly"`
	UsageMonthly       float64 `json:"usage_monthly"`
	WorkspaceID        string  `json:"workspace_id"`
	// CreatedAt, UpdatedAt and ExpiresAt are zero when unknown or never.
	CreatedAt time.Time `json:"-"`
	UpdatedAt time.Time `json:"-"`
	ExpiresAt time.Time `json:"-"`
}

// UnmarshalJSON decodes the API's shape: nullable strings and RFC 3339
// times.
func (k *ManagedKey) UnmarshalJSON(b []byte) error {
	type plain ManagedKey
	var w struct {
		plain
		LimitReset *string `json:"limit_reset"`
		CreatedAt  *string `json:"created_at"`
		UpdatedAt  *string `json:"updated_at"`
		ExpiresAt  *string `json:"expires_at"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*k = ManagedKey(w.plain)
	if w.LimitReset != nil {
		k.LimitReset = *w.LimitReset
	}
	at := func(s *string) time.Time {
		if s == nil {
			return time.Time{}
		}
		t, _ := time.Parse(time.RFC3339Nano, *s)
		return t
	}
	k.CreatedAt, k.UpdatedAt, k.ExpiresAt = at(w.CreatedAt), at(w.UpdatedAt), at(w.ExpiresAt)
	return nil
}

// KeySecret is the secret of a key just created: the only time the API
// shows it. It never prints: String, %v, %#v, JSON and slog all give
// "[redacted]". Reveal returns it, to hand to NewClient or a secret store.
type KeySecret struct{ secret string }

// Reveal returns the secret.
func (s KeySecret) Reveal() string { return s.secret }

// String returns "[redacted]".
func (s KeySecret) String() string { return "[redacted]" }

// GoString returns "[redacted]".
func (s KeySecret) GoString() string { return "[redacted]" }

// Format prints "[redacted]" whatever the verb.
func (s KeySecret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte("[redacted]")) }

// LogValue logs "[redacted]".
func (s KeySecret) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// MarshalJSON writes "[redacted]": a secret is not serialised by accident.
func (s KeySecret) MarshalJSON() ([]byte, error) { return []byte(`"[redacted]"`), nil }

// CreatedKey is a key just created, with its secret.
type CreatedKey struct {
	ManagedKey
	Secret KeySecret
}

// NewKey describes a key to create.
type NewKey struct {
	// Name is required.
	Name string
	// Limit is the spending limit in USD; 0 means none. A bulk job capped
	// at its budget gets a hard cap that holds across processes and
	// crashes, unlike a client-side cap.
	Limit float64
	// LimitReset starts the limit over: "daily", "weekly", "monthly", or
	// "" for never.
	LimitReset         string
	IncludeBYOKInLimit bool
	// ExpiresAt is when the key stops working; zero for never.
	ExpiresAt time.Time
}

// KeyUpdate changes a key; nil fields are left as they are.
type KeyUpdate struct {
	Name     *string
	Disabled *bool
	// Limit sets the spending limit in USD; RemoveLimit removes it.
	Limit       *float64
	RemoveLimit bool
	// LimitReset sets the reset period ("daily", "weekly", "monthly"; ""
	// for never).
	LimitReset         *string
	IncludeBYOKInLimit *bool
}

func validReset(r string) bool {
	return r == "" || r == "daily" || r == "weekly" || r == "monthly"
}

// nullable returns nil for "" (JSON null), else the string.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// managementHint says what a 401 or 403 of the keys and activity APIs
// means: they need a management key.
func managementHint(err error, what string) error {
	var e *APIError
	if errors.As(err, &e) && (e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden) {
		e.hint = what + " needs a management key, not an ordinary API key: create one in the OpenRouter settings (Management keys) and give it to this client."
	}
	return err
}

// Create creates an API key (POST /keys), with a spending limit when
// k.Limit is set. It needs a management key: other keys get an error
// whose Hint says so. The secret is in the result's Secret, redacted
// wherever it is printed; an answer with a secret but no hash returns
// the key together with an [ErrServer] error, so the secret is not lost.
//
// The request is never sent twice. When its answer is lost after it
// reached the server (a 5xx from a gateway, a cut, a timeout, an answer
// cut off), the key may exist: the error is a *[KeyMaybeCreatedError]
// matching [ErrKeyMaybeCreated] and [ErrMaybeBilled], and [KeysService.Find]
// finds the key by name, where a second Keys.Create would make a second key
// with a budget of its own.
func (s *KeysService) Create(ctx context.Context, k NewKey, opts ...CallOption) (_ *CreatedKey, err error) {
	c := s.client()
	switch {
	case k.Name == "":
		return nil, invalid("a new key needs a name")
	case k.Limit < 0 || math.IsNaN(k.Limit) || math.IsInf(k.Limit, 0):
		return nil, invalid("key limit %v is not a positive amount (0 for none)", k.Limit)
	case !validReset(k.LimitReset):
		return nil, invalid("limit reset %q is not daily, weekly or monthly", k.LimitReset)
	}
	body := map[string]any{"name": k.Name, "limit_reset": nullable(k.LimitReset)}
	if k.Limit > 0 {
		body["limit"] = k.Limit
	}
	if k.IncludeBYOKInLimit {
		body["include_byok_in_limit"] = true
	}
	if !k.ExpiresAt.IsZero() {
		body["expires_at"] = k.ExpiresAt.UTC().Format(time.RFC3339)
	}
	in, err := json.Marshal(body)
	if err != nil {
		return nil, invalid("%v", err)
	}
	resp, st, err := c.doOnce(ctx, http.MethodPost, "/keys", in, "", opts) // a second key would have a budget of its own
	if err != nil {
		return nil, keyMaybeCreated(k.Name, managementHint(err, "Creating a key"), false)
	}
	defer resp.Body.Close()
	defer func() { st.endAnswer(nil, err) }()
	// Decoded here, not by decodeBody: the error of an answer that is not
	// the JSON expected quotes the answer, which holds the new secret.
	raw, err := readBody(resp, c.cfg.limits.JSON)
	if err != nil {
		return nil, keyMaybeCreated(k.Name, fmt.Errorf("openrouter: reading the created key: %w", err), true)
	}
	var out struct {
		Data ManagedKey `json:"data"`
		Key  string     `json:"key"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, keyMaybeCreated(k.Name, malformed("", "the created key's answer does not decode (%s)", jsonErrorKind(err)), true)
	}
	if out.Key == "" {
		return nil, keyMaybeCreated(k.Name, malformed("", "the created key has no secret"), true)
	}
	ck := &CreatedKey{ManagedKey: out.Data, Secret: KeySecret{out.Key}}
	if out.Data.Hash == "" { // the key exists: keep its secret
		return ck, malformed("", "the created key has no hash")
	}
	return ck, nil
}

// jsonErrorKind describes a decode error without quoting the input.
func jsonErrorKind(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s is a JSON %s", te.Field, te.Value)
	}
	return "not JSON"
}

// KeyListOptions filters Keys.List.
type KeyListOptions struct {
	IncludeDisabled bool
	Offset          int
	WorkspaceID     string
}

// List returns the account's keys (GET /keys); it needs a management
// key.
func (s *KeysService) List(ctx context.Context, o KeyListOptions, opts ...CallOption) ([]ManagedKey, error) {
	c := s.client()
	if o.Offset < 0 {
		return nil, invalid("offset %d is negative", o.Offset)
	}
	q := url.Values{}
	if o.IncludeDisabled {
		q.Set("include_disabled", "true")
	}
	if o.Offset > 0 {
		q.Set("offset", strconv.Itoa(o.Offset))
	}
	if o.WorkspaceID != "" {
		q.Set("workspace_id", o.WorkspaceID)
	}
	path := "/keys"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out struct {
		Data []ManagedKey `json:"data"`
	}
	if err := c.getJSON(ctx, path, &out, opts); err != nil {
		return nil, managementHint(err, "Listing keys")
	}
	return out.Data, nil
}

func keyPath(hash string) (string, error) {
	seg, err := pathSegment("key hash", hash)
	if err != nil {
		return "", err
	}
	return "/keys/" + seg, nil
}

// Get returns the key of this hash (GET /keys/{hash}); it needs a
// management key.
func (s *KeysService) Get(ctx context.Context, hash string, opts ...CallOption) (*ManagedKey, error) {
	c := s.client()
	path, err := keyPath(hash)
	if err != nil {
		return nil, err
	}
	var out struct {
		Data ManagedKey `json:"data"`
	}
	if err := c.getJSON(ctx, path, &out, opts); err != nil {
		return nil, managementHint(err, "Reading a key")
	}
	return &out.Data, nil
}

// Update changes the key of this hash (PATCH /keys/{hash}) and returns
// it as changed; it needs a management key. Disable a key with
// Disabled: &true.
func (s *KeysService) Update(ctx context.Context, hash string, u KeyUpdate, opts ...CallOption) (*ManagedKey, error) {
	c := s.client()
	path, err := keyPath(hash)
	if err != nil {
		return nil, err
	}
	body := map[string]any{}
	switch {
	case u.Name != nil && *u.Name == "":
		return nil, invalid("a key's name cannot be empty")
	case u.Limit != nil && u.RemoveLimit:
		return nil, invalid("set Limit or RemoveLimit, not both")
	case u.Limit != nil && (*u.Limit < 0 || math.IsNaN(*u.Limit) || math.IsInf(*u.Limit, 0)):
		return nil, invalid("key limit %v is not an amount", *u.Limit)
	case u.LimitReset != nil && !validReset(*u.LimitReset):
		return nil, invalid("limit reset %q is not daily, weekly or monthly", *u.LimitReset)
	}
	if u.Name != nil {
		body["name"] = *u.Name
	}
	if u.Disabled != nil {
		body["disabled"] = *u.Disabled
	}
	if u.Limit != nil {
		body["limit"] = *u.Limit
	}
	if u.RemoveLimit {
		body["limit"] = nil
	}
	if u.LimitReset != nil {
		body["limit_reset"] = nullable(*u.LimitReset)
	}
	if u.IncludeBYOKInLimit != nil {
		body["include_byok_in_limit"] = *u.IncludeBYOKInLimit
	}
	if len(body) == 0 {
		return nil, invalid("a key update that changes nothing")
	}
	var out struct {
		Data ManagedKey `json:"data"`
	}
	if err := c.sendJSON(ctx, http.MethodPatch, path, body, &out, "", opts); err != nil {
		return nil, managementHint(err, "Updating a key")
	}
	return &out.Data, nil
}

// Delete deletes the key of this hash (DELETE /keys/{hash}); it needs
// a management key.
func (s *KeysService) Delete(ctx context.Context, hash string, opts ...CallOption) error {
	c := s.client()
	path, err := keyPath(hash)
	if err != nil {
		return err
	}
	var out struct {
		Deleted bool `json:"deleted"`
	}
	if err := c.sendJSON(ctx, http.MethodDelete, path, nil, &out, "", opts); err != nil {
		return managementHint(err, "Deleting a key")
	}
	if !out.Deleted {
		return malformed("", "the key was not reported deleted")
	}
	return nil
}
