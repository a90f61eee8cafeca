package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"journeys/reporting"
)

// chromium returns the headless browser the dashboard test drives: the
// Debian package chromium (.ci/run installs it), or JOURNEYS_CHROMIUM. CI
// must have it; elsewhere the test is skipped without it.
func chromium(t *testing.T) string {
	for _, name := range []string{os.Getenv("JOURNEYS_CHROMIUM"), "chromium", "chromium-browser"} {
		if name == "" {
			continue
		}
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("the dashboard test needs headless Chromium: apt-get install chromium (.ci/run does)")
	}
	t.Skip("no chromium on PATH: apt-get install chromium to run the dashboard test")
	return ""
}

// artifacts returns where the test keeps what it shows a person:
// JOURNEYS_TEST_ARTIFACTS when set, else the test's artifact directory
// (kept with go test -artifacts).
func artifacts(t *testing.T) string {
	dir := os.Getenv("JOURNEYS_TEST_ARTIFACTS")
	if dir == "" {
		return t.ArtifactDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// persianJourney is the name of the dashboard test's journey: "Cart, 10%
// off" in Persian.
const persianJourney = "سبد خرید رها شده — ۱۰٪ تخفیف"

// dashboardPage is what the test reads off the rendered journey page.
type dashboardPage struct {
	Path      string              `json:"path"`
	Title     string              `json:"title"`
	Direction string              `json:"direction"`
	Scripts   int                 `json:"scripts"`
	Funnel    []map[string]string `json:"funnel"`
	BarWidths []float64           `json:"barWidths"`
	Series    map[string][]struct {
		Day   string  `json:"day"`
		Value int     `json:"value"`
		Y     float64 `json:"y"`
	} `json:"series"`
	ChartWidth float64             `json:"chartWidth"`
	Holdout    []map[string]string `json:"holdout"`
}

const readPage = `(() => {
	const data = el => Object.assign({}, el.dataset);
	const h1 = document.querySelector('h1');
	return {
		path: location.pathname,
		title: h1.textContent.trim(),
		direction: getComputedStyle(h1).direction,
		scripts: document.scripts.length,
		funnel: [...document.querySelectorAll('#funnel .frow')].map(data),
		barWidths: [...document.querySelectorAll('#funnel .frow rect.sent')].map(r => r.getBoundingClientRect().width),
		series: Object.fromEntries([...document.querySelectorAll('#daily g.series')].map(g =>
			[g.dataset.series, [...g.querySelectorAll('rect')].map(r =>
				({day: r.dataset.day, value: Number(r.dataset.value), y: Number(r.getAttribute('y'))}))])),
		chartWidth: document.querySelector('#daily').getBoundingClientRect().width,
		holdout: [...document.querySelectorAll('#holdout .hrow')].map(data),
	};
})()`

func TestDashboardEndToEnd(t *testing.T) {
	browser := chromium(t)
	s := startStack(t)
	s.mustCall("POST", "/v1/journeys", cartJourney("cart-fa", map[string]any{"name": persianJourney, "holdout_percent": 50}), 201, nil)
	names := []string{"سارا", "علی", "مریم", "رضا", "نگار", "امید", "لیلا", "کاوه"}
	for i, name := range names {
		u := fmt.Sprintf("u%d", i+1)
		profile := map[string]any{"email": u + "@example.com", "push_token": "tok-" + u, "locale": "fa",
			"attributes": map[string]string{"first_name": name}}
		if u == "u4" {
			delete(profile, "email")
		}
		s.mustCall("PUT", "/v1/users/"+u, profile, 200, nil)
		s.mustCall("POST", "/v1/journeys/cart-fa/enrollments", map[string]string{"user_id": u}, 202, nil)
	}
	purchase := func(user string, revenue float64) {
		s.mustCall("POST", "/v1/events", map[string]any{"event_id": "p-" + user, "user_id": user, "name": "purchase",
			"properties": map[string]any{"revenue": revenue}}, 202, nil)
	}
	purchase("u1", 120)
	purchase("u2", 80)
	s.waitFor("cart-fa", "u3", reached("push"))
	purchase("u3", 200)
	for i := range names {
		s.waitFor("cart-fa", fmt.Sprintf("u%d", i+1), ended)
	}
	var report reporting.Report
	s.mustCall("GET", "/v1/journeys/cart-fa/report", nil, 200, &report)
	if report.Enrolled != 8 || report.Converted != 3 || report.Holdout == nil || len(report.Funnel) != 2 {
		t.Fatalf("report = %+v; want 8 enrolled, 3 converted, two steps and a holdout", report)
	}

	checkSession(t, s)

	ctx := browse(t, browser, s, "/journeys/cart-fa")
	loaded := func(trigger chromedp.Action[chromedp.Void]) { load(t, ctx, trigger) }
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("daily"))); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[dashboardPage](readPage))
	if err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	keepScreenshot(t, "dashboard-journey.png", "the journey page", png)

	if got.Path != "/journeys/cart-fa" || got.Title != persianJourney || got.Direction != "rtl" || got.Scripts != 0 {
		t.Errorf("page %s: title %q (%s), %d scripts; want the journey page titled %q, right to left, no script",
			got.Path, got.Title, got.Direction, got.Scripts, persianJourney)
	}
	checkFunnel(t, got, report)
	checkSeries(t, got, report)
	if len(got.Holdout) != 2 ||
		got.Holdout[0]["enrolled"] != fmt.Sprint(report.Holdout.Treatment.Enrolled) || got.Holdout[0]["converted"] != fmt.Sprint(report.Holdout.Treatment.Converted) ||
		got.Holdout[1]["enrolled"] != fmt.Sprint(report.Holdout.Control.Enrolled) || got.Holdout[1]["converted"] != fmt.Sprint(report.Holdout.Control.Converted) {
		t.Errorf("holdout rows = %v, want treatment %+v and control %+v", got.Holdout, report.Holdout.Treatment, report.Holdout.Control)
	}

	// The search box finds a user's runs, each linked to the Temporal UI.
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("user-search"), "u3")); err != nil {
		t.Fatal(err)
	}
	loaded(chromedp.Submit(chromedp.ID("user-search")))
	links, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#runs a.temporal')].map(a => a.href)`))
	if err != nil {
		t.Fatal(err)
	}
	var e struct {
		TemporalUIURL string `json:"temporal_ui_url"`
	}
	s.mustCall("GET", "/v1/journeys/cart-fa/enrollments/u3", nil, 200, &e)
	if len(links) != 1 || links[0] != e.TemporalUIURL || e.TemporalUIURL == "" {
		t.Errorf("u3's runs link to %v, want [%s]", links, e.TemporalUIURL)
	}
}

