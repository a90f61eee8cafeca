// Package api is the REST API the marketing panel calls: journeys, users,
// enrollments, events and reports, under /v1 behind an API key.
package api

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"go.temporal.io/sdk/client"

	"journeys/activities"
	"journeys/channels"
	"journeys/metrics"
	"journeys/reporting"
	"journeys/runs"
)

// Temporal is the part of the Temporal client the API uses: what runs
// needs, the reconciler's reads, and the health check.
type Temporal interface {
	runs.Temporal
	CheckHealth(ctx context.Context, request *client.CheckHealthRequest) (*client.CheckHealthResponse, error)
	activities.Runs
}

// Server handles the API's requests.
type Server struct {
	store    *reporting.Store
	temporal Temporal
	// runs enrolls users and brings events and removals to their runs.
	runs *runs.Service
	// unsubscribeSecret checks unsubscribe links.
	unsubscribeSecret []byte
	// apiKey is JOURNEYS_API_KEY, the default workspace's key from before
	// workspaces; apiKeyHash and adminKeyHash are the hashes keys sent are
	// compared with (see sameKey). Empty ones match nothing.
	apiKey       string
	apiKeyHash   []byte
	adminKeyHash []byte
	log          *slog.Logger
	// temporalUI and namespace make links to runs in the Temporal UI.
	temporalUI string
	namespace  string
	// failures holds back addresses that keep trying wrong API keys.
	failures *failureLimiter
	// keys remembers which workspaces keys open.
	keys *keyCache
	// bulkTimeout is how long a bulk request (an audience file, a batch)
	// may take to arrive and be answered.
	bulkTimeout time.Duration
	// simulations runs the dry runs of POST /v1/journeys/{id}/simulate.
	simulations *simulations
	metrics     *metrics.Metrics
	// sealer keeps workspaces' provider secrets; envProviders names the
	// deployment's provider of each channel.
	sealer       *channels.Sealer
	envProviders map[channels.Channel]string
}

// Config is what the API needs.
type Config struct {
	Store    *reporting.Store
	Temporal Temporal
	// APIKey, when set, is a key of the default workspace that is not
	// stored: JOURNEYS_API_KEY, as deployments had before workspaces.
	APIKey string
	// AdminKey is the bearer token of the back office's routes,
	// /v1/workspaces; empty refuses them.
	AdminKey string
	Log      *slog.Logger
	// TemporalUIURL is the Temporal UI's base URL, such as
	// http://127.0.0.1:8233, for links to runs; empty leaves them out.
	TemporalUIURL string
	// Namespace is the Temporal namespace the runs live in.
	Namespace string
	// UnsubscribeSecret checks the tokens of unsubscribe links (see
	// channels.UnsubscribeToken); empty turns the links off.
	UnsubscribeSecret []byte
	// FailedKeysPerMinute and FailedKeysBurst bound the wrong API keys one
	// client address may try, at the login form and as bearer tokens
	// together; zero means the defaults, 6 a minute after 10.
	FailedKeysPerMinute float64
	FailedKeysBurst     int
	// BulkTimeout is how long a bulk request (an audience file, a batch of
	// enrollments or events) may take to arrive and be answered, in place of
	// the server's read and write timeouts; zero leaves those in force.
	BulkTimeout time.Duration
	// Metrics counts requests, enrollments and events; nil counts nothing.
	Metrics *metrics.Metrics
	// Sealer seals the secrets of workspaces' own channel providers
	// (JOURNEYS_SECRET_KEY); nil refuses to store any.
	Sealer *channels.Sealer
	// EnvProviders names the provider the environment configures for each
	// channel, which workspaces without their own use; absent is the console.
	EnvProviders map[channels.Channel]string
	// Runs enrolls users and brings events to their runs; nil is
	// NewRuns(cfg).
	Runs *runs.Service
}

// NewRuns returns the runs of cfg's store and Temporal, which bring each
// event to its runs before its answer; set Deliveries to bring them after.
func NewRuns(cfg Config) *runs.Service {
	return &runs.Service{Store: cfg.Store, Temporal: cfg.Temporal, Metrics: cfg.Metrics, Log: cfg.Log,
		Reconciler: &activities.Reconciler{Store: cfg.Store, Temporal: cfg.Temporal}}
}

// New returns the API as an http.Handler.
func New(cfg Config) http.Handler {
	s := &Server{store: cfg.Store, temporal: cfg.Temporal, apiKey: cfg.APIKey, log: cfg.Log,
		temporalUI: strings.TrimRight(cfg.TemporalUIURL, "/"), namespace: cfg.Namespace}
	if cfg.APIKey != "" {
		s.apiKeyHash = hashKey(cfg.APIKey)
	}
	if cfg.AdminKey != "" {
		s.adminKeyHash = hashKey(cfg.AdminKey)
	}
	s.runs = cfg.Runs
	if s.runs == nil {
		s.runs = NewRuns(cfg)
	}
	s.unsubscribeSecret = cfg.UnsubscribeSecret
	s.failures = newFailureLimiter(cfg.FailedKeysPerMinute, cfg.FailedKeysBurst)
	s.keys = newKeyCache(keyTTL)
	s.bulkTimeout = cfg.BulkTimeout
	s.simulations = newSimulations(maxSimulations, simulationTimeout)
	s.metrics = cfg.Metrics
	s.sealer, s.envProviders = cfg.Sealer, cfg.EnvProviders
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	// Failures are counted against the peer's address: headers such as
	// X-Forwarded-For are the client's to choose.
	e.IPExtractor = echo.ExtractIPDirect()
	e.HTTPErrorHandler = errorHandler(cfg.Log)
	e.Use(s.measure(e))
	e.Use(middleware.Recover())
	// Route on the decoded path, so that ids in paths arrive decoded however
	// the client escaped them (user "sara@x.io" sent as sara%40x.io).
	e.Pre(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Request().URL.RawPath = ""
			return next(c)
		}
	})
	e.Pre(checkURL)
	s.routes(e)
	return e
}

