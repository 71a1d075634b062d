package openroutertest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// WithKeyLimit gives the server's ordinary key a spending limit of usd:
// /key reports it as "limit", and what the completions have not spent of
// it as "limit_remaining" (OpenRouter's GET /key, "Get current API key");
// once it is spent, inference answers 402 with limit_source
// openrouter_key_limit (the limits page: a per-key credit limit is a
// credit limit, answered 402). It is apart
// from the account's credits (WithCredits).
func WithKeyLimit(usd float64) Option { return func(s *Server) { s.keyLimit = &usd } }

// SetKeyLimit changes the ordinary key's spending limit (see
// WithKeyLimit), as a raise in the OpenRouter settings does.
func (s *Server) SetKeyLimit(usd float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keyLimit = &usd
}

// WithManagementKey sets the management key the server accepts (default
// a fixed one, in Server.ManagementKey). It may call the account routes
// (/credits, /keys, /activity) but not inference: OpenRouter's
// "Management API keys" page says "Management keys cannot be used to make
// API calls to OpenRouter's completion endpoints".
func WithManagementKey(key string) Option { return func(s *Server) { s.ManagementKey = key } }

// inferencePaths are the routes that run a model: a management key gets
// 403 on them, and a spent key limit blocks them.
var inferencePaths = map[string]bool{
	"/api/v1/chat/completions":     true,
	"/api/v1/embeddings":           true,
	"/api/v1/images":               true,
	"/api/v1/audio/speech":         true,
	"/api/v1/audio/transcriptions": true,
	"/api/v1/rerank":               true,
	"/api/v1/videos":               true,
	"/api/v1/responses":            true,
	// RULES.md A3: a batch runs completions, so submitting one is inference.
	"/api/v1/batches": true,
}

// inferenceGuard refuses inference to the management key (the
// "Management API keys" page: they "cannot be used to make API calls to
// OpenRouter's completion endpoints") and to the ordinary key once its
// limit (WithKeyLimit) is spent, before any script or check.
func (s *Server) inferenceGuard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !inferencePaths[r.URL.Path] {
			next.ServeHTTP(w, r)
			return
		}
		if r.Header.Get("Authorization") == "Bearer "+s.ManagementKey {
			writeError(w, http.StatusForbidden, ErrorBody{Code: 403, Message: "Management keys cannot be used for inference: use an ordinary API key",
				Metadata: map[string]any{"error_type": "permission_denied"}})
			return
		}
		s.mu.Lock()
		spent := s.keyLimit != nil && s.usage >= *s.keyLimit
		limit := s.keyLimit
		s.mu.Unlock()
		if spent {
			// RULES.md A4: a spent per-key credit limit is a 402, not a
			// 403 budget block (docs api_reference/limits.mdx, "Credit
			// limits" 402: "If limit_remaining on the key is exhausted,
			// raise the key's credit limit"; errors-and-debugging 402
			// "Your account or API key has insufficient credits").
			writeError(w, http.StatusPaymentRequired, ErrorBody{Code: 402,
				Message:  fmt.Sprintf("Key limit of $%.2f exceeded. Raise the key's credit limit or wait for it to reset.", *limit),
				Metadata: map[string]any{"limit_source": KeyLimit, "error_type": "payment_required"}})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// handleKey serves GET /key: the calling key's own limit (null when it
// has none, as OpenRouter answers for a key without a limit, whatever the
// account's credits) and usage.
func (s *Server) handleKey(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r, s.Key, s.ManagementKey) {
		return
	}
	key := s.Key
	if r.Header.Get("Authorization") == "Bearer "+s.ManagementKey {
		key = s.ManagementKey
	}
	s.mu.Lock()
	usage := s.usage
	var limit, remaining any
	if s.keyLimit != nil && key == s.Key {
		limit, remaining = *s.keyLimit, max(*s.keyLimit-usage, 0)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
		"label": key[:min(len(key), 12)] + "..." + key[max(len(key)-3, 0):],
		"limit": limit, "limit_remaining": remaining, "limit_reset": nil, "include_byok_in_limit": false,
		"usage": usage, "usage_daily": usage, "usage_weekly": usage, "usage_monthly": usage,
		"is_free_tier": false, "is_management_key": key == s.ManagementKey, "expires_at": nil,
		"free_model_daily_requests": map[string]int{"used": 0, "limit": 1000, "remaining": 1000},
		"byok_usage":                0.0, "byok_usage_daily": 0.0, "byok_usage_weekly": 0.0, "byok_usage_monthly": 0.0,
		"is_provisioning_key": false, "creator_user_id": "user_openroutertest",
		"rate_limit": map[string]any{"interval": "10s", "requests": -1, "note": "This field is deprecated and safe to ignore."},
	}})
}

