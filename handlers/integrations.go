package handlers

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"alertdesk/alerting"
	"alertdesk/db"
	"alertdesk/integrations"
	"alertdesk/views"
)

// newIntegrationIntake builds the handler of what tools post to their integration (nil
// without a pipeline).
func (s *Server) newIntegrationIntake() *integrationIntake {
	if s.deps.Pipeline == nil {
		return nil
	}
	max := s.deps.Config.IntakeMaxBytes
	if max <= 0 {
		max = 1 << 20
	}
	return &integrationIntake{db: s.deps.DB, pipeline: s.deps.Pipeline, maxBytes: max, compiled: map[int64]compiledMapping{}}
}

// integrationIntake serves what tools post to their integration.
type integrationIntake struct {
	db       *db.DB
	pipeline Pipeline
	maxBytes int64

	mu       sync.Mutex
	compiled map[int64]compiledMapping // by integration id; stale when updated_at moved
}

type compiledMapping struct {
	updated time.Time
	mapping *integrations.Compiled
}

func (in *integrationIntake) mapping(g db.Integration) (*integrations.Compiled, error) {
	in.mu.Lock()
	cm, ok := in.compiled[g.ID]
	in.mu.Unlock()
	if ok && cm.updated.Equal(g.UpdatedAt) {
		return cm.mapping, nil
	}
	c, err := compileStoredMapping(g.Mapping)
	if err != nil {
		return nil, err
	}
	in.mu.Lock()
	if len(in.compiled) > 10_000 {
		clear(in.compiled)
	}
	in.compiled[g.ID] = compiledMapping{updated: g.UpdatedAt, mapping: c}
	in.mu.Unlock()
	return c, nil
}

func compileStoredMapping(raw string) (*integrations.Compiled, error) {
	var m integrations.Mapping
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, fmt.Errorf("handlers: stored mapping: %w", err)
	}
	return integrations.Compile(m)
}

type integrationAccepted struct {
	Status       string `json:"status"`
	Alerts       int    `json:"alerts"`
	Stored       int    `json:"stored"`
	Duplicates   int    `json:"duplicates"`
	Confirmation string `json:"confirmation,omitempty"`
}

