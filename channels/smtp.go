package channels

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	netmail "net/mail"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wneessen/go-mail"
)

// SMTPConfig configures an SMTP sender; cmd fills it from the environment.
type SMTPConfig struct {
	// URL is the server (JOURNEYS_SMTP_URL), smtp://user:pass@host:587:
	// smtp:// upgrades with STARTTLS when the server offers it (port 587 by
	// default), smtps:// speaks TLS from the first byte (port 465 by
	// default). Credentials are optional; with them the strongest mechanism
	// the server offers is used, and PLAIN or LOGIN only over TLS.
	URL string
	// From is the sender (JOURNEYS_SMTP_FROM), for example
	// "Journeys <noreply@example.com>"; its domain ends every Message-ID.
	From string
	// TLSConfig, when set, replaces the default TLS settings, for example to
	// trust a test certificate; its ServerName defaults to the URL's host.
	TLSConfig *tls.Config
	// Timeout bounds one delivery, from connect to QUIT; 30s when zero.
	Timeout time.Duration
}

// SMTP sends email through one SMTP server, one connection per message.
type SMTP struct {
	opts    []mail.Option
	host    string
	from    string
	domain  string
	timeout time.Duration
}

// NewSMTP parses cfg and returns a sender; no connection is made until the
// first Send.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, errors.New("smtp url: malformed") // the URL may hold a password
	}
	port := 587
	opts := []mail.Option{mail.WithTLSPolicy(mail.TLSOpportunistic)}
	switch u.Scheme {
	case "smtp":
	case "smtps":
		port = 465
		opts = []mail.Option{mail.WithSSL()}
	default:
		return nil, fmt.Errorf("smtp url: scheme %q, want smtp or smtps", u.Scheme)
	}
	host := u.Hostname()
	if host == "" {
		return nil, errors.New("smtp url: no host")
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("smtp url: port %q", p)
		}
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TLSConfig != nil {
		tc = cfg.TLSConfig.Clone()
	}
	if tc.ServerName == "" {
		tc.ServerName = host
	}
	opts = append(opts, mail.WithPort(port), mail.WithTLSConfig(tc))
	if u.User != nil {
		pass, _ := u.User.Password()
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(u.User.Username()), mail.WithPassword(pass))
	}
	from, err := netmail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("smtp from: %w", err)
	}
	s := &SMTP{
		opts:    opts,
		host:    host,
		from:    from.String(),
		domain:  from.Address[strings.LastIndexByte(from.Address, '@')+1:],
		timeout: orDefault(cfg.Timeout, 30*time.Second),
	}
	if _, err := s.client(s.timeout); err != nil {
		return nil, fmt.Errorf("smtp: %w", err)
	}
	return s, nil
}

// client returns a go-mail client for one delivery; a fresh one per message
// keeps concurrent sends apart and lets each have its own timeout.
func (s *SMTP) client(timeout time.Duration) (*mail.Client, error) {
	opts := append([]mail.Option{mail.WithTimeout(timeout)}, s.opts...)
	return mail.NewClient(s.host, opts...)
}

// messageID returns the Message-ID, without angle brackets, that a message
// with key gets: the same key always gives the same ID, and no key a random
// one, so that keyless messages are never taken for copies of each other.
func (s *SMTP) messageID(key string) string {
	sum := sha256.Sum256([]byte(key))
	if key == "" {
		rand.Read(sum[:])
	}
	return hex.EncodeToString(sum[:16]) + "@" + s.domain
}

// Send delivers m to the address m.To: a text part, an HTML alternative when
// m.HTML is set, List-Unsubscribe headers when m.Unsubscribe is set. The
// receipt ID is the Message-ID, derived from m.IdempotencyKey.
func (s *SMTP) Send(ctx context.Context, m Message) (Receipt, error) {
	msg := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := msg.From(s.from); err != nil {
		return Receipt{}, &PermanentError{Provider: "smtp", Reason: "from: " + err.Error()}
	}
	if err := msg.To(m.To); err != nil {
		return Receipt{}, &PermanentError{Provider: "smtp", Reason: "to: " + err.Error(), InvalidContact: true}
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	id := s.messageID(m.IdempotencyKey)
	msg.SetMessageIDWithValue(id)
	if m.Unsubscribe != "" {
		msg.SetGenHeader("List-Unsubscribe", "<"+m.Unsubscribe+">")
		msg.SetGenHeader("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
	msg.SetBodyString(mail.TypeTextPlain, m.Body)
	if m.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	}

	timeout := s.timeout
	if d, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(d))
	}
	if timeout <= 0 {
		return Receipt{}, &TemporaryError{Provider: "smtp", Reason: context.DeadlineExceeded.Error()}
	}
	c, err := s.client(timeout)
	if err != nil {
		return Receipt{}, fmt.Errorf("smtp: %w", err)
	}
	conn, err := c.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return Receipt{}, smtpError(fmt.Errorf("connect: %w", err))
	}
	if err := c.SendWithSMTPClient(conn, msg); err != nil {
		_ = c.CloseWithSMTPClient(conn)
		return Receipt{}, smtpError(err)
	}
	// The server took the message: a failed QUIT must not cause a resend.
	_ = c.CloseWithSMTPClient(conn)
	return Receipt{Provider: "smtp", ID: "<" + id + ">"}, nil
}

// smtpError classifies a failed delivery: 5xx replies are refusals, and a
// 5.1.x (or, without enhanced codes, a 550, 551 or 553) reply to RCPT marks
// the address dead; 4xx replies and connection failures are retried.
func smtpError(err error) error {
	var (
		code     int
		enhanced string
		rcpt     bool
		se       *mail.SendError
		te       *textproto.Error
	)
	switch {
	case errors.As(err, &se):
		code, enhanced, rcpt = se.ErrorCode(), se.EnhancedStatusCode(), se.Reason == mail.ErrSMTPRcptTo
	case errors.As(err, &te):
		code = te.Code
	}
	if code < 500 {
		return &TemporaryError{Provider: "smtp", Reason: err.Error()}
	}
	dead := strings.HasPrefix(enhanced, "5.1.")
	if enhanced == "" {
		dead = code == 550 || code == 551 || code == 553
	}
	return &PermanentError{Provider: "smtp", Reason: err.Error(), InvalidContact: rcpt && dead}
}
