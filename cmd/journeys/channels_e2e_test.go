package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/mail"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"journeys/channels"
	"journeys/channels/channelstest"
	"journeys/reporting"
)

// fakeProviders are the providers a production team uses, each played by a
// local server that speaks its API: FCM with its token endpoint, an SMTP
// server on a TCP socket, Kavenegar and a webhook receiver.
type fakeProviders struct {
	fcm     *channelstest.FCM
	mailbox *channelstest.Mailbox
	sms     *channelstest.Kavenegar
	hook    *channelstest.Webhook
}

// startFakeProviders starts the fakes and returns them with the settings
// that point the service at them, as the JOURNEYS_* variables would.
func startFakeProviders(t *testing.T) (*fakeProviders, func(*config)) {
	p := &fakeProviders{
		fcm:     channelstest.NewFCM(t),
		mailbox: &channelstest.Mailbox{},
		sms:     channelstest.NewKavenegar(t),
		hook:    channelstest.NewWebhook(t, "hook-secret"),
	}
	smtpAddr, _ := channelstest.SMTPServer(t, p.mailbox, "plain")
	credentials := p.fcm.Credentials(t)
	return p, func(c *config) {
		c.OfferSecret = "offer-secret"
		c.PublicURL = "https://journeys.test"
		c.Channels = channelConfig{
			FCMCredentials: credentials, FCMBaseURL: p.fcm.URL,
			SMTPURL: "smtp://" + smtpAddr, SMTPFrom: "Shop <shop@journeys.test>",
			SMSProvider: "kavenegar", KavenegarAPIKey: channelstest.KavenegarAPIKey, KavenegarSender: "10004346", KavenegarBaseURL: p.sms.URL,
			WebhookURL: p.hook.URL + "/journeys", WebhookSecret: "hook-secret",
		}
	}
}

var offerCode = regexp.MustCompile(`CART-[2-9A-HJ-NP-Z]{8}`)

// codeIn returns the discount code in s, failing t when there is none.
func codeIn(t *testing.T, what, s string) string {
	t.Helper()
	code := offerCode.FindString(s)
	if code == "" {
		t.Errorf("%s has no discount code: %q", what, s)
	}
	return code
}