// handleCredits serves GET /credits. OpenRouter's API reference ("Get
// remaining credits", GET /credits) says "Management key required": an
// ordinary key gets 403 "Only management keys can perform this operation".
func (s *Server) handleCredits(w http.ResponseWriter, r *http.Request) {
	if !s.managementOnly(w, r) {
		return
	}
	s.mu.Lock()
	usage, credits := s.usage, s.credits
	s.mu.Unlock()
	if credits > 1e300 {
		credits = 1000
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]float64{"total_credits": credits, "total_usage": usage}})
}

// managedKey is a key of the keys API.
type managedKey struct {
	secret, hash, name, created, updated string
	limit                                *float64
	reset                                *string
	disabled, includeBYOK                bool
	expires                              *string
}

func (k *managedKey) json() map[string]any {
	var remaining any
	if k.limit != nil {
		remaining = *k.limit
	}
	var updated any
	if k.updated != "" {
		updated = k.updated
	}
	return map[string]any{"hash": k.hash, "name": k.name, "label": k.secret[:12] + "..." + k.secret[len(k.secret)-3:],
		"disabled": k.disabled, "limit": k.limit, "limit_remaining": remaining, "limit_reset": k.reset,
		"include_byok_in_limit": k.includeBYOK, "usage": 0.0, "usage_daily": 0.0, "usage_weekly": 0.0, "usage_monthly": 0.0,
		"byok_usage": 0.0, "byok_usage_daily": 0.0, "byok_usage_weekly": 0.0, "byok_usage_monthly": 0.0,
		"created_at": k.created, "updated_at": updated, "creator_user_id": nil, "expires_at": k.expires,
		"workspace_id": fakeWorkspace}
}

func (s *Server) keyByHash(w http.ResponseWriter, hash string) *managedKey {
	for _, k := range s.ext.keys {
		if k.hash == hash {
			return k
		}
	}
	writeError(w, http.StatusNotFound, ErrorBody{Code: 404, Message: "API key not found"})
	return nil
}

func validReset(r *string) bool {
	return r == nil || *r == "daily" || *r == "weekly" || *r == "monthly"
}

func (s *Server) handleListKeys(w http.ResponseWriter, r *http.Request) {
	if !s.managementOnly(w, r) {
		return
	}
	all := r.URL.Query().Get("include_disabled") == "true"
	offset, err := 0, error(nil)
	if o := r.URL.Query().Get("offset"); o != "" {
		offset, err = strconv.Atoi(o)
	}
	if err != nil || offset < 0 {
		// RULES.md K3: OpenAPI GET /keys, offset "minimum: 0", an integer.
		writeError(w, http.StatusBadRequest, ErrorBody{Code: 400, Message: "offset: must be an integer of 0 or more"})
		return
	}
	s.ext.mu.Lock()
	defer s.ext.mu.Unlock()
	data := []map[string]any{}
	for _, k := range s.ext.keys {
		if all || !k.disabled {
			data = append(data, k.json())
		}
	}
	data = data[min(max(offset, 0), len(data)):]
	writeJSON(w, http.StatusOK, map[string]any{"data": data})
}

