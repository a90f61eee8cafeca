package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"journeys/channels"
	"journeys/reporting"
)

// Profile is what a journey may know about its user: attributes, locale,
// time zone, the channels they opted out of, and which channels can reach
// them. Contact details stay out: a profile is kept in the run's history.
type Profile struct {
	UserID string
	// Exists is false for a user without a profile.
	Exists       bool
	Attributes   map[string]any
	Locale       string
	Timezone     string
	Unsubscribed []string
	// Reachable says, by channel, whether the user can get a message on it
	// now: an address, not unsubscribed, a live push token.
	Reachable map[string]bool
}

// Map returns the profile as conditions read it: the CEL variable user.
func (p Profile) Map() map[string]any {
	attrs := p.Attributes
	if attrs == nil {
		attrs = map[string]any{}
	}
	reachable := map[string]any{}
	for _, c := range channels.All {
		reachable[string(c)] = p.Reachable[string(c)]
	}
	unsubscribed := make([]any, len(p.Unsubscribed))
	for i, c := range p.Unsubscribed {
		unsubscribed[i] = c
	}
	return map[string]any{
		"id": p.UserID, "exists": p.Exists, "attributes": attrs, "locale": p.Locale,
		"timezone": p.Timezone, "unsubscribed": unsubscribed, "contacts": reachable,
	}
}

// ProfileInput asks for a user's profile.
type ProfileInput struct {
	UserID string
}

// Profile reads the user's profile; a user without one has an empty
// profile.
func (a *Activities) Profile(ctx context.Context, in ProfileInput) (Profile, error) {
	u, err := a.Store.User(ctx, in.UserID)
	if errors.Is(err, reporting.ErrNotFound) {
		return Profile{UserID: in.UserID, Attributes: map[string]any{}, Reachable: map[string]bool{}}, nil
	}
	if err != nil {
		return Profile{}, err
	}
	attrs, err := userData(u)
	if err != nil {
		return Profile{}, err
	}
	p := Profile{UserID: u.ID, Exists: true, Attributes: attrs, Locale: u.Locale, Timezone: u.Timezone,
		Unsubscribed: append([]string{}, u.Unsubscribed...), Reachable: map[string]bool{}}
	for _, c := range channels.All {
		p.Reachable[string(c)] = a.unavailable(u, c) == ""
	}
	return p, nil
}

// UpdateProfileInput sets attributes on a user's profile and logs it as a
// step of the run.
type UpdateProfileInput struct {
	RecordInput
	Set map[string]any
}

// UpdateProfile merges the attributes into the user's profile, keeping the
// others, and records the step. Running it again changes nothing more.
func (a *Activities) UpdateProfile(ctx context.Context, in UpdateProfileInput) error {
	attrs, err := json.Marshal(in.Set)
	if err != nil {
		return fmt.Errorf("profile attributes: %w", err)
	}
	if err := a.Store.MergeUser(ctx, reporting.User{ID: in.UserID, Attributes: attrs}); err != nil {
		return err
	}
	return a.Record(ctx, in.RecordInput)
}
