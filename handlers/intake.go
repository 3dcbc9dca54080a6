package handlers

import (
	"context"
	"crypto/subtle"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"alertdesk/alerting"
	"alertdesk/db"
)

// Intake is the alert pipeline as the intake API needs it.
// intakeAPI serves POST /api/v1/alerts[/alertmanager|/grafana]: bearer token, body limit,
// parse, then persist-then-acknowledge through the pipeline.
type intakeAPI struct {
	db       *db.DB
	pipeline Pipeline
	global   string // ALERTDESK_INTAKE_TOKEN, "" = none
	maxBytes int64

	mu      sync.Mutex
	touched map[int64]time.Time // when each token's last use was last written
	known   map[string]knownToken
}

// knownToken caches a token lookup for a few seconds: intake runs thousands of requests a
// second and the token table rarely changes. Revoking a token in the console clears the
// cache at once; a revocation made outside the console takes effect within tokenCacheFor.
type knownToken struct {
	teamID  int64
	id      int64
	checked time.Time
}

const tokenCacheFor = 10 * time.Second

// forgetTokens drops cached token lookups (after a token is revoked).
func (api *intakeAPI) forgetTokens() {
	api.mu.Lock()
	clear(api.known)
	api.mu.Unlock()
}

func (s *Server) intakeRoutes() {
	if s.deps.Pipeline == nil {
		return
	}
	max := s.deps.Config.IntakeMaxBytes
	if max <= 0 {
		max = 1 << 20
	}
	api := &intakeAPI{db: s.deps.DB, pipeline: s.deps.Pipeline, global: s.deps.Config.IntakeToken, maxBytes: max,
		touched: map[int64]time.Time{}, known: map[string]knownToken{}}
	s.intake = api
	s.Echo.POST("/api/v1/alerts/alertmanager", api.handle("alertmanager", alerting.ParseAlertmanager))
	s.Echo.POST("/api/v1/alerts/grafana", api.handle("grafana", alerting.ParseGrafana))
	s.Echo.PUT("/api/v1/alerts/grafana", api.handle("grafana", alerting.ParseGrafana))
	s.Echo.POST("/api/v1/alerts", api.handle("api", alerting.ParseJSON))
}

type apiError struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

type apiAccepted struct {
	Status     string `json:"status"`
	Alerts     int    `json:"alerts"`
	Stored     int    `json:"stored"`
	Duplicates int    `json:"duplicates"`
}

func (api *intakeAPI) handle(source string, parse func([]byte, alerting.Limits) ([]alerting.Alert, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		teamID, ok, err := api.authenticate(ctx, c.Request().Header.Get("Authorization"))
		if err != nil {
			logger(c).Error("intake: token lookup failed", "error", err)
			return c.JSON(http.StatusServiceUnavailable, apiError{Error: "the console cannot check tokens right now; retry"})
		}
		if !ok {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="alertdesk"`)
			return c.JSON(http.StatusUnauthorized, apiError{Error: "missing, unknown or revoked bearer token: send Authorization: Bearer <API token>"})
		}
		body, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, api.maxBytes))
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			return c.JSON(http.StatusRequestEntityTooLarge, apiError{Error: "request body is larger than the limit of " +
				humanBytes(api.maxBytes) + "; send fewer alerts per request", Field: "body"})
		case err != nil:
			return c.JSON(http.StatusBadRequest, apiError{Error: "could not read the request body", Field: "body"})
		}
		alerts, err := parse(body, alerting.Limits{})
		var fe *alerting.FieldError
		if errors.As(err, &fe) {
			return c.JSON(http.StatusBadRequest, apiError{Error: fe.Field + ": " + fe.Message, Field: fe.Field})
		}
		if err != nil {
			return c.JSON(http.StatusBadRequest, apiError{Error: err.Error(), Field: "body"})
		}
		res, err := api.pipeline.Ingest(ctx, teamID, alerts)
		if err != nil {
			logger(c).Error("intake: alerts not stored", "error", err, "alerts", len(alerts))
			return c.JSON(http.StatusInternalServerError, apiError{Error: "the alerts could not be stored; nothing was acknowledged, retry"})
		}
		return c.JSON(http.StatusAccepted, apiAccepted{Status: "accepted", Alerts: len(alerts), Stored: res.Stored, Duplicates: res.Duplicates})
	}
}

// authenticate resolves a bearer token to its team (0 = global).
func (api *intakeAPI) authenticate(ctx context.Context, header string) (teamID int64, ok bool, err error) {
	scheme, token, found := strings.Cut(header, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return 0, false, nil
	}
	token = strings.TrimSpace(token)
	if token == "" || len(token) > 200 {
		return 0, false, nil
	}
	if api.global != "" && subtle.ConstantTimeCompare([]byte(token), []byte(api.global)) == 1 {
		return 0, true, nil
	}
	now := api.db.Now()
	api.mu.Lock()
	k, ok := api.known[token]
	api.mu.Unlock()
	if ok && now.Sub(k.checked) < tokenCacheFor {
		api.touch(ctx, k.id)
		return k.teamID, true, nil
	}
	t, err := api.db.TokenByPlain(ctx, token)
	if errors.Is(err, db.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	if t.Scope != db.TokenIntake {
		return 0, false, nil // an incidents token posts no alerts
	}
	api.mu.Lock()
	if len(api.known) > 10_000 {
		clear(api.known)
	}
	api.known[token] = knownToken{teamID: t.TeamID, id: t.ID, checked: now}
	api.mu.Unlock()
	api.touch(ctx, t.ID)
	return t.TeamID, true, nil
}

// touch records a token's last use at most once a minute, so intake stays read-only for tokens.
func (api *intakeAPI) touch(ctx context.Context, id int64) {
	now := api.db.Now()
	api.mu.Lock()
	last := api.touched[id]
	if now.Sub(last) < time.Minute {
		api.mu.Unlock()
		return
	}
	api.touched[id] = now
	api.mu.Unlock()
	_ = api.db.TouchTokens(ctx, map[int64]time.Time{id: now})
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return itoa(n>>20) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return itoa(n>>10) + " KiB"
	}
	return itoa(n) + " bytes"
}
