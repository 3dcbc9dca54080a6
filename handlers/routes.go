package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"alertdesk/alerting"
	"alertdesk/db"
)

// Who may call a route. Every route of the signed-in console declares one in routes();
// authorize enforces it, and refuses a route that declares none (fail closed). Team
// scoping of single objects is enforced by db.Scope on every query.
type role int

const (
	reader  role = iota + 1 // every signed-in user may look (members see their team's objects)
	self                    // every signed-in user, about their own account and session (auditors too)
	writer                  // admins and members (in their team); auditors read everything and change nothing
	auditor                 // admins and auditors: the audit log
	adminUI                 // admins; auditors may look
	admin                   // admins only
)

// routes lists the whole HTTP surface of the console in one place, each route with the
// role it needs.
func (s *Server) routes() {
	e := s.Echo
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	if s.deps.Metrics != nil {
		e.GET("/metrics", echo.WrapHandler(s.deps.Metrics), s.metricsAuth)
	}
	e.GET("/favicon.ico", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	e.StaticFS("/static", s.deps.Static)

	// Machine endpoints: bearer tokens, no session, no CSRF.
	if api := s.newIntakeAPI(); api != nil {
		s.intake = api
		// Alertmanager and Grafana do not retry a 4xx, and their bodies carry whole groups:
		// each bad alert is refused on its own and the others are stored.
		e.POST("/api/v1/alerts/alertmanager", api.handleWebhook(alerting.SourceAlertmanager, alerting.ParseAlertmanagerBatch))
		e.POST("/api/v1/alerts/grafana", api.handleWebhook(alerting.SourceGrafana, alerting.ParseGrafanaBatch))
		e.PUT("/api/v1/alerts/grafana", api.handleWebhook(alerting.SourceGrafana, alerting.ParseGrafanaBatch))
		// The console's own API is all or nothing: its callers read the 400 and send again.
		e.POST("/api/v1/alerts", api.handleAPI)
	}
	if in := s.newIntegrationIntake(); in != nil {
		// The request log records the route pattern (c.Path()), never the path itself, so
		// the secret in the secret-URL routes stays out of the logs.
		e.POST("/api/v1/integrations/:id", in.handle)
		e.POST("/api/v1/integrations/:id/:secret", in.handle)
		// vmalert appends Alertmanager's API path to its -notifier.url.
		e.POST("/api/v1/integrations/:id/api/v2/alerts", in.handle)
		e.POST("/api/v1/integrations/:id/:secret/api/v2/alerts", in.handle)
	}
	// Incident actions over JSON: a token of scope incidents (intake tokens cannot act).
	api := e.Group("/api/v1/incidents", middleware.BodyLimit("64K"), s.incidentToken)
	api.GET("", s.apiIncidents)
	api.GET("/:id", s.apiIncident)
	api.POST("/:id/actions", s.apiIncidentAct)
	// Chat action links: a session is read (a signed-in user acts as themselves) but the
	// console's CSRF token is not required: a phone's in-app browser may open the link
	// without a session. The signed token names the incident and the action; GET only
	// shows the confirmation, the POST acts (see actPost).
	act := e.Group("/act", middleware.BodyLimit("64K"), s.loadSession)
	act.GET("/:id/:token", s.actShow)
	act.POST("/:id/:token", s.actPost)
	if sb := s.deps.Sandbox; sb != nil {
		// The sandbox's webhook endpoints: the console's own sender calls them.
		hooks := echo.WrapHandler(http.StripPrefix("/sandbox", sb))
		e.Any("/sandbox/robot/send", hooks)
		e.Any("/sandbox/open-apis/bot/v2/hook/:token", hooks)
		e.Any("/sandbox/cgi-bin/webhook/send", hooks)
	}

	// Browser pages: session + CSRF; forms are small.
	web := e.Group("", middleware.BodyLimit("1M"), s.loadSession, checkCSRF)
	web.GET("/login", s.loginShow)
	web.POST("/login", s.login)
	web.GET("/invite/:token", s.signupShow)
	web.POST("/invite/:token", s.signup)

	r := roleRoutes{g: web.Group("", requireAuth, s.authorize), roles: s.roles}
	r.post("/logout", s.logout, self)
	r.get("/", s.dashboard, reader)
	r.get("/account", s.account, self)
	r.post("/account/password", s.changePassword, self)
	r.post("/account/preferences", s.savePreferences, self)
	r.post("/account/sessions/:id/end", s.accountSessionEnd, self)
	r.post("/account/sessions/end-others", s.accountSessionsEndOthers, self)
	r.get("/account/contact", s.myContact, self)
	r.post("/account/contact", s.myContactSave, writer)

	r.get("/admin", func(c echo.Context) error { return c.Redirect(http.StatusSeeOther, "/admin/teams") }, adminUI)
	r.get("/admin/teams", s.teamsList, adminUI)
	r.post("/admin/teams", s.teamsCreate, admin)
	r.post("/admin/teams/:id", s.teamsRename, admin)
	r.post("/admin/teams/:id/delete", s.teamsDelete, admin)
	r.get("/admin/users", s.usersList, adminUI)
	r.post("/admin/users", s.usersCreate, admin)
	r.get("/admin/users/:id", s.usersEdit, adminUI)
	r.post("/admin/users/:id", s.usersUpdate, admin)
	r.post("/admin/users/:id/password", s.usersResetPassword, admin)
	r.post("/admin/users/:id/sessions/end", s.usersEndSessions, admin)
	r.get("/admin/invites", s.invitesList, adminUI)
	r.get("/admin/tokens", s.tokensList, adminUI)
	r.get("/invites", s.invitesList, reader)
	r.post("/invites", s.invitesCreate, writer)
	r.post("/invites/:id/revoke", s.invitesRevoke, writer)

	r.get("/audit", s.auditList, auditor)
	r.get("/audit.csv", s.auditExport, auditor)

	r.get("/alerts", s.alertsList, reader)
	r.get("/alerts/:id", s.alertWhy, reader)
	r.get("/intake-errors", s.intakeErrorsList, reader)

	r.get("/incidents", s.incidentsList, reader)
	r.get("/incidents/settings", s.incidentSettings, reader)
	r.post("/incidents/settings/:team", s.incidentContactActions, writer)
	r.post("/incidents/settings/:team/summary", s.incidentSummarySettings, writer)
	r.get("/incidents/:id", s.incidentShow, reader)
	r.post("/incidents/:id/act", s.incidentAct, writer)
	r.get("/reports", s.reportsPage, reader)
	r.get("/reports.csv", s.reportsExport, reader)

	r.get("/history", s.historyList, reader)
	r.get("/history.csv", s.historyExport, reader)
	r.get("/history/:id", s.historyShow, reader)
	r.post("/history/:id/resend", s.historyResend, writer)

	r.get("/rules", s.rulesList, reader)
	r.get("/rules/new", s.rulesNew, reader)
	r.get("/rules/matcher-row", s.rulesMatcherRow, reader)
	r.get("/rules/quiet-row", s.rulesQuietRow, reader)
	r.get("/rules/empty", s.rulesEmpty, reader)
	r.get("/rules/objects", s.rulesObjects, reader)
	r.post("/rules", s.rulesCreate, writer)
	r.post("/rules/bulk", s.rulesBulk, writer)
	r.post("/rules/preview", s.rulesPreview, writer)
	r.get("/rules/:id", s.rulesEdit, reader)
	r.post("/rules/:id", s.rulesUpdate, writer)
	r.post("/rules/:id/clone", s.rulesClone, writer)
	r.post("/rules/:id/enabled", s.rulesSetEnabled, writer)
	r.post("/rules/:id/delete", s.rulesDelete, writer)
	r.post("/rules/:id/test", s.rulesTest, writer)

	r.get("/silences", s.silencesList, reader)
	r.post("/silences", s.silencesCreate, writer)
	r.post("/silences/:id/expire", s.silencesExpire, writer)

	r.get("/tokens", s.tokensList, reader)
	r.post("/tokens", s.tokensCreate, writer)
	r.post("/tokens/:id/revoke", s.tokensRevoke, writer)

	r.get("/robots", s.robotsList, reader)
	r.get("/robots/new", s.robotsNew, reader)
	r.post("/robots", s.robotsCreate, writer)
	r.post("/robots/bulk", s.robotsBulk, writer)
	r.get("/robots/:id", s.robotsEdit, reader)
	r.post("/robots/:id", s.robotsUpdate, writer)
	r.post("/robots/:id/enabled", s.robotsSetEnabled, writer)
	r.post("/robots/:id/delete", s.robotsDelete, writer)
	r.post("/robots/:id/test", s.robotsTest, writer)

	r.get("/contacts", s.contactsList, reader)
	r.get("/contacts/new", s.contactsNew, reader)
	r.post("/contacts", s.contactsCreate, writer)
	r.get("/contacts/groups", s.contactGroupsList, reader)
	r.post("/contacts/groups", s.contactGroupsCreate, writer)
	r.get("/contacts/groups/:id", s.contactGroupsEdit, reader)
	r.post("/contacts/groups/:id", s.contactGroupsUpdate, writer)
	r.get("/contacts/groups/:id/members", s.contactGroupsMembers, reader)
	r.get("/contacts/groups/:id/candidates", s.contactGroupsCandidates, reader)
	r.post("/contacts/groups/:id/delete", s.contactGroupsDelete, writer)
	r.get("/contacts/:id", s.contactsEdit, reader)
	r.post("/contacts/:id", s.contactsUpdate, writer)
	r.post("/contacts/:id/delete", s.contactsDelete, writer)

	r.get("/schedules", s.schedulesList, reader)
	r.get("/schedules/new", s.schedulesNew, reader)
	r.get("/schedules/layer-row", s.schedulesLayerRow, reader)
	r.get("/schedules/empty", s.rulesEmpty, reader)
	r.post("/schedules", s.schedulesCreate, writer)
	r.get("/schedules/:id", s.schedulesEdit, reader)
	r.post("/schedules/:id", s.schedulesUpdate, writer)
	r.post("/schedules/:id/delete", s.schedulesDelete, writer)
	r.post("/schedules/:id/overrides", s.schedulesOverrideAdd, writer)
	r.post("/schedules/:id/overrides/:oid/delete", s.schedulesOverrideDelete, writer)

	r.get("/escalation", s.policiesList, reader)
	r.get("/escalation/new", s.policiesNew, reader)
	r.get("/escalation/step-row", s.policiesStepRow, reader)
	r.post("/escalation", s.policiesCreate, writer)
	r.get("/escalation/:id", s.policiesEdit, reader)
	r.post("/escalation/:id", s.policiesUpdate, writer)
	r.post("/escalation/:id/delete", s.policiesDelete, writer)

	r.get("/integrations", s.integrationsList, reader)
	r.get("/integrations/new", s.integrationsNew, reader)
	r.post("/integrations", s.integrationsCreate, writer)
	r.post("/integrations/try", s.integrationsTry, writer)
	r.get("/integrations/:id", s.integrationsEdit, reader)
	r.post("/integrations/:id", s.integrationsUpdate, writer)
	r.post("/integrations/:id/token", s.integrationsRotateToken, writer)
	r.post("/integrations/:id/secret-url", s.integrationsNewSecretURL, writer)
	r.post("/integrations/:id/secret-url/revoke", s.integrationsRevokeSecretURL, writer)
	r.post("/integrations/:id/delete", s.integrationsDelete, writer)

	if s.deps.Sandbox != nil {
		r.get("/sandbox", s.sandboxPage, reader)
		r.get("/sandbox/messages", s.sandboxMessages, reader)
		r.post("/sandbox/robots", s.sandboxAddRobot, writer)
		r.post("/sandbox/robots/:token/fault", s.sandboxFault, writer)
	}
}

// roleRoutes registers routes on the signed-in group, recording each one's role.
type roleRoutes struct {
	g     *echo.Group
	roles map[string]role
}

func (r roleRoutes) get(path string, h echo.HandlerFunc, who role) {
	r.roles[http.MethodGet+" "+path] = who
	r.g.GET(path, h)
}

func (r roleRoutes) post(path string, h echo.HandlerFunc, who role) {
	if who == reader || who == adminUI {
		panic("handlers: a state-changing route needs a role that may change state: " + path)
	}
	r.roles[http.MethodPost+" "+path] = who
	r.g.POST(path, h)
}

// RoleDeclared reports whether a console route declares who may call it (tests).
func (s *Server) RoleDeclared(method, path string) bool {
	_, ok := s.roles[method+" "+path]
	return ok
}

// authorize enforces the role the route declared in routes().
func (s *Server) authorize(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := currentUser(c)
		method := c.Request().Method
		if method == http.MethodHead {
			method = http.MethodGet
		}
		who, declared := s.roles[method+" "+c.Path()]
		switch {
		case !declared:
			return userError(http.StatusForbidden, "%s", t(c, "common.err.page_closed")) // fail closed
		case who == writer && u.Role == db.RoleAuditor:
			return userError(http.StatusForbidden, "%s", t(c, "common.err.auditor_read_only"))
		case who == auditor && u.Role == db.RoleMember:
			return userError(http.StatusForbidden, "%s", t(c, "common.err.audit_only"))
		case who == adminUI && u.Role == db.RoleMember, who == admin && u.Role != db.RoleAdmin:
			return userError(http.StatusForbidden, "%s", t(c, "common.err.admin_only"))
		}
		return next(c)
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
