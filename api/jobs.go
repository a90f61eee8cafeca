package api

import (
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
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

// createImport takes an audience file (CSV with a header; user_id required;
// email, phone, push_token, timezone and locale fill the profile; any other
// column becomes an attribute) and enrolls it in the background. Rows that
// are not valid are counted as invalid and skipped.
func (s *Server) createImport(c echo.Context) error {
	j, err := s.journey(c)
	if err != nil {
		return err
	}
	if j.Status != reporting.JourneyActive {
		return Errorf(CodeConflict, "journey %q is %s; set its status to active to import an audience", j.ID, j.Status)
	}
	body := http.MaxBytesReader(c.Response(), c.Request().Body, maxImport)
	rows, err := readAudience(body)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	job, err := s.store.CreateImport(ctx, reporting.Job{ID: newJobID("imp"), JourneyID: j.ID}, rows)
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

// readAudience parses an audience file into import rows, checking each
// row's profile as PUT /v1/users does.
func readAudience(r io.Reader) ([]reporting.ImportRow, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, Errorf(CodeInvalid, "the file is empty; send a CSV whose first line names the columns, with user_id among them")
	}
	if err != nil {
		return nil, Errorf(CodeInvalid, "line 1: %v", csvError(err))
	}
	header = append([]string(nil), header...)
	idCol := -1
	for i, h := range header {
		header[i] = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if header[i] == "user_id" {
			idCol = i
		}
	}
	if idCol < 0 {
		return nil, Errorf(CodeInvalid, "line 1: no user_id column; the header names %q", strings.Join(header, ","))
	}

	var rows []reporting.ImportRow
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return nil, Errorf(CodeInvalid, "the file is larger than %d MiB; split it", maxImport>>20)
		}
		if err != nil {
			return nil, Errorf(CodeInvalid, "line %d: %v", line, csvError(err))
		}
		row := reporting.ImportRow{Line: line, UserID: strings.TrimSpace(rec[idCol])}
		if checkID("user_id", row.UserID) != nil {
			row.Outcome = reporting.EntryInvalid
			rows = append(rows, row)
			continue
		}
		var req userRequest
		attrs := map[string]string{}
		for i, h := range header {
			v := strings.TrimSpace(rec[i])
			switch {
			case i == idCol || v == "":
			case h == "email":
				req.Email = v
			case h == "phone":
				req.Phone = v
			case h == "push_token":
				req.PushToken = v
			case h == "timezone":
				req.Timezone = v
			case h == "locale":
				req.Locale = v
			default:
				attrs[h] = v
			}
		}
		if len(attrs) > 0 {
			req.Attributes, _ = json.Marshal(attrs)
		}
		if req.validate() != nil {
			row.Outcome = reporting.EntryInvalid
		} else if len(header) > 1 {
			row.Profile, _ = json.Marshal(reporting.User{
				Email: req.Email, Phone: req.Phone, PushToken: req.PushToken,
				Timezone: req.Timezone, Locale: req.Locale, Attributes: req.Attributes,
			})
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, Errorf(CodeInvalid, "the file has a header but no users")
	}
	return rows, nil
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (s *Server) getJob(c echo.Context) error {
	job, err := s.store.Job(c.Request().Context(), c.Param("job_id"))
	if errors.Is(err, reporting.ErrNotFound) {
		return Errorf(CodeNotFound, "job %q does not exist", c.Param("job_id"))
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"job": job})
}

// startBroadcast starts the background job that removes (stop) or resumes
// every active run of the journey.
func (s *Server) startBroadcast(c echo.Context, j reporting.Journey, kind string) (reporting.Job, error) {
	ctx := c.Request().Context()
	total, err := s.store.CountActive(ctx, j.ID)
	if err != nil {
		return reporting.Job{}, err
	}
	job, err := s.store.CreateJob(ctx, reporting.Job{ID: newJobID(kind), Kind: kind, JourneyID: j.ID, Total: total})
	if err != nil {
		return reporting.Job{}, err
	}
	control := journey.ControlSignal{Op: journey.ControlResume}
	if kind == reporting.JobStop {
		control = journey.ControlSignal{Op: journey.ControlRemove, Reason: "journey stopped"}
	}
	opts := client.StartWorkflowOptions{
		ID:            workflows.JobWorkflowID(job.ID),
		TaskQueue:     journey.TaskQueue,
		StaticSummary: fmt.Sprintf("%s %d runs of %s", kind, total, j.Name),
	}
	in := workflows.BroadcastInput{JobID: job.ID, JourneyID: j.ID, Control: control}
	if _, err := s.temporal.ExecuteWorkflow(ctx, opts, workflows.Broadcast, in); err != nil {
		_ = s.store.FinishJob(ctx, job.ID, reporting.JobFailed, "could not start: "+err.Error())
		return reporting.Job{}, fmt.Errorf("start %s job: %w", kind, err)
	}
	return job, nil
}

// newJobID returns a fresh job id with a prefix saying its kind.
func newJobID(prefix string) string {
	b := make([]byte, 8)
	rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}
