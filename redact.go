package openrouter

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
)

// redactRun is the length of the shortest piece of the key's secret part
// that is redacted wherever it appears: an echo of the key with its end
// (or start) cut off is still caught.
const redactRun = 12

// redactor removes the API key from texts: the whole key, and any run of
// redactRun characters of its secret part (what follows the "sk-or-v1-"
// style prefix). It is the one redaction of the package: errors, excerpts
// and stream failures all go through it.
type redactor struct {
	key     string
	windows map[string]struct{} // every redactRun-long run of the secret
	also    *redactor           // the management key's, redacted the same way
}

func newRedactor(key string) *redactor {
	r := &redactor{key: key}
	secret := secretPart(key)
	if len(secret) >= redactRun {
		r.windows = make(map[string]struct{}, len(secret)-redactRun+1)
		for i := 0; i+redactRun <= len(secret); i++ {
			r.windows[secret[i:i+redactRun]] = struct{}{}
		}
	}
	return r
}

// secretPart returns the key without its "sk-or-v1-" style prefix: what
// follows the last '-' when that is long enough, otherwise the whole key.
func secretPart(key string) string {
	if i := strings.LastIndexByte(key, '-'); i >= 0 && len(key)-i-1 >= redactRun {
		return key[i+1:]
	}
	return key
}

// String returns s with the key and every redactRun-long run of its
// secret replaced by "[redacted]".
func (r *redactor) String(s string) string {
	if r != nil && r.also != nil {
		s = r.also.String(s)
	}
	if r == nil || len(r.key) < 4 || len(s) < min(len(r.key), redactRun) {
		return s
	}
	s = strings.ReplaceAll(s, r.key, "[redacted]")
	if r.windows == nil || len(s) < redactRun {
		return s
	}
	var b strings.Builder
	last := 0 // s[:last] is written
	for i := 0; i+redactRun <= len(s); {
		if _, ok := r.windows[s[i:i+redactRun]]; !ok {
			i++
			continue
		}
		end := i + redactRun
		for end < len(s) {
			if _, ok := r.windows[s[end-redactRun+1:end+1]]; !ok {
				break
			}
			end++
		}
		b.WriteString(s[last:i])
		b.WriteString("[redacted]")
		last, i = end, end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// Bytes is String for raw JSON and other byte texts.
func (r *redactor) Bytes(v []byte) []byte {
	if s := r.String(string(v)); s != string(v) {
		return []byte(s)
	}
	return v
}

// Header returns h, or a copy of it with the key removed from its values
// when one of them holds it.
func (r *redactor) Header(h http.Header) http.Header {
	var out http.Header
	for k, vs := range h {
		for i, v := range vs {
			if s := r.String(v); s != v {
				if out == nil {
					out = h.Clone()
				}
				out[k][i] = s
			}
		}
	}
	if out == nil {
		return h
	}
	return out
}

// redact removes the API key from every text of an error the server sent,
// in case a proxy or provider echoed it.
func (c *Client) redact(e *APIError) {
	r := c.redactor()
	e.Message, e.Code, e.RequestID = r.String(e.Message), r.String(e.Code), r.String(e.RequestID)
	md := &e.Metadata
	md.Raw, md.ProviderMessage = r.String(md.Raw), r.String(md.ProviderMessage)
	md.FlaggedInput, md.RemedyHint = r.String(md.FlaggedInput), r.String(md.RemedyHint)
	md.ProviderName, md.ErrorType, md.ProviderCode = r.String(md.ProviderName), r.String(md.ErrorType), r.String(md.ProviderCode)
	md.LimitSource, md.Reason = r.String(md.LimitSource), r.String(md.Reason)
	for i, s := range md.Reasons {
		md.Reasons[i] = r.String(s)
	}
	for k, v := range md.Extra {
		md.Extra[k] = r.Bytes(v)
	}
	e.ErrorType, e.hint = r.String(e.ErrorType), r.String(e.hint)
	e.Availability.redact(r)
	for i, s := range e.Suggestions {
		e.Suggestions[i] = r.String(s)
	}
}

// redactErr removes the key from the texts of err when it is an error the
// SDK builds from an answer (*APIError, *StreamError), and returns it.
func (c *Client) redactErr(err error) error {
	switch e := err.(type) {
	case *APIError:
		c.redact(e)
	case *StreamError:
		e.Reason = c.redactor().String(e.Reason)
	}
	return err
}

// String describes the client without its key: its base URL and whether
// a key is set.
func (c *Client) String() string {
	if c == nil {
		return "openrouter.Client(nil)"
	}
	key := "none"
	if c.hasKey() {
		key = "[redacted]"
	}
	return fmt.Sprintf("openrouter.Client{BaseURL: %q, Key: %s}", redactURL(c.cfg.baseURL), key)
}

// GoString is String: %#v never prints the key or the shared headers.
func (c *Client) GoString() string { return c.String() }

// Format prints String for every verb (%v, %+v, %#v, %s, %q...), so that
// no verb reaches the fields that hold the key.
func (c *Client) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", c.String())
		return
	}
	fmt.Fprint(f, c.String())
}

// LogValue logs the client as its base URL, without the key.
func (c *Client) LogValue() slog.Value {
	if c == nil {
		return slog.StringValue("openrouter.Client(nil)")
	}
	return slog.GroupValue(slog.String("base_url", redactURL(c.cfg.baseURL)), slog.Bool("has_key", c.hasKey()))
}

// secrets is a client's API key, the Authorization header value built
// from it (shared, never written, by every request) and the redactor
// that takes it out of texts. The Client reaches it through a func (see
// Client.secrets); it prints as "[redacted]" with every verb and in
// every log.
type secrets struct {
	key      string
	auth     []string // {"Bearer " + key}
	mgmtAuth []string // {"Bearer " + the management key}; nil without one (WithManagementKey)
	redactor *redactor
}

// holdManagementKey moves the management key of WithManagementKey out of
// the client's config into its secrets, where no verb reaches it, and
// has the redactor take it out of texts too.
func (s *secrets) holdManagementKey(cfg *config) {
	if cfg.mgmtKey == "" {
		return
	}
	s.mgmtAuth = []string{"Bearer " + cfg.mgmtKey}
	s.redactor.also = newRedactor(cfg.mgmtKey)
	cfg.mgmtKey = ""
}

// newSecrets returns the func a Client reaches its key through.
func newSecrets(key string) func() *secrets {
	s := &secrets{key: key, auth: []string{"Bearer " + key}, redactor: newRedactor(key)}
	return func() *secrets { return s }
}

// redactor takes the key out of every text built from an answer.
// A Client not made by NewClient has none (nil redacts nothing).
func (c *Client) redactor() *redactor {
	if c.secrets == nil {
		return nil
	}
	return c.secrets().redactor
}

// hasKey reports whether the client was given a key.
func (c *Client) hasKey() bool { return c.secrets != nil && c.secrets().key != "" }

// String returns "[redacted]".
func (s *secrets) String() string { return "[redacted]" }

// GoString returns "[redacted]".
func (s *secrets) GoString() string { return "[redacted]" }

// Format prints "[redacted]" for every verb.
func (s *secrets) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte("[redacted]")) }

// LogValue logs "[redacted]".
func (s *secrets) LogValue() slog.Value { return slog.StringValue("[redacted]") }
