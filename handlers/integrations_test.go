package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"alertdesk/alerting"
	"alertdesk/db"
	"alertdesk/integrations"
)

const (
	zabbixToken  = "ad_zabbix_token_for_tests_0123456789"
	zabbixSecret = "zabbix-secret-url-part-0123456789"
)

func zabbixMapping(t *testing.T) string {
	t.Helper()
	p, _ := integrations.PresetByID("zabbix")
	b, err := json.Marshal(p.Mapping)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func fixture(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile("../integrations/testdata/" + path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (is *intakeServer) zabbixIntegration(t *testing.T) db.Integration {
	t.Helper()
	g, err := is.DB.CreateIntegration(context.Background(), db.SystemActor, db.IntegrationInput{TeamID: is.TeamA.ID, Name: "zabbix",
		Preset: "zabbix", Mapping: zabbixMapping(t), Enabled: true}, zabbixToken, zabbixSecret)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func (is *intakeServer) postRaw(t *testing.T, path, token, contentType string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", contentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	is.Server.ServeHTTP(rec, req)
	return rec
}

func TestIntegrationIntake(t *testing.T) {
	is := newIntakeServer(t)
	ctx := context.Background()
	g := is.zabbixIntegration(t)
	path := "/api/v1/integrations/" + idStr(g.ID)
	firing := fixture(t, "zabbix/firing.json")

	t.Run("credentials", func(t *testing.T) {
		for name, rec := range map[string]*httptest.ResponseRecorder{
			"no token":             is.postRaw(t, path, "", "application/json", firing),
			"the intake's token":   is.postRaw(t, path, is.teamToken, "application/json", firing),
			"wrong secret":         is.postRaw(t, path+"/nope-nope-nope", "", "application/json", firing),
			"unknown integration":  is.postRaw(t, "/api/v1/integrations/999", zabbixToken, "application/json", firing),
			"not an id":            is.postRaw(t, "/api/v1/integrations/abc", zabbixToken, "application/json", firing),
			"secret as the bearer": is.postRaw(t, path, zabbixSecret, "application/json", firing),
		} {
			if rec.Code != http.StatusUnauthorized {
				t.Errorf("%s: status = %d, want 401; body %s", name, rec.Code, rec.Body)
			}
		}
	})

	t.Run("persist then acknowledge, redelivery deduplicated", func(t *testing.T) {
		rec := is.postRaw(t, path, zabbixToken, "application/json", firing)
		wantStatus(t, rec, http.StatusAccepted)
		if !strings.Contains(rec.Body.String(), `"stored":1`) {
			t.Errorf("first delivery: %s", rec.Body)
		}
		rec = is.postRaw(t, path+"/"+zabbixSecret, "", "application/json", firing)
		wantStatus(t, rec, http.StatusAccepted)
		if !strings.Contains(rec.Body.String(), `"duplicates":1`) {
			t.Errorf("redelivery through the secret URL: %s", rec.Body)
		}
		rec = is.postRaw(t, path, zabbixToken, "application/json", fixture(t, "zabbix/resolved.json"))
		wantStatus(t, rec, http.StatusAccepted)
		alerts, _, err := is.DB.Alerts(ctx, db.TeamScope(is.TeamA.ID), db.AlertFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(alerts) != 2 || alerts[0].Source != integrations.Source || alerts[0].Fingerprint != alerts[1].Fingerprint {
			t.Fatalf("stored %+v, want a firing and a resolved alert with one fingerprint", alerts)
		}
		if alerts[0].Labels["severity"] != "critical" || alerts[0].Labels["host"] != "web-01" {
			t.Errorf("labels = %v", alerts[0].Labels)
		}
	})

	t.Run("bad payloads name the field and are logged", func(t *testing.T) {
		rec := is.postRaw(t, path, zabbixToken, "application/json", []byte(`{"event_id": "1", "event_value": "1"}`))
		wantStatus(t, rec, http.StatusBadRequest)
		var e struct{ Error, Field string }
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Field != "alertname" {
			t.Errorf("answer %s, want a JSON error naming alertname", rec.Body)
		}
		rec = is.postRaw(t, path, zabbixToken, "application/json", []byte(`{"trigger_name": "x", "event_date": "24/11/2026", "event_time": "10:00"}`))
		wantStatus(t, rec, http.StatusBadRequest)
		if !strings.Contains(rec.Body.String(), `"field":"starts_at"`) {
			t.Errorf("bad date: %s", rec.Body)
		}
		rec = is.postRaw(t, path, zabbixToken, "application/json", []byte(`{"trigger_name": `))
		wantStatus(t, rec, http.StatusBadRequest)
		if !strings.Contains(rec.Body.String(), `"field":"body"`) {
			t.Errorf("broken JSON: %s", rec.Body)
		}
		big := []byte(`{"trigger_name":"` + strings.Repeat("x", 2<<20) + `"}`)
		wantStatus(t, is.postRaw(t, path, zabbixToken, "application/json", big), http.StatusRequestEntityTooLarge)

		log, err := is.DB.Payloads(ctx, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != 7 {
			t.Fatalf("inbound log has %d entries, want 7 (3 accepted, 4 refused; unauthenticated requests are not logged)", len(log))
		}
		if log[0].Outcome != db.PayloadRefused || log[0].HTTPStatus != 413 || len(log[0].Body) > integrations.MaxLoggedBody {
			t.Errorf("oversized entry: outcome %s, status %d, %d bytes kept", log[0].Outcome, log[0].HTTPStatus, len(log[0].Body))
		}
		if log[3].Field != "alertname" || !strings.Contains(log[3].Detail, "found no alert name") {
			t.Errorf("refusal logged as %+v", log[3])
		}
		if log[5].Detail != "1 alert(s): 0 new, 1 already received" {
			t.Errorf("the redelivery is logged as %q", log[5].Detail)
		}
		if log[6].Outcome != db.PayloadAccepted || len(log[6].Alerts) != 1 || log[6].Alerts[0].Status != "firing" {
			t.Errorf("first entry %+v", log[6])
		}
		for _, p := range log {
			if strings.Contains(p.Body, zabbixSecret) || strings.Contains(p.Body, zabbixToken) {
				t.Errorf("a credential reached the inbound log: %s", p.Body)
			}
		}
	})

	t.Run("disabled", func(t *testing.T) {
		in := db.IntegrationInput{Name: g.Name, Mapping: g.Mapping, Enabled: false}
		if _, err := is.DB.UpdateIntegration(ctx, db.SystemActor, db.AllTeams, g.ID, in); err != nil {
			t.Fatal(err)
		}
		wantStatus(t, is.postRaw(t, path, zabbixToken, "application/json", firing), http.StatusForbidden)
		in.Enabled = true
		if _, err := is.DB.UpdateIntegration(ctx, db.SystemActor, db.AllTeams, g.ID, in); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("revoked secret URL", func(t *testing.T) {
		if _, err := is.DB.SetIntegrationCredential(ctx, db.SystemActor, db.AllTeams, g.ID, db.CredentialSecretURL, ""); err != nil {
			t.Fatal(err)
		}
		wantStatus(t, is.postRaw(t, path+"/"+zabbixSecret, "", "application/json", firing), http.StatusUnauthorized)
	})
}

func TestIntegrationVmalertPath(t *testing.T) {
	is := newIntakeServer(t)
	p, _ := integrations.PresetByID("vmalert")
	m, _ := json.Marshal(p.Mapping)
	g, err := is.DB.CreateIntegration(context.Background(), db.SystemActor, db.IntegrationInput{TeamID: is.TeamA.ID, Name: "vmalert",
		Preset: "vmalert", Mapping: string(m), Enabled: true}, "ad_vmalert_token_0123456789abcdef", "vmalert-secret-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	base := "/api/v1/integrations/" + idStr(g.ID)
	wantStatus(t, is.postRaw(t, base+"/api/v2/alerts", "ad_vmalert_token_0123456789abcdef", "application/json",
		fixture(t, "vmalert/firing.json")), http.StatusAccepted)
	wantStatus(t, is.postRaw(t, base+"/vmalert-secret-0123456789/api/v2/alerts", "", "application/json",
		fixture(t, "vmalert/resolved.json")), http.StatusAccepted)
	wantStatus(t, is.postRaw(t, base+"/api/v2/alerts", "wrong", "application/json", fixture(t, "vmalert/firing.json")), http.StatusUnauthorized)
}

func TestIntegrationHuaweiSubscriptionConfirmation(t *testing.T) {
	is := newIntakeServer(t)
	p, _ := integrations.PresetByID("huawei")
	m, _ := json.Marshal(p.Mapping)
	g, err := is.DB.CreateIntegration(context.Background(), db.SystemActor, db.IntegrationInput{TeamID: is.TeamA.ID, Name: "smn",
		Preset: "huawei", Mapping: string(m), Enabled: true}, "ad_huawei_token_0123456789abcdef", "huawei-secret-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	rec := is.postRaw(t, "/api/v1/integrations/"+idStr(g.ID)+"/huawei-secret-0123456789", "", "text/plain; charset=UTF-8",
		fixture(t, "huawei/subscription_confirmation.json"))
	wantStatus(t, rec, http.StatusOK)
	log, err := is.DB.Payloads(context.Background(), g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 1 || log[0].Outcome != db.PayloadConfirmation || !strings.Contains(log[0].Detail, "https://console.******.com/smn/subscription/confirm?token=") {
		t.Fatalf("log = %+v, want the confirmation with its subscribe_url", log)
	}
	if strings.Contains(log[0].Body, "W/DQSiqpRkY6En0j") {
		t.Errorf("the signature was not masked: %s", log[0].Body)
	}
	rec = is.postRaw(t, "/api/v1/integrations/"+idStr(g.ID)+"/huawei-secret-0123456789", "", "text/plain", fixture(t, "huawei/firing.json"))
	wantStatus(t, rec, http.StatusAccepted)
}

func TestIntegrationScreens(t *testing.T) {
	is := newIntakeServer(t)
	alice := is.login(t, "alice", testPassword)

	t.Run("new from a preset or blank", func(t *testing.T) {
		for _, p := range integrations.Presets() {
			rec := alice.get(t, "/integrations/new?preset="+p.ID)
			wantStatus(t, rec, http.StatusOK)
			if !strings.Contains(bodyText(rec), "Preset: "+p.Name) {
				t.Errorf("preset %s: page does not name it", p.ID)
			}
		}
		rec := alice.get(t, "/integrations/new")
		wantStatus(t, rec, http.StatusOK)
		if !strings.Contains(bodyText(rec), `.alertname // .name`) {
			t.Errorf("the blank mapping is missing:\n%s", bodyText(rec))
		}
	})

	t.Run("bad mapping is refused naming the field, input kept", func(t *testing.T) {
		rec := alice.postForm(t, "/integrations", url.Values{"name": {"z"}, "preset": {"zabbix"}, "enabled": {"on"},
			"mapping": {`{"alertname": ".trigger_name", "labels": {"host": ".host |"}}`}}, false)
		wantStatus(t, rec, http.StatusUnprocessableEntity)
		body := bodyText(rec)
		if !strings.Contains(body, "labels.host: is not a valid jq expression") || !strings.Contains(body, `.host |`) {
			t.Errorf("refusal does not name labels.host or lost the input:\n%s", body)
		}
		rec = alice.postForm(t, "/integrations", url.Values{"name": {"z"}, "mapping": {`{"alertname": ".x", "lables": {}}`}}, false)
		wantStatus(t, rec, http.StatusUnprocessableEntity)
		if !strings.Contains(bodyText(rec), `unknown field "lables"`) {
			t.Errorf("a misspelt mapping field is not named:\n%s", bodyText(rec))
		}
		if list, _ := is.DB.Integrations(context.Background(), db.AllTeams); len(list) != 0 {
			t.Errorf("refused forms stored %d integrations", len(list))
		}
	})

	var id int64
	t.Run("create shows the credentials once", func(t *testing.T) {
		rec := alice.postForm(t, "/integrations", url.Values{"name": {"Zabbix prod"}, "preset": {"zabbix"}, "enabled": {"on"},
			"mapping": {zabbixMapping(t)}}, false)
		wantStatus(t, rec, http.StatusOK)
		list, _ := is.DB.Integrations(context.Background(), db.AllTeams)
		if len(list) != 1 || list[0].TeamID != is.TeamA.ID {
			t.Fatalf("stored %+v", list)
		}
		id = list[0].ID
		body := bodyText(rec)
		if !strings.Contains(body, "Authorization: Bearer ad_") || !strings.Contains(body, "/api/v1/integrations/"+idStr(id)+"/") {
			t.Errorf("the token, curl example or secret URL is missing:\n%s", body)
		}
		again := bodyText(alice.get(t, "/integrations/"+idStr(id)))
		if strings.Contains(again, "Authorization: Bearer ad_") || strings.Contains(again, `data-testid="integration-secret-url"`) {
			t.Error("the credentials are shown again")
		}
	})

	t.Run("try it shows alerts and matching rules", func(t *testing.T) {
		robot, err := is.DB.CreateRobot(context.Background(), db.SystemActor, db.RobotInput{TeamID: is.TeamA.ID, Name: "ops",
			Platform: "wecom", WebhookURL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=try-it", WebhookHint: "…", Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		rule, err := is.DB.CreateRule(context.Background(), db.SystemActor, db.RuleInput{TeamID: is.TeamA.ID, Name: "Critical hosts",
			Enabled: true, Severity: "critical", Matchers: alerting.Matchers{mustMatcher(t, "severity", alerting.MatchEqual, "critical")},
			RobotIDs: []int64{robot.ID}})
		if err != nil {
			t.Fatal(err)
		}
		rec := alice.postForm(t, "/integrations/try", url.Values{"id": {idStr(id)}, "preset": {"zabbix"}, "mapping": {zabbixMapping(t)},
			"sample": {string(fixture(t, "zabbix/firing.json"))}}, true)
		wantStatus(t, rec, http.StatusOK)
		body := bodyText(rec)
		for _, want := range []string{"Linux: High CPU utilization (over 90% for 5m)", "severity=critical", "host=web-01", rule.Name} {
			if !strings.Contains(body, want) {
				t.Errorf("preview lacks %q:\n%s", want, body)
			}
		}
		rec = alice.postForm(t, "/integrations/try", url.Values{"id": {idStr(id)}, "preset": {"zabbix"}, "mapping": {zabbixMapping(t)},
			"sample": {`{"event_id": "1"}`}}, true)
		if !strings.Contains(bodyText(rec), "alertname") || !strings.Contains(bodyText(rec), `data-testid="preview-error"`) {
			t.Errorf("a bad sample's preview does not name the field:\n%s", bodyText(rec))
		}
	})

	t.Run("try it without JavaScript renders the page with the preview", func(t *testing.T) {
		rec := alice.postForm(t, "/integrations/try", url.Values{"preset": {"zabbix"}, "name": {"draft"}, "mapping": {zabbixMapping(t)},
			"sample": {string(fixture(t, "zabbix/resolved.json"))}}, false)
		wantStatus(t, rec, http.StatusOK)
		body := bodyText(rec)
		if !strings.Contains(body, "<h1>New integration</h1>") || !strings.Contains(body, "resolved") || !strings.Contains(body, `value="draft"`) {
			t.Errorf("no-JS try lost the page, the preview or the input:\n%s", body)
		}
	})

	t.Run("a bad update is refused naming the field and changes nothing", func(t *testing.T) {
		rec := alice.postForm(t, "/integrations/"+idStr(id), url.Values{"name": {"Zabbix prod"}, "enabled": {"on"},
			"mapping": {`{"alertname": ".x", "extract": [{"from": ".x", "regex": "(", "label": "host"}]}`}}, false)
		wantStatus(t, rec, http.StatusUnprocessableEntity)
		if !strings.Contains(bodyText(rec), "extract[0].regex: is not a valid RE2") {
			t.Errorf("refusal does not name extract[0].regex:\n%s", bodyText(rec))
		}
		g, err := is.DB.IntegrationByID(context.Background(), db.AllTeams, id)
		if err != nil || !strings.Contains(g.Mapping, "trigger_name") {
			t.Errorf("the stored mapping changed: %v %s", err, g.Mapping)
		}
		rec = alice.postForm(t, "/integrations/"+idStr(id), url.Values{"name": {"Zabbix prod"}, "mapping": {zabbixMapping(t)}}, false)
		wantStatus(t, rec, http.StatusSeeOther)
		if g, _ := is.DB.IntegrationByID(context.Background(), db.AllTeams, id); g.Enabled {
			t.Error("unticking enabled did not disable the integration")
		}
	})

	t.Run("another team sees nothing", func(t *testing.T) {
		bob := is.login(t, "bob", testPassword)
		wantStatus(t, bob.get(t, "/integrations/"+idStr(id)), http.StatusNotFound)
		wantStatus(t, bob.postForm(t, "/integrations/"+idStr(id)+"/token", nil, false), http.StatusNotFound)
		wantStatus(t, bob.postForm(t, "/integrations/"+idStr(id)+"/delete", nil, false), http.StatusNotFound)
		if strings.Contains(bodyText(bob.get(t, "/integrations")), "Zabbix prod") {
			t.Error("bob's list shows alpha's integration")
		}
	})

	t.Run("auditor reads, changes nothing", func(t *testing.T) {
		aud := is.login(t, "auditor", testPassword)
		wantStatus(t, aud.get(t, "/integrations/"+idStr(id)), http.StatusOK)
		wantStatus(t, aud.postForm(t, "/integrations/"+idStr(id)+"/secret-url/revoke", nil, false), http.StatusForbidden)
	})

	t.Run("changes are audited without credentials", func(t *testing.T) {
		wantStatus(t, alice.postForm(t, "/integrations/"+idStr(id)+"/token", nil, false), http.StatusOK)
		wantStatus(t, alice.postForm(t, "/integrations/"+idStr(id)+"/secret-url/revoke", nil, false), http.StatusSeeOther)
		events, _, err := is.DB.AuditEvents(context.Background(), db.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, e := range events {
			seen[e.Action] = true
			if e.ObjectType == "integration" && strings.Contains(e.Before+e.After, "ad_") && !strings.Contains(e.Before+e.After, "ad_…") {
				t.Errorf("audit %s holds a token: %s", e.Action, e.After)
			}
		}
		for _, a := range []string{"integration.create", "integration.token_rotate", "integration.secret_url_revoke"} {
			if !seen[a] {
				t.Errorf("no audit event %s", a)
			}
		}
	})
}

func mustMatcher(t *testing.T, name string, op alerting.MatchOp, value string) alerting.Matcher {
	t.Helper()
	m, err := alerting.NewMatcher(name, op, value)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
