package openrouter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// This file is what Keys.Create does when the answer to a creation is lost:
// the key may exist, and a second creation would give a second key with a
// budget of its own.

// ErrKeyMaybeCreated is matched by the error of a [KeysService.Create] whose
// answer was lost after the request reached the server (a 5xx from a
// gateway, a cut connection, a timeout, an answer cut off): the key may
// exist. Find it with [KeysService.Find] before creating it again. Errors
// that match it match [ErrMaybeBilled] too.
var ErrKeyMaybeCreated = errors.New("openrouter: the key may have been created")

// keyHint is the remediation of a creation whose answer was lost.
const keyHint = "The key may have been created although its answer was lost: look for it by name with Client.Keys.Find (or Keys.List) before creating it again; a second key would have a budget of its own."

// KeyMaybeCreatedError is the error of a Keys.Create whose answer was lost
// after the request reached the server. It matches [ErrKeyMaybeCreated]
// and [ErrMaybeBilled], and unwraps to the error the call ended with.
type KeyMaybeCreatedError struct {
	// Name is the name the key was to be created with: Keys.Find(ctx, Name)
	// finds it if it exists.
	Name string
	// Err is the error the call ended with (an *APIError, a
	// *TransportError, a read failure).
	Err error
}

// Error says the key may exist and how to find it.
func (e *KeyMaybeCreatedError) Error() string {
	return fmt.Sprintf("openrouter: creating key %q: %v; the key may exist: look for it with Keys.Find before creating it again", e.Name, e.Err)
}

// Unwrap returns the sentinels and the cause.
func (e *KeyMaybeCreatedError) Unwrap() []error {
	return []error{ErrKeyMaybeCreated, ErrMaybeBilled, e.Err}
}

// Hint says to look for the key rather than create it again.
func (e *KeyMaybeCreatedError) Hint() string { return keyHint }

// keyMaybeCreated returns err as a *KeyMaybeCreatedError when the creation
// it ended may have reached the server and been stored: an error answer
// of the gateway kind (5xx, 408), an attempt sent whose answer was lost,
// or a 2xx answer that could not be read (answered2xx). Other errors (a
// refusal, a 429, nothing sent) are returned as they are.
func keyMaybeCreated(name string, err error, answered2xx bool) error {
	if err == nil || errors.Is(err, ErrInvalidRequest) {
		return err
	}
	var te *TransportError
	var e *APIError
	switch {
	case answered2xx:
	case errors.As(err, &te):
		if te.MaybeBilled == 0 {
			return err
		}
		te.hint = keyHint
	case errors.As(err, &e):
		if e.StatusCode < 500 && e.StatusCode != http.StatusRequestTimeout {
			return err
		}
		e.hint = keyHint
	default:
		return err
	}
	return &KeyMaybeCreatedError{Name: name, Err: err}
}

// Find returns the account's keys named name, disabled ones included,
// reading every page of Keys.List: the way to learn whether a Keys.Create
// whose answer was lost ([ErrKeyMaybeCreated]) created its key. It needs
// a management key. Several keys may share a name; none found means the
// key was not created (or is not listed yet).
func (s *KeysService) Find(ctx context.Context, name string, opts ...CallOption) ([]ManagedKey, error) {
	c := s.client()
	if name == "" {
		return nil, invalid("Keys.Find: no name")
	}
	ctx, cancel, opts, err := prepareCall(ctx, opts) // one call across the pages
	if err != nil {
		return nil, err
	}
	defer cancel()
	var found []ManagedKey
	for offset, pages := 0, 0; pages < maxKeyPages; pages++ {
		page, err := c.Keys.List(ctx, KeyListOptions{IncludeDisabled: true, Offset: offset}, opts...)
		if err != nil {
			return found, err
		}
		for _, k := range page {
			if k.Name == name {
				found = append(found, k)
			}
		}
		if len(page) == 0 {
			return found, nil
		}
		offset += len(page)
	}
	return found, fmt.Errorf("openrouter: Keys.Find: more than %d pages of keys; stopped: %w", maxKeyPages, ErrServer)
}

// maxKeyPages bounds Keys.Find's reading, against a server that never ends
// its list.
const maxKeyPages = 1000
