package api_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"journeys/api"
	"journeys/reporting"
	"journeys/reporting/dbtest"
)

// TestReportsSurviveAbsurdRevenue stores the two purchases of 1e308 that
// once made reports answer 500 for good, and more revenue no purchase has,
// through the store and the rollup trigger, then reads them back as a
// client does: the journey's report as JSON, and the dashboard's home (the
// summaries) and journey pages. Each answers 200 with finite numbers.
func TestReportsSurviveAbsurdRevenue(t *testing.T) {
	store, _ := dbtest.New(t)
	ctx := dbtest.Ctx()
	j, err := store.CreateJourney(ctx, reporting.Journey{
		ID: "cart", Name: "Cart 10%", Type: "cart_abandonment", GoalEvent: "purchase", Config: json.RawMessage(`{}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for i, v := range []float64{1e308, 1e308, math.MaxFloat64, -1e308, math.Inf(1), math.NaN()} {
		user := "u" + string(rune('a'+i))
		e, _, err := store.ClaimEnrollment(ctx, reporting.Claim{Journey: j, UserID: user, WorkflowID: "journey/cart/user/" + user})
		if err != nil {
			t.Fatal(err)
		}
		entry := reporting.Entry{EnrollmentID: e.ID, JourneyID: j.ID, UserID: user, Kind: reporting.KindEnrolled, At: now}
		if err := store.Record(ctx, entry); err != nil {
			t.Fatal(err)
		}
		entry.Kind, entry.Revenue = reporting.KindConverted, &v
		if err := store.EndEnrollment(ctx, e.ID, reporting.StatusConverted, entry); err != nil {
			t.Fatal(err)
		}
	}

	// Reports never call Temporal; nothing listens on port 1.
	c, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	srv := httptest.NewServer(api.New(api.Config{Store: store, Temporal: c, APIKey: "k", Log: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	defer srv.Close()

	req, _ := http.NewRequest("GET", srv.URL+"/v1/journeys/cart/report", nil)
	req.Header.Set("Authorization", "Bearer k")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var report reporting.Report
	if resp.StatusCode != 200 || json.Unmarshal(body, &report) != nil {
		t.Fatalf("report = %d %s, want 200 with a report", resp.StatusCode, body)
	}
	if report.Converted != 6 || report.Revenue != math.MaxFloat64 || report.ConversionRate != 1 {
		t.Errorf("report = converted %d, revenue %v, rate %v; want 6, the largest float64, 1",
			report.Converted, report.Revenue, report.ConversionRate)
	}

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	resp, err = browser.PostForm(srv.URL+"/login", url.Values{"key": {"k"}, "next": {"/"}})
	if err != nil {
		t.Fatal(err)
	}
	home, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/" || !strings.Contains(string(home), "Cart 10%") {
		t.Errorf("dashboard home = %d at %s, want 200 listing the journey:\n%s", resp.StatusCode, resp.Request.URL, home)
	}
	resp, err = browser.Get(srv.URL + "/journeys/cart")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("dashboard journey page = %d, want 200", resp.StatusCode)
	}
}
