package openroutertest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/routerkit/openrouter/openroutertest"
)

// keyCall sends one request to the fake with key and returns the status and
// the decoded body.
func keyCall(t *testing.T, srv *openroutertest.Server, method, path, key, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s: %v in %q", method, path, err, b)
	}
	return resp.StatusCode, out
}

const helloBody = `{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`

// TestKeyRules checks the fake's key rules against OpenRouter's: the
// account's credits give the key no limit (/key "limit": null), a key
// limit is apart and blocks inference with a 402 once spent, /credits
// needs the management key, and the management key gets 403 on
// inference.
func TestKeyRules(t *testing.T) {
	t.Parallel()
	srv := openroutertest.NewServer(openroutertest.WithCredits(5))
	t.Cleanup(srv.Close)
	_, key := keyCall(t, srv, "GET", "/key", srv.Key, "")
	if d, _ := key["data"].(map[string]any); d == nil || d["limit"] != nil || d["limit_remaining"] != nil {
		t.Errorf("WithCredits gave the key a limit: %v", d)
	}
	if st, _ := keyCall(t, srv, "GET", "/credits", srv.Key, ""); st != 403 {
		t.Errorf("GET /credits with an ordinary key: %d, want 403", st)
	}
	if st, cr := keyCall(t, srv, "GET", "/credits", srv.ManagementKey, ""); st != 200 || cr["data"] == nil || cr["data"].(map[string]any)["total_credits"] != 5.0 {
		t.Errorf("GET /credits with the management key: %d %v", st, cr)
	}
	for _, path := range []string{"/chat/completions", "/embeddings"} {
		st, e := keyCall(t, srv, "POST", path, srv.ManagementKey, helloBody)
		errObj, _ := e["error"].(map[string]any)
		if msg, _ := errObj["message"].(string); st != 403 || !strings.Contains(msg, "Management keys") {
			t.Errorf("POST %s with the management key: %d %v, want 403", path, st, e)
		}
	}
	if st, _ := keyCall(t, srv, "POST", "/chat/completions", srv.Key, helloBody); st != 200 {
		t.Errorf("chat with the ordinary key: %d", st)
	}

	// Without the affordability check (RULES.md B7), the first chat
	// spends past the limit and the second meets the spent limit.
	limited := openroutertest.NewServer(openroutertest.WithKeyLimit(1e-9), openroutertest.WithManagementKey("sk-or-v1-mgmt-test"),
		openroutertest.WithAffordabilityCheck(false))
	t.Cleanup(limited.Close)
	_, key = keyCall(t, limited, "GET", "/key", limited.Key, "")
	if d, _ := key["data"].(map[string]any); d == nil || d["limit"] != 1e-9 || d["limit_remaining"] != 1e-9 {
		t.Errorf("WithKeyLimit: /key says %v", d)
	}
	if st, _ := keyCall(t, limited, "GET", "/credits", "sk-or-v1-mgmt-test", ""); st != 200 {
		t.Errorf("WithManagementKey: /credits %d", st)
	}
	if st, _ := keyCall(t, limited, "POST", "/chat/completions", limited.Key, helloBody); st != 200 { // spends past the limit
		t.Fatalf("first chat under the limit: %d", st)
	}
	st, e := keyCall(t, limited, "POST", "/chat/completions", limited.Key, helloBody)
	errObj, _ := e["error"].(map[string]any)
	// RULES.md A4: a spent key limit is 402 (limits page, "Credit limits").
	if md, _ := errObj["metadata"].(map[string]any); st != 402 || md["limit_source"] != openroutertest.KeyLimit {
		t.Errorf("spent key limit: %d %v, want 402 with limit_source openrouter_key_limit", st, e)
	}
}
