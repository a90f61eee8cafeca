package channels

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length of a sealing key: AES-256.
const KeySize = 32

// ErrUnsealed is a sealed value that does not open with the key and the
// associated data given: another key, another owner, or altered bytes.
var ErrUnsealed = errors.New("sealed secret does not open: wrong key, wrong owner or altered")

// Sealer encrypts provider secrets at rest with AES-256-GCM. Each sealed
// value is a random 12-byte nonce followed by the ciphertext and its tag;
// the associated data binds it to its owner, so that a value copied to
// another row does not open there.
type Sealer struct {
	aead cipher.AEAD
}

// ParseKey reads a sealing key (JOURNEYS_SECRET_KEY) written as 64 hex
// digits or as 32 bytes in standard or URL-safe base64, padded or not.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("empty key")
	}
	if len(s) == 2*KeySize {
		if k, err := hex.DecodeString(s); err == nil {
			return k, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != KeySize {
				return nil, fmt.Errorf("key is %d bytes, want %d (openssl rand -base64 32)", len(k), KeySize)
			}
			return k, nil
		}
	}
	return nil, fmt.Errorf("key is neither %d hex digits nor base64 of %d bytes (openssl rand -base64 32)", 2*KeySize, KeySize)
}

// NewSealer returns a sealer for a key of KeySize bytes.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("sealing key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("sealing key: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plain for the owner named by aad.
func (s *Sealer) Seal(plain, aad []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	rand.Read(nonce) // never fails: see crypto/rand.Read
	return s.aead.Seal(nonce, nonce, plain, aad)
}

// Open decrypts a value Seal returned for the same aad; anything else is
// ErrUnsealed.
func (s *Sealer) Open(sealed, aad []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, ErrUnsealed
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], aad)
	if err != nil {
		return nil, ErrUnsealed
	}
	return plain, nil
}
