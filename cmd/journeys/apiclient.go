package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Job statuses the API reports; any other status means the job is still
// on its way.
const (
	jobCompleted = "completed"
	jobFailed    = "failed"
)

// apiJob is a background job of the API, such as a bulk import, as
// GET /v1/jobs/{id} describes it.
type apiJob struct {
	ID              string `json:"id"`
	Kind            string `json:"kind"`
	JourneyID       string `json:"journey_id"`
	Status          string `json:"status"`
	Total           int64  `json:"total"`
	Processed       int64  `json:"processed"`
	Enrolled        int64  `json:"enrolled"`
	AlreadyEnrolled int64  `json:"already_enrolled"`
	NotEligible     int64  `json:"not_eligible"`
	Invalid         int64  `json:"invalid"`
	Error           string `json:"error"`
	// LastError is what a running job is retrying after; empty once it
	// makes progress again.
	LastError   string `json:"last_error"`
	LastErrorAt string `json:"last_error_at"`
	CreatedAt   string `json:"created_at"`
	UpdatedAt   string `json:"updated_at"`
}

// finished reports whether the job has stopped, for better or worse.
func (j apiJob) finished() bool { return j.Status == jobCompleted || j.Status == jobFailed }

// apiError is an error answer of the API: its status and the
// {"error": {"code", "message"}} body, whose message is meant for people.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Message }

// apiClient calls the journeys REST API with its bearer key.
type apiClient struct {
	base string // e.g. http://127.0.0.1:8080, without a trailing slash
	key  string
	http *http.Client
}

// pollTimeout bounds one GET of a job, so a stalled connection does not
// hang the wait forever.
const pollTimeout = 30 * time.Second

// importCSV uploads an audience CSV of size bytes to the journey and
// returns the import job the API started.
func (c *apiClient) importCSV(ctx context.Context, journeyID string, body io.Reader, size int64) (apiJob, error) {
	u := c.base + "/v1/journeys/" + url.PathEscape(journeyID) + "/imports"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, io.NopCloser(body))
	if err != nil {
		return apiJob{}, err
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", "text/csv")
	return c.do(req)
}

// job fetches the job with the given id.
func (c *apiClient) job(ctx context.Context, id string) (apiJob, error) {
	ctx, cancel := context.WithTimeout(ctx, pollTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/v1/jobs/"+url.PathEscape(id), nil)
	if err != nil {
		return apiJob{}, err
	}
	return c.do(req)
}

// do sends req with the key and decodes a {"job": Job} answer.
func (c *apiClient) do(req *http.Request) (apiJob, error) {
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return apiJob{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return apiJob{}, fmt.Errorf("%s %s: read answer: %w", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode/100 != 2 {
		return apiJob{}, decodeError(req, resp, body)
	}
	var answer struct {
		Job *apiJob `json:"job"`
	}
	if err := json.Unmarshal(body, &answer); err != nil || answer.Job == nil || answer.Job.ID == "" {
		return apiJob{}, fmt.Errorf("%s %s: %s: want {\"job\": {...}}, got %s", req.Method, req.URL.Path, resp.Status, short(body))
	}
	return *answer.Job, nil
}

// decodeError turns an error answer into an *apiError, falling back to the
// status and a short body when a proxy or an older server answered.
func decodeError(req *http.Request, resp *http.Response, body []byte) error {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error.Message == "" {
		e.Error.Message = fmt.Sprintf("%s %s: %s: %s", req.Method, req.URL.Path, resp.Status, short(body))
	}
	return &apiError{Status: resp.StatusCode, Code: e.Error.Code, Message: e.Error.Message}
}

// short returns the start of body as one line, for error messages.
func short(body []byte) string {
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	if s == "" {
		s = "an empty body"
	}
	return s
}

// transient reports whether a failed GET may succeed if tried again: the
// network failed or the server answered 5xx.
func transient(err error) bool {
	var e *apiError
	if errors.As(err, &e) {
		return e.Status >= 500
	}
	return true
}
