package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"journeys/activities"
	"journeys/channels"
	"journeys/reporting"
)

// memStore is an in-memory reporting store for workflow tests.
type memStore struct {
	mu         sync.Mutex
	users      map[string]reporting.User
	entries    []reporting.Entry
	deliveries map[string]reporting.Delivery
	ended      map[int64]string
	// JourneyFn, when set, returns the journey as the send activity sees it.
	JourneyFn func() reporting.Journey
}

func newMemStore(users ...reporting.User) *memStore {
	s := &memStore{users: map[string]reporting.User{}, deliveries: map[string]reporting.Delivery{}, ended: map[int64]string{}}
	for _, u := range users {
		s.users[u.ID] = u
	}
	return s
}

func (s *memStore) Journey(_ context.Context, id string) (reporting.Journey, error) {
	if s.JourneyFn != nil {
		return s.JourneyFn(), nil
	}
	return reporting.Journey{ID: id, Status: reporting.JourneyActive, Version: 1}, nil
}

func (s *memStore) User(_ context.Context, id string) (reporting.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return reporting.User{}, reporting.ErrNotFound
	}
	return u, nil
}

func (s *memStore) Record(_ context.Context, e reporting.Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, old := range s.entries {
		if old.EnrollmentID == e.EnrollmentID && old.Step == e.Step && old.Kind == e.Kind {
			return nil
		}
	}
	s.entries = append(s.entries, e)
	return nil
}

func (s *memStore) EndEnrollment(ctx context.Context, id int64, status string, e reporting.Entry) error {
	s.mu.Lock()
	if _, ok := s.ended[id]; !ok {
		s.ended[id] = status
	}
	s.mu.Unlock()
	return s.Record(ctx, e)
}

func (s *memStore) ClaimDelivery(_ context.Context, key string, _ int64, _ int, channel string) (reporting.Delivery, error) {
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

func (s *memStore) MarkDelivered(_ context.Context, key, provider, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.deliveries[key]
	d.Status, d.Provider, d.ProviderID = reporting.DeliverySent, provider, id
	s.deliveries[key] = d
	return nil
}

func (s *memStore) Delivery(_ context.Context, key string) (reporting.Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.deliveries[key]
	if !ok {
		return reporting.Delivery{}, reporting.ErrNotFound
	}
	return d, nil
}

// Template returns the same English template for every id.
func (s *memStore) Template(_ context.Context, id string, _ []string) (reporting.Template, error) {
	return reporting.Template{ID: id, Locale: "en", Title: "Offer", Body: "{{.User.first_name}}: {{.Offer.DiscountPercent}}% off with {{.Offer.Code}}"}, nil
}

func (s *memStore) InvalidatePushToken(_ context.Context, userID, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[userID]; u.PushToken == token {
		now := time.Now()
		u.PushTokenInvalidAt = &now
		s.users[userID] = u
	}
	return nil
}

// kinds returns the kinds of the logged entries, in order.
func (s *memStore) kinds() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, e := range s.entries {
		out = append(out, e.Kind)
	}
	return out
}

// outbox is a sender that keeps what it is asked to deliver.
type outbox struct {
	mu     sync.Mutex
	sent   []channels.Message
	SendFn func(channels.Message) error
}

func (o *outbox) Send(_ context.Context, m channels.Message) (channels.Receipt, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.SendFn != nil {
		if err := o.SendFn(m); err != nil {
			return channels.Receipt{}, err
		}
	}
	o.sent = append(o.sent, m)
	return channels.Receipt{Provider: "outbox", ID: m.IdempotencyKey}, nil
}

func (o *outbox) channels() []channels.Channel {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []channels.Channel
	for _, m := range o.sent {
		out = append(out, m.Channel)
	}
	return out
}

var fullContact = reporting.User{ID: "u1", Email: "u1@example.com", Phone: "+989120000001", PushToken: "tok-1", Attributes: json.RawMessage(`{"first_name":"Sara"}`)}

// at is something that happens to a run after a delay.
type at struct {
	after time.Duration
	do    func(env *testsuite.TestWorkflowEnvironment)
}

// signal returns an at that sends a user event.
func signal(after time.Duration, id, name string, props map[string]any) at {
	return at{after, func(env *testsuite.TestWorkflowEnvironment) {
		env.SignalWorkflow(EventSignalName, EventSignal{EventID: id, Name: name, OccurredAt: env.Now(), Properties: props})
	}}
}

