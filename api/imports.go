package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
	"go.temporal.io/sdk/client"

	"journeys/reporting"
	"journeys/workflows"
	"journeys/workflows/journey"
)

// maxImport bounds an uploaded audience file.
const maxImport = 256 << 20

// importPageSize is how many rows one import activity enrolls.
const importPageSize = 500

// createImport takes an audience file (see AudienceReader; email, phone,
// push_token, timezone and locale fill the profile, any other column
// becomes an attribute) and enrolls it in the background. The file is
// streamed into Postgres a row at a time; a row that breaks the file's
// rules refuses the whole file, naming its line, and stores nothing. Rows
// whose user id or profile is not valid are counted as invalid and skipped.
func (s *Server) createImport(c echo.Context) error {
	j, err := s.journey(c)
	if err != nil {
		return err
	}
	if j.Status != reporting.JourneyActive {
		return Errorf(CodeConflict, "journey %q is %s; set its status to active to import an audience", j.ID, j.Status)
	}
	if c.Request().ContentLength > maxImport {
		return errTooLarge
	}
	body := http.MaxBytesReader(c.Response(), c.Request().Body, maxImport)
	audience, err := NewAudienceReader(body)
	if err != nil {
		return importError(err)
	}
	ctx := c.Request().Context()
	region, err := s.phoneRegion(ctx)
	if err != nil {
		return err
	}
	job, err := s.store.CreateImport(ctx, reporting.Job{ID: newJobID("imp"), JourneyID: j.ID}, importRows(audience, region))
	if err != nil {
		return err
	}
	opts := client.StartWorkflowOptions{
		ID:            workflows.JobWorkflowID(job.ID),
		TaskQueue:     journey.TaskQueue,
		StaticSummary: fmt.Sprintf("import %d users into %s", job.Total, j.Name),
	}
	in := workflows.ImportInput{JobID: job.ID, JourneyID: j.ID, PageSize: importPageSize}
	if _, err := s.temporal.ExecuteWorkflow(ctx, opts, workflows.ImportAudience, in); err != nil {
		_ = s.store.FinishJob(ctx, job.ID, reporting.JobFailed, "could not start: "+err.Error())
		return Errorf(CodeUnavailable, "the import could not start: Temporal did not answer; upload the file again")
	}
	return c.JSON(http.StatusAccepted, map[string]any{"job": job})
}

var errTooLarge = Errorf(CodeInvalid, "the file is larger than %d MiB; split it", maxImport>>20)

// importError says why the audience file cannot be imported.
func importError(err error) error {
	var maxErr *http.MaxBytesError
	var readErr readError
	var audienceErr *AudienceError
	switch {
	case errors.As(err, &maxErr):
		return errTooLarge
	case errors.As(err, &readErr) && errors.As(err, &audienceErr):
		return Errorf(CodeInvalid, "the upload broke off at line %d; send the whole file again", audienceErr.Line)
	case errors.As(err, &audienceErr):
		return Errorf(CodeInvalid, "%v", err)
	}
	return err
}

// importRows yields the rows of the audience file as import rows, checking
// each row's profile as PUT /v1/users does. A file that breaks its rules
// yields an error and ends.
func importRows(a *AudienceReader, region string) iter.Seq2[reporting.ImportRow, error] {
	return func(yield func(reporting.ImportRow, error) bool) {
		for {
			line, fields, err := a.Next()
			switch {
			case errors.Is(err, io.EOF):
				return
			case err != nil:
				yield(reporting.ImportRow{}, importError(err))
				return
			case !yield(importRow(a.Columns(), line, fields, region), nil):
				return
			}
		}
	}
}

// importProfile is the profile an import row carries, in the JSON of
// reporting.User: only what the file sets.
type importProfile struct {
	Email      string            `json:"email,omitempty"`
	Phone      string            `json:"phone,omitempty"`
	PushToken  string            `json:"push_token,omitempty"`
	Timezone   string            `json:"timezone,omitempty"`
	Locale     string            `json:"locale,omitempty"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

// importRow makes the import row of one line of an audience file: its user,
// and the profile its other cells give, if the file has profile columns.
func importRow(columns []string, line int, fields []string, region string) reporting.ImportRow {
	idCol := slices.Index(columns, "user_id")
	row := reporting.ImportRow{Line: line, UserID: strings.TrimSpace(fields[idCol])}
	if checkID("user_id", row.UserID) != nil {
		row.Outcome = reporting.EntryInvalid
		return row
	}
	if len(columns) == 1 {
		return row
	}
	var req userRequest
	var attrs map[string]string
	for i, name := range columns {
		v := strings.TrimSpace(fields[i])
		switch {
		case i == idCol || v == "":
		case name == "email":
			req.Email = v
		case name == "phone":
			req.Phone = v
		case name == "push_token":
			req.PushToken = v
		case name == "timezone":
			req.Timezone = v
		case name == "locale":
			req.Locale = v
		default:
			if attrs == nil {
				attrs = map[string]string{}
			}
			attrs[name] = v
		}
	}
	// The attributes are an object of strings by construction; validate
	// checks the rest as PUT /v1/users does.
	if req.validate(region) != nil {
		row.Outcome = reporting.EntryInvalid
		return row
	}
	row.Profile, _ = json.Marshal(importProfile{
		Email: req.Email, Phone: req.Phone, PushToken: req.PushToken,
		Timezone: req.Timezone, Locale: req.Locale, Attributes: attrs,
	})
	return row
}
