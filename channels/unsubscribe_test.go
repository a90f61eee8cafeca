package channels

import "testing"

func TestUnsubscribeToken(t *testing.T) {
	secret := []byte("k")
	token := UnsubscribeToken(secret, "sara@example:42", Email)

	user, c, ok := ParseUnsubscribeToken(secret, token)
	if !ok || user != "sara@example:42" || c != Email {
		t.Errorf("parse = %q, %q, %v; want sara@example:42, email, true", user, c, ok)
	}
	other := UnsubscribeToken(secret, "john", Email)
	forged := token[:len(token)-4] + other[len(other)-4:]
	for _, bad := range []string{"", "x", token + "x", forged, UnsubscribeToken([]byte("other"), "sara", Email), "ZmF4OnNhcmE." + token[len(token)-43:]} {
		if _, _, ok := ParseUnsubscribeToken(secret, bad); ok {
			t.Errorf("parse(%q) accepted a token it did not sign", bad)
		}
	}
}
