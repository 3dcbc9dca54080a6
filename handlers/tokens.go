package handlers

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"alertdesk/db"
	"alertdesk/views"
)

// tokenTeams: admins pick a team or "global"; members create tokens for their team.
func (s *Server) tokenTeams(c echo.Context) ([]views.Option, error) {
	teams, err := s.teamOptions(c)
	if err != nil {
		return nil, err
	}
	if currentUser(c).Role == db.RoleAdmin {
		teams = append(teams, views.Option{Value: "global", Label: "Global — feeds every team's rules"})
	}
	return teams, nil
}

func (s *Server) tokensPage(c echo.Context) (views.TokensPageData, error) {
	u := currentUser(c)
	list, err := s.deps.DB.APITokens(c.Request().Context(), scope(c))
	if err != nil {
		return views.TokensPageData{}, err
	}
	nav := "admin"
	if u.Role == db.RoleMember {
		nav = "rules"
	}
	d := views.TokensPageData{Page: s.page(c, "API tokens", nav), CanWrite: u.CanWrite(), ShowTeam: u.Role != db.RoleMember,
		IsAdmin: u.Role == db.RoleAdmin}
	if d.CanWrite {
		if d.Teams, err = s.tokenTeams(c); err != nil {
			return d, err
		}
	}
	for _, k := range list {
		row := views.TokenRow{ID: k.ID, Name: k.Name, Team: k.TeamName, Hint: k.Hint, CreatedBy: k.CreatedBy,
			Created: when(k.CreatedAt), LastUsed: when(k.LastUsedAt), Revoked: when(k.RevokedAt),
			Scope: map[string]string{db.TokenIntake: "post alerts", db.TokenIncidents: "act on incidents"}[k.Scope]}
		if k.TeamID == 0 {
			row.Team = "global"
		}
		row.CanRevoke = u.CanWrite() && k.RevokedAt.IsZero() && u.Scope().Allows(k.TeamID)
		d.Rows = append(d.Rows, row)
	}
	return d, nil
}

func (s *Server) tokensList(c echo.Context) error {
	d, err := s.tokensPage(c)
	if err != nil {
		return err
	}
	var f views.TokenFormData
	if len(d.Teams) > 0 {
		f.TeamID = d.Teams[0].Value
	}
	return render(c, http.StatusOK, views.TokensPage(d, f, nil))
}

func (s *Server) tokensCreate(c echo.Context) error {
	f := views.TokenFormData{TeamID: form(c, "team_id"), Name: form(c, "name"), Scope: form(c, "scope")}
	if f.Scope == "" {
		f.Scope = db.TokenIntake
	}
	errs := views.FieldErrors{}
	var teamID int64
	if f.TeamID == "global" {
		if currentUser(c).Role != db.RoleAdmin {
			errs["team_id"] = "Only administrators can create global tokens."
		}
	} else if teamID = s.teamFromForm(c, errs, "team_id"); teamID <= 0 && errs["team_id"] == "" {
		errs["team_id"] = "Pick a team."
	}
	checkName(c, errs, "name", f.Name, 100)
	if f.Scope != db.TokenIntake && f.Scope != db.TokenIncidents {
		errs["scope"] = "Pick what the token may do."
	}
	if len(errs) > 0 {
		d, err := s.tokensPage(c)
		if err != nil {
			return err
		}
		return render(c, http.StatusUnprocessableEntity, views.TokensPage(d, f, errs))
	}
	plain := "ad_" + randomToken(24) // 24 random bytes: 32 URL-safe characters
	if _, err := s.deps.DB.CreateScopedToken(c.Request().Context(), actor(c), teamID, f.Name, plain, f.Scope); err != nil {
		return err
	}
	d, err := s.tokensPage(c)
	if err != nil {
		return err
	}
	base := s.consoleURL(c)
	sampleScope := db.AllTeams
	if teamID > 0 {
		sampleScope = db.TeamScope(teamID)
	}
	sample, err := s.sampleAlertFor(c.Request().Context(), sampleScope)
	if err != nil {
		return err
	}
	d.New = &views.NewToken{Plain: plain, SampleRule: sample.Rule, SampleRuleURL: sample.URL, IntakeToken: f.Scope == db.TokenIntake,
		Curl: fmt.Sprintf(`curl -sS -X POST %s/api/v1/alerts \
  -H 'Authorization: Bearer %s' \
  -H 'Content-Type: application/json' \
  -d '%s'`, base, plain, strings.ReplaceAll(sample.Body, "'", `'\''`)),
		Alertmanager: fmt.Sprintf(`# alertmanager.yml
receivers:
  - name: alertdesk
    webhook_configs:
      - url: %s/api/v1/alerts/alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: %s`, base, plain)}
	if f.Scope == db.TokenIncidents {
		d.New.Curl = fmt.Sprintf(`curl -sS %s/api/v1/incidents?state=open -H 'Authorization: Bearer %s'
curl -sS -X POST %s/api/v1/incidents/<id>/actions \
  -H 'Authorization: Bearer %s' \
  -H 'Content-Type: application/json' \
  -d '{"action":"ack","actor":"Alice"}'`, base, plain, base, plain)
		d.New.Alertmanager = "This token acts on incidents; it cannot post alerts. Create a token that may post alerts for Alertmanager."
	}
	return render(c, http.StatusOK, views.TokensPage(d, views.TokenFormData{TeamID: f.TeamID}, nil))
}

func (s *Server) tokensRevoke(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	err = s.deps.DB.RevokeAPIToken(c.Request().Context(), actor(c), scope(c), id)
	if s.intake != nil {
		s.intake.forgetTokens() // a revoked token is refused from the next request on
	}
	if err != nil {
		return err
	}
	s.setFlash(c, "ok", "Token revoked. Alert sources using it now get 401.")
	if currentUser(c).Role == db.RoleAdmin {
		return redirect(c, "/admin/tokens")
	}
	return redirect(c, "/tokens")
}
