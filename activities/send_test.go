package activities_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"journeys/activities"
	"journeys/channels"
	"journeys/channels/channelstest"
	"journeys/reporting"
	"journeys/reporting/dbtest"
	"journeys/workflows"
	"journeys/workflows/journey"
)

// Compile-time checks that the providers are what the activities send
// through.
var (
	_ activities.Sender = (*channels.FCM)(nil)
	_ activities.Sender = (*channels.SMTP)(nil)
	_ activities.Sender = (*channels.Kavenegar)(nil)
	_ activities.Sender = (*channels.Twilio)(nil)
	_ activities.Sender = (*channels.Hook)(nil)
	_ activities.Sender = (*channels.Limited)(nil)
	_ activities.Sender = (*channels.Console)(nil)
	_ activities.Store  = (*reporting.Store)(nil)
)

// flakyStore is the real store, except that recording a send fails the
// first failures times, as when Postgres drops the connection just after
// the provider accepted the message.
type flakyStore struct {
	*reporting.Store
	mu       sync.Mutex
	failures int
}

func (s *flakyStore) Record(ctx context.Context, e reporting.Entry) error {
	s.mu.Lock()
	fail := e.Kind == reporting.KindSent && s.failures > 0
	if fail {
		s.failures--
	}
	s.mu.Unlock()
	if fail {
		return errors.New("record sent: connection reset by peer")
	}
	return s.Store.Record(ctx, e)
}

// enroll stores a journey and an active enrollment of userID in it, unless
// there is one, and returns the enrollment id.
func enroll(t *testing.T, store *reporting.Store, journeyID, userID string) int64 {
	t.Helper()
	db := store.DB()
	db.MustExec(`INSERT INTO journeys (workspace_id, id, name, type, goal_event, config) VALUES ('default', $1, $1, 'cart_abandonment', 'purchase', '{}')
		ON CONFLICT DO NOTHING`, journeyID)
	db.MustExec(`INSERT INTO enrollments (workspace_id, journey_id, user_id, workflow_id) VALUES ('default', $1, $2, $3)
		ON CONFLICT (workspace_id, journey_id, user_id) WHERE status = 'active' DO NOTHING`,
		journeyID, userID, journey.WorkflowID(reporting.DefaultWorkspace, journeyID, userID))
	var id int64
	if err := db.Get(&id, `SELECT id FROM enrollments WHERE journey_id = $1 AND user_id = $2 AND status = 'active'`, journeyID, userID); err != nil {
		t.Fatal(err)
	}
	return id
}

func putUser(t *testing.T, store *reporting.Store, u reporting.User) {
	t.Helper()
	if _, err := store.PutUser(dbtest.Ctx(), u); err != nil {
		t.Fatal(err)
	}
}

// TestSendRetriedAfterDelivery runs a journey whose only touch the webhook
// receiver accepts, while recording the send fails once: Temporal retries
// the send, and the receiver still gets exactly one request and the log
// one sent entry. The send runs as an activity (runs started before
// Input.LocalSends) and as a local activity (the webhook held to no rate).
func TestSendRetriedAfterDelivery(t *testing.T) {
	for _, local := range []bool{false, true} {
		t.Run(fmt.Sprintf("local=%t", local), func(t *testing.T) { sendRetriedAfterDelivery(t, local) })
	}
}

func sendRetriedAfterDelivery(t *testing.T, local bool) {
	pg, _ := dbtest.New(t)
	store := &flakyStore{Store: pg, failures: 1}
	putUser(t, pg, reporting.User{ID: "u1", Attributes: json.RawMessage(`{"first_name":"Sara"}`)})
	enrollmentID := enroll(t, pg, "cart", "u1")
	receiver := runCart(t, store, enrollmentID, local, `{"touches":[{"after":"1h","channel":"webhook","template":"cart_offer"}],"final_wait":"1h"}`)

	got := receiver.Received()
	if len(got) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(got))
	}
	if !strings.HasPrefix(got[0].Body, "Sara, your cart is waiting. Use code CART-") {
		t.Errorf("body = %q, want the English cart offer with a code", got[0].Body)
	}
	var sent int
	if err := pg.DB().Get(&sent, `SELECT count(*) FROM journey_events WHERE enrollment_id = $1 AND kind = 'sent'`, enrollmentID); err != nil || sent != 1 {
		t.Errorf("sent entries = %d, %v; want 1", sent, err)
	}
	d, err := pg.Delivery(dbtest.Ctx(), got[0].IdempotencyKey)
	if err != nil || d.Status != reporting.DeliverySent || d.Attempts != 2 {
		t.Errorf("delivery = %+v, %v; want sent on the second attempt", d, err)
	}
}

