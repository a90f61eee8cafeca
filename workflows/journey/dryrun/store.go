package dryrun

import (
	"context"
	"encoding/json"
	"maps"
	"sync"
	"time"

	"journeys/activities"
	"journeys/reporting"
)

// Store is an in-memory reporting store holding what the journey
// activities read and write.
type Store struct {
	mu         sync.Mutex
	users      map[string]reporting.User
	entries    []reporting.Entry
	deliveries map[string]reporting.Delivery
	ended      map[int64]string
	// JourneyFn, when set, returns the journey as the send activity sees
	// it: the journey as saved, for a simulation; a journey a test pauses,
	// or changes the config of, during a run.
	JourneyFn func() reporting.Journey
	// TemplateFn, when set, returns the template to render; by default
	// every id is the same English template showing the first name and
	// the offer.
	TemplateFn func(id string, locales []string) (reporting.Template, error)
	// clock is the test environment's clock while a dry run goes.
	clock func() time.Time
}

var _ activities.Store = (*Store)(nil)

// NewStore returns a store holding the given profiles.
func NewStore(users ...reporting.User) *Store {
	s := &Store{users: map[string]reporting.User{}, deliveries: map[string]reporting.Delivery{}, ended: map[int64]string{}}
	for _, u := range users {
		s.users[u.ID] = u
	}
	return s
}

// Journey returns the journey as JourneyFn says, or active at version 1.
func (s *Store) Journey(_ context.Context, id string) (reporting.Journey, error) {
	if s.JourneyFn != nil {
		return s.JourneyFn(), nil
	}
	return reporting.Journey{ID: id, Status: reporting.JourneyActive, Version: 1}, nil
}

// User returns the user's profile.
func (s *Store) User(_ context.Context, id string) (reporting.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return reporting.User{}, reporting.ErrNotFound
	}
	return u, nil
}

// MergeUser merges attributes into the user's profile, as the real store does.
func (s *Store) MergeUser(_ context.Context, u reporting.User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.users[u.ID]
	if !ok {
		old = reporting.User{ID: u.ID}
	}
	attrs := map[string]any{}
	if len(old.Attributes) > 0 {
		if err := json.Unmarshal(old.Attributes, &attrs); err != nil {
			return err
		}
	}
	var set map[string]any
	if len(u.Attributes) > 0 {
		if err := json.Unmarshal(u.Attributes, &set); err != nil {
			return err
		}
	}
	maps.Copy(attrs, set)
	raw, err := json.Marshal(attrs)
	if err != nil {
		return err
	}
	old.Attributes = raw
	s.users[u.ID] = old
	return nil
}

// Record appends an entry, once per enrollment, step and kind. While a dry
// run goes the entry is stamped with the test environment's clock: the
// activities that write sends read the machine's, which stands still while
// the environment skips days of waits.
func (s *Store) Record(_ context.Context, e reporting.Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.clock != nil {
		e.At = s.clock().UTC()
	}
	for _, old := range s.entries {
		if old.EnrollmentID == e.EnrollmentID && old.Step == e.Step && old.Kind == e.Kind {
			return nil
		}
	}
	s.entries = append(s.entries, e)
	return nil
}

// setClock sets the clock entries are stamped with; nil for none.
func (s *Store) setClock(clock func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clock = clock
}

// EndEnrollment closes the enrollment, once, and records why.
func (s *Store) EndEnrollment(ctx context.Context, id int64, status string, e reporting.Entry) error {
	s.mu.Lock()
	if _, ok := s.ended[id]; !ok {
		s.ended[id] = status
	}
	s.mu.Unlock()
	return s.Record(ctx, e)
}

// ClaimDelivery notes a send about to reach its provider.
func (s *Store) ClaimDelivery(_ context.Context, key string, _ int64, _ int, channel string) (reporting.Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.deliveries[key]
	if !ok {
		d = reporting.Delivery{Key: key, Status: reporting.DeliverySending, Channel: channel}
	}
	d.Attempts++
	s.deliveries[key] = d
	return d, nil
}

// MarkDelivered notes that the provider took the send.
func (s *Store) MarkDelivered(_ context.Context, key, provider, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.deliveries[key]
	d.Status, d.Provider, d.ProviderID = reporting.DeliverySent, provider, id
	s.deliveries[key] = d
	return nil
}

// Delivery returns the delivery with key.
func (s *Store) Delivery(_ context.Context, key string) (reporting.Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.deliveries[key]
	if !ok {
		return reporting.Delivery{}, reporting.ErrNotFound
	}
	return d, nil
}

// Template returns TemplateFn's template, or one English template for
// every id.
func (s *Store) Template(_ context.Context, id string, locales []string) (reporting.Template, error) {
	if s.TemplateFn != nil {
		return s.TemplateFn(id, locales)
	}
	return reporting.Template{ID: id, Locale: "en", Title: "Offer", Body: "{{.User.first_name}}: {{.Offer.DiscountPercent}}% off with {{.Offer.Code}}"}, nil
}

// InvalidatePushToken marks the user's push token dead, as FCM said.
func (s *Store) InvalidatePushToken(_ context.Context, userID, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[userID]; u.PushToken == token {
		now := time.Now()
		u.PushTokenInvalidAt = &now
		s.users[userID] = u
	}
	return nil
}

// Entries returns the log, in the order it was written.
func (s *Store) Entries() []reporting.Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]reporting.Entry(nil), s.entries...)
}

// Kinds returns the kinds of the logged entries, in order.
func (s *Store) Kinds() []string {
	var out []string
	for _, e := range s.Entries() {
		out = append(out, e.Kind)
	}
	return out
}

// Story returns the log as kind:step-id, or the kind alone for entries
// about no step: "enrolled", "sent:push", "skipped:email", "exited". The
// path a flow logs (see Path) is left out.
func (s *Store) Story() []string {
	var out []string
	for _, e := range s.Entries() {
		if e.Kind == reporting.KindNode || e.Kind == reporting.KindBranch {
			continue
		}
		if e.StepID != "" {
			out = append(out, e.Kind+":"+e.StepID)
		} else {
			out = append(out, e.Kind)
		}
	}
	return out
}

// Path returns the nodes a flow's run entered, in order, each with the
// way it left the node when it branched: "wait1", "gold:then".
func (s *Store) Path() []string {
	var out []string
	for _, e := range s.Entries() {
		switch e.Kind {
		case reporting.KindNode:
			out = append(out, e.StepID)
		case reporting.KindBranch:
			out[len(out)-1] += ":" + e.Detail
		}
	}
	return out
}

// Last returns the last logged entry.
func (s *Store) Last() reporting.Entry {
	es := s.Entries()
	return es[len(es)-1]
}

// Ended returns how the enrollment ended, or "" while it is active.
func (s *Store) Ended(enrollmentID int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ended[enrollmentID]
}

// Profile returns the user's profile as it now is.
func (s *Store) Profile(id string) reporting.User {
	u, _ := s.User(context.Background(), id)
	return u
}
