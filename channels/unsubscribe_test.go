package channels

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"testing"
)

func TestUnsubscribeToken(t *testing.T) {
	secret := []byte("k")
	token := UnsubscribeToken(secret, "shop-b", "sara@example:42", Email)

	ws, user, c, ok := ParseUnsubscribeToken(secret, token)
	if !ok || ws != "shop-b" || user != "sara@example:42" || c != Email {
		t.Errorf("parse = %q, %q, %q, %v; want shop-b, sara@example:42, email, true", ws, user, c, ok)
	}
	other := UnsubscribeToken(secret, "shop-b", "john", Email)
	forged := token[:len(token)-4] + other[len(other)-4:]
	for _, bad := range []string{"", "x", token + "x", forged, UnsubscribeToken([]byte("other"), "shop-b", "sara", Email), "ZmF4OnNhcmE." + token[len(token)-43:]} {
		if _, _, _, ok := ParseUnsubscribeToken(secret, bad); ok {
			t.Errorf("parse(%q) accepted a token it did not sign", bad)
		}
	}
}

// TestUnsubscribeTokenBeforeWorkspaces reads a link mailed before
// workspaces, which names none: it is the default workspace's.
func TestUnsubscribeTokenBeforeWorkspaces(t *testing.T) {
	secret := []byte("k")
	payload := base64.RawURLEncoding.EncodeToString([]byte("email:sara@example:42"))
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("unsubscribe\x00" + payload))
	token := payload + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	ws, user, c, ok := ParseUnsubscribeToken(secret, token)
	if !ok || ws != "default" || user != "sara@example:42" || c != Email {
		t.Errorf("parse = %q, %q, %q, %v; want default, sara@example:42, email, true", ws, user, c, ok)
	}
}