// routes lists every route of the API in one place.
func (s *Server) routes(e *echo.Echo) {
	e.GET("/healthz", live)
	e.GET("/readyz", s.ready)
	e.GET("/openapi.yaml", openAPI)
	// Links in emails: the signed token is the authorization.
	e.GET("/unsubscribe/:token", s.unsubscribePage)
	e.POST("/unsubscribe/:token", s.unsubscribe)

	// The dashboard: HTML pages behind a session cookie from /login.
	e.GET("/login", s.loginPage)
	e.POST("/login", s.login)
	e.POST("/logout", s.logout)
	e.GET("/", s.journeysPage, s.session)
	e.GET("/journeys/:id", s.journeyPage, s.session)
	e.GET("/search", s.searchPage, s.session)

	// The back office: workspaces and their keys, behind the admin key.
	e.POST("/v1/workspaces", s.createWorkspace, s.admin)
	e.GET("/v1/workspaces", s.listWorkspaces, s.admin)
	e.GET("/v1/workspaces/:id", s.getWorkspace, s.admin)
	e.POST("/v1/workspaces/:id/keys", s.createKey, s.admin)
	e.GET("/v1/workspaces/:id/keys", s.listKeys, s.admin)
	e.DELETE("/v1/workspaces/:id/keys/:key_id", s.revokeKey, s.admin)

	// Everything else acts inside the workspace of the request's key.
	v1 := e.Group("/v1", s.authenticate)
	v1.PUT("/users/:user_id", s.putUser)
	v1.PATCH("/users/:user_id", s.patchUser)
	v1.GET("/users/:user_id", s.getUser)
	v1.GET("/users/:user_id/enrollments", s.listUserEnrollments)

	v1.PUT("/templates/:id", s.putTemplate)
	v1.GET("/templates", s.listTemplates)
	v1.GET("/templates/:id", s.getTemplate)
	v1.POST("/templates/:id/preview", s.previewTemplate)

	v1.GET("/journey-types", s.listJourneyTypes)
	v1.POST("/journeys", s.createJourney)
	v1.GET("/journeys", s.listJourneys)
	v1.GET("/journeys/:id", s.getJourney)
	v1.PATCH("/journeys/:id", s.patchJourney)
	v1.GET("/journeys/:id/report", s.report)
	v1.POST("/journeys/:id/simulate", s.simulate)

	v1.POST("/journeys/:id/enrollments", s.enroll)
	v1.POST("/journeys/:id/enrollments/batch", s.enrollBatch, s.bulk)
	v1.GET("/journeys/:id/enrollments/:user_id", s.getEnrollment)
	v1.DELETE("/journeys/:id/enrollments/:user_id", s.unenroll)
	v1.POST("/journeys/:id/imports", s.createImport, s.bulk)
	v1.GET("/jobs/:job_id", s.getJob)

	v1.PUT("/frequency-caps", s.putFrequencyCaps)
	v1.GET("/frequency-caps", s.getFrequencyCaps)

	v1.POST("/events", s.postEvent)
	v1.POST("/events/batch", s.postEvents, s.bulk)

	v1.GET("/channels", s.listChannels)
	v1.GET("/channels/:channel", s.getChannel)
	v1.PUT("/channels/:channel", s.putChannel)
	v1.DELETE("/channels/:channel", s.deleteChannel)
}

// phoneRegion returns the phone region of the request's workspace, where
// its local phone numbers are read.
func (s *Server) phoneRegion(ctx context.Context) (string, error) {
	r, err := s.store.PhoneRegion(ctx)
	if err != nil {
		return "", fmt.Errorf("phone region: %w", err)
	}
	return r, nil
}

// measure counts every request by its route and status, with how long
// it took. A path no route matches counts as "unmatched", so that probing
// clients cannot make a series per path.
func (s *Server) measure(e *echo.Echo) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if s.metrics == nil {
			return next
		}
		return func(c echo.Context) error {
			start := time.Now()
			if err := next(c); err != nil {
				// Answer the error here so that its status is known.
				c.Error(err)
			}
			route := "unmatched"
			for _, r := range e.Routes() {
				if r.Path == c.Path() && r.Method == c.Request().Method {
					route = r.Path
					break
				}
			}
			s.metrics.Request(c.Request().Method, route, c.Response().Status, time.Since(start))
			return nil
		}
	}
}

// bulk gives a route that takes large bodies or does much work (audience
// files, batches of up to 1,000) the bulk timeout to receive and answer
// them, in place of the server's shorter read and write timeouts. It runs
// after authentication, so only holders of the key get the longer time.
func (s *Server) bulk(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.bulkTimeout > 0 {
			deadline := time.Now().Add(s.bulkTimeout)
			rc := http.NewResponseController(c.Response())
			// A writer without deadlines (a test's recorder) has none to extend.
			if err := rc.SetReadDeadline(deadline); err != nil && !errors.Is(err, http.ErrNotSupported) {
				return fmt.Errorf("extend read deadline: %w", err)
			}
			if err := rc.SetWriteDeadline(deadline); err != nil && !errors.Is(err, http.ErrNotSupported) {
				return fmt.Errorf("extend write deadline: %w", err)
			}
		}
		return next(c)
	}
}

//go:embed openapi.yaml
var openAPISpec []byte

func openAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/yaml", openAPISpec)
}
