package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"alertdesk/db"
	"alertdesk/i18n"
	"alertdesk/notify"
	"alertdesk/notify/sandbox"
	"alertdesk/views"
)

// SandboxURL is the webhook URL of a sandbox robot as the console reaches it.
func SandboxURL(base string, p notify.Platform, token string) string {
	return base + "/sandbox" + sandbox.WebhookPath(p, token)
}

// A sandbox robot belongs to the team it was created for: members see and control only
// their team's, administrators and auditors see all. Its token and secret are credentials
// like a real robot's: shown in full once, at creation, then masked.

// sandboxRef stands for a robot in URLs and pages without revealing its token.
func sandboxRef(token string) string {
	h := sha256.Sum256([]byte("alertdesk sandbox" + " robot\x00" + token)) // the same bytes as ever: refs stay stable
	return hex.EncodeToString(h[:8])
}

// sandboxVisible reports whether the signed-in user may see and control r.
func sandboxVisible(c echo.Context, r sandbox.RobotConfig) bool {
	u := currentUser(c)
	return u != nil && (u.Role != db.RoleMember || (u.TeamID != 0 && r.TeamID == u.TeamID))
}

// visibleSandboxRobots are the robots the user may see, by token.
func (s *Server) visibleSandboxRobots(c echo.Context) map[string]sandbox.RobotConfig {
	out := map[string]sandbox.RobotConfig{}
	for _, r := range s.deps.Sandbox.Robots() {
		if sandboxVisible(c, r) {
			out[r.Token] = r
		}
	}
	return out
}

func (s *Server) sandboxPage(c echo.Context) error {
	d, err := s.sandboxPageData(c, "", "")
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.SandboxPage(d, nil))
}

// sandboxPageData is the user's sandbox robots, the one just created (revealed, its
// token) in full, with an ok message when flash is set.
func (s *Server) sandboxPageData(c echo.Context, revealed, flash string) (views.SandboxPageData, error) {
	sb := s.deps.Sandbox
	d := views.SandboxPageData{Page: s.page(c, t(c, "common.nav.sandbox"), "sandbox"), Platform: "dingtalk"}
	if flash != "" {
		d.Flash, d.FlashKind = flash, "ok"
	}
	for _, f := range sandbox.Faults {
		label := string(f)
		if f == sandbox.FaultNone {
			label = t(c, "sandbox.fault_none")
		}
		d.Faults = append(d.Faults, views.Option{Value: string(f), Label: label})
	}
	for _, r := range sb.Robots() {
		if !sandboxVisible(c, r) {
			continue
		}
		acc, rej := sb.Count(r.Token)
		webhook := SandboxURL(s.deps.Config.SandboxBaseURL, r.Platform, r.Token)
		row := views.SandboxRobot{Platform: r.Platform.Label(), Name: r.Name, Ref: sandboxRef(r.Token),
			Webhook: webhookHint(webhook), Secret: notify.Mask(r.Secret), Keywords: strings.Join(r.Keywords, ", "),
			Unlimited: r.Unlimited, Fault: string(r.Fault), Accepted: acc, Rejected: rej}
		if r.Token == revealed {
			row.Webhook, row.Secret, row.Revealed = webhook, r.Secret, true
		}
		d.Robots = append(d.Robots, row)
	}
	for _, m := range s.visibleSandboxMessages(c, "") {
		body := string(m.Body)
		var pretty any
		if json.Unmarshal(m.Body, &pretty) == nil {
			if b, err := json.MarshalIndent(pretty, "", "  "); err == nil {
				body = string(b)
			}
		}
		chat := views.ChatFromRequest(string(m.Platform), m.Platform.Label(), m.Body)
		chat.Robot, chat.Raw = m.RobotName, body
		d.Messages = append(d.Messages, views.SandboxMessage{ID: m.ID, At: i18n.Time(c.Request().Context(), m.At),
			Platform: m.Platform.Label(), RobotName: m.RobotName, Accepted: m.Accepted, Code: m.Code, ErrMsg: m.ErrMsg,
			Title: m.Title, Text: m.Text, Mentions: m.Mentions, Body: body, Buttons: sandboxButtons(m.Buttons), Chat: chat})
		if len(d.Messages) == 200 {
			break
		}
	}
	return d, nil
}

