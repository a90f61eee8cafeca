package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"journeys/workflows"
)

// journeyType is a journey type as GET /v1/journey-types lists it.
type journeyType struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// ConfigSchema is the JSON Schema (draft 2020-12) of the type's config,
	// with its default config as the default.
	ConfigSchema map[string]any `json:"config_schema"`
}

// listJourneyTypes lists every journey type, for the panel to build its
// forms from.
func (s *Server) listJourneyTypes(c echo.Context) error {
	types := []journeyType{}
	for _, name := range workflows.TypeNames() {
		t, _ := workflows.Lookup(name)
		types = append(types, journeyType{Name: t.Name, Description: t.Description, ConfigSchema: t.Schema()})
	}
	return c.JSON(http.StatusOK, map[string]any{"journey_types": types})
}
