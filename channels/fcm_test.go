package channels

import (
	"context"
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
	"sync/atomic"
	"testing"
	"time"
)

// fcmServer is a token endpoint and an FCM API on one test server.
type fcmServer struct {
	*httptest.Server
	key         *rsa.PrivateKey
	tokenCalls  atomic.Int32
	lastMessage atomic.Value // fcmRequest
}

// fcmAnswers maps a device token to the status, headers and body FCM
// answers for it.
var fcmAnswers = map[string]struct {
	status int
	header string // Retry-After
	body   string
}{
	"good":       {200, "", `{"name":"projects/test-project/messages/0:42"}`},
	"gone":       {404, "", fcmErrorBody(404, "Requested entity was not found.", "NOT_FOUND", "UNREGISTERED", "")},
	"malformed":  {400, "", fcmErrorBody(400, "The registration token is not a valid FCM registration token", "INVALID_ARGUMENT", "INVALID_ARGUMENT", "message.token")},
	"bad-data":   {400, "", fcmErrorBody(400, "Invalid data payload key: from", "INVALID_ARGUMENT", "INVALID_ARGUMENT", "message.data")},
	"other-app":  {403, "", fcmErrorBody(403, "SenderId mismatch", "PERMISSION_DENIED", "SENDER_ID_MISMATCH", "")},
	"quota":      {429, "30", fcmErrorBody(429, "Quota exceeded.", "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", "")},
	"down":       {503, "", fcmErrorBody(503, "The service is currently unavailable.", "UNAVAILABLE", "UNAVAILABLE", "")},
	"html-error": {502, "", "<html>bad gateway</html>"},
}

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

func newFCMServer(t *testing.T) *fcmServer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s := &fcmServer{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", s.token)
	mux.HandleFunc("POST /v1/projects/test-project/messages:send", s.send)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// token grants an access token for a JWT signed by the service account.
func (s *fcmServer) token(w http.ResponseWriter, r *http.Request) {
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
	if claims.Scope != fcmScope || claims.Aud != s.URL+"/token" || claims.Iss != "push@test-project.iam.gserviceaccount.com" {
		http.Error(w, `{"error":"invalid_grant","error_description":"bad claims"}`, http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"access_token":"tok-1","token_type":"Bearer","expires_in":3600}`))
}

func (s *fcmServer) send(w http.ResponseWriter, r *http.Request) {
	if got := r.Header.Get("Authorization"); got != "Bearer tok-1" {
		http.Error(w, fcmErrorBody(401, "no auth", "UNAUTHENTICATED", "", ""), http.StatusUnauthorized)
		return
	}
	var req fcmRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, fcmErrorBody(400, err.Error(), "INVALID_ARGUMENT", "", ""), http.StatusBadRequest)
		return
	}
	s.lastMessage.Store(req)
	a := fcmAnswers[req.Message.Token]
	if a.header != "" {
		w.Header().Set("Retry-After", a.header)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	w.Write([]byte(a.body))
}

// credentials writes a service-account JSON key for s to a file.
func (s *fcmServer) credentials(t *testing.T) string {
	t.Helper()
	return s.credentialsWith(t, s.key)
}

// credentialsWith is credentials with another private key.
func (s *fcmServer) credentialsWith(t *testing.T, key *rsa.PrivateKey) string {
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

func TestFCM(t *testing.T) {
	srv := newFCMServer(t)
	f, err := NewFCM(FCMConfig{CredentialsFile: srv.credentials(t), BaseURL: srv.URL + "/", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	tests := []sendCase{
		{"good", delivered, 0},
		{"gone", dead, 0},
		{"malformed", dead, 0},
		{"bad-data", refused, 0},
		{"other-app", refused, 0},
		{"quota", retried, 30 * time.Second},
		{"down", retried, 0},
		{"html-error", retried, 0},
	}
	for _, tt := range tests {
		t.Run(tt.to, func(t *testing.T) {
			m := Message{Channel: Push, IdempotencyKey: "k1", To: tt.to, Title: "Hi", Body: "Welcome", Data: map[string]string{"journey": "onboarding"}}
			r, err := f.Send(context.Background(), m)
			checkOutcome(t, err, tt.want, tt.retryAfter)
			if tt.want == delivered {
				if want := (Receipt{Provider: "fcm", ID: "projects/test-project/messages/0:42"}); r != want {
					t.Errorf("got receipt %+v, want %+v", r, want)
				}
			} else if !strings.Contains(err.Error(), "status ") {
				t.Errorf("got error %q, want it to name the status", err)
			}
			got := srv.lastMessage.Load().(fcmRequest).Message
			if got.Token != tt.to || got.Notification == nil || got.Notification.Title != "Hi" ||
				got.Notification.Body != "Welcome" || got.Data["journey"] != "onboarding" {
				t.Errorf("got message %+v, want token %q, title, body and data", got, tt.to)
			}
		})
	}
	if got := srv.tokenCalls.Load(); got != 1 {
		t.Errorf("got %d token fetches, want 1 reused token", got)
	}
}

func TestFCMTokenRefused(t *testing.T) {
	srv := newFCMServer(t)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewFCM(FCMConfig{CredentialsFile: srv.credentialsWith(t, other), BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Send(context.Background(), Message{Channel: Push, To: "good", Body: "x"})
	checkOutcome(t, err, retried, 0)
}

func TestNewFCMErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  FCMConfig
	}{
		{"no credentials", FCMConfig{}},
		{"missing file", FCMConfig{CredentialsFile: filepath.Join(t.TempDir(), "none.json")}},
		{"not json", FCMConfig{CredentialsJSON: []byte("nope")}},
		{"no project", FCMConfig{CredentialsJSON: []byte(`{"type":"service_account"}`)}},
		{"user credentials", FCMConfig{CredentialsJSON: []byte(`{"type":"authorized_user","project_id":"p"}`)}},
	}
	for _, tt := range tests {
		if _, err := NewFCM(tt.cfg); err == nil {
			t.Errorf("%s: got no error, want one", tt.name)
		}
	}
}
