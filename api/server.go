// Package api is the REST API the marketing panel calls: journeys, users,
// enrollments, events and reports, under /v1 behind an API key.
package api

import (
	"context"
	"crypto/subtle"
	_ "embed"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"go.temporal.io/sdk/client"

	"journeys/reporting"
)

// Temporal is the part of the Temporal client the API uses.
type Temporal interface {
	ExecuteWorkflow(ctx context.Context, options client.StartWorkflowOptions, workflow any, args ...any) (client.WorkflowRun, error)
	GetWorkflow(ctx context.Context, workflowID, runID string) client.WorkflowRun
	DescribeWorkflow(ctx context.Context, workflowID, runID string) (*client.WorkflowExecutionDescription, error)
	SignalWorkflow(ctx context.Context, workflowID, runID, signalName string, arg any) error
	CheckHealth(ctx context.Context, request *client.CheckHealthRequest) (*client.CheckHealthResponse, error)
}

// Server handles the API's requests.
type Server struct {
	store    *reporting.Store
	temporal Temporal
	apiKey   string
	log      *slog.Logger
}

// Config is what the API needs.
type Config struct {
	Store    *reporting.Store
	Temporal Temporal
	// APIKey is the bearer token every /v1 request must carry.
	APIKey string
	Log    *slog.Logger
}

// New returns the API as an http.Handler.
func New(cfg Config) http.Handler {
	s := &Server{store: cfg.Store, temporal: cfg.Temporal, apiKey: cfg.APIKey, log: cfg.Log}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(cfg.Log)
	e.Use(middleware.Recover())
	s.routes(e)
	return e
}

// routes lists every route of the API in one place.
func (s *Server) routes(e *echo.Echo) {
	e.GET("/healthz", s.health)
	e.GET("/openapi.yaml", openAPI)

	v1 := e.Group("/v1", s.authenticate)
	v1.PUT("/users/:user_id", s.putUser)
	v1.GET("/users/:user_id", s.getUser)

	v1.POST("/journeys", s.createJourney)
	v1.GET("/journeys", s.listJourneys)
	v1.GET("/journeys/:id", s.getJourney)
	v1.GET("/journeys/:id/report", s.report)

	v1.POST("/journeys/:id/enrollments", s.enroll)
	v1.GET("/journeys/:id/enrollments/:user_id", s.getEnrollment)

	v1.POST("/events", s.postEvent)
}

// authenticate lets through requests that carry the API key as a bearer
// token.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(token), []byte(s.apiKey)) != 1 {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="journeys"`)
			return Errorf(CodeUnauthorized, "send the API key as \"Authorization: Bearer <key>\"")
		}
		return next(c)
	}
}

//go:embed openapi.yaml
var openAPISpec []byte

func openAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/yaml", openAPISpec)
}
