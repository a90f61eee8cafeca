// Package channelstest runs fake providers on loopback servers, each
// speaking its provider's documented API, for the tests of the senders in
// channels and of the whole service: an SMTP server, FCM with its token
// endpoint, Kavenegar and a webhook receiver.
package channelstest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Mailbox is an SMTP server's backend that keeps what it is sent. It
// refuses nobody@ with 550 5.1.1, busy@ with 451 and, when Password is
// set, any MAIL before AUTH PLAIN with it.
type Mailbox struct {
	Password string
	mu       sync.Mutex
	mails    []Mail
}

// Mail is one delivered message and how it came: the envelope, the user
// that authenticated, whether over TLS, and the message as sent.
type Mail struct {
	From, User string
	To         []string
	TLS        bool
	Data       []byte
}

// NewSession implements smtp.Backend.
func (b *Mailbox) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &mailSession{box: b, conn: c}, nil
}

// Mails returns what the mailbox received, in order.
func (b *Mailbox) Mails() []Mail {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Mail(nil), b.mails...)
}

type mailSession struct {
	box  *Mailbox
	conn *smtp.Conn
	cur  Mail
}

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *mailSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if s.box.Password == "" || pass != s.box.Password {
			return smtp.ErrAuthFailed
		}
		s.cur.User = user
		return nil
	}), nil
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.box.Password != "" && s.cur.User == "" {
		return smtp.ErrAuthRequired
	}
	s.cur.From = from
	return nil
}

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	switch {
	case strings.HasPrefix(to, "nobody@"):
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	case strings.HasPrefix(to, "busy@"):
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
	}
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := s.cur
	m.Data = b
	_, m.TLS = s.conn.TLSConnectionState()
	s.box.mu.Lock()
	s.box.mails = append(s.box.mails, m)
	s.box.mu.Unlock()
	return nil
}

func (s *mailSession) Reset()        { s.cur = Mail{User: s.cur.User} }
func (s *mailSession) Logout() error { return nil }

// selfSigned returns a TLS certificate for 127.0.0.1 and a pool trusting it.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// SMTPServer starts an SMTP server for box on a loopback TCP port: plain,
// offering STARTTLS, or speaking TLS from the start ("plain", "starttls",
// "tls"). It returns the server's address and a pool trusting its
// certificate, and stops the server when the test ends.
func SMTPServer(t testing.TB, box *Mailbox, mode string) (string, *x509.CertPool) {
	t.Helper()
	s := smtp.NewServer(box)
	s.Domain = "localhost"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	var pool *x509.CertPool
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if mode != "plain" {
		var cert tls.Certificate
		cert, pool = selfSigned(t)
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	if mode == "tls" {
		ln = tls.NewListener(ln, s.TLSConfig)
	}
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return ln.Addr().String(), pool
}

// Parsed is a delivered message taken apart: its header, decoded subject,
// and text and HTML parts.
type Parsed struct {
	Header     netmail.Header
	Subject    string
	Text, HTML string
}

// ParseMail takes a delivered message apart.
func ParseMail(t testing.TB, data []byte) Parsed {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	p := Parsed{Header: msg.Header}
	if p.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	if mt != "multipart/alternative" {
		b, _ := io.ReadAll(msg.Body)
		p.Text = string(b)
		return p
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return p
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(part) // quoted-printable is decoded by NextPart
		switch ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type")); ct {
		case "text/plain":
			p.Text = string(b)
		case "text/html":
			p.HTML = string(b)
		}
	}
}
