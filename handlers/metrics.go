package handlers

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// metricsAuth guards /metrics with the operator's bearer token when one is configured.
// Both sides are hashed before the constant-time compare so their lengths leak nothing.
func (s *Server) metricsAuth(next echo.HandlerFunc) echo.HandlerFunc {
	want := s.deps.Config.MetricsToken
	if want == "" {
		return next
	}
	wantSum := sha256.Sum256([]byte(want))
	return func(c echo.Context) error {
		got, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
		gotSum := sha256.Sum256([]byte(strings.TrimSpace(got)))
		if !ok || subtle.ConstantTimeCompare(gotSum[:], wantSum[:]) != 1 {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="alertdesk metrics"`)
			return c.String(http.StatusUnauthorized, "metrics: a bearer token is required (ALERTDESK_METRICS_TOKEN)\n")
		}
		return next(c)
	}
}