func (in *integrationIntake) handle(c echo.Context) error {
	ctx := c.Request().Context()
	unauthorized := func() error {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="alertdesk"`)
		return c.JSON(http.StatusUnauthorized, apiErr(codeUnauthorized, "", t(c, "api.unauthorized_integration")))
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return unauthorized()
	}
	g, err := in.db.IntegrationForIntake(ctx, id)
	if errors.Is(err, db.ErrNotFound) {
		return unauthorized()
	}
	if err != nil {
		logger(c).Error("integration intake: lookup failed", "error", err)
		return c.JSON(http.StatusServiceUnavailable, apiErr(codeUnavailable, "", t(c, "api.credentials_unavailable")))
	}
	presented, ok := presentedCredential(c, g)
	if !ok {
		return unauthorized()
	}
	now := in.db.Now()
	contentType := c.Request().Header.Get("Content-Type")
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, in.maxBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		e := apiErr(codeBodyTooLarge, "body", t(c, "api.body_too_large", "Limit", humanBytes(in.maxBytes)))
		in.record(c, g.Integration, now, body, contentType, presented, http.StatusRequestEntityTooLarge, db.PayloadRefused, e, nil)
		return c.JSON(http.StatusRequestEntityTooLarge, e)
	case err != nil:
		return c.JSON(http.StatusBadRequest, apiErr(codeInvalidBody, "body", t(c, "api.unreadable_body")))
	}
	refuse := func(status int, e apiError) error {
		in.record(c, g.Integration, now, body, contentType, presented, status, db.PayloadRefused, e, nil)
		return c.JSON(status, e)
	}
	if !g.Enabled {
		return refuse(http.StatusForbidden, apiErr(codeDisabled, "", t(c, "api.integration_disabled")))
	}
	mapping, err := in.mapping(g.Integration)
	if err != nil {
		logger(c).Error("integration intake: stored mapping does not compile", "integration_id", g.ID, "error", err)
		e := apiErr(codeMisconfigured, "", t(c, "api.mapping_broken", "Detail", err.Error()))
		in.record(c, g.Integration, now, body, contentType, presented, http.StatusInternalServerError, db.PayloadFailed, e, nil)
		return c.JSON(http.StatusInternalServerError, e)
	}
	res, err := mapping.Convert(ctx, body, contentType, now)
	if err != nil {
		return refuse(http.StatusBadRequest, parseError(c, err))
	}
	if res.Confirmation != nil {
		detail := t(c, "api.confirmation", "Kind", res.Confirmation.Kind, "URL", res.Confirmation.URL)
		if res.Confirmation.URL == "" {
			detail = t(c, "api.confirmation_no_link", "Kind", res.Confirmation.Kind)
		}
		in.record(c, g.Integration, now, body, contentType, presented, http.StatusOK, db.PayloadConfirmation, apiError{Error: detail}, nil)
		return c.JSON(http.StatusOK, integrationAccepted{Status: "recorded", Confirmation: res.Confirmation.Kind})
	}
	ingested, err := in.pipeline.Ingest(ctx, g.TeamID, res.Alerts)
	if err != nil {
		logger(c).Error("integration intake: alerts not stored", "integration_id", g.ID, "error", err, "alerts", len(res.Alerts))
		e := apiErr(codeNotStored, "", t(c, "api.not_stored"))
		in.record(c, g.Integration, now, body, contentType, presented, http.StatusInternalServerError, db.PayloadFailed, e, res.Alerts)
		return c.JSON(http.StatusInternalServerError, e)
	}
	if after := mapping.AutoResolve(); after > 0 {
		// The tool never resolves: each firing alert resolves itself after the quiet time
		// (moved on by every receipt); a resolve the tool does send disarms it.
		var firing []alerting.Alert
		var resolved []string
		for _, a := range res.Alerts {
			if a.Status == alerting.StatusFiring {
				firing = append(firing, a)
			} else {
				resolved = append(resolved, a.Fingerprint)
			}
		}
		if err := in.db.ArmAutoResolve(ctx, g.TeamID, firing, now.Add(after)); err != nil {
			logger(c).Error("integration intake: auto-resolve not armed", "integration_id", g.ID, "error", err)
		}
		if err := in.db.DisarmAutoResolve(ctx, g.TeamID, resolved); err != nil {
			logger(c).Error("integration intake: auto-resolve not disarmed", "integration_id", g.ID, "error", err)
		}
	}
	summary := t(c, "api.integration_summary", "Alerts", len(res.Alerts), "Stored", ingested.Stored, "Duplicates", ingested.Duplicates)
	in.record(c, g.Integration, now, body, contentType, presented, http.StatusAccepted, db.PayloadAccepted, apiError{Error: summary}, res.Alerts)
	return c.JSON(http.StatusAccepted, integrationAccepted{Status: "accepted", Alerts: len(res.Alerts), Stored: ingested.Stored,
		Duplicates: ingested.Duplicates})
}

// presentedCredential checks the secret in the URL, or else the bearer token, against the
// stored hashes; it returns what was presented, so that the inbound log can mask it.
func presentedCredential(c echo.Context, g db.IntegrationAuth) (string, bool) {
	if secret := c.Param("secret"); secret != "" {
		if g.SecretHash == "" || len(secret) > 200 {
			return "", false
		}
		return secret, subtle.ConstantTimeCompare([]byte(db.HashToken(secret)), []byte(g.SecretHash)) == 1
	}
	scheme, token, found := strings.Cut(c.Request().Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !found || !strings.EqualFold(scheme, "Bearer") || token == "" || len(token) > 200 {
		return "", false
	}
	return token, subtle.ConstantTimeCompare([]byte(db.HashToken(token)), []byte(g.TokenHash)) == 1
}

// record writes the payload to the integration's inbound log. A failure to log never
// changes the answer the tool gets: the alerts' fate is already decided.
func (in *integrationIntake) record(c echo.Context, g db.Integration, now time.Time, body []byte, contentType, credential string,
	status int, outcome string, e apiError, alerts []alerting.Alert) {
	text, _ := integrations.MaskPayload(body, contentType, credential)
	p := db.InboundPayload{IntegrationID: g.ID, ReceivedAt: now, ContentType: truncateText(contentType, 200), Body: text,
		BodyBytes: len(body), Outcome: outcome, HTTPStatus: status, Detail: truncateText(e.Error, 2000), Field: truncateText(e.Field, 200)}
	for i, a := range alerts {
		if i == 50 {
			break // the log shows what a payload became, not every alert of a storm
		}
		p.Alerts = append(p.Alerts, db.PayloadAlert{Name: truncateText(a.Name(), 200), Status: a.Status, Fingerprint: a.Fingerprint,
			Severity: truncateText(a.Labels["severity"], 64)})
	}
	// The request's context may end as soon as the answer is written; logging uses its own.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), 5*time.Second)
	defer cancel()
	if err := in.db.RecordPayload(ctx, p); err != nil {
		logger(c).Error("integration intake: inbound log not written", "integration_id", g.ID, "error", err)
	}
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n] + "…"
}

// ---- screens ----

func (s *Server) integrationsList(c echo.Context) error {
	u := currentUser(c)
	list, err := s.deps.DB.Integrations(c.Request().Context(), scope(c))
	if err != nil {
		return err
	}
	d := views.IntegrationsPageData{Page: s.page(c, t(c, "common.nav.integrations"), "integrations"), CanWrite: u.CanWrite(), ShowTeam: u.Role != db.RoleMember}
	base := s.consoleURL(c)
	for _, g := range list {
		d.Rows = append(d.Rows, views.IntegrationRow{ID: g.ID, Name: g.Name, Team: g.TeamName, Preset: presetName(c, g.Preset),
			URL: integrationURL(base, g.ID), TokenHint: g.TokenHint, SecretURL: g.HasSecretURL, Enabled: g.Enabled,
			LastReceived: whenIn(c.Request().Context(), g.LastReceivedAt)})
	}
	for _, p := range integrations.Presets() {
		d.Presets = append(d.Presets, views.PresetOption{ID: p.ID, Name: presetName(c, p.ID), Description: t(c, "integrations.preset."+p.ID+".desc")})
	}
	return render(c, http.StatusOK, views.IntegrationsPage(d))
}

// presetName is a preset's name in the reader's language (vendor and product names stay).
func presetName(c echo.Context, id string) string {
	if _, ok := integrations.PresetByID(id); ok {
		return t(c, "integrations.preset."+id+".name")
	}
	return t(c, "integrations.custom")
}

func integrationURL(base string, id int64) string {
	return base + "/api/v1/integrations/" + strconv.FormatInt(id, 10)
}

// integrationEdit builds the create/edit page around a form.
func (s *Server) integrationEdit(c echo.Context, f views.IntegrationFormData, g *db.Integration) (views.IntegrationEditData, error) {
	u := currentUser(c)
	title := t(c, "integrations.new")
	if g != nil {
		title = t(c, "integrations.title_one", "Name", g.Name)
	}
	d := views.IntegrationEditData{Page: s.page(c, title, "integrations"), Form: f, IsNew: g == nil, CanWrite: u.CanWrite(),
		Help: mappingHelp(c)}
	var err error
	if d.CanWrite && g == nil {
		if d.Teams, err = s.teamOptions(c); err != nil {
			return d, err
		}
	}
	if p, ok := integrations.PresetByID(f.Preset); ok {
		d.PresetName, d.Setup, d.Script, d.ContentType = presetName(c, p.ID), t(c, "integrations.preset."+p.ID+".setup"), p.Script, p.ContentType
	} else {
		d.PresetName, d.ContentType = t(c, "integrations.custom"), "application/json"
	}
	if g == nil {
		return d, nil
	}
	d.Team, d.URL, d.TokenHint, d.HasSecretURL = g.TeamName, integrationURL(s.consoleURL(c), g.ID), g.TokenHint, g.HasSecretURL
	payloads, err := s.deps.DB.Payloads(c.Request().Context(), g.ID)
	if err != nil {
		return d, err
	}
	for _, p := range payloads {
		row := views.PayloadRow{ID: p.ID, Received: whenIn(c.Request().Context(), p.ReceivedAt), Outcome: p.Outcome, Status: p.HTTPStatus, Detail: p.Detail,
			Field: p.Field, ContentType: p.ContentType, Body: p.Body, Size: humanBytes(int64(p.BodyBytes)),
			Cut: p.BodyBytes > len(p.Body)}
		for _, a := range p.Alerts {
			row.Alerts = append(row.Alerts, t(c, "integrations.log_alert", "Name", a.Name, "Status", alertStatusWord(c, a.Status)))
		}
		d.Log = append(d.Log, row)
	}
	return d, nil
}

// mappingFields are the mapping's fields and the catalog keys of their help (the help
// text holds <code> markup for the field names and expressions it quotes).
var mappingFields = []struct {
	Fields   []string
	Sep, Key string
}{
	{Fields: []string{"alerts"}, Sep: ", ", Key: "integrations.help_items"},
	{Fields: []string{"alertname"}, Sep: ", ", Key: "integrations.help_alertname"},
	{Fields: []string{"labels", "labels_from"}, Sep: " / ", Key: "integrations.help_labels"},
	{Fields: []string{"annotations", "annotations_from"}, Sep: " / ", Key: "integrations.help_annotations"},
	{Fields: []string{"severity", "severity_map"}, Sep: ", ", Key: "integrations.help_severity"},
	{Fields: []string{"status", "resolved_values"}, Sep: ", ", Key: "integrations.help_status"},
	{Fields: []string{"resolved_when_ended"}, Sep: ", ", Key: "integrations.help_resolved_when_ended"},
	{Fields: []string{"fingerprint"}, Sep: ", ", Key: "integrations.help_fingerprint"},
	{Fields: []string{"starts_at", "ends_at", "time_format", "time_zone"}, Sep: ", ", Key: "integrations.help_times"},
	{Fields: []string{"value", "source_url"}, Sep: ", ", Key: "integrations.help_value"},
	{Fields: []string{"static_labels"}, Sep: ", ", Key: "integrations.help_static_labels"},
	{Fields: []string{"extract"}, Sep: ", ", Key: "integrations.help_extract"},
	{Fields: []string{"format", "protocol"}, Sep: ", ", Key: "integrations.help_format"},
	{Fields: []string{"jq"}, Sep: ", ", Key: "integrations.help_jq"},
}

func mappingHelp(c echo.Context) []views.HelpRow {
	rows := make([]views.HelpRow, 0, len(mappingFields))
	for _, f := range mappingFields {
		rows = append(rows, views.HelpRow{Field: strings.Join(f.Fields, f.Sep), Text: t(c, f.Key)})
	}
	return rows
}

func mappingJSON(m integrations.Mapping) string {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "{}"
	}
	return string(b)
}

func (s *Server) integrationsNew(c echo.Context) error {
	if !currentUser(c).CanWrite() {
		return userError(http.StatusForbidden, "%s", t(c, "integrations.err_not_allowed"))
	}
	f := views.IntegrationFormData{Preset: c.QueryParam("preset"), Enabled: true}
	p, ok := integrations.PresetByID(f.Preset)
	if !ok {
		// Blank: the smallest mapping that works, for the user to grow with "Try it".
		f.Preset = ""
		p = integrations.Preset{Name: t(c, "integrations.my_tool"), Mapping: integrations.Mapping{Alertname: `.alertname // .name`,
			LabelsFrom: `.labels // {}`, Status: `.status // "firing"`}}
	}
	f.Name, f.Mapping, f.Sample = p.Name, mappingJSON(p.Mapping), p.Sample
	if ok {
		f.Name = presetName(c, p.ID)
	}
	d, err := s.integrationEdit(c, f, nil)
	if err != nil {
		return err
	}
	if len(d.Teams) > 0 {
		d.Form.TeamID = d.Teams[0].Value
	}
	return render(c, http.StatusOK, views.IntegrationEditPage(d, nil))
}