func TestChannelsEndToEnd(t *testing.T) {
	p, withFakes := startFakeProviders(t)
	s := startStack(t, withFakes)
	s.mustCall("POST", "/v1/journeys", map[string]any{
		"id": "cart", "name": "Cart", "type": "cart_abandonment", "goal_event": "purchase",
		"config": map[string]any{
			"touches": []map[string]string{
				{"after": "2s", "channel": "push", "template": "cart_offer", "fallback": "sms"},
				{"after": "2s", "channel": "email", "template": "cart_offer", "fallback": "webhook"},
				{"after": "2s", "channel": "push", "template": "cart_final_offer", "fallback": "sms"},
			},
			"final_wait": "2s",
		},
	}, 201, nil)

	profiles := map[string]map[string]any{
		// Persian, every contact: push, email, push.
		"sara": {"locale": "fa-IR", "push_token": "tok-sara", "email": "sara@example.com", "phone": "+989120000001",
			"attributes": map[string]string{"first_name": "سارا"}},
		// No push token, and a locale without templates: English SMS
		// instead of each push.
		"john": {"locale": "de", "email": "john@example.com", "phone": "+989120000002",
			"attributes": map[string]string{"first_name": "John"}},
		// Opted out of email: the webhook instead.
		"nomail": {"locale": "en", "push_token": "tok-nomail", "email": "nomail@example.com", "unsubscribed": []string{"email"}},
		// A dead push token and nothing to fall back on.
		"gone": {"locale": "en", "push_token": "gone", "email": "gone@example.com", "unsubscribed": []string{"email", "webhook"}},
	}
	for u, profile := range profiles {
		s.mustCall("PUT", "/v1/users/"+u, profile, 200, nil)
		s.mustCall("POST", "/v1/journeys/cart/enrollments", map[string]string{"user_id": u}, 202, nil)
	}

	want := map[string][]string{
		"sara":   {"enrolled", "sent:push", "sent:email", "sent:push", "exited"},
		"john":   {"enrolled", "sent:sms", "sent:email", "sent:sms", "exited"},
		"nomail": {"enrolled", "sent:push", "sent:webhook", "sent:push", "exited"},
		"gone":   {"enrolled", "failed:push", "skipped:email", "skipped:push", "exited"},
	}
	runs := map[string]enrollment{}
	for u := range profiles {
		runs[u] = s.waitFor("cart", u, ended)
		if got := runs[u].story(); !slices.Equal(got, want[u]) {
			t.Errorf("%s: %v, want %v", u, got, want[u])
		}
	}
	gone := runs["gone"].Timeline
	if len(gone) == 5 {
		for i, want := range []string{"UNREGISTERED", "unsubscribed from email; unsubscribed from webhook", "push token invalid; no sms contact"} {
			if !strings.Contains(gone[i+1].Detail, want) {
				t.Errorf("gone step %d: %q, want it to say %q", i+1, gone[i+1].Detail, want)
			}
		}
	}
	var goneUser reporting.User
	s.mustCall("GET", "/v1/users/gone", nil, 200, &goneUser)
	if goneUser.PushTokenInvalidAt == nil {
		t.Error("gone's push token is not marked invalid")
	}

	codes := map[string]string{}
	code := func(user, what, s string) {
		t.Helper()
		c := codeIn(t, user+"'s "+what, s)
		if prev, ok := codes[user]; ok && prev != c {
			t.Errorf("%s got codes %s and %s, want one per enrollment", user, prev, c)
		}
		codes[user] = c
	}

	pushes := p.fcm.Messages()
	if got := tokens(pushes); !slices.Equal(got, []string{"gone", "tok-nomail", "tok-nomail", "tok-sara", "tok-sara"}) {
		t.Errorf("FCM got pushes for %v, want one to gone and two each to nomail and sara", got)
	}
	for _, m := range pushes {
		if m.Token == "tok-sara" {
			code("sara", "push", m.Notification.Body)
			if !strings.HasPrefix(m.Notification.Body, "سارا عزیز، ") || m.Data["offer_code"] != codes["sara"] {
				t.Errorf("sara's push = %+v, want it in Persian with her code", m)
			}
		}
	}
	if len(pushes) == 5 && (pushes[0].Notification.Title == pushes[len(pushes)-1].Notification.Title) {
		t.Errorf("the first and last offers have the same title %q", pushes[0].Notification.Title)
	}

	mails := p.mailbox.Mails()
	if len(mails) != 2 {
		t.Fatalf("the SMTP server got %d mails, want 2 (sara and john)", len(mails))
	}
	for _, m := range mails {
		parsed := channelstest.ParseMail(t, m.Data)
		switch m.To[0] {
		case "sara@example.com":
			code("sara", "email", parsed.Text)
			if parsed.Subject != "10 درصد تخفیف برای سبد خرید شما" || !strings.Contains(parsed.HTML, `dir="rtl"`) || !strings.Contains(parsed.HTML, codes["sara"]) {
				t.Errorf("sara's email = %q / %q, want the Persian offer with HTML", parsed.Subject, parsed.HTML)
			}
		case "john@example.com":
			code("john", "email", parsed.Text)
			if parsed.Subject != "10% off what is in your cart" || !strings.HasPrefix(parsed.Text, "John, your cart is waiting.") {
				t.Errorf("john's email = %q / %q, want the English offer", parsed.Subject, parsed.Text)
			}
		default:
			t.Errorf("unexpected mail to %v", m.To)
		}
		if parsed.Header.Get("Message-Id") == "" {
			t.Errorf("mail to %v has no Message-ID", m.To)
		}
		if m.To[0] == "sara@example.com" {
			s.unsubscribeByMail(parsed.Header, "sara")
		}
	}

	texts := p.sms.Sent()
	if len(texts) != 2 {
		t.Fatalf("Kavenegar sent %d texts, want 2 (john's fallbacks)", len(texts))
	}
	for i, want := range []string{"Use code ", "get 5% back"} {
		if m := texts[i]; m.Receptor != "+989120000002" || m.Sender != "10004346" || m.LocalID == "" || !strings.Contains(m.Message, want) {
			t.Errorf("text %d = %+v, want to john from 10004346 with a localid, saying %q", i, m, want)
		}
		code("john", "sms", texts[i].Message)
	}

	hooks := p.hook.Received()
	if len(hooks) != 1 || hooks[0].To != "nomail" || hooks[0].Channel != "webhook" || !strings.HasPrefix(hooks[0].Body, "Your cart is waiting.") {
		t.Fatalf("webhook got %+v, want nomail's email touch in English", hooks)
	}
	code("nomail", "webhook", hooks[0].Body)
	if codes["sara"] == codes["john"] {
		t.Errorf("sara and john share the code %s", codes["sara"])
	}

	var report reporting.Report
	s.mustCall("GET", "/v1/journeys/cart/report", nil, 200, &report)
	if got, want := report.Sends, map[string]int{"push": 4, "email": 2, "sms": 2, "webhook": 1}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("sends = %v, want %v", got, want)
	}
}

func tokens(ms []channelstest.FCMMessage) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Token)
	}
	slices.Sort(out)
	return out
}

