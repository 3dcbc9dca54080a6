package handlers_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"alertdesk/db"
	"alertdesk/handlers"
	"alertdesk/pipeline"
	"alertdesk/static"
)

const globalToken = "global-intake-token-for-tests"

type intakeServer struct {
	*testServer
	teamToken string
	pipe      *pipeline.Pipeline
}

// newIntakeServer is the console with a running alert pipeline, a global intake token and
// a token of team alpha.
func newIntakeServer(t *testing.T) *intakeServer {
	t.Helper()
	ts := newTestServer(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p := pipeline.New(ts.DB, pipeline.NewComposer(ts.DB, "http://console.test"), log, pipeline.Options{})
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	key := []byte("0123456789abcdef0123456789abcdef")
	ts.Server = handlers.New(handlers.Deps{DB: ts.DB, Log: log, Static: static.FS, Pipeline: p, Explainer: p.Explainer(),
		Config: handlers.Config{BaseURL: "http://console.test", AssetVersion: "test", SessionAuthKey: key, SessionEncKey: key,
			IntakeToken: globalToken}})
	is := &intakeServer{testServer: ts, teamToken: "ad_team_alpha_token_0123456789abcdef", pipe: p}
	if _, err := ts.DB.CreateAPIToken(context.Background(), db.SystemActor, ts.TeamA.ID, "alpha am", is.teamToken); err != nil {
		t.Fatal(err)
	}
	return is
}

func (is *intakeServer) post(t *testing.T, path, token string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	is.Server.ServeHTTP(rec, req)
	return rec
}

func (is *intakeServer) storedAlerts(t *testing.T) []db.StoredAlert {
	t.Helper()
	alerts, _, err := is.DB.Alerts(context.Background(), db.AllTeams, db.AlertFilter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	return alerts
}

func sampleBody(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "alerting", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestIntakeAcceptsRealPayloadsAndDeduplicates(t *testing.T) {
	is := newIntakeServer(t)
	rec := is.post(t, "/api/v1/alerts/alertmanager", globalToken, sampleBody(t, "alertmanager-webhook.json"))
	wantStatus(t, rec, http.StatusAccepted)
	if !strings.Contains(rec.Body.String(), `"stored":1`) {
		t.Fatalf("body = %s", rec.Body)
	}
	rec = is.post(t, "/api/v1/alerts/alertmanager", globalToken, sampleBody(t, "alertmanager-webhook.json"))
	wantStatus(t, rec, http.StatusAccepted)
	if !strings.Contains(rec.Body.String(), `"duplicates":1`) {
		t.Fatalf("redelivery body = %s, want duplicates 1", rec.Body)
	}
	grafana := `{"receiver":"g","status":"firing","orgId":1,"version":"1","groupKey":"k","alerts":[{"status":"firing",
		"labels":{"alertname":"HighCPU","instance":"web-1"},"annotations":{},"startsAt":"2026-11-24T01:00:00Z",
		"endsAt":"0001-01-01T00:00:00Z","values":{"B":97.5,"C":1},"fingerprint":"abcdef0123456789"}]}`
	wantStatus(t, is.post(t, "/api/v1/alerts/grafana", is.teamToken, []byte(grafana)), http.StatusAccepted)
	wantStatus(t, is.post(t, "/api/v1/alerts", is.teamToken, []byte(`{"labels":{"alertname":"Own"},"value":3}`)), http.StatusAccepted)
	alerts := is.storedAlerts(t)
	if len(alerts) != 3 {
		t.Fatalf("stored alerts = %d, want 3", len(alerts))
	}
	if alerts[1].Values["B"] != 97.5 || alerts[1].TeamID != is.TeamA.ID {
		t.Errorf("grafana alert = %+v, want values and team alpha", alerts[1])
	}
}

func TestIntakeRefusesBadInputAndStoresNothing(t *testing.T) {
	is := newIntakeServer(t)
	many := make([]string, 10000)
	for i := range many {
		many[i] = fmt.Sprintf(`{"labels":{"alertname":"a%d"}}`, i)
	}
	tests := []struct {
		name, path, token string
		body              string
		status            int
		field             string
	}{
		{"no token", "/api/v1/alerts", "", `{"labels":{"alertname":"x"}}`, 401, ""},
		{"wrong token", "/api/v1/alerts", "nope", `{"labels":{"alertname":"x"}}`, 401, ""},
		{"malformed JSON", "/api/v1/alerts", globalToken, `{"labels":`, 400, "body"},
		{"labels of wrong type", "/api/v1/alerts", globalToken, `{"labels":["a"]}`, 400, "labels"},
		{"status of wrong type", "/api/v1/alerts/alertmanager", globalToken,
			`{"version":"4","alerts":[{"status":3,"labels":{"alertname":"x"},"startsAt":"2026-11-24T01:00:00Z"}]}`, 400, "alerts[0].status"},
		{"bad time", "/api/v1/alerts/alertmanager", globalToken,
			`{"version":"4","alerts":[{"status":"firing","labels":{"alertname":"x"},"startsAt":"yesterday"}]}`, 400, "alerts[0].startsAt"},
		{"value as string", "/api/v1/alerts", globalToken, `{"labels":{"alertname":"x"},"value":"high"}`, 400, "value"},
		{"control characters in a label", "/api/v1/alerts", globalToken, `{"labels":{"alertname":"x\u0007y"}}`, 400, "labels"},
		{"10,000 alerts", "/api/v1/alerts", globalToken, "[" + strings.Join(many, ",") + "]", 400, "alerts"},
		{"2 MiB body", "/api/v1/alerts", globalToken, `{"labels":{"alertname":"` + strings.Repeat("x", 2<<20) + `"}}`, 413, "body"},
		{"one bad alert among good ones", "/api/v1/alerts", globalToken,
			`[{"labels":{"alertname":"good"}},{"labels":{"1bad":"x"}}]`, 400, "[1].labels"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := is.post(t, tc.path, tc.token, []byte(tc.body))
			wantStatus(t, rec, tc.status)
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q, want JSON", ct)
			}
			if !strings.Contains(rec.Body.String(), `"error"`) {
				t.Errorf("body = %s, want a JSON error", rec.Body)
			}
			if tc.field != "" && !strings.Contains(rec.Body.String(), `"field":"`+tc.field) {
				t.Errorf("body = %s, want field %q named", rec.Body, tc.field)
			}
		})
	}
	if n := len(is.storedAlerts(t)); n != 0 {
		t.Fatalf("%d alerts stored from rejected requests", n)
	}
}

func TestRevokedTokenIsRefused(t *testing.T) {
	is := newIntakeServer(t)
	ctx := context.Background()
	// The token works (and its lookup is now cached) …
	wantStatus(t, is.post(t, "/api/v1/alerts", is.teamToken, []byte(`{"labels":{"alertname":"x"}}`)), http.StatusAccepted)
	toks, _ := is.DB.APITokens(ctx, db.AllTeams)
	// … until it is revoked in the console: the very next request is refused.
	admin := is.login(t, "admin", testPassword)
	wantStatus(t, admin.postForm(t, "/tokens/"+idStr(toks[0].ID)+"/revoke", nil, false), http.StatusSeeOther)
	wantStatus(t, is.post(t, "/api/v1/alerts", is.teamToken, []byte(`{"labels":{"alertname":"y"}}`)), http.StatusUnauthorized)
}

func TestWhyPageEscapesLabels(t *testing.T) {
	is := newIntakeServer(t)
	body := `{"labels":{"alertname":"<script>alert(1)</script>","note":"<b>bold</b>"}}`
	wantStatus(t, is.post(t, "/api/v1/alerts", globalToken, []byte(body)), http.StatusAccepted)
	alerts := is.storedAlerts(t)
	admin := is.login(t, "admin", testPassword)
	rec := admin.get(t, "/alerts/"+idStr(alerts[0].ID))
	wantStatus(t, rec, http.StatusOK)
	if strings.Contains(rec.Body.String(), "<script>alert(1)") || strings.Contains(rec.Body.String(), "<b>bold</b>") {
		t.Fatal("label values were rendered unescaped")
	}
	if !strings.Contains(rec.Body.String(), "&lt;script&gt;") {
		t.Fatal("the escaped label is not shown")
	}
	// Team alpha's member sees a global alert; beta's member sees alpha's team-token alert? No.
	wantStatus(t, is.post(t, "/api/v1/alerts", is.teamToken, []byte(`{"labels":{"alertname":"alpha-only"}}`)), http.StatusAccepted)
	alphaAlert := is.storedAlerts(t)[0]
	bob := is.login(t, "bob", testPassword)
	wantStatus(t, bob.get(t, "/alerts/"+idStr(alphaAlert.ID)), http.StatusNotFound)
	alice := is.login(t, "alice", testPassword)
	wantStatus(t, alice.get(t, "/alerts/"+idStr(alphaAlert.ID)), http.StatusOK)
}
