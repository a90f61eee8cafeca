package channels_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"journeys/channels"
)

func newSealer(t *testing.T) *channels.Sealer {
	t.Helper()
	s, err := channels.NewSealer(bytes.Repeat([]byte{7}, channels.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealRoundTrip(t *testing.T) {
	s := newSealer(t)
	plain := []byte(`{"api_key":"kv-secret"}`)
	aad := []byte("shop|sms")
	a, b := s.Seal(plain, aad), s.Seal(plain, aad)
	if bytes.Equal(a, b) {
		t.Error("sealing twice gave the same bytes; want a fresh nonce each time")
	}
	if bytes.Contains(a, []byte("kv-secret")) {
		t.Errorf("sealed value holds the secret in plain: %q", a)
	}
	for _, sealed := range [][]byte{a, b} {
		got, err := s.Open(sealed, aad)
		if err != nil || !bytes.Equal(got, plain) {
			t.Errorf("Open = %q, %v; want %q", got, err, plain)
		}
	}
	if got, err := s.Open(s.Seal(nil, aad), aad); err != nil || len(got) != 0 {
		t.Errorf("empty secret: Open = %q, %v", got, err)
	}
}

func TestSealRefusesWhatWasNotSealedForIt(t *testing.T) {
	s := newSealer(t)
	aad := []byte("shop|sms")
	sealed := s.Seal([]byte("secret"), aad)
	other, err := channels.NewSealer(bytes.Repeat([]byte{8}, channels.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]func() ([]byte, error){
		"a flipped bit in the ciphertext": func() ([]byte, error) {
			b := bytes.Clone(sealed)
			b[len(b)-20] ^= 1
			return s.Open(b, aad)
		},
		"a flipped bit in the nonce": func() ([]byte, error) {
			b := bytes.Clone(sealed)
			b[0] ^= 1
			return s.Open(b, aad)
		},
		"truncated":                  func() ([]byte, error) { return s.Open(sealed[:len(sealed)-1], aad) },
		"shorter than a nonce":       func() ([]byte, error) { return s.Open(sealed[:5], aad) },
		"another workspace's row":    func() ([]byte, error) { return s.Open(sealed, []byte("rival|sms")) },
		"another channel of its own": func() ([]byte, error) { return s.Open(sealed, []byte("shop|push")) },
		"another key":                func() ([]byte, error) { return other.Open(sealed, aad) },
	}
	for name, open := range tests {
		got, err := open()
		if !errors.Is(err, channels.ErrUnsealed) || got != nil {
			t.Errorf("%s: Open = %q, %v; want ErrUnsealed", name, got, err)
		}
	}
}

func TestParseKey(t *testing.T) {
	key := make([]byte, channels.KeySize)
	rand.Read(key)
	for _, s := range []string{
		hex.EncodeToString(key),
		strings.ToUpper(hex.EncodeToString(key)),
		base64.StdEncoding.EncodeToString(key),
		base64.RawURLEncoding.EncodeToString(key),
		" " + base64.StdEncoding.EncodeToString(key) + "\n",
	} {
		got, err := channels.ParseKey(s)
		if err != nil || !bytes.Equal(got, key) {
			t.Errorf("ParseKey(%q) = %x, %v; want %x", s, got, err, key)
		}
	}
	for s, want := range map[string]string{
		"":                                  "empty",
		"c2hvcnQ=":                          "is 5 bytes, want 32",
		"not a key!":                        "neither 64 hex digits nor base64",
		hex.EncodeToString(key)[:62] + "zz": "is 48 bytes", // not hex, so base64
		base64.StdEncoding.EncodeToString(append(key, 1)): "is 33 bytes",
	} {
		if _, err := channels.ParseKey(s); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseKey(%q) = %v, want an error saying %q", s, err, want)
		}
	}
	if _, err := channels.NewSealer(key[:16]); err == nil {
		t.Error("NewSealer took a 16-byte key; want AES-256 only")
	}
}
