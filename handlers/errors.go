package handlers

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"alertdesk/db"
	"alertdesk/views"
)

// userError is an error whose message is safe to show: it says what went wrong in words.
func userError(code int, format string, args ...any) *echo.HTTPError {
	return echo.NewHTTPError(code, fmt.Sprintf(format, args...))
}

// errorHandler is the one place errors become responses: it maps them to a status,
// logs once, and renders a page, an htmx fragment or JSON.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code, msg := http.StatusInternalServerError, "Something went wrong on our side. It was logged; please try again."
	var he *echo.HTTPError
	switch {
	case errors.Is(err, db.ErrNotFound):
		code, msg = http.StatusNotFound, "Not found, or not visible to you."
	case errors.Is(err, db.ErrConflict):
		code, msg = http.StatusConflict, "That already exists."
	case errors.Is(err, db.ErrInUse):
		code, msg = http.StatusConflict, "It is still in use and cannot be deleted."
	case errors.As(err, &he):
		code = he.Code
		if m, ok := he.Message.(string); ok && m != "" && m != http.StatusText(code) {
			msg = m
		} else {
			msg = defaultMessage(code)
		}
	}
	l := logger(c).With("status", code, "error", err)
	if code >= 500 {
		l.Error("request failed")
	} else {
		l.Warn("request rejected")
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(code)
		return
	}
	if wantsJSON(c) {
		_ = c.JSON(code, map[string]string{"error": msg})
		return
	}
	if isHTMX(c) {
		c.Response().Header().Set("HX-Retarget", "#flash")
		c.Response().Header().Set("HX-Reswap", "outerHTML")
		_ = render(c, code, views.Flash(msg, "error"))
		return
	}
	_ = render(c, code, views.ErrorPage(s.page(c, defaultTitle(code), ""), code, msg))
}

func wantsJSON(c echo.Context) bool {
	p := c.Request().URL.Path
	return len(p) >= 5 && p[:5] == "/api/" || c.Request().Header.Get("Accept") == "application/json"
}

func defaultMessage(code int) string {
	switch code {
	case http.StatusNotFound:
		return "Not found, or not visible to you."
	case http.StatusForbidden:
		return "You are not allowed to do that."
	case http.StatusMethodNotAllowed:
		return "That method is not allowed here."
	case http.StatusRequestEntityTooLarge:
		return "The request is too large."
	case http.StatusBadRequest:
		return "The request could not be understood."
	}
	return http.StatusText(code)
}

func defaultTitle(code int) string {
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "Error"
}
