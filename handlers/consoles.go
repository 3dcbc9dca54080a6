package handlers

import (
	"os"
	"time"

	"github.com/labstack/echo/v4"

	"alertdesk/db"
	"alertdesk/views"
)

// consolesCard is the dashboard's card of the live consoles on this database, for
// administrators (nil for the others): each console's host, pid, start, last heartbeat
// and the roles it holds (on PostgreSQL its unexpired leases). On SQLite the one console
// is listed too; a console not registered (tests, or before its first heartbeat) is
// shown from what this process knows of itself.
func (s *Server) consolesCard(c echo.Context) (*views.ConsolesCard, error) {
	if currentUser(c).Role != db.RoleAdmin {
		return nil, nil
	}
	ctx := c.Request().Context()
	now, err := s.deps.DB.ClusterNow(ctx)
	if err != nil {
		return nil, err
	}
	live, err := s.deps.DB.LiveConsoles(ctx, now, db.HeartbeatTimeout)
	if err != nil {
		return nil, err
	}
	this := ""
	if s.deps.Console != nil {
		this = s.deps.Console.ID()
	}
	card := &views.ConsolesCard{Postgres: s.deps.DB.Postgres()}
	seen := false
	for _, l := range live {
		card.Consoles = append(card.Consoles, consoleRow(l, l.ID == this))
		seen = seen || l.ID == this
	}
	if !seen && (s.deps.Console != nil || !card.Postgres) {
		me := db.ConsoleInfo{ID: this, PID: os.Getpid(), StartedAt: processStarted, HeartbeatAt: now}
		me.Hostname, _ = os.Hostname()
		if s.deps.Console != nil {
			me.Roles = s.deps.Console.Roles()
		} else {
			me.Roles = db.AllRoles // SQLite without a registry: this console does everything
		}
		card.Consoles = append(card.Consoles, consoleRow(me, true))
	}
	return card, nil
}

// processStarted is when this process started (a console shown without a registry row).
var processStarted = time.Now()

func consoleRow(l db.ConsoleInfo, this bool) views.ConsoleRow {
	short := l.ID
	if short == "" {
		short = "-"
	}
	if len(short) > 8 {
		short = short[:8]
	}
	return views.ConsoleRow{ID: short, FullID: l.ID, Host: l.Hostname, PID: l.PID, Version: l.Version,
		Started: l.StartedAt, Heartbeat: l.HeartbeatAt, Roles: l.Roles, This: this}
}
