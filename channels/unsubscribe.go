package channels

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// defaultWorkspace is the workspace of tokens made before workspaces,
// which name none (reporting.DefaultWorkspace).
const defaultWorkspace = "default"

// UnsubscribeToken returns the token of a link that unsubscribes userID of
// workspace from channel c: the workspace, user and channel, signed with
// secret so that nobody can forge one for another user or workspace.
func UnsubscribeToken(secret []byte, workspace, userID string, c Channel) string {
	// Workspace ids hold no "@" or ":", and channel names neither, so
	// "channel@workspace:user" reads back unambiguously; tokens made
	// before workspaces are "channel:user", and stay valid.
	payload := base64.RawURLEncoding.EncodeToString([]byte(string(c) + "@" + workspace + ":" + userID))
	return payload + "." + base64.RawURLEncoding.EncodeToString(unsubscribeMAC(secret, payload))
}

// ParseUnsubscribeToken returns the workspace, user and channel of a token
// that UnsubscribeToken made with the same secret; ok is false for any
// other. A token made before workspaces is the default workspace's.
func ParseUnsubscribeToken(secret []byte, token string) (workspace, userID string, c Channel, ok bool) {
	payload, sig, found := strings.Cut(token, ".")
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if !found || err != nil || !hmac.Equal(mac, unsubscribeMAC(secret, payload)) {
		return "", "", "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return "", "", "", false
	}
	channel, user, found := strings.Cut(string(raw), ":")
	channel, workspace, scoped := strings.Cut(channel, "@")
	if !scoped {
		workspace = defaultWorkspace
	}
	if !found || !Channel(channel).Valid() || user == "" || workspace == "" {
		return "", "", "", false
	}
	return workspace, user, Channel(channel), true
}

func unsubscribeMAC(secret []byte, payload string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("unsubscribe\x00" + payload))
	return m.Sum(nil)
}
