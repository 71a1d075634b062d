package openroutertest

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"
)

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
		"workspace_id": "0df9e665-d932-5740-b2c7-b52af166bc11"}
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
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
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
			if v == nil {
				k.reset = nil
			} else if str, ok := v.(string); ok && validReset(&str) {
				k.reset = &str
			} else {
				writeError(w, http.StatusBadRequest, ErrorBody{Code: 400, Message: "limit_reset: must be daily, weekly or monthly"})
				return
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
