package openrouter

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Roles names the model the client uses for each kind of job.
type Roles struct {
	// Standard answers Chat requests that name no model.
	Standard string
	// Deep is for long inputs and hard questions: a large context.
	Deep string
	// Rewrite produces structured JSON (ChatJSON, Rewrite).
	Rewrite string
	// Image generates images (GenerateImage).
	Image string
}

// DefaultRoles returns the roles a client starts with:
//
//	Standard  openai/gpt-4o-mini               (Chat with no model)
//	Deep      anthropic/claude-sonnet-4.5      (long inputs, hard questions)
//	Rewrite   anthropic/claude-haiku-4.5       (ChatJSON, Rewrite)
//	Image     google/gemini-2.5-flash-image    (GenerateImage)
//
// Change them with [WithRoles] at [NewClient], or on a live client with
// [Client.SetRoles]; [Client.CheckRoles] checks them against the
// catalogue.
func DefaultRoles() Roles {
	return Roles{
		Standard: "openai/gpt-4o-mini",
		Deep:     "anthropic/claude-sonnet-4.5",
		Rewrite:  "anthropic/claude-haiku-4.5",
		Image:    "google/gemini-2.5-flash-image",
	}
}

// DeepContextLength is the context window, in tokens, the Deep role needs.
const DeepContextLength = 128_000

// WithRoles sets the models of the roles; an empty field keeps the
// default of DefaultRoles.
func WithRoles(r Roles) Option {
	return func(c *config) error {
		d, err := withDefaults(r)
		if err != nil {
			return fmt.Errorf("WithRoles: %v", err)
		}
		c.roles = d
		return nil
	}
}

// withDefaults returns r with DefaultRoles' model in each empty field,
// or an error for a model ID with white space in it.
func withDefaults(r Roles) (Roles, error) {
	d := DefaultRoles()
	for _, f := range []struct {
		dst *string
		v   string
	}{
		{&d.Standard, r.Standard}, {&d.Deep, r.Deep}, {&d.Rewrite, r.Rewrite}, {&d.Image, r.Image},
	} {
		if strings.ContainsAny(f.v, " \t\r\n") {
			return Roles{}, fmt.Errorf("model %q contains white space", f.v)
		}
		if f.v != "" {
			*f.dst = f.v
		}
	}
	return d, nil
}

// Roles returns the client's roles.
func (c *Client) Roles() Roles { return *c.roles.Load() }

// SetRoles replaces the client's roles, as [WithRoles] sets them, for the
// calls that start after it returns; calls under way keep the model they
// started with. An empty field takes its [DefaultRoles] model, not the
// client's current one: to change one role, start from [Client.Roles].
// The client keeps all it knows: its connections, pacing, catalogue,
// balance and spending. A bad model ID is [ErrInvalidRequest] and changes
// nothing.
//
//	roles := c.Roles() // say the user picks another rewrite model
//	roles.Rewrite = picked
//	err := c.SetRoles(roles)
func (c *Client) SetRoles(r Roles) error {
	d, err := withDefaults(r)
	if err != nil {
		return invalid("SetRoles: %v", err)
	}
	c.roles.Store(&d)
	return nil
}

// RoleCheck is the verdict on one role's model.
type RoleCheck struct {
	Role  string // "standard", "deep", "rewrite", "image"
	Model string
	// Err is nil when the model exists and can do the role; otherwise it
	// matches ErrModelNotFound (with suggestions) or ErrModelUnsuitable.
	Err error
}

// CheckRoles checks that each role's model exists and can do its role:
// image output for Image, structured outputs for Rewrite, a context of at
// least DeepContextLength tokens for Deep. The error is for a catalogue
// that cannot be read; each role's verdict is in its RoleCheck.
func (c *Client) CheckRoles(ctx context.Context, opts ...CallOption) ([]RoleCheck, error) {
	ctx, cancel, opts, err := prepareCall(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer cancel()
	r := c.Roles()
	checks := []RoleCheck{{Role: "standard", Model: r.Standard}, {Role: "deep", Model: r.Deep},
		{Role: "rewrite", Model: r.Rewrite}, {Role: "image", Model: r.Image}}
	for i := range checks {
		ch := &checks[i]
		if uncheckable(ch.Model) {
			continue // a preset or an alias: the catalogue cannot say
		}
		m, err := c.usableModel(ctx, ch.Model, opts)
		if err != nil {
			if !errors.Is(err, ErrModelNotFound) && !errors.Is(err, ErrModelUnsuitable) {
				return nil, err
			}
			ch.Err = err
			continue
		}
		switch {
		// What the catalogue does not say (no modalities, no parameters,
		// no context length: OpenAI-compatible servers) is unknown, not
		// a lack.
		case ch.Role == "image" && len(m.OutputModalities) > 0 && !m.OutputsImage():
			ch.Err = fmt.Errorf("%w: %s cannot output images", ErrModelUnsuitable, m.ID)
		case ch.Role == "rewrite" && m.ParametersKnown() && !m.SupportsStructuredOutputs():
			ch.Err = fmt.Errorf("%w: %s does not support structured outputs", ErrModelUnsuitable, m.ID)
		case ch.Role == "deep" && m.ContextLength > 0 && m.ContextLength < DeepContextLength:
			ch.Err = fmt.Errorf("%w: %s has a %d-token context, under the %d the deep role needs", ErrModelUnsuitable, m.ID, m.ContextLength, DeepContextLength)
		}
	}
	return checks, nil
}
