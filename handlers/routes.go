package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// routes lists the whole HTTP surface of the console in one place.
func (s *Server) routes() {
	e := s.Echo
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	if s.deps.Metrics != nil {
		e.GET("/metrics", echo.WrapHandler(s.deps.Metrics), s.metricsAuth)
	}
	e.GET("/favicon.ico", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	e.StaticFS("/static", s.deps.Static)
	s.intakeRoutes()
	s.incidentAPIRoutes()

	// Browser pages: session + CSRF; forms are small.
	web := e.Group("", middleware.BodyLimit("1M"), s.loadSession, checkCSRF)
	web.GET("/login", s.loginShow)
	web.POST("/login", s.login)
	web.GET("/invite/:token", s.signupShow)
	web.POST("/invite/:token", s.signup)

	app := web.Group("", requireAuth, authorize)
	app.POST("/logout", s.logout)
	app.GET("/", s.dashboard)
	app.GET("/account", s.account)
	app.POST("/account/password", s.changePassword)
	app.POST("/account/sessions/:id/end", s.accountSessionEnd)
	app.POST("/account/sessions/end-others", s.accountSessionsEndOthers)

	app.GET("/admin", func(c echo.Context) error { return c.Redirect(http.StatusSeeOther, "/admin/teams") })
	app.GET("/admin/teams", s.teamsList)
	app.POST("/admin/teams", s.teamsCreate)
	app.POST("/admin/teams/:id", s.teamsRename)
	app.POST("/admin/teams/:id/delete", s.teamsDelete)
	app.GET("/admin/users", s.usersList)
	app.POST("/admin/users", s.usersCreate)
	app.GET("/admin/users/:id", s.usersEdit)
	app.POST("/admin/users/:id", s.usersUpdate)
	app.POST("/admin/users/:id/password", s.usersResetPassword)
	app.POST("/admin/users/:id/sessions/end", s.usersEndSessions)
	app.GET("/admin/invites", s.invitesList)
	app.GET("/invites", s.invitesList)
	app.POST("/invites", s.invitesCreate)
	app.POST("/invites/:id/revoke", s.invitesRevoke)

	app.GET("/audit", s.auditList)
	app.GET("/audit.csv", s.auditExport)

	s.alertRoutes(app)
	s.incidentRoutes(app)
	s.historyRoutes(app)
	s.ruleRoutes(app)
	s.robotRoutes(app)
	s.sandboxRoutes(app)

	s.contactRoutes(app)
	for _, extra := range s.deps.Extra {
		extra(app, e)
	}
}

func (s *Server) healthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok\n")
}

func (s *Server) readyz(c echo.Context) error {
	if err := s.deps.DB.Ping(c.Request().Context()); err != nil {
		logger(c).Error("readyz: database unreachable", "error", err)
		return c.String(http.StatusServiceUnavailable, "database unreachable\n")
	}
	return c.String(http.StatusOK, "ready\n")
}
