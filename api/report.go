package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"journeys/reporting"
)

// maxReportDays bounds a report's window: its daily series has a point for
// every day.
const maxReportDays = 3660

// report answers GET /v1/journeys/{id}/report?from=&to=&version=.
func (s *Server) report(c echo.Context) error {
	j, err := s.journey(c)
	if err != nil {
		return err
	}
	from, to, err := reportWindow(c.QueryParam("from"), c.QueryParam("to"), j, time.Now())
	if err != nil {
		return err
	}
	version, err := reportVersion(c.QueryParam("version"), j)
	if err != nil {
		return err
	}
	r, err := s.store.Report(c.Request().Context(), j, from, to)
	if err != nil {
		return err
	}
	if _, err := s.stepReport(c.Request().Context(), &r, j, from, to, version); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

// reportWindow reads a report's first and last day (UTC, YYYY-MM-DD, both
// included). to defaults to today; from to the day the journey was created,
// but at most a year before to.
func reportWindow(fromText, toText string, j reporting.Journey, now time.Time) (from, to time.Time, err error) {
	to = reporting.Day0(now)
	if toText != "" {
		if to, err = time.Parse(reporting.DayFormat, toText); err != nil {
			return from, to, Errorf(CodeInvalid, "to %q must be a day such as 2026-11-30", toText)
		}
	}
	from = reporting.Day0(j.CreatedAt)
	if yearAgo := to.AddDate(-1, 0, 0); from.Before(yearAgo) {
		from = yearAgo
	} else if from.After(to) {
		from = to
	}
	if fromText != "" {
		if from, err = time.Parse(reporting.DayFormat, fromText); err != nil {
			return from, to, Errorf(CodeInvalid, "from %q must be a day such as 2026-11-01", fromText)
		}
	}
	switch days := int(to.Sub(from).Hours()/24) + 1; {
	case days < 1:
		return from, to, Errorf(CodeInvalid, "from %s is after to %s", from.Format(reporting.DayFormat), to.Format(reporting.DayFormat))
	case days > maxReportDays:
		return from, to, Errorf(CodeInvalid, "the window from %s to %s is longer than %d days", from.Format(reporting.DayFormat), to.Format(reporting.DayFormat), maxReportDays)
	}
	return from, to, nil
}