func (s *Server) handleCreateKey(w http.ResponseWriter, r *http.Request) {
	if !s.managementOnly(w, r) {
		return
	}
	var req struct {
		Name        string   `json:"name"`
		Limit       *float64 `json:"limit"`
		LimitReset  *string  `json:"limit_reset"`
		IncludeBYOK bool     `json:"include_byok_in_limit"`
		ExpiresAt   *string  `json:"expires_at"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	switch {
	case req.Name == "":
		writeError(w, http.StatusBadRequest, ErrorBody{Code: 400, Message: "name: must not be empty"})
		return
	case req.Limit != nil && *req.Limit < 0:
		writeError(w, http.StatusBadRequest, ErrorBody{Code: 400, Message: "limit: must not be negative"})
		return
	case !validReset(req.LimitReset):
		writeError(w, http.StatusBadRequest, ErrorBody{Code: 400, Message: "limit_reset: must be daily, weekly or monthly"})
		return
	case req.ExpiresAt != nil && !utcDateTime(*req.ExpiresAt):
		// RULES.md K1: OpenAPI POST /keys, expires_at "format: date-time",
		// "Must be UTC, other timezones will be rejected".
		writeError(w, http.StatusBadRequest, ErrorBody{Code: 400, Message: "expires_at: must be an ISO 8601 UTC timestamp"})
		return
	}
	s.ext.mu.Lock()
	defer s.ext.mu.Unlock()
	seed := sha256.Sum256([]byte(strconv.Itoa(len(s.ext.keys)) + "\x00" + req.Name))
	secret := "sk-or-v1-" + hex.EncodeToString(seed[:])
	sum := sha256.Sum256([]byte(secret))
	k := &managedKey{secret: secret, hash: hex.EncodeToString(sum[:]), name: req.Name, limit: req.Limit, reset: req.LimitReset,
		includeBYOK: req.IncludeBYOK, expires: req.ExpiresAt, created: time.Now().UTC().Format(time.RFC3339)}
	s.ext.keys = append(s.ext.keys, k)
	writeJSON(w, http.StatusCreated, map[string]any{"data": k.json(), "key": secret})
}

func (s *Server) handleGetKey(w http.ResponseWriter, r *http.Request) {
	if !s.managementOnly(w, r) {
		return
	}
	s.ext.mu.Lock()
	defer s.ext.mu.Unlock()
	if k := s.keyByHash(w, r.PathValue("hash")); k != nil {
		writeJSON(w, http.StatusOK, map[string]any{"data": k.json()})
	}
}

func (s *Server) handleUpdateKey(w http.ResponseWriter, r *http.Request) {
	if !s.managementOnly(w, r) {
		return
	}
	var req map[string]any
	if !decodeBody(w, r, &req) {
		return
	}
	if msg := keyPatchProblem(req); msg != "" {
		writeError(w, http.StatusBadRequest, ErrorBody{Code: 400, Message: msg})
		return
	}
	s.ext.mu.Lock()
	defer s.ext.mu.Unlock()
	k := s.keyByHash(w, r.PathValue("hash"))
	if k == nil {
		return
	}
	for name, v := range req {
		switch name {
		case "name":
			if n, ok := v.(string); ok && n != "" {
				k.name = n
			}
		case "disabled":
			k.disabled, _ = v.(bool)
		case "include_byok_in_limit":
			k.includeBYOK, _ = v.(bool)
		case "limit":
			if f, ok := v.(float64); ok && f >= 0 {
				k.limit = &f
			} else if v == nil {
				k.limit = nil
			}
		case "limit_reset":
			k.reset = nil
			if str, ok := v.(string); ok {
				k.reset = &str
			}
		}
	}
	k.updated = time.Now().UTC().Format(time.RFC3339)
	writeJSON(w, http.StatusOK, map[string]any{"data": k.json()})
}

func (s *Server) handleDeleteKey(w http.ResponseWriter, r *http.Request) {
	if !s.managementOnly(w, r) {
		return
	}
	s.ext.mu.Lock()
	defer s.ext.mu.Unlock()
	k := s.keyByHash(w, r.PathValue("hash"))
	if k == nil {
		return
	}
	for i, x := range s.ext.keys {
		if x == k {
			s.ext.keys = append(s.ext.keys[:i], s.ext.keys[i+1:]...)
			break
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"deleted": true})
}

// utcDateTime reports whether v is an RFC 3339 date-time in UTC.
func utcDateTime(v string) bool {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return false
	}
	_, off := t.Zone()
	return off == 0 && (strings.HasSuffix(v, "Z") || strings.HasSuffix(v, "+00:00"))
}

// keyPatchProblem returns why PATCH /keys/{hash} refuses a body, or "":
// a field of the wrong type, an empty name, a negative limit (RULES.md
// K2: OpenAPI updateKeys, name a string, disabled and
// include_byok_in_limit booleans, limit a number or null). The fake
// used to skip such fields and answer 200, so that "disabled": "true"
// re-enabled a key.
func keyPatchProblem(req map[string]any) string {
	for name, v := range req {
		ok := true
		switch name {
		case "name":
			n, isStr := v.(string)
			ok = isStr && n != ""
		case "disabled", "include_byok_in_limit":
			_, ok = v.(bool)
		case "limit":
			f, isNum := v.(float64)
			ok = v == nil || (isNum && f >= 0)
		case "limit_reset":
			str, isStr := v.(string)
			ok = v == nil || (isStr && validReset(&str))
		}
		if !ok {
			return fmt.Sprintf("%s: invalid value %v", name, v)
		}
	}
	return ""
}
