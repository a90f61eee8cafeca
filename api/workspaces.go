package api

import (
	"crypto/rand"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"journeys/channels"
	"journeys/reporting"
)

// The back office's routes: workspaces and their keys, behind the admin
// key (see admin).

// workspaceIDPattern is what a workspace id may be: the check of the
// workspaces table, said once more here so a bad id is a 400 naming it.
var workspaceIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// phoneRegionPattern is an ISO 3166-1 alpha-2 region, such as IR.
var phoneRegionPattern = regexp.MustCompile(`^[A-Z]{2}$`)

const (
	maxWorkspaceBody = 4 << 10
	maxKeyNameLength = 100
)

// workspaceRequest is the body of POST /v1/workspaces.
type workspaceRequest struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Timezone    string `json:"timezone"`
	PhoneRegion string `json:"phone_region"`
}

// createdWorkspace answers POST /v1/workspaces: the workspace and its
// first key, shown this once.
type createdWorkspace struct {
	reporting.Workspace
	APIKey string `json:"api_key"`
}

// keyRequest is the body of POST /v1/workspaces/{id}/keys.
type keyRequest struct {
	Name string `json:"name"`
}

// createdKey answers POST /v1/workspaces/{id}/keys: the key shown this once.
type createdKey struct {
	reporting.APIKey
	Key string `json:"api_key"`
}

func (s *Server) createWorkspace(c echo.Context) error {
	var req workspaceRequest
	if err := bind(c, &req, maxWorkspaceBody); err != nil {
		return err
	}
	if !workspaceIDPattern.MatchString(req.ID) {
		return Errorf(CodeInvalid, "id %q must be 1 to 63 lower-case letters, digits, _ or -, starting with a letter or digit", clip(req.ID))
	}
	if strings.TrimSpace(req.Name) == "" {
		return Errorf(CodeInvalid, "name is required: what the back office calls the app")
	}
	if err := checkLength("name", req.Name, maxJourneyNameLength); err != nil {
		return err
	}
	if req.Timezone == "" {
		req.Timezone = "UTC"
	}
	if err := checkLength("timezone", req.Timezone, maxTimezoneLength); err != nil {
		return err
	}
	if _, err := time.LoadLocation(req.Timezone); err != nil {
		return Errorf(CodeInvalid, "timezone %q is not an IANA time zone such as Asia/Tehran", clip(req.Timezone))
	}
	if req.PhoneRegion != "" && (!phoneRegionPattern.MatchString(req.PhoneRegion) || !channels.KnownRegion(req.PhoneRegion)) {
		return Errorf(CodeInvalid, "phone_region %q is not a two-letter region phone numbers are read in, such as IR", clip(req.PhoneRegion))
	}
	key, hash := newAPIKey()
	w, err := s.store.CreateWorkspace(c.Request().Context(),
		reporting.Workspace{ID: req.ID, Name: req.Name, Timezone: req.Timezone, PhoneRegion: req.PhoneRegion},
		reporting.APIKey{ID: newKeyID(), Name: "first key", Hash: hash})
	if errors.Is(err, reporting.ErrDuplicate) {
		return Errorf(CodeConflict, "workspace %q exists already", req.ID)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, createdWorkspace{Workspace: w, APIKey: key})
}

func (s *Server) listWorkspaces(c echo.Context) error {
	ws, err := s.store.Workspaces(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"workspaces": ws})
}

func (s *Server) getWorkspace(c echo.Context) error {
	w, err := s.store.WorkspaceByID(c.Request().Context(), c.Param("id"))
	if errors.Is(err, reporting.ErrNotFound) {
		return workspaceNotFound(c)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, w)
}

func (s *Server) createKey(c echo.Context) error {
	var req keyRequest
	if err := bind(c, &req, maxWorkspaceBody); err != nil {
		return err
	}
	if err := checkLength("name", req.Name, maxKeyNameLength); err != nil {
		return err
	}
	key, hash := newAPIKey()
	k, err := s.store.CreateAPIKey(c.Request().Context(),
		reporting.APIKey{ID: newKeyID(), Workspace: c.Param("id"), Name: req.Name, Hash: hash})
	if errors.Is(err, reporting.ErrNotFound) {
		return workspaceNotFound(c)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, createdKey{APIKey: k, Key: key})
}

func (s *Server) listKeys(c echo.Context) error {
	keys, err := s.store.APIKeys(c.Request().Context(), c.Param("id"))
	if errors.Is(err, reporting.ErrNotFound) {
		return workspaceNotFound(c)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"keys": keys})
}

// revokeKey refuses the key from the next request on, and in other
// processes serving the API within keyTTL.
func (s *Server) revokeKey(c echo.Context) error {
	k, err := s.store.RevokeAPIKey(c.Request().Context(), c.Param("id"), c.Param("key_id"))
	s.keys.forget()
	if errors.Is(err, reporting.ErrNotFound) {
		return Errorf(CodeNotFound, "workspace %q has no key %q; GET /v1/workspaces/%s/keys lists them",
			clip(c.Param("id")), clip(c.Param("key_id")), clip(c.Param("id")))
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, k)
}

func workspaceNotFound(c echo.Context) error {
	return Errorf(CodeNotFound, "workspace %q does not exist; GET /v1/workspaces lists them", clip(c.Param("id")))
}

// newKeyID returns the id a key is listed and revoked by; it opens nothing.
func newKeyID() string {
	return "key_" + strings.ToLower(rand.Text()[:16])
}
