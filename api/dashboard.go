package api

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"journeys/reporting"
)

// The dashboard is server-rendered HTML with inline CSS and SVG charts: no
// script and nothing fetched from elsewhere, so it works offline.

//go:embed dashboard
var dashboardFiles embed.FS

// pages are the dashboard's templates by page name, each parsed with the
// shared layout.
var pages = func() map[string]*template.Template {
	css, err := dashboardFiles.ReadFile("dashboard/style.css")
	if err != nil {
		panic(err)
	}
	funcs := template.FuncMap{
		"css":       func() template.CSS { return template.CSS(css) },
		"pct":       pct,
		"pts":       pts,
		"signedPct": signedPct,
		"duration":  humanDuration,
		"money":     func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) },
		"reasons":   reasons,
	}
	layout := template.Must(template.New("layout.tmpl").Funcs(funcs).ParseFS(dashboardFiles, "dashboard/layout.tmpl"))
	out := map[string]*template.Template{}
	for _, name := range []string{"login", "journeys", "journey", "search", "error", "unsubscribe"} {
		out[name] = template.Must(template.Must(layout.Clone()).ParseFS(dashboardFiles, "dashboard/"+name+".tmpl"))
	}
	return out
}()

// journeyRow is a journey with its headline numbers.
type journeyRow struct {
	reporting.Journey
	Numbers reporting.Report
}

func (s *Server) journeysPage(c echo.Context) error {
	ctx := c.Request().Context()
	js, err := s.store.Journeys(ctx)
	if err != nil {
		return s.failPage(c, err)
	}
	sums, err := s.store.Summaries(ctx)
	if err != nil {
		return s.failPage(c, err)
	}
	rows := make([]journeyRow, len(js))
	for i, j := range js {
		rows[i] = journeyRow{Journey: j, Numbers: sums[j.ID]}
	}
	return s.render(c, http.StatusOK, "journeys", "Journeys", rows)
}

// journeyView is what the journey page shows.
type journeyView struct {
	Journey reporting.Journey
	Report  reporting.Report
	Funnel  []funnelBar
	Chart   seriesChart
	Holdout *holdoutView
	// Flow is the flow's graph with its counts; nil for other types.
	Flow *flowChart
}

func (s *Server) journeyPage(c echo.Context) error {
	j, err := s.journey(c)
	if err != nil {
		return s.failPage(c, err)
	}
	from, to, err := reportWindow(c.QueryParam("from"), c.QueryParam("to"), j, time.Now())
	if err != nil {
		return s.failPage(c, err)
	}
	version, err := reportVersion(c.QueryParam("version"), j)
	if err != nil {
		return s.failPage(c, err)
	}
	r, err := s.store.Report(c.Request().Context(), j, from, to)
	if err != nil {
		return s.failPage(c, err)
	}
	graph, err := s.stepReport(c.Request().Context(), &r, j, from, to, version)
	if err != nil {
		return s.failPage(c, err)
	}
	v := journeyView{Journey: j, Report: r, Funnel: funnel(r), Chart: dailyChart(r.Daily), Holdout: newHoldoutView(r.Holdout)}
	if graph != nil {
		v.Flow = newFlowChart(*graph, r.Nodes)
	}
	return s.render(c, http.StatusOK, "journey", j.Name, v)
}

// searchView is a user's runs across journeys.
type searchView struct {
	UserID   string
	Runs     []enrollmentResponse
	Journeys map[string]string // names by id
}

func (s *Server) searchPage(c echo.Context) error {
	v := searchView{UserID: strings.TrimSpace(c.QueryParam("user_id"))}
	if v.UserID == "" {
		return s.render(c, http.StatusOK, "search", "Find a user", v)
	}
	if err := checkID("user_id", v.UserID); err != nil {
		return s.failPage(c, err)
	}
	runs, err := s.userRuns(c, v.UserID)
	if err != nil {
		return s.failPage(c, err)
	}
	js, err := s.store.Journeys(c.Request().Context())
	if err != nil {
		return s.failPage(c, err)
	}
	v.Runs, v.Journeys = runs, map[string]string{}
	for _, j := range js {
		v.Journeys[j.ID] = j.Name
	}
	return s.render(c, http.StatusOK, "search", "Runs of "+v.UserID, v)
}

// render writes a dashboard page. Pages load nothing from elsewhere and
// run no script, which the Content-Security-Policy holds them to.
func (s *Server) render(c echo.Context, status int, page, title string, data any) error {
	var b bytes.Buffer
	err := pages[page].ExecuteTemplate(&b, "layout.tmpl", map[string]any{
		"Title": title, "Page": page, "Data": data, "LoggedIn": page != "login" && page != "unsubscribe",
	})
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, b.Bytes())
}

// failPage shows an error as a page: the API's message for an *Error, a
// bare apology for anything else, which is logged.
func (s *Server) failPage(c echo.Context, err error) error {
	var apiErr *Error
	if !errors.As(err, &apiErr) {
		s.log.ErrorContext(c.Request().Context(), "dashboard page failed", "path", c.Path(), "error", err)
		apiErr = Errorf(CodeInternal, "Something went wrong; the service logged the details.")
	}
	return s.render(c, codes[apiErr.Code], "error", "Error", apiErr)
}