// browse opens path of the dashboard in headless Chromium, logging in with
// the API key on the way, and returns the browser's tab.
func browse(t *testing.T, browser string, s *stack, path string) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1280, 1000),
	)...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(cancelTab)

	// The page asks for a login first, then comes back.
	load(t, ctx, chromedp.Navigate(s.base+path))
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("key")), chromedp.SendKeys(chromedp.ID("key"), testKey)); err != nil {
		t.Fatal(err)
	}
	load(t, ctx, chromedp.Submit(chromedp.ID("key")))
	return ctx
}

// keepScreenshot writes png to the test's artifacts as name.
func keepScreenshot(t *testing.T, name, what string, png []byte) {
	t.Helper()
	shot := filepath.Join(artifacts(t), name)
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of %s: %s", what, shot)
}

// load runs trigger and waits for the page it loads.
func load(t *testing.T, ctx context.Context, trigger chromedp.Action[chromedp.Void]) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, trigger)); err != nil {
		t.Fatal(err)
	}
}

// checkFunnel compares the funnel chart with the report: enrolled, each
// step, converted, and bars drawn for the sends.
func checkFunnel(t *testing.T, got dashboardPage, r reporting.Report) {
	t.Helper()
	want := []map[string]string{{"kind": "enrolled", "reached": fmt.Sprint(r.Enrolled)}}
	for _, st := range r.Funnel {
		want = append(want, map[string]string{"kind": "step", "step": fmt.Sprint(st.Step), "reached": fmt.Sprint(st.Reached),
			"sent": fmt.Sprint(st.Sent), "skipped": fmt.Sprint(st.Skipped), "failed": fmt.Sprint(st.Failed)})
	}
	want = append(want, map[string]string{"kind": "converted", "reached": fmt.Sprint(r.Converted)})
	if len(got.Funnel) != len(want) {
		t.Fatalf("funnel rows = %v, want %v", got.Funnel, want)
	}
	for i, w := range want {
		for k, v := range w {
			if got.Funnel[i][k] != v {
				t.Errorf("funnel row %d %s = %q, want %q (row %v)", i, k, got.Funnel[i][k], v, got.Funnel[i])
			}
		}
	}
	for i, st := range r.Funnel {
		if st.Sent > 0 && (i >= len(got.BarWidths) || got.BarWidths[i] < 1) {
			t.Errorf("step %d sent %d, but its bar is drawn %v wide", st.Step, st.Sent, got.BarWidths)
		}
	}
}