// cartInput is the input of a cart-abandonment run for u1 with the default
// plan.
func cartInput() Input {
	return Input{
		JourneyID: "cart", JourneyName: "Cart", JourneyType: "cart_abandonment", UserID: "u1",
		EnrollmentID: 7, GoalEvent: "purchase", Version: 1,
	}
}

// execute runs a cart-abandonment journey with real activities over an
// in-memory store, with the given events along the way, and returns how it
// ended and how long it took.
func execute(t *testing.T, store *memStore, box *outbox, in Input, events ...at) (Result, time.Duration) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	Register(env)
	senders := map[channels.Channel]activities.Sender{}
	for _, c := range channels.All {
		senders[c] = box
	}
	env.RegisterActivity(&activities.Activities{Store: store, Senders: senders})

	start := env.Now()
	if in.EnrolledAt.IsZero() {
		in.EnrolledAt = start
	}
	for _, e := range events {
		env.RegisterDelayedCallback(func() { e.do(env) }, e.after)
	}
	env.ExecuteWorkflow("CartAbandonment", in)
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow error: %v", err)
	}
	var res Result
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	return res, env.Now().Sub(start)
}

// run executes the default plan; purchaseAfter < 0 means the user never
// buys. The purchase is signalled twice and must count once.
func run(t *testing.T, store *memStore, box *outbox, purchaseAfter time.Duration) (Result, time.Duration) {
	t.Helper()
	var events []at
	if purchaseAfter >= 0 {
		events = append(events, signal(purchaseAfter, "e-purchase", "purchase", nil), signal(purchaseAfter, "e-purchase", "purchase", nil))
	}
	return execute(t, store, box, cartInput(), events...)
}

func TestCartAbandonment(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		name          string
		purchaseAfter time.Duration
		wantStatus    string
		wantSent      []channels.Channel
		wantKinds     []string
	}{
		{"purchase before the first touch", 3 * time.Hour, "converted", nil,
			[]string{"enrolled", "converted"}},
		{"purchase after the first touch", day + 2*time.Hour, "converted", []channels.Channel{"push"},
			[]string{"enrolled", "sent", "converted"}},
		{"purchase after the last touch", 3*day + time.Hour, "converted", []channels.Channel{"push", "email", "sms"},
			[]string{"enrolled", "sent", "sent", "sent", "converted"}},
		{"never", -1, "exited", []channels.Channel{"push", "email", "sms"},
			[]string{"enrolled", "sent", "sent", "sent", "exited"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, box := newMemStore(fullContact), &outbox{}
			res, elapsed := run(t, store, box, tt.purchaseAfter)
			if res.Status != tt.wantStatus {
				t.Errorf("status = %q, want %q", res.Status, tt.wantStatus)
			}
			if got := box.channels(); !equal(got, tt.wantSent) {
				t.Errorf("sent on %v, want %v", got, tt.wantSent)
			}
			if got := store.kinds(); !equal(got, tt.wantKinds) {
				t.Errorf("log = %v, want %v", got, tt.wantKinds)
			}
			if got := store.ended[7]; got != tt.wantStatus {
				t.Errorf("enrollment ended as %q, want %q", got, tt.wantStatus)
			}
			if tt.purchaseAfter < 0 && (elapsed < 4*day || elapsed > 4*day+20*time.Minute) {
				t.Errorf("exited after %s, want 4 days plus jitter", elapsed)
			}
		})
	}
}

func TestCartAbandonmentSkipsMissingContact(t *testing.T) {
	noEmail := fullContact
	noEmail.Email = ""
	store, box := newMemStore(noEmail), &outbox{}

	res, _ := run(t, store, box, -1)

	if res.Status != "exited" {
		t.Errorf("status = %q, want exited", res.Status)
	}
	if got, want := box.channels(), []channels.Channel{"push", "sms"}; !equal(got, want) {
		t.Errorf("sent on %v, want %v", got, want)
	}
	if got, want := store.kinds(), []string{"enrolled", "sent", "skipped", "sent", "exited"}; !equal(got, want) {
		t.Errorf("log = %v, want %v", got, want)
	}
	if got := store.entries[2].Detail; got != "no email contact" {
		t.Errorf("skip reason = %q, want %q", got, "no email contact")
	}
}

