package handlers

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"alertdesk/db"
	"alertdesk/i18n"
	"alertdesk/views"
)

// intakeErrorsList shows what the intake refused or corrected: a member sees their team's
// tokens and the global token's, admins and auditors everything.
func (s *Server) intakeErrorsList(c echo.Context) error {
	q := c.QueryParams()
	sc := scope(c)
	d := views.IntakeErrorsPageData{Page: s.page(c, t(c, "intake.title"), "intake"), Kind: q.Get("kind"), ShowTeam: sc.All,
		Kept: withCommas(db.IntakeErrorsKept)}
	f := db.IntakeErrorFilter{Limit: 50}
	status := http.StatusOK
	switch d.Kind {
	case "", db.IntakeRefused, db.IntakeClamped, db.IntakeBody, db.IntakeTruncated:
		f.Kind = d.Kind
	default:
		d.Kind, status = "", http.StatusUnprocessableEntity
		d.Page.Flash, d.Page.FlashKind = t(c, "intake.err_kind"), "error"
	}
	if b := q.Get("before"); b != "" {
		id, err := strconv.ParseInt(b, 10, 64)
		if err != nil || id <= 0 {
			status = http.StatusUnprocessableEntity
			d.Page.Flash, d.Page.FlashKind = t(c, "intake.err_cursor"), "error"
		} else {
			f.Before = id
		}
	}
	rows, more, err := s.deps.DB.IntakeErrors(c.Request().Context(), sc, f)
	if err != nil {
		return err
	}
	for _, e := range rows {
		r := views.IntakeErrorRow{At: i18n.Minute(c.Request().Context(), e.At), Source: e.Source, Kind: e.Kind, Field: e.Field, Reason: e.Reason,
			Team: e.TeamName}
		switch {
		case e.TeamID == 0:
			r.Team = t(c, "intake.global_token")
		case r.Team == "":
			r.Team = t(c, "intake.team_id", "ID", e.TeamID)
		}
		if e.AlertIndex >= 0 {
			r.Alert = t(c, "intake.position", "N", e.AlertIndex+1, "Of", e.Alerts)
			if e.AlertName != "" {
				r.Alert = t(c, "intake.named_position", "Name", e.AlertName, "N", e.AlertIndex+1, "Of", e.Alerts)
			}
		}
		d.Rows = append(d.Rows, r)
	}
	if more && len(rows) > 0 {
		next := url.Values{}
		if d.Kind != "" {
			next.Set("kind", d.Kind)
		}
		next.Set("before", itoa(rows[len(rows)-1].ID))
		d.NextURL = "/intake-errors?" + next.Encode()
	}
	if isHTMX(c) {
		return render(c, status, views.IntakeErrorsResults(d))
	}
	return render(c, status, views.IntakeErrorsPage(d))
}

// withCommas writes n with thousands separators: 10,000.
func withCommas(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
