package openrouter

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
)

// validateExtra checks the paths of ChatRequest.Extra: JSON Pointers
// (RFC 6901), none a prefix of another, none "/stream" (set by the method
// called).
func validateExtra(extra map[string]any) error {
	if len(extra) == 0 {
		return nil
	}
	keys := sortedKeys(extra)
	for _, k := range keys {
		toks, err := pointerTokens(k)
		if err != nil {
			return err
		}
		if toks[0] == "stream" {
			return invalid("Extra[%q]: stream is set by the method called (Chat or ChatStream)", k)
		}
		// An outer key may sort apart from its inner one ("/a", "/a-x",
		// "/a/b"): look each proper prefix up.
		for j := 1; j < len(k); j++ {
			if k[j] != '/' {
				continue
			}
			if _, outer := extra[k[:j]]; outer {
				return invalid("Extra[%q] and Extra[%q] overlap; set the inner field inside the outer value", k[:j], k)
			}
		}
	}
	return nil
}

// pointerTokens splits a JSON Pointer into its unescaped reference tokens.
func pointerTokens(p string) ([]string, error) {
	if !strings.HasPrefix(p, "/") {
		return nil, invalid("Extra[%q]: a key is a JSON Pointer into the body, like \"/top_n\" or \"/provider/max_price/video\"", p)
	}
	toks := strings.Split(p[1:], "/")
	for i, t := range toks {
		if t == "" {
			return nil, invalid("Extra[%q]: empty path segment", p)
		}
		for j := 0; j < len(t); j++ { // each ~ starts an escape: ~0 or ~1
			if t[j] == '~' {
				if j+1 == len(t) || t[j+1] != '0' && t[j+1] != '1' {
					return nil, invalid("Extra[%q]: ~ is escaped as ~0 and / as ~1", p)
				}
				j++
			}
		}
		toks[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return toks, nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// mergeExtra puts the values of extra into the encoded body at their
// paths. A path whose value the body already has is refused: the typed
// fields win nothing silently and lose nothing silently.
func mergeExtra(body []byte, extra map[string]any) ([]byte, error) {
	if err := validateExtra(extra); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, err
	}
	for _, k := range sortedKeys(extra) {
		v, err := json.Marshal(extra[k])
		if err != nil {
			return nil, invalid("Extra[%q]: %v", k, err)
		}
		toks, _ := pointerTokens(k)
		if root, err = setPath(root, toks, json.RawMessage(v), k, 0); err != nil {
			return nil, err
		}
	}
	return json.Marshal(root)
}

// setPath sets node's value at toks[depth:] to v and returns the node
// (a new slice when an element was appended).
func setPath(node any, toks []string, v json.RawMessage, key string, depth int) (any, error) {
	tok, last := toks[depth], depth == len(toks)-1
	at := "/" + strings.Join(toks[:depth], "/")
	switch n := node.(type) {
	case map[string]any:
		child, ok := n[tok]
		if last {
			if ok {
				return nil, invalid("Extra[%q]: the request already sets this field; set it through the typed field, or remove it there", key)
			}
			n[tok] = v
			return n, nil
		}
		if !ok {
			child = map[string]any{}
			if toks[depth+1] == "-" { // append to an array not there yet
				child = []any{}
			}
		}
		c, err := setPath(child, toks, v, key, depth+1)
		if err != nil {
			return nil, err
		}
		n[tok] = c
		return n, nil
	case []any:
		if tok == "-" {
			if !last {
				return nil, invalid("Extra[%q]: \"-\" (append) is the last segment of a path", key)
			}
			return append(n, v), nil
		}
		i, err := strconv.Atoi(tok)
		if err != nil || i < 0 || i >= len(n) || tok != strconv.Itoa(i) {
			return nil, invalid("Extra[%q]: %q is not an index of the %d-element array at %s", key, tok, len(n), at)
		}
		if last {
			return nil, invalid("Extra[%q]: the request already sets this element; append with \"-\" or set a field inside it", key)
		}
		c, err := setPath(n[i], toks, v, key, depth+1)
		if err != nil {
			return nil, err
		}
		n[i] = c
		return n, nil
	default:
		return nil, invalid("Extra[%q]: the request sets %s to a value that is not an object or an array", key, at)
	}
}
