package channels

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"journeys/channels/channelstest"
)

func newTestSMTP(t *testing.T, url string, pool *x509.CertPool) *SMTP {
	t.Helper()
	cfg := SMTPConfig{URL: url, From: "Journeys <noreply@journeys.test>", Timeout: 10 * time.Second}
	if pool != nil {
		cfg.TLSConfig = &tls.Config{RootCAs: pool}
	}
	s, err := NewSMTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSMTPPlain(t *testing.T) {
	box := &channelstest.Mailbox{}
	addr, _ := channelstest.SMTPServer(t, box, "plain")
	s := newTestSMTP(t, "smtp://"+addr, nil)
	m := Message{
		Channel: Email, IdempotencyKey: "journey-1/step-2/user-3", UserID: "user-3",
		To: "ada@example.com", Subject: "Welcome ✓", Body: "Hello Ada",
		HTML: "<p>Hello <b>Ada</b></p>", Unsubscribe: "https://journeys.test/unsubscribe?u=user-3",
	}
	r, err := s.Send(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	mails := box.Mails()
	if len(mails) != 1 {
		t.Fatalf("got %d mails, want 1", len(mails))
	}
	got := mails[0]
	if got.From != "noreply@journeys.test" || len(got.To) != 1 || got.To[0] != "ada@example.com" || got.TLS {
		t.Errorf("got envelope from %q to %q tls %v, want noreply@journeys.test to ada@example.com without tls", got.From, got.To, got.TLS)
	}
	p := channelstest.ParseMail(t, got.Data)
	checks := []struct{ name, got, want string }{
		{"From", p.Header.Get("From"), `"Journeys" <noreply@journeys.test>`},
		{"To", p.Header.Get("To"), "<ada@example.com>"},
		{"Subject", p.Subject, "Welcome ✓"},
		{"text", strings.TrimSpace(p.Text), "Hello Ada"},
		{"html", strings.TrimSpace(p.HTML), "<p>Hello <b>Ada</b></p>"},
		{"List-Unsubscribe", p.Header.Get("List-Unsubscribe"), "<https://journeys.test/unsubscribe?u=user-3>"},
		{"List-Unsubscribe-Post", p.Header.Get("List-Unsubscribe-Post"), "List-Unsubscribe=One-Click"},
		{"Message-ID", p.Header.Get("Message-Id"), r.ID},
		{"receipt provider", r.Provider, "smtp"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
	if !strings.HasSuffix(r.ID, "@journeys.test>") {
		t.Errorf("got Message-ID %q, want it at the From domain", r.ID)
	}
}

func TestSMTPStartTLSAuth(t *testing.T) {
	box := &channelstest.Mailbox{Password: "s3cret"}
	addr, pool := channelstest.SMTPServer(t, box, "starttls")
	s := newTestSMTP(t, "smtp://mailer:s3cret@"+addr, pool)
	m := Message{Channel: Email, IdempotencyKey: "k", To: "bob@example.com", Subject: "Hi", Body: "Text only"}
	if _, err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	mails := box.Mails()
	if len(mails) != 1 {
		t.Fatalf("got %d mails, want 1", len(mails))
	}
	if got := mails[0]; !got.TLS || got.User != "mailer" {
		t.Errorf("got tls %v user %q, want tls as mailer", got.TLS, got.User)
	}
	p := channelstest.ParseMail(t, mails[0].Data)
	if ct := p.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("got Content-Type %q, want text/plain without HTML", ct)
	}
	if p.Header.Get("List-Unsubscribe") != "" {
		t.Errorf("got List-Unsubscribe %q, want none", p.Header.Get("List-Unsubscribe"))
	}

	wrong := newTestSMTP(t, "smtp://mailer:wrong@"+addr, pool)
	_, err := wrong.Send(context.Background(), m)
	checkOutcome(t, err, refused, 0)

	untrusted := newTestSMTP(t, "smtp://mailer:s3cret@"+addr, nil)
	_, err = untrusted.Send(context.Background(), m)
	checkOutcome(t, err, retried, 0)
}

func TestSMTPImplicitTLS(t *testing.T) {
	box := &channelstest.Mailbox{}
	addr, pool := channelstest.SMTPServer(t, box, "tls")
	s := newTestSMTP(t, "smtps://"+addr, pool)
	if _, err := s.Send(context.Background(), Message{Channel: Email, IdempotencyKey: "k", To: "cy@example.com", Subject: "Hi", Body: "x"}); err != nil {
		t.Fatal(err)
	}
	if mails := box.Mails(); len(mails) != 1 || !mails[0].TLS {
		t.Errorf("got %d mails (%+v), want 1 over tls", len(mails), mails)
	}
}

func TestSMTPMessageID(t *testing.T) {
	box := &channelstest.Mailbox{}
	addr, _ := channelstest.SMTPServer(t, box, "plain")
	s := newTestSMTP(t, "smtp://"+addr, nil)
	ids := map[string]string{}
	for _, key := range []string{"a", "a", "b", "", ""} {
		if _, err := s.Send(context.Background(), Message{Channel: Email, IdempotencyKey: key, To: "d@example.com", Body: "x"}); err != nil {
			t.Fatal(err)
		}
		mails := box.Mails()
		id := channelstest.ParseMail(t, mails[len(mails)-1].Data).Header.Get("Message-Id")
		prev, ok := ids[key]
		if ok && key != "" && prev != id {
			t.Errorf("key %q: got Message-ID %q then %q, want the same", key, prev, id)
		}
		if ok && key == "" && prev == id {
			t.Errorf("no key: got Message-ID %q twice, want a new one each time", id)
		}
		ids[key] = id
	}
	if ids["a"] == ids["b"] || ids[""] == ids["a"] || ids[""] == ids["b"] {
		t.Errorf("got Message-IDs %q, want a different one per key", ids)
	}
}

func TestSMTPRefusals(t *testing.T) {
	box := &channelstest.Mailbox{}
	addr, _ := channelstest.SMTPServer(t, box, "plain")
	s := newTestSMTP(t, "smtp://"+addr, nil)
	tests := []struct {
		to   string
		want outcome
	}{
		{"nobody@example.com", dead},
		{"busy@example.com", retried},
		{"not an address", dead},
	}
	for _, tt := range tests {
		_, err := s.Send(context.Background(), Message{Channel: Email, IdempotencyKey: "k", To: tt.to, Body: "x"})
		checkOutcome(t, err, tt.want, 0)
	}

	closed := newTestSMTP(t, "smtp://127.0.0.1:1", nil)
	_, err := closed.Send(context.Background(), Message{Channel: Email, To: "e@example.com", Body: "x"})
	checkOutcome(t, err, retried, 0)
}

func TestNewSMTPErrors(t *testing.T) {
	tests := []SMTPConfig{
		{URL: "http://mail.test", From: "a@b.test"},
		{URL: "smtp://", From: "a@b.test"},
		{URL: "smtp://mail.test:x", From: "a@b.test"},
		{URL: "smtp://mail.test", From: "not an address"},
	}
	for _, cfg := range tests {
		if _, err := NewSMTP(cfg); err == nil {
			t.Errorf("NewSMTP(%+v): got no error, want one", cfg)
		}
	}
}