func TestTemplateAPI(t *testing.T) {
	s := startStack(t)

	var all struct{ Templates []reporting.Template }
	s.mustCall("GET", "/v1/templates", nil, 200, &all)
	var shipped []string
	for _, tm := range all.Templates {
		shipped = append(shipped, tm.ID+"/"+tm.Locale)
	}
	if want := []string{"cart_final_offer/en", "cart_final_offer/fa", "cart_offer/en", "cart_offer/fa",
		"welcome/en", "welcome/fa", "welcome_reminder/en", "welcome_reminder/fa", "welcome_tips/en", "welcome_tips/fa",
		"winback_offer/en", "winback_offer/fa", "winback_reminder/en", "winback_reminder/fa", "winback_vip_offer/en", "winback_vip_offer/fa",
	}; !slices.Equal(shipped, want) {
		t.Errorf("shipped templates = %v, want %v", shipped, want)
	}

	var saved reporting.Template
	s.mustCall("PUT", "/v1/templates/hello", map[string]string{
		"locale": "FA-ir", "title": "خوش آمدید", "body": "{{with .User.first_name}}{{.}} {{end}}خوش آمدید! کد {{.Offer.Code}}",
	}, 200, &saved)
	if saved.ID != "hello" || saved.Locale != "fa-IR" || saved.Title != "خوش آمدید" {
		t.Errorf("saved %+v, want hello in fa-IR", saved)
	}
	s.mustCall("PUT", "/v1/templates/hello", map[string]string{"locale": "en", "subject": "Welcome", "body": "Welcome!", "html": "<p>Welcome!</p>"}, 200, nil)
	var one struct {
		ID        string
		Templates []reporting.Template
	}
	s.mustCall("GET", "/v1/templates/hello", nil, 200, &one)
	if len(one.Templates) != 2 || one.Templates[0].Locale != "en" || one.Templates[1].Locale != "fa-IR" {
		t.Errorf("GET hello = %+v, want its en and fa-IR versions", one)
	}

	tests := []struct {
		body        map[string]string
		status      int
		wantMessage string
	}{
		{map[string]string{"locale": "en", "body": "Hello\n{{.User.first_name}\n"}, 400, "body, line 2"},
		{map[string]string{"locale": "en", "body": "ok", "subject": "{{.Offer.Discount}}% off"}, 400, "subject, line 1"},
		{map[string]string{"locale": "en", "body": "ok", "html": "<p>\n\n{{if}}</p>"}, 400, "html, line 3"},
		{map[string]string{"locale": "en", "body": "ok", "html": "<a href='{{.Offer.Code}}>x</a>"}, 400, "html"},
		{map[string]string{"locale": "english", "body": "ok"}, 400, "locale"},
		{map[string]string{"locale": "en"}, 400, "body is required"},
		{map[string]string{"locale": "en", "body": "ok", "channel": "push"}, 400, "unknown field"},
	}
	for _, tt := range tests {
		var out struct {
			Error struct{ Code, Message string }
		}
		got := s.call("PUT", "/v1/templates/broken", tt.body, &out)
		if got != tt.status || !strings.Contains(out.Error.Message, tt.wantMessage) {
			t.Errorf("PUT %v = %d %q, want %d naming %q", tt.body, got, out.Error.Message, tt.status, tt.wantMessage)
		}
	}
	s.mustCall("GET", "/v1/templates/broken", nil, 404, nil)

	for _, bad := range []map[string]any{{"locale": "en_US"}, {"unsubscribed": []string{"fax"}}} {
		if got := s.call("PUT", "/v1/users/u1", bad, nil); got != 400 {
			t.Errorf("PUT user %v = %d, want 400", bad, got)
		}
	}
}

