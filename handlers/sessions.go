package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"alertdesk/db"
	"alertdesk/i18n"
	"alertdesk/views"
)

// sessionRows turns the user's session records into the My account list.
func (s *Server) sessionRows(c echo.Context) ([]views.SessionRow, error) {
	u := currentUser(c)
	recs, err := s.deps.DB.UserSessions(c.Request().Context(), u.ID)
	if err != nil {
		return nil, err
	}
	cur := session(c).record
	now := s.now()
	var rows []views.SessionRow
	for _, r := range recs {
		if now.Sub(r.CreatedAt) >= s.deps.Config.SessionMaxAge || now.Sub(r.LastSeenAt) >= s.deps.Config.SessionIdle {
			continue // expired: it cannot be used and goes at the next prune
		}
		rows = append(rows, views.SessionRow{ID: r.ID, Created: i18n.Minute(c.Request().Context(), r.CreatedAt),
			LastSeen: i18n.Minute(c.Request().Context(), r.LastSeenAt), IP: r.IP, UserAgent: r.UserAgent,
			Current: cur != nil && cur.ID == r.ID, EndURL: fmt.Sprintf("/account/sessions/%d/end", r.ID)})
	}
	return rows, nil
}

// accountSessionEnd ends one of the user's own sessions (from My account).
func (s *Server) accountSessionEnd(c echo.Context) error {
	u := currentUser(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return userError(http.StatusNotFound, "%s", t(c, "auth.err.no_session"))
	}
	if err := s.deps.DB.EndSession(c.Request().Context(), u.ID, id); errors.Is(err, db.ErrNotFound) {
		return userError(http.StatusNotFound, "%s", t(c, "auth.err.session_ended"))
	} else if err != nil {
		return err
	}
	if cur := session(c).record; cur != nil && cur.ID == id {
		return s.logout(c) // ending this browser's own session is signing out
	}
	s.setFlash(c, "ok", t(c, "auth.session_ended"))
	return redirect(c, "/account")
}

// accountSessionsEndOthers ends every session of the user but this one.
func (s *Server) accountSessionsEndOthers(c echo.Context) error {
	u := currentUser(c)
	var keep int64
	if cur := session(c).record; cur != nil {
		keep = cur.ID
	}
	n, err := s.deps.DB.EndSessions(c.Request().Context(), actor(c), u.ID, keep)
	if err != nil {
		return err
	}
	s.setFlash(c, "ok", t(c, "auth.others_signed_out", "Count", n))
	return redirect(c, "/account")
}

// usersEndSessions is an admin's "sign out everywhere" for a user.
func (s *Server) usersEndSessions(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return userError(http.StatusNotFound, "%s", t(c, "auth.err.no_user"))
	}
	var keep int64
	if cur := session(c).record; cur != nil && currentUser(c).ID == id {
		keep = cur.ID // an admin signing themself out everywhere keeps the page they are on
	}
	n, err := s.deps.DB.EndSessions(c.Request().Context(), actor(c), id, keep)
	if errors.Is(err, db.ErrNotFound) {
		return userError(http.StatusNotFound, "%s", t(c, "auth.err.no_user"))
	} else if err != nil {
		return err
	}
	s.setFlash(c, "ok", t(c, "auth.everywhere_signed_out", "Count", n))
	return redirect(c, "/admin/users/"+strconv.FormatInt(id, 10))
}
