package channels

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// UnsubscribeToken returns the token of a link that unsubscribes userID
// from channel c: the user and channel, signed with secret so that nobody
// can forge one for another user.
func UnsubscribeToken(secret []byte, userID string, c Channel) string {
	payload := base64.RawURLEncoding.EncodeToString([]byte(string(c) + ":" + userID))
	return payload + "." + base64.RawURLEncoding.EncodeToString(unsubscribeMAC(secret, payload))
}

// ParseUnsubscribeToken returns the user and channel of a token that
// UnsubscribeToken made with the same secret; ok is false for any other.
func ParseUnsubscribeToken(secret []byte, token string) (userID string, c Channel, ok bool) {
	payload, sig, found := strings.Cut(token, ".")
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if !found || err != nil || !hmac.Equal(mac, unsubscribeMAC(secret, payload)) {
		return "", "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return "", "", false
	}
	channel, user, found := strings.Cut(string(raw), ":")
	if !found || !Channel(channel).Valid() || user == "" {
		return "", "", false
	}
	return user, Channel(channel), true
}

func unsubscribeMAC(secret []byte, payload string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("unsubscribe\x00" + payload))
	return m.Sum(nil)
}