// visibleSandboxMessages are the messages received by robots the user may see (of one
// robot when token is set), with the token masked.
func (s *Server) visibleSandboxMessages(c echo.Context, token string) []sandbox.Received {
	visible := s.visibleSandboxRobots(c)
	out := []sandbox.Received{}
	for _, m := range s.deps.Sandbox.Messages() {
		if _, ok := visible[m.Token]; !ok || (token != "" && m.Token != token) {
			continue
		}
		m.Token = notify.Mask(m.Token)
		out = append(out, m)
	}
	return out
}

func (s *Server) sandboxMessages(c echo.Context) error {
	return c.JSON(http.StatusOK, s.visibleSandboxMessages(c, c.QueryParam("token")))
}

func (s *Server) sandboxAddRobot(c echo.Context) error {
	errs := views.FieldErrors{}
	p, ok := notify.ParsePlatform(form(c, "platform"))
	if !ok {
		errs["platform"] = t(c, "sandbox.err_platform")
	}
	name := form(c, "name")
	checkName(c, errs, "name", name, 100)
	if len(errs) > 0 {
		// The form comes back with its error next to the field and everything typed.
		d, err := s.sandboxPageData(c, "", "")
		if err != nil {
			return err
		}
		d.Platform = form(c, "platform")
		d.Form = views.SandboxRobotForm{Name: name, Sign: c.FormValue("sign") == "1", Keywords: c.FormValue("keywords"),
			Unlimited: c.FormValue("unlimited") == "1"}
		return render(c, http.StatusUnprocessableEntity, views.SandboxPage(d, errs))
	}
	cfg := sandbox.RobotConfig{Platform: p, Name: name, Unlimited: c.FormValue("unlimited") == "1",
		TeamID: currentUser(c).TeamID}
	if c.FormValue("sign") == "1" && p.SupportsSecret() {
		cfg.Secret = "generate"
	}
	if p.SupportsKeywords() {
		for _, k := range strings.Split(c.FormValue("keywords"), "\n") {
			if k = strings.TrimSpace(k); k != "" {
				cfg.Keywords = append(cfg.Keywords, k)
			}
		}
	}
	cfg = s.deps.Sandbox.AddRobot(cfg)
	if err := s.saveSandbox(); err != nil {
		return err
	}
	// Rendered, not redirected: the full webhook URL and secret are shown this once.
	d, err := s.sandboxPageData(c, cfg.Token,
		t(c, "sandbox.created", "Name", name))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.SandboxPage(d, nil))
}

// sandboxFault sets a robot's fault mode. The robot is named by its reference (or by
// its token, which only someone holding the credential knows) and must be the user's.
func (s *Server) sandboxFault(c echo.Context) error {
	f := sandbox.Fault(c.FormValue("fault"))
	if !f.Valid() {
		return userError(http.StatusUnprocessableEntity, "%s", t(c, "sandbox.err_fault"))
	}
	id := c.Param("token")
	token := ""
	for tok := range s.visibleSandboxRobots(c) {
		if tok == id || sandboxRef(tok) == id {
			token = tok
		}
	}
	if token == "" || !s.deps.Sandbox.SetFault(token, f) {
		return userError(http.StatusNotFound, "%s", t(c, "sandbox.err_no_robot"))
	}
	if err := s.saveSandbox(); err != nil {
		return err
	}
	s.setFlash(c, "ok", t(c, "sandbox.fault_set"))
	return redirect(c, "/sandbox")
}

func (s *Server) saveSandbox() error {
	if s.deps.SaveSandbox == nil {
		return nil
	}
	return s.deps.SaveSandbox()
}

func sandboxButtons(bs []sandbox.Button) []views.SandboxButton {
	out := make([]views.SandboxButton, len(bs))
	for i, b := range bs {
		out[i] = views.SandboxButton{Label: b.Label, URL: b.URL}
	}
	return out
}
