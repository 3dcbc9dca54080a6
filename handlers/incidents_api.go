package handlers

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"alertdesk/db"
	"alertdesk/pipeline"
)

const ctxToken = "incident_token"

// incidentToken admits a bearer token of scope incidents; its team is the scope of
// everything the request sees and does (a global token: every team).
func (s *Server) incidentToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		scheme, token, _ := strings.Cut(c.Request().Header.Get("Authorization"), " ")
		token = strings.TrimSpace(token)
		if !strings.EqualFold(scheme, "Bearer") || token == "" || len(token) > 200 {
			return c.JSON(http.StatusUnauthorized, apiErr(codeUnauthorized, "", t(c, "api.unauthorized_incidents")))
		}
		k, err := s.deps.DB.TokenByPlain(c.Request().Context(), token)
		if errors.Is(err, db.ErrNotFound) {
			return c.JSON(http.StatusUnauthorized, apiErr(codeUnauthorized, "", t(c, "api.unknown_token")))
		}
		if err != nil {
			return err
		}
		if k.Scope != db.TokenIncidents {
			return c.JSON(http.StatusForbidden, apiErr(codeForbidden, "", t(c, "api.token_scope")))
		}
		c.Set(ctxToken, k)
		return next(c)
	}
}

func apiToken(c echo.Context) db.APIToken {
	k, _ := c.Get(ctxToken).(db.APIToken)
	return k
}

func tokenScope(k db.APIToken) db.Scope {
	if k.TeamID == 0 {
		return db.AllTeams
	}
	return db.TeamScope(k.TeamID)
}

type apiIncidentJSON struct {
	ID         int64             `json:"id"`
	Team       string            `json:"team"`
	Rule       string            `json:"rule"`
	Title      string            `json:"title"`
	Severity   string            `json:"severity"`
	State      string            `json:"state"`
	Owner      string            `json:"owner"`
	AlertCount int               `json:"alert_count"`
	Labels     map[string]string `json:"labels"`
	OpenedAt   time.Time         `json:"opened_at"`
	AckedAt    *time.Time        `json:"acknowledged_at,omitempty"`
	AckedBy    string            `json:"acknowledged_by,omitempty"`
	ResolvedAt *time.Time        `json:"resolved_at,omitempty"`
	ClosedAt   *time.Time        `json:"closed_at,omitempty"`
	URL        string            `json:"url"`
	Timeline   []apiEventJSON    `json:"timeline,omitempty"`
}

type apiEventJSON struct {
	At    time.Time `json:"at"`
	Kind  string    `json:"kind"`
	Actor string    `json:"actor,omitempty"`
	Text  string    `json:"text"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func (s *Server) incidentJSON(i db.Incident) apiIncidentJSON {
	return apiIncidentJSON{ID: i.ID, Team: i.TeamName, Rule: i.RuleName, Title: i.Title, Severity: i.Severity, State: i.State,
		Owner: i.Owner, AlertCount: i.AlertCount, Labels: i.GroupLabels, OpenedAt: i.OpenedAt.UTC(), AckedAt: optTime(i.AckedAt),
		AckedBy: i.AckedBy, ResolvedAt: optTime(i.ResolvedAt), ClosedAt: optTime(i.ClosedAt),
		URL: s.deps.Composer.IncidentURL(i.ID)}
}

func (s *Server) apiIncidents(c echo.Context) error {
	q := c.QueryParams()
	f := db.IncidentFilter{State: q.Get("state"), Severity: q.Get("severity"), Owner: q.Get("owner"), Limit: 200}
	if !validOption(incidentStates, f.State) {
		return c.JSON(http.StatusBadRequest, apiErr(codeInvalidField, "state", t(c, "api.bad_state")))
	}
	if !validOption(incidentSeverities, f.Severity) {
		return c.JSON(http.StatusBadRequest, apiErr(codeInvalidField, "severity", t(c, "api.bad_severity")))
	}
	list, err := s.deps.DB.Incidents(c.Request().Context(), tokenScope(apiToken(c)), f)
	if err != nil {
		return err
	}
	out := make([]apiIncidentJSON, 0, len(list))
	for _, i := range list {
		out = append(out, s.incidentJSON(i))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiIncident(c echo.Context) error {
	ctx := c.Request().Context()
	inc, err := s.deps.DB.IncidentByID(ctx, tokenScope(apiToken(c)), parseID(c.Param("id")))
	if errors.Is(err, db.ErrNotFound) {
		return c.JSON(http.StatusNotFound, apiErr(codeNotFound, "", t(c, "api.no_incident")))
	}
	if err != nil {
		return err
	}
	events, err := s.deps.DB.IncidentEvents(ctx, inc.ID)
	if err != nil {
		return err
	}
	out := s.incidentJSON(inc)
	for _, e := range events {
		out.Timeline = append(out.Timeline, apiEventJSON{At: e.At.UTC(), Kind: e.Kind, Actor: e.Actor, Text: e.Text})
	}
	return c.JSON(http.StatusOK, out)
}

// apiActionRequest is POST /api/v1/incidents/:id/actions. Actor names the person the
// token acts for (recorded with the token's name); note is the text of a note.
type apiActionRequest struct {
	Action string `json:"action"`
	Actor  string `json:"actor"`
	Note   string `json:"note"`
}

func (s *Server) apiIncidentAct(c echo.Context) error {
	var req apiActionRequest
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return c.JSON(http.StatusBadRequest, apiErr(codeInvalidBody, "body", t(c, "api.bad_action_body", "Detail", err.Error())))
	}
	if req.Action != db.ActNote && pipeline.ActionLabel(req.Action) == "" {
		return c.JSON(http.StatusBadRequest, apiErr(codeInvalidField, "action", t(c, "api.bad_action")))
	}
	req.Actor = strings.TrimSpace(req.Actor)
	if len(req.Actor) > 100 {
		return c.JSON(http.StatusBadRequest, apiErr(codeInvalidField, "actor", t(c, "api.actor_too_long")))
	}
	k := apiToken(c)
	name := "token " + k.Name
	if req.Actor != "" {
		name = req.Actor + " (token " + k.Name + ")"
	}
	after, err := s.responder().Act(c.Request().Context(), tokenScope(k), db.IncidentAction{IncidentID: parseID(c.Param("id")),
		Action: req.Action, Actor: db.Actor{Name: name, IP: c.RealIP()}, ActorKind: "token", Via: "API", Note: req.Note})
	switch {
	case errors.Is(err, db.ErrNotFound):
		return c.JSON(http.StatusNotFound, apiErr(codeNotFound, "", t(c, "api.no_incident")))
	case errors.Is(err, db.ErrIncidentState):
		field := ""
		if req.Action == db.ActNote {
			field = "note"
		}
		return c.JSON(http.StatusConflict, apiError{Code: codeConflict, Error: strings.TrimSuffix(stateWords(err), "."), Field: field})
	case err != nil:
		return err
	}
	s.kick()
	if strings.HasPrefix(req.Action, "silence") {
		s.rulesChanged()
	}
	return c.JSON(http.StatusOK, s.incidentJSON(after))
}