func readIntegrationForm(c echo.Context) views.IntegrationFormData {
	return views.IntegrationFormData{ID: parseID(c.FormValue("id")), TeamID: form(c, "team_id"), Name: form(c, "name"),
		Preset: form(c, "preset"), Mapping: c.FormValue("mapping"), Sample: c.FormValue("sample"),
		Enabled: c.FormValue("enabled") == "on"}
}

// maxMappingBytes bounds the mapping JSON a form may carry.
const maxMappingBytes = 64 << 10

// checkMapping parses and compiles the form's mapping; a refusal lands on the "mapping"
// field and names the mapping's own field.
func checkMapping(c echo.Context, errs views.FieldErrors, raw string) (*integrations.Compiled, string) {
	if strings.TrimSpace(raw) == "" {
		errs["mapping"] = t(c, "integrations.err_mapping_empty")
		return nil, ""
	}
	if len(raw) > maxMappingBytes {
		errs["mapping"] = t(c, "integrations.err_mapping_size")
		return nil, ""
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	var m integrations.Mapping
	if err := dec.Decode(&m); err != nil {
		errs["mapping"] = t(c, "integrations.err_mapping_json", "Detail", strings.TrimPrefix(err.Error(), "json: "))
		return nil, ""
	}
	compiled, err := integrations.Compile(m)
	if err != nil {
		var fe *alerting.FieldError
		if errors.As(err, &fe) {
			errs["mapping"] = fe.Field + ": " + fe.Message + "."
		} else {
			errs["mapping"] = capitalize(err.Error()) + "."
		}
		return nil, ""
	}
	return compiled, mappingJSON(m)
}

func (s *Server) integrationsCreate(c echo.Context) error {
	f := readIntegrationForm(c)
	errs := views.FieldErrors{}
	teamID := s.teamFromForm(c, errs, "team_id")
	checkName(c, errs, "name", f.Name, 100)
	if _, ok := integrations.PresetByID(f.Preset); !ok {
		f.Preset = ""
	}
	_, normalised := checkMapping(c, errs, f.Mapping)
	if len(errs) == 0 {
		token, secret := "ad_"+randomToken(24), randomToken(24)
		g, err := s.deps.DB.CreateIntegration(c.Request().Context(), actor(c), db.IntegrationInput{TeamID: teamID, Name: f.Name,
			Preset: f.Preset, Mapping: normalised, Enabled: f.Enabled}, token, secret)
		if errors.Is(err, db.ErrConflict) {
			errs["name"] = t(c, "integrations.err_name_taken")
		} else if err != nil {
			return err
		} else {
			f.ID, f.Mapping = g.ID, normalised
			d, err := s.integrationEdit(c, f, &g)
			if err != nil {
				return err
			}
			d.New = s.newCredentials(c, g, d.ContentType, token, secret)
			d.Page.Flash, d.Page.FlashKind = t(c, "integrations.created"), "ok"
			return render(c, http.StatusOK, views.IntegrationEditPage(d, nil))
		}
	}
	d, err := s.integrationEdit(c, f, nil)
	if err != nil {
		return err
	}
	return render(c, http.StatusUnprocessableEntity, views.IntegrationEditPage(d, errs))
}

// newCredentials is what the page shows once: the plain token and secret URL with curl
// examples that post the preset's sample.
func (s *Server) newCredentials(c echo.Context, g db.Integration, contentType, token, secret string) *views.NewIntegrationCredentials {
	url := integrationURL(s.consoleURL(c), g.ID)
	n := &views.NewIntegrationCredentials{Token: token}
	if token != "" {
		n.Curl = t(c, "integrations.curl_token", "URL", url, "Token", token, "ContentType", contentType)
	}
	if secret != "" {
		n.SecretURL = url + "/" + secret
		n.CurlSecret = t(c, "integrations.curl_secret", "URL", n.SecretURL, "ContentType", contentType)
	}
	return n
}

// integrationInScope loads the :id integration in the caller's scope.
func (s *Server) integrationInScope(c echo.Context) (db.Integration, error) {
	id, err := paramID(c, "id")
	if err != nil {
		return db.Integration{}, err
	}
	return s.deps.DB.IntegrationByID(c.Request().Context(), scope(c), id)
}

func (s *Server) integrationsEdit(c echo.Context) error {
	g, err := s.integrationInScope(c)
	if err != nil {
		return err
	}
	f := views.IntegrationFormData{ID: g.ID, TeamID: itoa(g.TeamID), Name: g.Name, Preset: g.Preset, Mapping: g.Mapping, Enabled: g.Enabled}
	if p, ok := integrations.PresetByID(g.Preset); ok {
		f.Sample = p.Sample
	}
	d, err := s.integrationEdit(c, f, &g)
	if err != nil {
		return err
	}
	if len(d.Log) > 0 && d.Log[0].Body != "" {
		f.Sample = d.Log[0].Body // the last payload received is the best sample to try
		d.Form.Sample = f.Sample
	}
	return render(c, http.StatusOK, views.IntegrationEditPage(d, nil))
}

func (s *Server) integrationsUpdate(c echo.Context) error {
	g, err := s.integrationInScope(c)
	if err != nil {
		return err
	}
	f := readIntegrationForm(c)
	f.ID, f.TeamID, f.Preset = g.ID, itoa(g.TeamID), g.Preset
	errs := views.FieldErrors{}
	checkName(c, errs, "name", f.Name, 100)
	_, normalised := checkMapping(c, errs, f.Mapping)
	if len(errs) == 0 {
		_, err := s.deps.DB.UpdateIntegration(c.Request().Context(), actor(c), scope(c), g.ID,
			db.IntegrationInput{Name: f.Name, Mapping: normalised, Enabled: f.Enabled})
		if errors.Is(err, db.ErrConflict) {
			errs["name"] = t(c, "integrations.err_name_taken")
		} else if err != nil {
			return err
		} else {
			s.setFlash(c, "ok", t(c, "integrations.saved"))
			return redirect(c, "/integrations/"+itoa(g.ID))
		}
	}
	d, err := s.integrationEdit(c, f, &g)
	if err != nil {
		return err
	}
	return render(c, http.StatusUnprocessableEntity, views.IntegrationEditPage(d, errs))
}

// integrationsTry converts the sample with the form's (unsaved) mapping and shows the
// alerts it becomes and the rules they would match.
func (s *Server) integrationsTry(c echo.Context) error {
	f := readIntegrationForm(c)
	errs := views.FieldErrors{}
	preview := &views.IntegrationPreview{}
	compiled, _ := checkMapping(c, errs, f.Mapping)
	var teamID int64
	if f.ID > 0 {
		g, err := s.deps.DB.IntegrationByID(c.Request().Context(), scope(c), f.ID)
		if err != nil {
			return err
		}
		teamID = g.TeamID
	} else {
		teamID = s.teamFromForm(c, views.FieldErrors{}, "team_id")
	}
	switch {
	case errs["mapping"] != "":
		preview.Error = errs["mapping"]
	case strings.TrimSpace(f.Sample) == "":
		preview.Error, preview.Field = t(c, "integrations.err_no_sample"), "body"
	case len(f.Sample) > int(maxIntakeBytes(s)):
		preview.Error, preview.Field = t(c, "integrations.err_sample_size", "Limit", humanBytes(maxIntakeBytes(s))), "body"
	default:
		d, _ := integrations.PresetByID(f.Preset)
		res, err := compiled.Convert(c.Request().Context(), []byte(f.Sample), d.ContentType, s.deps.DB.Now())
		var fe *alerting.FieldError
		switch {
		case errors.As(err, &fe):
			preview.Error, preview.Field = fe.Field+": "+fe.Message, fe.Field
		case err != nil:
			preview.Error = err.Error()
		case res.Confirmation != nil:
			preview.Confirmation = res.Confirmation.Kind + ": " + res.Confirmation.URL
		default:
			if err := s.previewAlerts(c, preview, teamID, res.Alerts); err != nil {
				return err
			}
		}
	}
	if isHTMX(c) {
		return render(c, http.StatusOK, views.IntegrationPreviewBox(preview))
	}
	var g *db.Integration
	if f.ID > 0 {
		stored, err := s.deps.DB.IntegrationByID(c.Request().Context(), scope(c), f.ID)
		if err != nil {
			return err
		}
		g = &stored
	}
	d, err := s.integrationEdit(c, f, g)
	if err != nil {
		return err
	}
	d.Preview = preview
	return render(c, http.StatusOK, views.IntegrationEditPage(d, nil))
}

func maxIntakeBytes(s *Server) int64 {
	if s.deps.Config.IntakeMaxBytes > 0 {
		return s.deps.Config.IntakeMaxBytes
	}
	return 1 << 20
}

// maxPreviewAlerts bounds what "Try it" lists of a big sample.
const maxPreviewAlerts = 50

func (s *Server) previewAlerts(c echo.Context, preview *views.IntegrationPreview, teamID int64, alerts []alerting.Alert) error {
	var rules []db.Rule
	if teamID > 0 {
		var err error
		if rules, err = s.deps.DB.Rules(c.Request().Context(), db.TeamScope(teamID)); err != nil {
			return err
		}
	}
	preview.Total = len(alerts)
	for i, a := range alerts {
		if i == maxPreviewAlerts {
			break
		}
		pa := views.PreviewAlert{Name: a.Name(), Status: a.Status, Fingerprint: a.Fingerprint, Labels: sortedPairs(a.Labels),
			Annotations: sortedPairs(a.Annotations), URL: a.GeneratorURL}
		if a.StartsAt.IsZero() {
			pa.Starts = t(c, "integrations.time_of_receipt")
		} else {
			pa.Starts = whenIn(c.Request().Context(), a.StartsAt)
		}
		if !a.EndsAt.IsZero() {
			pa.Ends = whenIn(c.Request().Context(), a.EndsAt)
		}
		if v, ok := a.Value(""); ok {
			pa.Value = strconv.FormatFloat(v, 'g', -1, 64)
		}
		for _, r := range rules {
			if !r.Enabled || r.Source != "" && r.Source != a.Source {
				continue
			}
			if ok, _ := r.Matchers.Match(a.Labels); ok {
				pa.Rules = append(pa.Rules, views.RuleLink{Label: r.Name, URL: "/rules/" + itoa(r.ID)})
			}
		}
		preview.Alerts = append(preview.Alerts, pa)
	}
	return nil
}

func sortedPairs(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

func (s *Server) integrationsRotateToken(c echo.Context) error {
	return s.integrationCredential(c, db.CredentialToken, "ad_"+randomToken(24), t(c, "integrations.token_made"))
}

func (s *Server) integrationsNewSecretURL(c echo.Context) error {
	return s.integrationCredential(c, db.CredentialSecretURL, randomToken(24), t(c, "integrations.secret_made"))
}

func (s *Server) integrationsRevokeSecretURL(c echo.Context) error {
	return s.integrationCredential(c, db.CredentialSecretURL, "", t(c, "integrations.secret_revoked"))
}

// integrationCredential replaces or revokes a credential and shows a new one once.
func (s *Server) integrationCredential(c echo.Context, kind, plain, done string) error {
	g, err := s.integrationInScope(c)
	if err != nil {
		return err
	}
	if g, err = s.deps.DB.SetIntegrationCredential(c.Request().Context(), actor(c), scope(c), g.ID, kind, plain); err != nil {
		return err
	}
	if plain == "" {
		s.setFlash(c, "ok", done)
		return redirect(c, "/integrations/"+itoa(g.ID))
	}
	f := views.IntegrationFormData{ID: g.ID, TeamID: itoa(g.TeamID), Name: g.Name, Preset: g.Preset, Mapping: g.Mapping, Enabled: g.Enabled}
	if p, ok := integrations.PresetByID(g.Preset); ok {
		f.Sample = p.Sample
	}
	d, err := s.integrationEdit(c, f, &g)
	if err != nil {
		return err
	}
	if kind == db.CredentialToken {
		d.New = s.newCredentials(c, g, d.ContentType, plain, "")
	} else {
		d.New = s.newCredentials(c, g, d.ContentType, "", plain)
	}
	d.Page.Flash, d.Page.FlashKind = t(c, "integrations.copy_now", "Done", done), "ok"
	return render(c, http.StatusOK, views.IntegrationEditPage(d, nil))
}

func (s *Server) integrationsDelete(c echo.Context) error {
	g, err := s.integrationInScope(c)
	if err != nil {
		return err
	}
	if err := s.deps.DB.DeleteIntegration(c.Request().Context(), actor(c), scope(c), g.ID); err != nil {
		return err
	}
	s.setFlash(c, "ok", t(c, "integrations.deleted", "Name", g.Name))
	return redirect(c, "/integrations")
}

// alertStatusWord is firing/resolved in the reader's language.
func alertStatusWord(c echo.Context, status string) string {
	switch status {
	case alerting.StatusResolved:
		return t(c, "integrations.resolved")
	case alerting.StatusFiring:
		return t(c, "integrations.firing")
	}
	return status
}
