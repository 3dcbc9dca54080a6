package handlers

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"alertdesk/db"
	"alertdesk/i18n"
	"alertdesk/views"
)

// userError is an error whose message is safe to show: it says what went wrong in words.
func userError(code int, format string, args ...any) *echo.HTTPError {
	return echo.NewHTTPError(code, fmt.Sprintf(format, args...))
}

// apiError is the JSON body of a refused API request: Code is stable (scripts test it,
// never the words), Error says what went wrong in the request's language, Field names
// the offending field when there is one.
type apiError struct {
	Code  string `json:"code"`
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

// The codes of apiError. They are part of the API: never rename one.
const (
	codeUnauthorized        = "unauthorized"         // no, unknown or revoked credentials
	codeForbidden           = "forbidden"            // the credentials may not do this
	codeDisabled            = "disabled"             // the integration is switched off in the console
	codeNotFound            = "not_found"            // no such object, or not visible
	codeConflict            = "conflict"             // already exists, or not in a state that allows it
	codeInUse               = "in_use"               // still used by something else
	codeInvalidField        = "invalid_field"        // Field holds a value that is refused
	codeInvalidBody         = "invalid_body"         // the body is not what the route reads
	codeBodyTooLarge        = "body_too_large"       // the body is over the size limit
	codeUnsupportedEncoding = "unsupported_encoding" // Content-Encoding is neither gzip nor none
	codeBadRequest          = "bad_request"          // anything else wrong with the request
	codeMethodNotAllowed    = "method_not_allowed"   //
	codeRateLimited         = "rate_limited"         // too many requests
	codeUnavailable         = "unavailable"          // the console cannot answer now; retry
	codeNotStored           = "not_stored"           // nothing was stored; retry
	codeMisconfigured       = "misconfigured"        // the console's own setting must be fixed
	codeInternal            = "internal"             // a fault of the console; logged
)

// apiErr is an apiError; msg comes from the catalog in the request's language
// (t(c, "api.…")).
func apiErr(code, field, msg string) apiError {
	return apiError{Code: code, Error: msg, Field: field}
}

// statusCode is the apiError code of an HTTP status.
func statusCode(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return codeUnauthorized
	case http.StatusForbidden:
		return codeForbidden
	case http.StatusNotFound:
		return codeNotFound
	case http.StatusConflict:
		return codeConflict
	case http.StatusRequestEntityTooLarge:
		return codeBodyTooLarge
	case http.StatusUnsupportedMediaType:
		return codeUnsupportedEncoding
	case http.StatusMethodNotAllowed:
		return codeMethodNotAllowed
	case http.StatusTooManyRequests:
		return codeRateLimited
	case http.StatusServiceUnavailable:
		return codeUnavailable
	case http.StatusUnprocessableEntity:
		return codeInvalidField
	}
	if status >= 500 {
		return codeInternal
	}
	return codeBadRequest
}

// errorHandler is the one place errors become responses: it maps them to a status,
// logs once, and renders a page, an htmx fragment or JSON.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code, msg := http.StatusInternalServerError, t(c, "api.internal")
	apiCode := codeInternal
	var he *echo.HTTPError
	switch {
	case errors.Is(err, db.ErrNotFound):
		code, msg, apiCode = http.StatusNotFound, t(c, "api.not_found"), codeNotFound
	case errors.Is(err, db.ErrConflict):
		code, msg, apiCode = http.StatusConflict, t(c, "api.conflict"), codeConflict
	case errors.Is(err, db.ErrInUse):
		code, msg, apiCode = http.StatusConflict, t(c, "api.in_use"), codeInUse
	case errors.As(err, &he):
		code, apiCode = he.Code, statusCode(he.Code)
		if m, ok := he.Message.(string); ok && m != "" && m != http.StatusText(code) {
			msg = m
		} else {
			msg = defaultMessage(c, code)
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
		_ = c.JSON(code, apiError{Code: apiCode, Error: msg})
		return
	}
	if isHTMX(c) {
		c.Response().Header().Set("HX-Retarget", "#flash")
		c.Response().Header().Set("HX-Reswap", "outerHTML")
		_ = render(c, code, views.Flash(msg, "error"))
		return
	}
	_ = render(c, code, views.ErrorPage(s.page(c, defaultTitle(c, code), ""), code, msg))
}

func wantsJSON(c echo.Context) bool {
	p := c.Request().URL.Path
	return len(p) >= 5 && p[:5] == "/api/" || c.Request().Header.Get("Accept") == "application/json"
}

// defaultMessage is the words of an error with nothing more to say than its status.
func defaultMessage(c echo.Context, code int) string {
	switch code {
	case http.StatusNotFound:
		return t(c, "api.not_found")
	case http.StatusForbidden:
		return t(c, "api.forbidden")
	case http.StatusMethodNotAllowed:
		return t(c, "api.method_not_allowed")
	case http.StatusRequestEntityTooLarge:
		return t(c, "api.too_large")
	case http.StatusBadRequest:
		return t(c, "api.bad_request")
	case http.StatusUnauthorized:
		return t(c, "api.unauthorized")
	case http.StatusTooManyRequests:
		return t(c, "api.too_many_requests")
	case http.StatusServiceUnavailable:
		return t(c, "api.unavailable")
	}
	if code >= 500 {
		return t(c, "api.internal")
	}
	return http.StatusText(code)
}

// defaultTitle is an error page's title: the status in English words (as browsers and
// logs show it), or "Error" in the reader's language.
func defaultTitle(c echo.Context, code int) string {
	if lang := i18n.From(c.Request().Context()).Lang; lang == i18n.English {
		if s := http.StatusText(code); s != "" {
			return s
		}
	}
	return t(c, "api.error_title")
}
