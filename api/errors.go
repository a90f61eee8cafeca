package api

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
)

// Error codes clients can branch on.
const (
	CodeInvalid      = "invalid"
	CodeUnauthorized = "unauthorized"
	CodeNotFound     = "not_found"
	CodeConflict     = "conflict"
	CodeTooLarge     = "too_large"
	CodeRateLimited  = "rate_limited"
	CodeUnavailable  = "unavailable"
	CodeInternal     = "internal"
)

// codes maps error codes to HTTP statuses.
var codes = map[string]int{
	CodeInvalid:      http.StatusBadRequest,
	CodeUnauthorized: http.StatusUnauthorized,
	CodeNotFound:     http.StatusNotFound,
	CodeConflict:     http.StatusConflict,
	CodeTooLarge:     http.StatusRequestEntityTooLarge,
	CodeRateLimited:  http.StatusTooManyRequests,
	CodeUnavailable:  http.StatusServiceUnavailable,
	CodeInternal:     http.StatusInternalServerError,
}

// Error is an error the client should see: a code and a message a person
// can act on.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// errorHandler writes every error in the same JSON shape. Errors that are
// not *Error are logged and reach the client as a bare internal error.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		e := &Error{Code: CodeInternal, Message: "internal error; the service logged the details"}
		var apiErr *Error
		var httpErr *echo.HTTPError
		switch {
		case errors.As(err, &apiErr):
			e = apiErr
		case errors.As(err, &httpErr) && httpErr.Code == http.StatusNotFound:
			e = Errorf(CodeNotFound, "no route %s %s; see /openapi.yaml", c.Request().Method, clip(c.Request().URL.Path))
		case errors.As(err, &httpErr) && httpErr.Code == http.StatusMethodNotAllowed:
			writeError(c, http.StatusMethodNotAllowed, Errorf("method_not_allowed", "%s is not allowed on %s", c.Request().Method, clip(c.Request().URL.Path)))
			return
		case errors.As(err, &httpErr) && httpErr.Code < 500:
			writeError(c, httpErr.Code, Errorf(CodeInvalid, "%v", httpErr.Message))
			return
		default:
			log.ErrorContext(c.Request().Context(), "request failed",
				"method", c.Request().Method, "path", c.Path(), "error", err)
		}
		writeError(c, codes[e.Code], e)
	}
}

func writeError(c echo.Context, status int, e *Error) {
	var err error
	if c.Request().Method == http.MethodHead {
		err = c.NoContent(status)
	} else {
		err = c.JSON(status, map[string]*Error{"error": e})
	}
	if err != nil {
		c.Logger().Error(err)
	}
}
