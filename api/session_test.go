package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"go.temporal.io/sdk/client"

	"journeys/reporting"
	"journeys/reporting/dbtest"
)

const sessionKey = "session-test-key"

// lockedBuffer collects the server's log, written from its goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// serveAPI serves the API over HTTP on store with cfg's limits and the
// key sessionKey, logging to the returned buffer. Temporal is not running:
// the dashboard and the routes these tests use do not need it.
func serveAPI(t *testing.T, store *reporting.Store, cfg Config) (*httptest.Server, *lockedBuffer) {
	t.Helper()
	c, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	var log lockedBuffer
	cfg.Store, cfg.Temporal, cfg.Log, cfg.Namespace = store, c, slog.New(slog.NewTextHandler(&log, nil)), "default"
	if cfg.APIKey == "" {
		cfg.APIKey = sessionKey
	}
	srv := httptest.NewServer(New(cfg))
	t.Cleanup(srv.Close)
	return srv, &log
}

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// postLogin posts the login form and returns the answer, its body read.
func postLogin(t *testing.T, base, key, next string) (*http.Response, string) {
	t.Helper()
	resp, err := noRedirect.PostForm(base+"/login", url.Values{"key": {key}, "next": {next}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// logIn logs in and returns the session cookie.
func logIn(t *testing.T, base, key string) *http.Cookie {
	t.Helper()
	resp, body := postLogin(t, base, key, "/")
	cookies := resp.Cookies()
	if resp.StatusCode != http.StatusSeeOther || len(cookies) != 1 {
		t.Fatalf("login: %d with %d cookies %s, want 303 with the session cookie", resp.StatusCode, len(cookies), body)
	}
	return cookies[0]
}

// getPage requests path with cookie and returns the status and Location.
func getPage(t *testing.T, base, path string, cookie *http.Cookie) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	req.AddCookie(cookie)
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

// errorBody decodes the JSON error shape.
func errorBody(t *testing.T, raw string) Error {
	t.Helper()
	var body struct{ Error Error }
	if err := json.Unmarshal([]byte(raw), &body); err != nil || body.Error.Code == "" {
		t.Fatalf("body %q is not the JSON error shape: %v", raw, err)
	}
	return body.Error
}

func TestLocalPath(t *testing.T) {
	for next, want := range map[string]string{
		"/journeys/cart?from=2026-03-01": "/journeys/cart?from=2026-03-01",
		"/search?user_id=u%2F42":         "/search?user_id=u%2F42",
		"/%2F%2Fevil.example":            "/%2F%2Fevil.example", // a path on this site, encoded slashes and all
		"":                               "/",
		"journeys":                       "/",
		"//evil.example/":                "/",
		"///evil.example":                "/",
		"/\\evil.example":                "/",
		"\\\\evil.example":               "/",
		"/a\\..\\..\\evil.example":       "/",
		"https://evil.example/":          "/",
		"javascript:alert(1)":            "/",
		"/\t/evil.example":               "/", // /%09/evil.example decoded
		"/\n/evil.example":               "/",
		"/\r\n/evil.example":             "/",
		"\t//evil.example":               "/",
		" //evil.example":                "/",
		"/\x00/evil.example":             "/",
		"/\x7f/evil.example":             "/",
		"/\u0085/evil.example":           "/",
		"/%zz":                           "/",
		"/\xff/evil.example":             "/",
	} {
		if got := localPath(next); got != want {
			t.Errorf("localPath(%q) = %q, want %q", next, got, want)
		}
	}
}

// TestLoginRedirectsOnlyToLocalPaths posts the attack strings as a browser
// would send them, urlencoded, and follows where the login sends them.
func TestLoginRedirectsOnlyToLocalPaths(t *testing.T) {
	store, _ := dbtest.New(t)
	srv, _ := serveAPI(t, store, Config{})
	for raw, want := range map[string]string{
		"%2Fjourneys%2Fcart":         "/journeys/cart",
		"/%09/evil.example":          "/",
		"%2F%09%2Fevil.example":      "/",
		"/%0A/evil.example":          "/",
		"/%0D%0A/evil.example":       "/",
		"%2F%5Cevil.example":         "/",
		"%5C%5Cevil.example":         "/",
		"%2F%2Fevil.example":         "/",
		"https%3A%2F%2Fevil.example": "/",
		"%09%2F%2Fevil.example":      "/",
		"%2F%252F%252Fevil.example":  "/%2F%2Fevil.example",
	} {
		resp, err := noRedirect.Post(srv.URL+"/login", "application/x-www-form-urlencoded",
			strings.NewReader("key="+sessionKey+"&next="+raw))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != want {
			t.Errorf("next=%s: %d to %q, want 303 to %q", raw, resp.StatusCode, loc, want)
		}
	}
	// The form's page carries next on in the same way.
	resp, err := noRedirect.Get(srv.URL + "/login?next=/%09/evil.example")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), `name="next" value="/"`) {
		t.Errorf("the login page for next=/%%09/evil.example does not fall back to /:\n%s", page)
	}
}

// multipartBody is a multipart form with one file of size bytes, made as
// it is read. Every MiB it looks into dir, to catch a server spooling the
// upload to disk there.
type multipartBody struct {
	r       io.Reader
	dir     string
	read    int
	spooled []string
}

func newMultipartBody(size int, dir string) (*multipartBody, string) {
	var head bytes.Buffer
	w := multipart.NewWriter(&head)
	w.WriteField("key", "wrong")
	w.CreateFormFile("upload", "big.bin")
	tail := "\r\n--" + w.Boundary() + "--\r\n"
	fill := io.LimitReader(repeatReader('a'), int64(size))
	return &multipartBody{r: io.MultiReader(&head, fill, strings.NewReader(tail)), dir: dir}, w.FormDataContentType()
}

func (m *multipartBody) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	if m.read/(1<<20) != (m.read+n)/(1<<20) && m.spooled == nil {
		entries, _ := os.ReadDir(m.dir)
		for _, e := range entries {
			m.spooled = append(m.spooled, e.Name())
		}
	}
	m.read += n
	return n, err
}

