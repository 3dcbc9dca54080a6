package handlers

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"alertdesk/db"
	"alertdesk/views"
)

// render buffers the component so a template error still yields a clean 500.
func render(c echo.Context, status int, comp templ.Component) error {
	buf := templ.GetBuffer()
	defer templ.ReleaseBuffer(buf)
	if err := comp.Render(c.Request().Context(), buf); err != nil {
		return err
	}
	c.Response().Header().Add("Vary", "HX-Request")
	return c.HTMLBlob(status, buf.Bytes())
}

// isHTMX: a non-boosted htmx request that wants a fragment rather than the page.
func isHTMX(c echo.Context) bool {
	h := c.Request().Header
	return h.Get("HX-Request") == "true" && h.Get("HX-Boosted") != "true" && h.Get("HX-History-Restore-Request") != "true"
}

// redirect sends a 303 to browsers and HX-Redirect to htmx.
func redirect(c echo.Context, url string) error {
	if c.Request().Header.Get("HX-Request") == "true" {
		c.Response().Header().Set("HX-Redirect", url)
		return c.NoContent(http.StatusNoContent)
	}
	return c.Redirect(http.StatusSeeOther, url)
}

// page builds the layout's view model for the current request.
func (s *Server) page(c echo.Context, title, nav string) views.Page {
	p := views.Page{Title: title, Nav: nav, Demo: s.deps.Config.Demo, AssetV: s.deps.Config.AssetVersion}
	sess := session(c)
	if sess != nil {
		p.CSRF = sess.csrf()
		hdr, _ := json.Marshal(map[string]string{"X-CSRF-Token": p.CSRF})
		p.CSRFHeaders = string(hdr)
		p.Flash, p.FlashKind = s.popFlash(c)
	}
	if u := currentUser(c); u != nil {
		p.User = &views.CurrentUser{ID: u.ID, Username: u.Username, Name: u.DisplayName, Role: u.Role, Team: u.TeamName,
			IsAdmin: u.Role == "admin", CanWrite: u.CanWrite(), CanAudit: u.Role != "member"}
		p.MustChangePassword = u.MustChangePassword
		if u.Role == db.RoleAdmin {
			p.BaseURLWarning, p.BaseURL = baseURLWarning(s.deps.Config.BaseURL), s.deps.Config.BaseURL
		}
	}
	return p
}

// baseURLWarning is the catalog key of why links to this console in chat messages would
// not open on a colleague's phone: ALERTDESK_BASE_URL names a loopback or unspecified
// address, or is no URL at all. "" when it looks reachable.
func baseURLWarning(base string) string {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "common.base_url_not_address"
	}
	host := u.Hostname()
	ip := net.ParseIP(host)
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || (ip != nil && (ip.IsLoopback() || ip.IsUnspecified())) {
		return "common.base_url_loopback"
	}
	return ""
}

// rulesChanged and kick tell the background services about changes, when they run.
func (s *Server) rulesChanged() {
	if s.deps.Pipeline != nil {
		s.deps.Pipeline.ReloadAsync()
	}
}

func (s *Server) kick() {
	if s.deps.Delivery != nil {
		s.deps.Delivery.Wake()
	}
}
