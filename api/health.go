package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"go.temporal.io/sdk/client"
)

// health answers 200 when Postgres and Temporal both answer, and 503
// naming what is down otherwise.
func (s *Server) health(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()

	status := map[string]string{"postgres": "ok", "temporal": "ok"}
	var down []string
	if err := s.store.Ping(ctx); err != nil {
		status["postgres"] = "down"
		down = append(down, "postgres")
	}
	if _, err := s.temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		status["temporal"] = "down"
		down = append(down, "temporal")
	}
	if len(down) > 0 {
		return c.JSON(http.StatusServiceUnavailable, map[string]any{
			"status": status,
			"error":  Errorf(CodeUnavailable, "%s not answering", strings.Join(down, " and ")),
		})
	}
	return c.JSON(http.StatusOK, map[string]any{"status": status})
}
