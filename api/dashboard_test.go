package api

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"journeys/reporting"
)

func sampleReport() reporting.Report {
	lift, lo, hi := 0.1, -0.05, 0.25
	return reporting.Report{
		JourneyID: "cart", From: "2026-03-01", To: "2026-03-02", Enrolled: 10, Converted: 4, Exited: 6, ConversionRate: 0.4,
		ExitReasons: map[string]int{"not_converted": 6},
		Funnel: []reporting.FunnelStep{{Step: 1, Channel: "push", Template: "پیشنهاد", Reached: 10, Sent: 7, Skipped: 2, Failed: 1,
			SkippedByReason: map[string]int{"holdout": 2}}},
		Attribution: []reporting.Attribution{{Step: 1, Channel: "push", Template: "پیشنهاد", Conversions: 4, Revenue: 10}},
		Daily:       []reporting.Day{{Day: "2026-03-01", Enrolled: 6, Sent: 4, Converted: 1}, {Day: "2026-03-02", Enrolled: 4, Sent: 3, Converted: 3}},
		Holdout: &reporting.Holdout{Percent: 20, Treatment: reporting.Group{Enrolled: 8, Converted: 4, ConversionRate: 0.5},
			Control: reporting.Group{Enrolled: 2, ConversionRate: 0.4}, Lift: reporting.Lift{AbsoluteLift: &lift, CILow: &lo, CIHigh: &hi}},
	}
}

// TestDashboardPages renders every page with sample data: the templates
// execute, the charts carry their numbers, and nothing is loaded from
// elsewhere.
func TestDashboardPages(t *testing.T) {
	r := sampleReport()
	journey := reporting.Journey{ID: "cart", Name: "سبد خرید", Type: "cart_abandonment", Status: "active", HoldoutPercent: 20}
	tests := []struct {
		page string
		data any
		want []string
	}{
		{"login", loginView{Next: "/journeys/cart", Message: "That is not the API key."}, []string{`name="next" value="/journeys/cart"`, "That is not the API key."}},
		{"journeys", []journeyRow{{Journey: journey, Numbers: r}}, []string{`<bdi dir="auto">سبد خرید</bdi>`, "40.0%", "20%"}},
		{"journey", journeyView{Journey: journey, Report: r, Funnel: funnel(r), Chart: dailyChart(r.Daily), Holdout: newHoldoutView(r.Holdout)}, []string{
			`<h1 dir="auto">سبد خرید</h1>`, `data-kind="step" data-step="1" data-reached="10" data-sent="7" data-skipped="2" data-failed="1"`,
			`data-series="converted"`, `data-day="2026-03-02" data-value="3"`, "&#43;10.0 pts", "holdout 2", `id="user-search"`,
		}},
		{"search", searchView{UserID: "u42", Journeys: map[string]string{"cart": "سبد خرید"}, Runs: []enrollmentResponse{{
			JourneyID: "cart", WorkflowID: "journey/cart/user/u42", Status: "active", TemporalUIURL: "http://ui/namespaces/default/workflows/journey%2Fcart%2Fuser%2Fu42/r1/history",
		}}}, []string{`href="http://ui/namespaces/default/workflows/journey%2fcart%2fuser%2fu42/r1/history"`, "treatment"}},
		{"error", Errorf(CodeNotFound, "journey %q does not exist", "x"), []string{"journey &#34;x&#34; does not exist"}},
	}
	s := &Server{apiKey: "k", log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		c := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/", nil), rec)
		if err := s.render(c, http.StatusOK, tt.page, "Title", tt.data); err != nil {
			t.Errorf("%s: %v", tt.page, err)
			continue
		}
		html := rec.Body.String()
		for _, want := range tt.want {
			if !strings.Contains(strings.ToLower(html), strings.ToLower(want)) {
				t.Errorf("%s page lacks %s", tt.page, want)
			}
		}
		for _, bad := range []string{"<script", "src=", "<link", "@import"} {
			if strings.Contains(html, bad) {
				t.Errorf("%s page contains %q", tt.page, bad)
			}
		}
	}
}

func TestReportWindow(t *testing.T) {
	now := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	j := reporting.Journey{CreatedAt: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)}
	old := reporting.Journey{CreatedAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	tests := []struct {
		j                reporting.Journey
		from, to         string
		wantFrom, wantTo string
		wantErr          bool
	}{
		{j, "", "", "2026-11-01", "2026-11-20", false},
		{old, "", "", "2025-11-20", "2026-11-20", false},
		{j, "2026-11-05", "2026-11-06", "2026-11-05", "2026-11-06", false},
		{j, "", "2026-10-01", "2026-10-01", "2026-10-01", false},
		{j, "2026-11-07", "2026-11-06", "", "", true},
		{j, "yesterday", "", "", "", true},
		{j, "2000-01-01", "", "", "", true},
	}
	for _, tt := range tests {
		from, to, err := reportWindow(tt.from, tt.to, tt.j, now)
		switch {
		case tt.wantErr && err == nil:
			t.Errorf("window(%q, %q) = %v..%v, want an error", tt.from, tt.to, from, to)
		case !tt.wantErr && err != nil:
			t.Errorf("window(%q, %q): %v", tt.from, tt.to, err)
		case !tt.wantErr && (from.Format(time.DateOnly) != tt.wantFrom || to.Format(time.DateOnly) != tt.wantTo):
			t.Errorf("window(%q, %q) = %s..%s, want %s..%s", tt.from, tt.to, from.Format(time.DateOnly), to.Format(time.DateOnly), tt.wantFrom, tt.wantTo)
		}
	}
}