func TestChannelConfig(t *testing.T) {
	fcm := channelstest.NewFCM(t)
	good := channelConfig{FCMCredentials: fcm.Credentials(t), SMTPURL: "smtp://mail.test:587", SMTPFrom: "shop@journeys.test"}
	tests := []struct {
		cfg     channelConfig
		wantVar string
	}{
		{channelConfig{SMSProvider: "pigeon"}, "JOURNEYS_SMS_PROVIDER"},
		{channelConfig{KavenegarAPIKey: "k"}, "JOURNEYS_SMS_PROVIDER"},
		{channelConfig{SMSProvider: "kavenegar"}, "JOURNEYS_KAVENEGAR_API_KEY"},
		{channelConfig{SMSProvider: "kavenegar", KavenegarAPIKey: "k", KavenegarBaseURL: "api.kavenegar.com"}, "JOURNEYS_KAVENEGAR_BASE_URL"},
		{channelConfig{SMSProvider: "twilio", TwilioAccountSID: "AC1", TwilioAuthToken: "t"}, "JOURNEYS_TWILIO_FROM"},
		{channelConfig{SMTPURL: "smtp://mail.test"}, "JOURNEYS_SMTP_FROM"},
		{channelConfig{SMTPURL: "http://mail.test", SMTPFrom: "a@b.test"}, "JOURNEYS_SMTP_URL"},
		{channelConfig{SMTPURL: "smtp://mail.test", SMTPFrom: "a@b.test", SMTPRate: "fast"}, "JOURNEYS_SMTP_RATE"},
		{channelConfig{FCMCredentials: filepath.Join(t.TempDir(), "none.json")}, "JOURNEYS_FCM_CREDENTIALS"},
		{channelConfig{FCMBaseURL: "https://fcm.test"}, "JOURNEYS_FCM_CREDENTIALS"},
		{channelConfig{WebhookURL: "https://hooks.test"}, "JOURNEYS_WEBHOOK_SECRET"},
		{channelConfig{WebhookSecret: "s"}, "JOURNEYS_WEBHOOK_URL"},
	}
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tt := range tests {
		_, err := newSenders(tt.cfg, discard)
		if err == nil || !strings.HasPrefix(err.Error(), tt.wantVar+": ") {
			t.Errorf("%+v: got %v, want an error naming %s", tt.cfg, err, tt.wantVar)
		}
	}

	var logged bytes.Buffer
	senders, err := newSenders(good, slog.New(slog.NewTextHandler(&logged, nil)))
	if err != nil {
		t.Fatal(err)
	}
	for c, wantLimited := range map[channels.Channel]bool{channels.Push: true, channels.Email: true, channels.SMS: false, channels.Webhook: false} {
		if _, limited := senders[c].(*channels.Limited); limited != wantLimited {
			t.Errorf("%s sender is %T, want a rate-limited provider: %v", c, senders[c], wantLimited)
		}
	}
	for _, want := range []string{"channel=push sender=fcm rate_per_second=500", "channel=email sender=smtp rate_per_second=10", "channel=sms sender=console", "channel=webhook sender=console"} {
		if !strings.Contains(logged.String(), want) {
			t.Errorf("start-up log lacks %q:\n%s", want, logged.String())
		}
	}

	// A bad setting stops start-up before anything starts.
	env := map[string]string{"JOURNEYS_SMS_PROVIDER": "pigeon", "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none?sslmode=disable"}
	err = run(context.Background(), []string{"dev"}, func(k string) string { return env[k] }, io.Discard, io.Discard)
	if err == nil || !strings.HasPrefix(err.Error(), "JOURNEYS_SMS_PROVIDER: ") {
		t.Errorf("journeys dev with a bad provider: %v, want an error naming JOURNEYS_SMS_PROVIDER", err)
	}
}

// unsubscribeByMail follows an email's one-click unsubscribe link, as a mail
// program does (RFC 8058), and checks that the user is opted out of email.
func (s *stack) unsubscribeByMail(h mail.Header, user string) {
	s.t.Helper()
	link := strings.Trim(h.Get("List-Unsubscribe"), "<>")
	token, ok := strings.CutPrefix(link, "https://journeys.test/unsubscribe/")
	if !ok || h.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		s.t.Fatalf("List-Unsubscribe = %q, List-Unsubscribe-Post = %q", link, h.Get("List-Unsubscribe-Post"))
	}
	page, err := http.Get(s.base + "/unsubscribe/" + token)
	if err != nil {
		s.t.Fatal(err)
	}
	page.Body.Close()
	forged, err := http.Post(s.base+"/unsubscribe/"+token[:len(token)-2]+"xx", "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		s.t.Fatal(err)
	}
	forged.Body.Close()
	var u reporting.User
	s.mustCall("GET", "/v1/users/"+user, nil, 200, &u)
	if page.StatusCode != 200 || forged.StatusCode != 404 || slices.Contains(u.Unsubscribed, "email") {
		s.t.Fatalf("GET link = %d, forged POST = %d, unsubscribed %v; want 200, 404 and still subscribed", page.StatusCode, forged.StatusCode, u.Unsubscribed)
	}

	done, err := http.Post(s.base+"/unsubscribe/"+token, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		s.t.Fatal(err)
	}
	done.Body.Close()
	s.mustCall("GET", "/v1/users/"+user, nil, 200, &u)
	if done.StatusCode != 200 || !slices.Contains(u.Unsubscribed, "email") {
		s.t.Errorf("one-click POST = %d, unsubscribed %v; want 200 and email", done.StatusCode, u.Unsubscribed)
	}
}
