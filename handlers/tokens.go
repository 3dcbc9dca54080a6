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
		teams = append(teams, views.Option{Value: "global", Label: t(c, "tokens.global_option")})
	}
	return teams, nil
}

// tokensPage is the tokens list as the query string searches, filters, sorts and pages it,
// with the create form's choices.
func (s *Server) tokensPage(c echo.Context) (views.TokensPageData, error) {
	u := currentUser(c)
	nav, base := "admin", "/admin/tokens"
	if u.Role == db.RoleMember {
		nav = "rules"
	}
	if c.Path() == "/tokens" {
		base = "/tokens"
	}
	d := views.TokensPageData{Page: s.page(c, t(c, "common.tab.tokens"), nav), CanWrite: u.CanWrite(), ShowTeam: u.Role != db.RoleMember,
		IsAdmin: u.Role == db.RoleAdmin}
	teams, err := s.teamOptions(c)
	if err != nil {
		return d, err
	}
	if d.ShowTeam {
		d.TeamFilter = append(teams, views.Option{Value: "global", Label: t(c, "tokens.global")})
	}
	if d.CanWrite {
		if d.IsAdmin && len(teams) == 0 {
			d.CanCreateTeam = true // the form names a new team (or makes the token global)
		} else if d.Teams, err = s.tokenTeams(c); err != nil {
			return d, err
		}
	}
	opts, st := readList(c, base, "#tokens-table", "tokens-filters", []string{"name", "team", "created", "last_used"},
		map[string][]string{"team": nil, "scope": {db.TokenIntake, db.TokenIncidents}, "status": {"active", "revoked"}})
	d.List = st
	f := db.TokenFilter{Scope: st.Get("scope"), Status: st.Get("status")}
	if d.ShowTeam {
		f.TeamID = filterTeam(st.Get("team"), "global")
	}
	ctx := c.Request().Context()
	list, total, err := s.deps.DB.TokenList(ctx, scope(c), f, opts)
	if err == nil && lastPage(&opts, &d.List, total) {
		list, total, err = s.deps.DB.TokenList(ctx, scope(c), f, opts)
	}
	if err != nil {
		return d, err
	}
	d.List.Total = total
	for _, k := range list {
		row := views.TokenRow{ID: k.ID, Name: k.Name, Team: k.TeamName, Hint: k.Hint, CreatedBy: k.CreatedBy,
			Created: minuteOrEmpty(ctx, k.CreatedAt), LastUsed: minuteOrEmpty(ctx, k.LastUsedAt), Revoked: minuteOrEmpty(ctx, k.RevokedAt),
			Scope: t(c, map[string]string{db.TokenIntake: "tokens.scope_intake", db.TokenIncidents: "tokens.scope_incidents"}[k.Scope])}
		if k.TeamID == 0 {
			row.Team = t(c, "tokens.global")
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
	if isHTMX(c) {
		return render(c, http.StatusOK, views.TokensTable(d))
	}
	var f views.TokenFormData
	if len(d.Teams) > 0 {
		f.TeamID = d.Teams[0].Value
	}
	return render(c, http.StatusOK, views.TokensPage(d, f, nil))
}

func (s *Server) tokensCreate(c echo.Context) error {
	f := views.TokenFormData{TeamID: form(c, "team_id"), NewTeam: form(c, "new_team"), Name: form(c, "name"), Scope: form(c, "scope")}
	if f.Scope == "" {
		f.Scope = db.TokenIntake
	}
	errs := views.FieldErrors{}
	d, err := s.tokensPage(c)
	if err != nil {
		return err
	}
	var team teamPick
	switch {
	case f.TeamID == "global":
		if currentUser(c).Role != db.RoleAdmin {
			errs["team_id"] = t(c, "tokens.err_global")
		}
	case d.CanCreateTeam:
		team = s.pickTeam(c, errs, "team_id")
	default:
		if team.ID = s.teamFromForm(c, errs, "team_id"); team.ID <= 0 && errs["team_id"] == "" {
			errs["team_id"] = t(c, "tokens.err_team")
		}
	}
	checkName(c, errs, "name", f.Name, 100)
	if f.Scope != db.TokenIntake && f.Scope != db.TokenIncidents {
		errs["scope"] = t(c, "tokens.err_scope")
	}
	var teamID int64
	if len(errs) == 0 {
		if teamID, err = s.commitTeam(c, errs, team); err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		return render(c, http.StatusUnprocessableEntity, views.TokensPage(d, f, errs))
	}
	plain := "ad_" + randomToken(24) // 24 random bytes: 32 URL-safe characters
	if _, err := s.deps.DB.CreateScopedToken(c.Request().Context(), actor(c), teamID, f.Name, plain, f.Scope); err != nil {
		return err
	}
	if d, err = s.tokensPage(c); err != nil {
		return err
	}
	if team.NewName != "" {
		f.TeamID = itoa(teamID) // the form now picks the team just made
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
	// The snippets are code to copy, the same in every language.
	var curl, am strings.Builder
	if f.Scope == db.TokenIncidents {
		fmt.Fprintf(&curl, `curl -sS %s/api/v1/incidents?state=open -H 'Authorization: Bearer %s'
curl -sS -X POST %s/api/v1/incidents/<id>/actions \
  -H 'Authorization: Bearer %s' \
  -H 'Content-Type: application/json' \
  -d '{"action":"ack","actor":"Alice"}'`, base, plain, base, plain)
	} else {
		fmt.Fprintf(&curl, `curl -sS -X POST %s/api/v1/alerts \
  -H 'Authorization: Bearer %s' \
  -H 'Content-Type: application/json' \
  -d '%s'`, base, plain, strings.ReplaceAll(sample.Body, "'", `'\''`))
	}
	fmt.Fprintf(&am, `# alertmanager.yml
receivers:
  - name: alertdesk
    webhook_configs:
      - url: %s/api/v1/alerts/alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: %s`, base, plain)
	d.New = &views.NewToken{Plain: plain, SampleRule: sample.Rule, SampleRuleURL: sample.URL, IntakeToken: f.Scope == db.TokenIntake,
		Curl: curl.String(), Alertmanager: am.String()}
	if f.Scope == db.TokenIncidents {
		d.New.Alertmanager = t(c, "tokens.incidents_no_am")
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
	s.setFlash(c, "ok", t(c, "tokens.revoked_flash"))
	if currentUser(c).Role == db.RoleAdmin {
		return redirect(c, "/admin/tokens")
	}
	return redirect(c, "/tokens")
}