// runCart runs u1's enrollment in the cart journey with config to its end,
// over store, with every webhook message going to the receiver it returns;
// local starts the run with Input.LocalSends.
func runCart(t *testing.T, store activities.Store, enrollmentID int64, local bool, config string) *channelstest.Webhook {
	t.Helper()
	receiver := channelstest.NewWebhook(t, "shh")
	hook, err := channels.NewHook(channels.HookConfig{URL: receiver.URL, Secret: "shh"})
	if err != nil {
		t.Fatal(err)
	}
	var suite testsuite.WorkflowTestSuite
	// No run names a workspace here: activities act in default.
	suite.SetContextPropagators([]workflow.ContextPropagator{activities.WorkspacePropagator{}})
	env := suite.NewTestWorkflowEnvironment()
	workflows.Register(env)
	env.RegisterActivity(&activities.Activities{Store: store, Senders: map[channels.Channel]activities.Sender{channels.Webhook: hook}})
	env.ExecuteWorkflow("CartAbandonment", journey.Input{Kit: journey.Kit2,
		JourneyID: "cart", JourneyName: "Cart", JourneyType: "cart_abandonment", UserID: "u1",
		EnrollmentID: enrollmentID, EnrolledAt: env.Now(), GoalEvent: "purchase", Config: json.RawMessage(config),
		SendQueues: local, LocalSends: local,
	})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	return receiver
}

// outbox is a sender that keeps what it is given.
type outbox struct {
	mu   sync.Mutex
	sent []channels.Message
}

func (o *outbox) Send(_ context.Context, m channels.Message) (channels.Receipt, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, m)
	return channels.Receipt{Provider: "outbox", ID: m.IdempotencyKey}, nil
}

// sendEnv runs the send activity over store with the given senders.
type sendEnv struct {
	t     *testing.T
	store *reporting.Store
	env   *testsuite.TestActivityEnvironment
	step  int
}

func newSendEnv(t *testing.T, senders map[channels.Channel]activities.Sender) *sendEnv {
	store, _ := dbtest.New(t)
	var suite testsuite.WorkflowTestSuite
	// No run names a workspace here: activities act in default.
	suite.SetContextPropagators([]workflow.ContextPropagator{activities.WorkspacePropagator{}})
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(&activities.Activities{Store: store, Senders: senders, OfferSecret: []byte("k")})
	return &sendEnv{t: t, store: store, env: env}
}

// send stores u's profile and runs the next step of u's enrollment: the
// cart_offer template on channel, with fallback.
func (s *sendEnv) send(u reporting.User, channel, fallback channels.Channel) (activities.SendResult, error) {
	s.t.Helper()
	putUser(s.t, s.store, u)
	id := enroll(s.t, s.store, "cart", u.ID)
	s.step++
	in := activities.SendInput{
		EnrollmentID: id, JourneyID: "cart", UserID: u.ID, WorkflowID: journey.WorkflowID(reporting.DefaultWorkspace, "cart", u.ID),
		Step: s.step, Channel: channel, Fallback: fallback, Template: "cart_offer", Offer: &activities.DefaultOffer,
	}
	var a *activities.Activities
	val, err := s.env.ExecuteActivity(a.Send, in)
	if err != nil {
		return activities.SendResult{}, err
	}
	var res activities.SendResult
	if err := val.Get(&res); err != nil {
		s.t.Fatal(err)
	}
	return res, nil
}

// outcome is the part of a SendResult that says what became of the send.
type outcome struct {
	Outcome, Reason, Provider string
	Channel                   channels.Channel
}

func TestSendChoosesChannel(t *testing.T) {
	box := &outbox{}
	s := newSendEnv(t, map[channels.Channel]activities.Sender{channels.Push: box, channels.Email: box, channels.SMS: box})
	tests := []struct {
		user              reporting.User
		channel, fallback channels.Channel
		want              outcome
	}{
		{reporting.User{ID: "all", PushToken: "t", Phone: "+989120000001"}, "push", "sms",
			outcome{Outcome: "sent", Provider: "outbox", Channel: "push"}},
		{reporting.User{ID: "no-push", Phone: "+989120000001"}, "push", "sms",
			outcome{Outcome: "sent", Provider: "outbox", Channel: "sms"}},
		{reporting.User{ID: "opted-out", Email: "o@example.com", Phone: "+989120000001", Unsubscribed: []string{"email", "sms"}}, "email", "sms",
			outcome{Outcome: "skipped", Reason: "unsubscribed from email; unsubscribed from sms"}},
		{reporting.User{ID: "no-fallback", Phone: "+989120000001"}, "email", "",
			outcome{Outcome: "skipped", Reason: "no email contact"}},
		{reporting.User{ID: "no-sender", PushToken: "t"}, "webhook", "",
			outcome{Outcome: "skipped", Reason: "no sender for channel webhook"}},
	}
	for _, tt := range tests {
		res, err := s.send(tt.user, tt.channel, tt.fallback)
		got := outcome{res.Outcome, res.Reason, res.Provider, res.Channel}
		if err != nil || got != tt.want {
			t.Errorf("%s: got %+v, %v; want %+v", tt.user.ID, got, err, tt.want)
		}
	}
	var detail string
	if err := s.store.DB().Get(&detail, `SELECT detail FROM journey_events WHERE user_id = 'no-push' AND kind = 'sent'`); err != nil {
		t.Fatal(err)
	}
	if want := "outbox, instead of push: no push contact"; detail != want {
		t.Errorf("fallback detail = %q, want %q", detail, want)
	}
}