type repeatReader byte

func (b repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

// TestLoginFormIsSmall checks that the login form takes only a small
// urlencoded body: a large multipart upload is refused before it is read,
// and nothing reaches the disk.
func TestLoginFormIsSmall(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where multipart forms are spooled
	store, _ := dbtest.New(t)
	srv, _ := serveAPI(t, store, Config{})

	body, contentType := newMultipartBody(64<<20, tmp)
	resp, err := http.Post(srv.URL+"/login", contentType, body)
	if err != nil {
		t.Fatalf("multipart login: %v (after %d bytes)", err, body.read)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(errorBody(t, string(raw)).Message, "application/x-www-form-urlencoded") {
		t.Errorf("multipart login: %d %s, want 400 asking for a urlencoded form", resp.StatusCode, raw)
	}
	if body.spooled != nil || body.read > 16<<20 {
		t.Errorf("multipart login: the server read %d MiB of the upload and spooled %v to disk; want it refused unread",
			body.read>>20, body.spooled)
	}

	form := url.Values{"key": {sessionKey}, "next": {"/" + strings.Repeat("a", maxLoginForm)}}.Encode()
	resp, err = http.Post(srv.URL+"/login", "application/x-www-form-urlencoded", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if e := errorBody(t, string(raw)); resp.StatusCode != http.StatusRequestEntityTooLarge || e.Code != CodeTooLarge ||
		!strings.Contains(e.Message, fmt.Sprint(maxLoginForm)) || len(resp.Cookies()) != 0 {
		t.Errorf("a %d-byte login form: %d %s, want 413 naming the limit and no session", len(form), resp.StatusCode, raw)
	}
}

// TestLogoutRevokesTheSession checks that sessions live on the server: the
// cookie holds no key, logging out makes a copy of it useless, and a new
// API key ends every session.
func TestLogoutRevokesTheSession(t *testing.T) {
	store, _ := dbtest.New(t)
	srv, _ := serveAPI(t, store, Config{})

	cookie := logIn(t, srv.URL, sessionKey)
	if !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || strings.Contains(cookie.Value, sessionKey) || len(cookie.Value) < 20 {
		t.Errorf("session cookie %+v: want HttpOnly, SameSite=Strict, a random token without the key", cookie)
	}
	var stored int
	if err := store.DB().Get(&stored, `SELECT count(*) FROM sessions WHERE expires_at > now() + interval '11 hours'`); err != nil || stored != 1 {
		t.Fatalf("sessions stored = %d (%v), want the new one, expiring in 12 hours", stored, err)
	}
	if status, _ := getPage(t, srv.URL, "/", cookie); status != http.StatusOK {
		t.Fatalf("GET / with the session: %d, want 200", status)
	}
	other := logIn(t, srv.URL, sessionKey)

	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/logout", nil)
	req.AddCookie(cookie)
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Errorf("logout: %d to %q, want 303 to /login", resp.StatusCode, resp.Header.Get("Location"))
	}
	if status, loc := getPage(t, srv.URL, "/", cookie); status != http.StatusSeeOther || loc != "/login?next=%2F" {
		t.Errorf("GET / with the cookie after logout: %d to %q, want 303 to the login form", status, loc)
	}
	if status, _ := getPage(t, srv.URL, "/", other); status != http.StatusOK {
		t.Errorf("GET / with another session after logout: %d, want 200: logging out ends only its own session", status)
	}

	rotated, _ := serveAPI(t, store, Config{APIKey: "a-new-key"})
	if status, _ := getPage(t, rotated.URL, "/", other); status != http.StatusSeeOther {
		t.Errorf("GET / with a session from before a new API key: %d, want 303 to the login form", status)
	}
}