func TestCartAbandonmentRecordsRefusedSend(t *testing.T) {
	store := newMemStore(fullContact)
	box := &outbox{SendFn: refusePush}

	res, _ := run(t, store, box, -1)

	if res.Status != "exited" {
		t.Errorf("status = %q, want exited", res.Status)
	}
	if got, want := store.kinds(), []string{"enrolled", "failed", "sent", "sent", "exited"}; !equal(got, want) {
		t.Errorf("log = %v, want %v", got, want)
	}
}

func TestCartAbandonmentRetriesTransientFailure(t *testing.T) {
	store := newMemStore(fullContact)
	calls := 0
	box := &outbox{SendFn: func(m channels.Message) error {
		if calls++; calls == 1 {
			return &channels.TemporaryError{Provider: "fcm", Reason: "503"}
		}
		return nil
	}}

	run(t, store, box, -1)

	if got, want := box.channels(), []channels.Channel{"push", "email", "sms"}; !equal(got, want) {
		t.Errorf("sent on %v, want %v", got, want)
	}
}

func TestCartAbandonmentConfig(t *testing.T) {
	tests := []struct {
		config    string
		wantField string
	}{
		{`{}`, ""},
		{`{"touches":[{"after":"2s","channel":"push","template":"cart_offer"}],"final_wait":"1s"}`, ""},
		{`{"touches":[{"after":"tomorrow","channel":"push","template":"t"}]}`, "touches[0].after"},
		{`{"touches":[{"after":"1h","channel":"fax","template":"t"}]}`, "touches[0].channel"},
		{`{"touches":[{"after":"1h","channel":"push"}]}`, "touches[0].template"},
		{`{"touches":[]}`, "touches"},
		{`{"final_wait":"-1h"}`, "final_wait"},
		{`{"final_wait":"0s"}`, "final_wait"},
		{`{"final_wait":12}`, "final_wait"},
		{`{"touches":"push"}`, "touches"},
		{`{"colour":"red"}`, "colour"},
		{`{"offer":{"discount_percent":0,"cashback_percent":100,"code_prefix":"X1"}}`, ""},
		{`{"touches":[{"after":"1h","channel":"push","template":"t","fallback":"sms"}]}`, ""},
		{`{"offer":{"discount_percent":120}}`, "offer.discount_percent"},
		{`{"offer":{"cashback_percent":-1}}`, "offer.cashback_percent"},
		{`{"offer":{"code_prefix":"cart"}}`, "offer.code_prefix"},
		{`{"offer":{"discount_percent":"ten"}}`, "offer.discount_percent"},
		{`{"touches":[{"after":"1h","channel":"push","template":"t","fallback":"push"}]}`, "touches[0].fallback"},
		{`{"touches":[{"after":"1h","channel":"push","template":"t","fallback":"fax"}]}`, "touches[0].fallback"},
	}
	typ, _ := Lookup("cart_abandonment")
	for _, tt := range tests {
		_, err := typ.Config(json.RawMessage(tt.config))
		var cerr *ConfigError
		switch {
		case tt.wantField == "" && err != nil:
			t.Errorf("%s: unexpected error %v", tt.config, err)
		case tt.wantField != "" && !errors.As(err, &cerr):
			t.Errorf("%s: err = %v, want a ConfigError", tt.config, err)
		case tt.wantField != "" && cerr.Field != tt.wantField:
			t.Errorf("%s: field = %q, want %q (%v)", tt.config, cerr.Field, tt.wantField, err)
		}
	}
}

func TestCartAbandonmentDefaults(t *testing.T) {
	typ, _ := Lookup("cart_abandonment")
	raw, err := typ.Config(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"touches":[{"after":"24h","channel":"push","template":"cart_offer"},{"after":"24h","channel":"email","template":"cart_offer"},{"after":"24h","channel":"sms","template":"cart_final_offer"}],"final_wait":"24h","offer":{"discount_percent":10,"cashback_percent":5,"code_prefix":"CART"}}`
	if string(raw) != want {
		t.Errorf("defaults = %s\nwant %s", raw, want)
	}
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// last returns the last logged entry.
func (s *memStore) last() reporting.Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.entries[len(s.entries)-1]
}
