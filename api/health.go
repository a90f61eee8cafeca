package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"go.temporal.io/sdk/client"
)

// live answers 200 while the process serves requests: a liveness probe
// that restarts the process only when the process itself is stuck, not
// when Postgres or Temporal are away (restarting cannot bring them back).
func live(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"status": "ok"})
}

// ready answers 200 when the service can do its work: Postgres and
// Temporal answer and the database has every migration. Otherwise 503
// naming what is not ready, so a load balancer sends traffic elsewhere.
func (s *Server) ready(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()

	status := map[string]string{"postgres": "ok", "temporal": "ok", "migrations": "ok"}
	var down []string
	if err := s.store.Ping(ctx); err != nil {
		status["postgres"], status["migrations"] = "down", "unknown"
		down = append(down, "postgres")
	} else if pending, err := s.store.PendingMigrations(ctx); err != nil {
		status["migrations"] = "unknown"
		down = append(down, "migrations")
	} else if len(pending) > 0 {
		status["migrations"] = "pending: " + strings.Join(pending, ", ")
		down = append(down, "migrations (run journeys migrate)")
	}
	if _, err := s.temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		status["temporal"] = "down"
		down = append(down, "temporal")
	}
	if len(down) > 0 {
		return c.JSON(http.StatusServiceUnavailable, map[string]any{
			"status": status,
			"error":  Errorf(CodeUnavailable, "not ready: %s", strings.Join(down, " and ")),
		})
	}
	return c.JSON(http.StatusOK, map[string]any{"status": status})
}