func TestSendRendersInUserLocale(t *testing.T) {
	box := &outbox{}
	s := newSendEnv(t, map[channels.Channel]activities.Sender{channels.Email: box})
	attrs := json.RawMessage(`{"first_name":"سارا"}`)
	for _, u := range []reporting.User{
		{ID: "fa", Email: "fa@example.com", Locale: "fa-IR", Attributes: attrs},
		{ID: "de", Email: "de@example.com", Locale: "de"},
	} {
		if _, err := s.send(u, "email", ""); err != nil {
			t.Fatal(err)
		}
	}
	fa, de := box.sent[0], box.sent[1]
	code := activities.OfferCode([]byte("k"), "CART", journey.WorkflowID(reporting.DefaultWorkspace, "cart", "fa"), 1)
	if !strings.HasPrefix(fa.Body, "سارا عزیز، ") || !strings.Contains(fa.Body, "با کد "+code+"، 10 درصد تخفیف") {
		t.Errorf("Persian body = %q, want it to greet سارا and offer 10%% with %s", fa.Body, code)
	}
	if fa.Subject != "10 درصد تخفیف برای سبد خرید شما" || !strings.Contains(fa.HTML, `dir="rtl"`) || fa.Data["offer_code"] != code {
		t.Errorf("Persian email = %+v", fa)
	}
	if !strings.HasPrefix(de.Body, "Your cart is waiting.") || de.Subject != "10% off what is in your cart" {
		t.Errorf("a German user got %q / %q, want the English template", de.Subject, de.Body)
	}
	if strings.Contains(de.Body, "<no value>") {
		t.Errorf("a missing attribute rendered as %q", de.Body)
	}
}

func TestSendMarksDeadPushToken(t *testing.T) {
	fcmServer := channelstest.NewFCM(t)
	fcm, err := channels.NewFCM(channels.FCMConfig{CredentialsFile: fcmServer.Credentials(t), BaseURL: fcmServer.URL})
	if err != nil {
		t.Fatal(err)
	}
	s := newSendEnv(t, map[channels.Channel]activities.Sender{channels.Push: fcm})

	_, err = s.send(reporting.User{ID: "u1", PushToken: "gone"}, "push", "")
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !appErr.NonRetryable() || !strings.Contains(err.Error(), "UNREGISTERED") {
		t.Fatalf("err = %v, want a non-retryable UNREGISTERED", err)
	}
	u, err := s.store.User(dbtest.Ctx(), "u1")
	if err != nil || u.PushTokenInvalidAt == nil {
		t.Fatalf("user = %+v, %v; want the push token marked invalid", u, err)
	}
	u.PushTokenInvalidAt = nil // PutUser keeps it while the token stays
	res, err := s.send(u, "push", "")
	if err != nil || res.Reason != "push token invalid" {
		t.Errorf("next push = %+v, %v; want skipped: push token invalid", res, err)
	}
	putUser(t, s.store, reporting.User{ID: "u1", PushToken: "new-token"})
	if u, _ := s.store.User(dbtest.Ctx(), "u1"); u.PushTokenInvalidAt != nil {
		t.Errorf("a new push token kept push_token_invalid_at %v", u.PushTokenInvalidAt)
	}
	if n := len(fcmServer.Messages()); n != 1 {
		t.Errorf("FCM got %d messages, want 1", n)
	}
}

func TestSendMissingTemplateFails(t *testing.T) {
	s := newSendEnv(t, map[channels.Channel]activities.Sender{channels.Email: &outbox{}})
	s.store.DB().MustExec(`DELETE FROM templates WHERE id = 'cart_offer'`)
	_, err := s.send(reporting.User{ID: "u1", Email: "u1@example.com", Locale: "fa"}, "email", "")
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !appErr.NonRetryable() || !strings.Contains(err.Error(), `no template "cart_offer" in fa or en`) {
		t.Errorf("err = %v, want a non-retryable error naming the template and locales", err)
	}
}

func TestOfferCode(t *testing.T) {
	a := activities.OfferCode([]byte("k"), "CART", "journey/cart/user/u1", 7)
	if a != activities.OfferCode([]byte("k"), "CART", "journey/cart/user/u1", 7) {
		t.Error("the same enrollment got two codes")
	}
	for _, other := range []string{
		activities.OfferCode([]byte("k"), "CART", "journey/cart/user/u1", 8),
		activities.OfferCode([]byte("k"), "CART", "journey/cart/user/u2", 7),
		activities.OfferCode([]byte("other"), "CART", "journey/cart/user/u1", 7),
	} {
		if other == a {
			t.Errorf("two enrollments or secrets share code %s", a)
		}
	}
	if len(a) != len("CART-")+8 || strings.ContainsAny(a[5:], "01IO") {
		t.Errorf("code %q, want CART- and 8 characters without 0, 1, I or O", a)
	}
}
