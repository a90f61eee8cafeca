package channelstest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// FCMScope is the OAuth scope an FCM sender must ask for.
const FCMScope = "https://www.googleapis.com/auth/firebase.messaging"

// FCM is Firebase on one test server: the OAuth token endpoint of a service
// account and the FCM HTTP v1 messages:send method of project
// "test-project". It answers a device token as FCMAnswers says, and any
// other token with success.
type FCM struct {
	*httptest.Server
	key        *rsa.PrivateKey
	tokenCalls atomic.Int32
	mu         sync.Mutex
	messages   []FCMMessage
}

// FCMMessage is a message as FCM received it.
type FCMMessage struct {
	Token        string            `json:"token"`
	Notification *FCMNotification  `json:"notification"`
	Data         map[string]string `json:"data"`
}

// FCMNotification is the notification of an FCMMessage.
type FCMNotification struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

// FCMAnswer is what FCM answers for one device token.
type FCMAnswer struct {
	Status     int
	RetryAfter string
	Body       string
}

// FCMAnswers maps the device tokens FCM does not simply accept to its
// answer: "gone" is UNREGISTERED, "malformed" a bad token, "bad-data" a bad
// payload, "other-app" SENDER_ID_MISMATCH, "quota" QUOTA_EXCEEDED with
// Retry-After 30, "down" UNAVAILABLE, "html-error" a proxy's 502.
var FCMAnswers = map[string]FCMAnswer{
	"gone":       {404, "", fcmErrorBody(404, "Requested entity was not found.", "NOT_FOUND", "UNREGISTERED", "")},
	"malformed":  {400, "", fcmErrorBody(400, "The registration token is not a valid FCM registration token", "INVALID_ARGUMENT", "INVALID_ARGUMENT", "message.token")},
	"bad-data":   {400, "", fcmErrorBody(400, "Invalid data payload key: from", "INVALID_ARGUMENT", "INVALID_ARGUMENT", "message.data")},
	"other-app":  {403, "", fcmErrorBody(403, "SenderId mismatch", "PERMISSION_DENIED", "SENDER_ID_MISMATCH", "")},
	"quota":      {429, "30", fcmErrorBody(429, "Quota exceeded.", "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", "")},
	"down":       {503, "", fcmErrorBody(503, "The service is currently unavailable.", "UNAVAILABLE", "UNAVAILABLE", "")},
	"html-error": {502, "", "<html>bad gateway</html>"},
}

// FCMMessageName is the name FCM gives every message it accepts.
const FCMMessageName = "projects/test-project/messages/0:42"

func fcmErrorBody(code int, msg, status, errorCode, field string) string {
	e := map[string]any{"code": code, "message": msg, "status": status, "details": []any{
		map[string]any{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": errorCode},
	}}
	if field != "" {
		e["details"] = append(e["details"].([]any), map[string]any{
			"@type":           "type.googleapis.com/google.rpc.BadRequest",
			"fieldViolations": []any{map[string]any{"field": field, "description": "bad"}},
		})
	}
	b, _ := json.Marshal(map[string]any{"error": e})
	return string(b)
}

// NewFCM starts a fake FCM, stopped when the test ends.
func NewFCM(t testing.TB) *FCM {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s := &FCM{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", s.token)
	mux.HandleFunc("POST /v1/projects/test-project/messages:send", s.send)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// TokenCalls counts the access tokens granted.
func (s *FCM) TokenCalls() int { return int(s.tokenCalls.Load()) }

// Messages returns the messages FCM received, accepted or not, in order.
func (s *FCM) Messages() []FCMMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]FCMMessage(nil), s.messages...)
}

// token grants an access token for a JWT signed by the service account.
func (s *FCM) token(w http.ResponseWriter, r *http.Request) {
	s.tokenCalls.Add(1)
	if got := r.FormValue("grant_type"); got != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		http.Error(w, `{"error":"unsupported_grant_type"}`, http.StatusBadRequest)
		return
	}
	parts := strings.Split(r.FormValue("assertion"), ".")
	if len(parts) != 3 {
		http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
		return
	}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(&s.key.PublicKey, crypto.SHA256, sum[:], sig) != nil {
		http.Error(w, `{"error":"invalid_grant","error_description":"bad signature"}`, http.StatusBadRequest)
		return
	}
	var claims struct {
		Iss, Scope, Aud string
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	_ = json.Unmarshal(payload, &claims)
	if claims.Scope != FCMScope || claims.Aud != s.URL+"/token" || claims.Iss != "push@test-project.iam.gserviceaccount.com" {
		http.Error(w, `{"error":"invalid_grant","error_description":"bad claims"}`, http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"access_token":"tok-1","token_type":"Bearer","expires_in":3600}`))
}

func (s *FCM) send(w http.ResponseWriter, r *http.Request) {
	if got := r.Header.Get("Authorization"); got != "Bearer tok-1" {
		http.Error(w, fcmErrorBody(401, "no auth", "UNAUTHENTICATED", "", ""), http.StatusUnauthorized)
		return
	}
	var req struct {
		Message FCMMessage `json:"message"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, fcmErrorBody(400, err.Error(), "INVALID_ARGUMENT", "", ""), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.messages = append(s.messages, req.Message)
	s.mu.Unlock()
	a, ok := FCMAnswers[req.Message.Token]
	if !ok {
		a = FCMAnswer{Status: http.StatusOK, Body: `{"name":"` + FCMMessageName + `"}`}
	}
	if a.RetryAfter != "" {
		w.Header().Set("Retry-After", a.RetryAfter)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.Status)
	w.Write([]byte(a.Body))
}

// Credentials writes a service-account JSON key for s to a file and returns
// its path.
func (s *FCM) Credentials(t testing.TB) string {
	t.Helper()
	return s.CredentialsWith(t, s.key)
}

// CredentialsWith is Credentials with another private key, which the token
// endpoint refuses.
func (s *FCM) CredentialsWith(t testing.TB, key *rsa.PrivateKey) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]string{
		"type":           "service_account",
		"project_id":     "test-project",
		"private_key_id": "key-1",
		"private_key":    string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":   "push@test-project.iam.gserviceaccount.com",
		"client_id":      "1",
		"token_uri":      s.URL + "/token",
	})
	path := filepath.Join(t.TempDir(), "fcm.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
