package api

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"journeys/reporting/dbtest"
)

func TestFailureLimiter(t *testing.T) {
	now := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	l := newFailureLimiter(6, 2) // a try every 10 s after two
	l.now = func() time.Time { return now }

	steps := []struct {
		what     string
		advance  time.Duration
		fail     string // the address that fails, or "" to only look
		wantWait map[string]time.Duration
	}{
		{"nobody has failed", 0, "", map[string]time.Duration{"a": 0, "b": 0}},
		{"a fails once", 0, "a", map[string]time.Duration{"a": 0, "b": 0}},
		{"a fails twice: out of tries", 0, "a", map[string]time.Duration{"a": 10 * time.Second, "b": 0}},
		{"a third failure together with the second is paid for too", 0, "a", map[string]time.Duration{"a": 20 * time.Second}},
		{"time earns tries back", 15 * time.Second, "", map[string]time.Duration{"a": 5 * time.Second}},
		{"and fills the bucket again", 5 * time.Minute, "", map[string]time.Duration{"a": 0}},
		{"no more than the burst is saved up", 0, "a", map[string]time.Duration{"a": 0}},
	}
	for _, st := range steps {
		now = now.Add(st.advance)
		if st.fail != "" {
			l.fail(st.fail)
		}
		for addr, want := range st.wantWait {
			if got := l.wait(addr); got != want {
				t.Errorf("%s: wait(%s) = %v, want %v", st.what, addr, got, want)
			}
		}
	}
}

// TestFailureLimiterForgets checks that addresses whose buckets have filled
// up again are dropped, so that memory follows recent failures only.
func TestFailureLimiterForgets(t *testing.T) {
	now := time.Now()
	l := newFailureLimiter(6, 2)
	l.now = func() time.Time { return now }
	for i := range 1024 {
		l.fail(fmt.Sprintf("10.0.%d.%d", i/256, i%256))
	}
	now = now.Add(time.Minute)
	l.fail("10.9.9.9")
	if len(l.buckets) != 1 {
		t.Errorf("%d addresses tracked after the others' buckets filled up, want 1", len(l.buckets))
	}
	if l.wait("10.9.9.9") != 0 || l.fail("10.9.9.9") != 10*time.Second {
		t.Error("the address that failed last lost its count")
	}
}

func TestClientAddress(t *testing.T) {
	e := echo.New()
	e.IPExtractor = echo.ExtractIPDirect()
	for remote, want := range map[string]string{
		"203.0.113.7:5555":                    "203.0.113.7",
		"[::ffff:203.0.113.7]:5555":           "203.0.113.7",
		"[2001:db8:1:2:aaaa:bbbb:cccc:1]:443": "2001:db8:1:2::/64",
		"[2001:db8:1:2::9]:443":               "2001:db8:1:2::/64",
		"[fe80::1%eth0]:443":                  "fe80::/64",
	} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.RemoteAddr = remote
		req.Header.Set("X-Forwarded-For", "198.51.100.1") // the client's to choose: ignored
		if got := clientAddress(e.NewContext(req, httptest.NewRecorder())); got != want {
			t.Errorf("clientAddress(%s) = %s, want %s", remote, got, want)
		}
	}
}

// TestWrongKeysAreHeldBack checks that wrong API keys, as bearer tokens
// and at the login form together, are limited per client address, answered
// with 429 and Retry-After once the address is out of tries, and logged
// once each with a fingerprint of the key, never the key; requests with
// the right key take no tries.
func TestWrongKeysAreHeldBack(t *testing.T) {
	store, _ := dbtest.New(t)
	srv, log := serveAPI(t, store, Config{FailedKeysPerMinute: 1, FailedKeysBurst: 3})
	call := func(key string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/journeys", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp, string(raw)
	}

	for i := range 20 {
		if resp, body := call(sessionKey); resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d with the right key: %d %s, want 200", i+1, resp.StatusCode, body)
		}
	}
	for i, key := range []string{"guess-one", "guess-two"} {
		if resp, body := call(key); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong key %d: %d %s, want 401", i+1, resp.StatusCode, body)
		}
	}
	if resp, _ := postLogin(t, srv.URL, "guess-three", "/"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("third wrong key, at the login form: %d, want 401", resp.StatusCode)
	}
	for _, key := range []string{"guess-four", sessionKey} {
		resp, body := call(key)
		if e := errorBody(t, body); resp.StatusCode != http.StatusTooManyRequests || e.Code != CodeRateLimited ||
			!strings.Contains(e.Message, "127.0.0.1") || resp.Header.Get("Retry-After") != "60" {
			t.Errorf("key %q after three wrong ones: %d Retry-After %q %s, want 429 with Retry-After 60 naming the address",
				key, resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
	}
	if resp, body := postLogin(t, srv.URL, sessionKey, "/"); resp.StatusCode != http.StatusTooManyRequests || len(resp.Cookies()) != 0 {
		t.Errorf("login after three wrong keys: %d %s, want 429 and no session", resp.StatusCode, body)
	}

	out := log.String()
	lines := regexp.MustCompile(`(?m)^.*msg="wrong API key".*$`).FindAllString(out, -1)
	if len(lines) != 3 {
		t.Fatalf("logged %d wrong keys, want 3 (one per failure, none for refusals or right keys):\n%s", len(lines), out)
	}
	for i, want := range []string{"at=bearer", "at=bearer", "at=login held_back_for=1m0s"} {
		if !regexp.MustCompile(`address=127\.0\.0\.1 key_fingerprint=[0-9a-f]{12} ` + want).MatchString(lines[i]) {
			t.Errorf("log line %d = %s, want the address, a 12-digit fingerprint and %s", i+1, lines[i], want)
		}
	}
	for _, secret := range []string{"guess-one", "guess-two", "guess-three", "guess-four", sessionKey} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds the key %q:\n%s", secret, out)
		}
	}
}