// checkSeries compares the daily chart's points with the report's series
// and checks that the largest value is drawn at the top.
func checkSeries(t *testing.T, got dashboardPage, r reporting.Report) {
	t.Helper()
	if got.ChartWidth < 300 {
		t.Errorf("daily chart is %vpx wide; want it drawn", got.ChartWidth)
	}
	top := 0
	for _, d := range r.Daily {
		top = max(top, d.Enrolled, d.Sent, d.Converted)
	}
	for name, value := range map[string]func(reporting.Day) int{
		"enrolled":  func(d reporting.Day) int { return d.Enrolled },
		"sent":      func(d reporting.Day) int { return d.Sent },
		"converted": func(d reporting.Day) int { return d.Converted },
	} {
		points := got.Series[name]
		if len(points) != len(r.Daily) {
			t.Errorf("%s has %d points, want %d", name, len(points), len(r.Daily))
			continue
		}
		for i, d := range r.Daily {
			p := points[i]
			if p.Day != d.Day || p.Value != value(d) {
				t.Errorf("%s on %s = %d, want %d on %s", name, p.Day, p.Value, value(d), d.Day)
			}
			if p.Value == top && p.Y != 20 {
				t.Errorf("%s on %s is the largest value, drawn up to y=%v, want the top (20)", name, p.Day, p.Y)
			}
		}
	}
}

// checkSession checks the login over plain HTTP: the cookie it sets, what
// a wrong key gets, and that pages load nothing from elsewhere.
func checkSession(t *testing.T, s *stack) {
	t.Helper()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(s.base + "/journeys/cart-fa")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/login?next=%2Fjourneys%2Fcart-fa" {
		t.Errorf("without a session: %d to %q, want 303 to the login form", resp.StatusCode, loc)
	}
	resp, err = noRedirect.PostForm(s.base+"/login", url.Values{"key": {"wrong"}, "next": {"/"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || len(resp.Cookies()) != 0 {
		t.Errorf("wrong key: %d with cookies %v, want 401 and none", resp.StatusCode, resp.Cookies())
	}
	resp, err = noRedirect.PostForm(s.base+"/login", url.Values{"key": {testKey}, "next": {"//evil.example/"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cookies := resp.Cookies()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" || len(cookies) != 1 {
		t.Fatalf("login: %d to %q with %d cookies, want 303 to / (not elsewhere) with a session cookie",
			resp.StatusCode, resp.Header.Get("Location"), len(cookies))
	}
	c := cookies[0]
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || strings.Contains(c.Value, testKey) {
		t.Errorf("session cookie %+v: want HttpOnly, SameSite=Strict, without the key", c)
	}
	req, _ := http.NewRequest("GET", s.base+"/journeys/cart-fa", nil)
	req.AddCookie(c)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	html := string(raw)
	for _, bad := range []string{"<script", "src=", "@import", "url(", "<link"} {
		if strings.Contains(html, bad) {
			t.Errorf("the journey page contains %q; it must load nothing from elsewhere", bad)
		}
	}
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("Content-Security-Policy = %q, want default-src 'none'", resp.Header.Get("Content-Security-Policy"))
	}
}
