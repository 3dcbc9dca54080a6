package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"alertdesk/db"
)

func TestIncidentAPIScopes(t *testing.T) {
	is := newIntakeServer(t)
	ctx := context.Background()
	inc, err := is.DB.IncidentFiring(ctx, db.IncidentFiring{TeamID: is.TeamA.ID, GroupKey: "g", Title: "DiskFull on db-1",
		GroupLabels: map[string]string{"instance": "db-1"}, Firing: 2, News: true, ReopenWindow: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	other, err := is.DB.IncidentFiring(ctx, db.IncidentFiring{TeamID: is.TeamB.ID, GroupKey: "h", Title: "beta thing",
		Firing: 1, News: true, ReopenWindow: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	const actToken = "ad_alpha_incidents_token_0123456789"
	if _, err := is.DB.CreateScopedToken(ctx, db.SystemActor, is.TeamA.ID, "chatops", actToken, db.TokenIncidents); err != nil {
		t.Fatal(err)
	}
	call := func(method, path, token, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		is.Server.ServeHTTP(rec, req)
		return rec
	}
	ack := `{"action":"ack","actor":"Alice"}`
	path := "/api/v1/incidents/" + idStr(inc.ID) + "/actions"
	// The intake token (what Alertmanager holds) cannot act; the incidents token cannot post alerts.
	wantStatus(t, call(http.MethodPost, path, is.teamToken, ack), http.StatusForbidden)
	wantStatus(t, call(http.MethodPost, path, "", ack), http.StatusUnauthorized)
	wantStatus(t, call(http.MethodPost, "/api/v1/alerts", actToken, `{"labels":{"alertname":"x"}}`), http.StatusUnauthorized)

	rec := call(http.MethodGet, "/api/v1/incidents?state=open", actToken, "")
	wantStatus(t, rec, http.StatusOK)
	var list []struct {
		ID    int64  `json:"id"`
		State string `json:"state"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || len(list) != 1 || list[0].ID != inc.ID {
		t.Fatalf("list (alpha's only): %s, %v", rec.Body, err)
	}
	rec = call(http.MethodPost, path, actToken, `{"action":"snooze"}`)
	wantStatus(t, rec, http.StatusBadRequest)
	if !strings.Contains(rec.Body.String(), `"field":"action"`) {
		t.Errorf("bad action: %s", rec.Body)
	}
	rec = call(http.MethodPost, path, actToken, ack)
	wantStatus(t, rec, http.StatusOK)
	if !strings.Contains(rec.Body.String(), `"state":"acknowledged"`) || !strings.Contains(rec.Body.String(), `"acknowledged_by":"Alice (token chatops)"`) {
		t.Errorf("ack: %s", rec.Body)
	}
	rec = call(http.MethodPost, path, actToken, ack)
	wantStatus(t, rec, http.StatusConflict)
	if !strings.Contains(rec.Body.String(), "already acknowledged") {
		t.Errorf("second ack: %s", rec.Body)
	}
	wantStatus(t, call(http.MethodPost, "/api/v1/incidents/"+idStr(other.ID)+"/actions", actToken, ack), http.StatusNotFound)
	rec = call(http.MethodGet, "/api/v1/incidents/"+idStr(inc.ID), actToken, "")
	wantStatus(t, rec, http.StatusOK)
	if !strings.Contains(rec.Body.String(), "via API") {
		t.Errorf("timeline: %s", rec.Body)
	}
	audit, _, _ := is.DB.AuditEvents(ctx, db.AuditFilter{Action: "incident.ack"})
	if len(audit) != 1 || audit[0].Actor != "Alice (token chatops)" {
		t.Errorf("audit: %+v", audit)
	}
}
