package openrouter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// catalog caches GET /models answers per query for a TTL, with at most
// one fetch in flight per query.
type catalog struct {
	ttl time.Duration

	mu      sync.Mutex
	entries map[string]*catEntry
}

type catEntry struct {
	models  []Model // the last good copy; nil before the first
	fetched time.Time
	cur     *fetch // the fetch in flight; nil when none
}

// fetch is one GET /models; done is closed when models and err are set.
type fetch struct {
	done   chan struct{}
	models []Model
	err    error
}

func newCatalog(ttl time.Duration) *catalog {
	return &catalog{ttl: ttl, entries: map[string]*catEntry{}}
}

// get returns the models for query: the cached copy while fresh, else the
// result of the fetch in flight (joining it, or starting it). When the
// fetch fails and a copy exists, the copy is returned and the failure
// logged.
func (k *catalog) get(ctx context.Context, c *Client, query string, opts []CallOption) ([]Model, error) {
	for {
		k.mu.Lock()
		e := k.entries[query]
		if e == nil {
			e = &catEntry{}
			k.entries[query] = e
		}
		if e.models != nil && c.now().Sub(e.fetched) < k.ttl {
			k.mu.Unlock()
			return e.models, nil
		}
		f, leader := e.cur, false
		if f == nil {
			f, leader = &fetch{done: make(chan struct{})}, true
			e.cur = f
		}
		k.mu.Unlock()

		if leader {
			k.lead(ctx, c, e, f, query, opts)
		} else {
			select {
			case <-f.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		switch {
		case f.err == nil:
			return f.models, nil
		case !leader && ctx.Err() == nil && (errors.Is(f.err, context.Canceled) || errors.Is(f.err, context.DeadlineExceeded)):
			continue // the leader's own context ended; fetch again
		}
		k.mu.Lock()
		stale := e.models
		k.mu.Unlock()
		if stale != nil {
			if c.cfg.logger != nil && leader {
				c.cfg.logger.WarnContext(ctx, "openrouter: model catalogue refresh failed; serving the last good copy", "error", f.err)
			}
			return stale, nil
		}
		return nil, f.err
	}
}

// errFetchPanicked is the error the waiters of a catalogue fetch get when
// the fetch panicked (in an observer, say) instead of returning.
var errFetchPanicked = errors.New("openrouter: the model catalogue's fetch panicked")

// lead fetches the catalogue for f's waiters and ends f, even when the
// fetch panics: the waiters then get errFetchPanicked, and the next call
// fetches again, instead of every later call waiting forever.
func (k *catalog) lead(ctx context.Context, c *Client, e *catEntry, f *fetch, query string, opts []CallOption) {
	f.err = errFetchPanicked
	defer func() {
		k.mu.Lock()
		e.cur = nil
		if f.err == nil {
			e.models, e.fetched = f.models, c.now()
		}
		k.mu.Unlock()
		close(f.done)
	}()
	f.models, f.err = c.fetchCatalog(ctx, query, opts)
}

// entry returns the cached catalogue entry of a model ID (variant
// suffixes understood), or nil when the client has not fetched the
// catalogue or it lacks the model. It never fetches.
func (k *catalog) entry(id string) *Model { return lookup(k.cached(), id) }

// cached returns the full catalogue if the client has fetched it, however
// old, without fetching.
func (k *catalog) cached() []Model {
	k.mu.Lock()
	defer k.mu.Unlock()
	if e := k.entries[ModelFilter{}.query()]; e != nil {
		return e.models
	}
	return nil
}

// Keys of the client's catalogue cache beside /models queries: the image
// API's models and the account's usable models.
const (
	imageCatalogQuery = "\x00images/models"
	userCatalogQuery  = "\x00models/user"
)

// fetchCatalog reads the catalogue a cache key names.
func (c *Client) fetchCatalog(ctx context.Context, query string, opts []CallOption) ([]Model, error) {
	switch query {
	case imageCatalogQuery:
		ims, err := c.ImageModels(ctx, opts...)
		var e *APIError
		if errors.As(err, &e) && e.StatusCode == http.StatusNotFound {
			// A server without the image API (an OpenAI-compatible
			// gateway) has no image-only models: cached as such, not
			// asked again at every image request.
			return []Model{}, nil
		}
		if err != nil {
			return nil, err
		}
		models := make([]Model, len(ims))
		for i := range ims {
			models[i] = ims[i].asModel()
		}
		return models, nil
	case userCatalogQuery:
		return c.UserModels(ctx, opts...)
	}
	return c.fetchModels(ctx, query, opts)
}

// cachedLookup returns the entry of id in the cached catalogue of query
// (fetched once per TTL), or nil when it lacks the model or cannot be
// read; a failure is logged, not returned: these catalogues refine the
// answer of /models, they do not replace it.
func (c *Client) cachedLookup(ctx context.Context, query, id string, opts []CallOption) (*Model, bool) {
	models, err := c.catalog.get(ctx, c, query, opts)
	if err != nil {
		if c.cfg.logger != nil {
			c.cfg.logger.DebugContext(ctx, "openrouter: catalogue not available", "catalogue", query[1:], "error", err)
		}
		return nil, false
	}
	for i := range models {
		if models[i].ID == id {
			m := models[i]
			return &m, true
		}
	}
	return nil, true
}

// usableModel is Model, and then the account's view: a model that
// /models lists but /models/user leaves out (the account's privacy or
// provider settings exclude every provider of it) gives an error matching
// [ErrModelUnsuitable]. When /models/user cannot be read, Model's answer
// stands.
func (c *Client) usableModel(ctx context.Context, id string, opts []CallOption) (*Model, error) {
	m, err := c.Model(ctx, id, opts...)
	if err != nil || m.ImageAPIOnly {
		return m, err
	}
	if u, read := c.cachedLookup(ctx, userCatalogQuery, m.ID, opts); read && u == nil {
		return nil, fmt.Errorf("%w: %s is in the catalogue, but this account's privacy or provider settings exclude it (it is not in /models/user)", ErrModelUnsuitable, m.ID)
	}
	return m, nil
}
