package handlers

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"alertdesk/notify"
	"alertdesk/notify/sandbox"
	"alertdesk/views"
)

// sandboxRoutes mounts the platform sandbox: the webhook endpoints without session or
// CSRF (the console's own sender calls them), the page and its JSON for signed-in users.
func (s *Server) sandboxRoutes(app *echo.Group) {
	sb := s.deps.Sandbox
	if sb == nil {
		return
	}
	hooks := echo.WrapHandler(http.StripPrefix("/sandbox", sb))
	s.Echo.Any("/sandbox/robot/send", hooks)
	s.Echo.Any("/sandbox/open-apis/bot/v2/hook/:token", hooks)
	s.Echo.Any("/sandbox/cgi-bin/webhook/send", hooks)
	app.GET("/sandbox", s.sandboxPage)
	app.GET("/sandbox/messages", s.sandboxMessages)
	app.POST("/sandbox/robots", s.sandboxAddRobot)
	app.POST("/sandbox/robots/:token/fault", s.sandboxFault)
}

// SandboxURL is the webhook URL of a sandbox robot as the console reaches it.
func SandboxURL(base string, p notify.Platform, token string) string {
	return base + "/sandbox" + sandbox.WebhookPath(p, token)
}

func (s *Server) sandboxPage(c echo.Context) error {
	sb := s.deps.Sandbox
	d := views.SandboxPageData{Page: s.page(c, "Sandbox", ""), Platform: "dingtalk"}
	for _, f := range sandbox.Faults {
		label := string(f)
		if f == sandbox.FaultNone {
			label = "none (behave)"
		}
		d.Faults = append(d.Faults, views.Option{Value: string(f), Label: label})
	}
	for _, r := range sb.Robots() {
		acc, rej := sb.Count(r.Token)
		d.Robots = append(d.Robots, views.SandboxRobot{Platform: r.Platform.Label(), Name: r.Name, Token: r.Token,
			Webhook: SandboxURL(s.deps.Config.SandboxBaseURL, r.Platform, r.Token), Secret: r.Secret,
			Keywords: strings.Join(r.Keywords, ", "), Unlimited: r.Unlimited, Fault: string(r.Fault), Accepted: acc, Rejected: rej})
	}
	msgs := sb.Messages()
	if len(msgs) > 200 {
		msgs = msgs[:200]
	}
	for _, m := range msgs {
		body := string(m.Body)
		var pretty any
		if json.Unmarshal(m.Body, &pretty) == nil {
			if b, err := json.MarshalIndent(pretty, "", "  "); err == nil {
				body = string(b)
			}
		}
		d.Messages = append(d.Messages, views.SandboxMessage{ID: m.ID, At: m.At.Local().Format("15:04:05"),
			Platform: m.Platform.Label(), RobotName: m.RobotName, Accepted: m.Accepted, Code: m.Code, ErrMsg: m.ErrMsg,
			Title: m.Title, Text: m.Text, Mentions: m.Mentions, Body: body})
	}
	return render(c, http.StatusOK, views.SandboxPage(d, nil))
}

func (s *Server) sandboxMessages(c echo.Context) error {
	token := c.QueryParam("token")
	msgs := s.deps.Sandbox.Messages()
	if token != "" {
		msgs = s.deps.Sandbox.MessagesFor(token)
	}
	if msgs == nil {
		msgs = []sandbox.Received{}
	}
	return c.JSON(http.StatusOK, msgs)
}

func (s *Server) sandboxAddRobot(c echo.Context) error {
	p, ok := notify.ParsePlatform(form(c, "platform"))
	if !ok {
		return userError(http.StatusUnprocessableEntity, "Pick %s.", notify.LabelList("or"))
	}
	name := form(c, "name")
	errs := views.FieldErrors{}
	checkName(errs, "name", name, 100)
	if len(errs) > 0 {
		return userError(http.StatusUnprocessableEntity, "Name: %s", errs["name"])
	}
	cfg := sandbox.RobotConfig{Platform: p, Name: name, Unlimited: c.FormValue("unlimited") == "1"}
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
	s.deps.Sandbox.AddRobot(cfg)
	if err := s.saveSandbox(); err != nil {
		return err
	}
	s.setFlash(c, "ok", "Sandbox robot "+name+" created; copy its webhook URL into a console robot.")
	return redirect(c, "/sandbox")
}

func (s *Server) sandboxFault(c echo.Context) error {
	f := sandbox.Fault(c.FormValue("fault"))
	if !f.Valid() {
		return userError(http.StatusUnprocessableEntity, "Unknown fault mode.")
	}
	if !s.deps.Sandbox.SetFault(c.Param("token"), f) {
		return userError(http.StatusNotFound, "No such sandbox robot.")
	}
	if err := s.saveSandbox(); err != nil {
		return err
	}
	s.setFlash(c, "ok", "Fault mode set.")
	return redirect(c, "/sandbox")
}

func (s *Server) saveSandbox() error {
	if s.deps.SaveSandbox == nil {
		return nil
	}
	return s.deps.SaveSandbox()
}
