package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
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
