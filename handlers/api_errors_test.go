package handlers_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode"

	"alertdesk/db"
	"alertdesk/handlers"
)

type apiErrorJSON struct {
	Code  string `json:"code"`
	Error string `json:"error"`
	Field string `json:"field"`
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// JSON errors carry a stable code and a message in the request's language: the same
// request with Accept-Language: zh-CN gets the same status, code and field and a Chinese
// message.
func TestAPIErrorsCodeAndLanguage(t *testing.T) {
	is := newIntakeServerWith(t, func(d *handlers.Deps) { d.Config.IntakeMaxBytes = 1 << 10 })
	const incidentsToken = "ad_incidents_token_0123456789abcdef"
	if _, err := is.DB.CreateScopedToken(context.Background(), db.SystemActor, is.TeamA.ID, "ops bot", incidentsToken, db.TokenIncidents); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, path, token, body string
		status                          int
		code, field                     string
	}{
		{"no token", "POST", "/api/v1/alerts", "", `{"labels":{"alertname":"x"}}`, 401, "unauthorized", ""},
		{"bad field", "POST", "/api/v1/alerts", globalToken, `{"labels":{"alertname":"x"},"value":"high"}`, 400, "invalid_field", "value"},
		{"malformed", "POST", "/api/v1/alerts", globalToken, `{"labels":`, 400, "invalid_body", "body"},
		{"too large", "POST", "/api/v1/alerts", globalToken, `{"labels":{"alertname":"` + strings.Repeat("x", 2<<10) + `"}}`, 413, "body_too_large", "body"},
		{"incidents without token", "GET", "/api/v1/incidents", "", "", 401, "unauthorized", ""},
		{"incidents with an alerts token", "GET", "/api/v1/incidents", is.teamToken, "", 403, "forbidden", ""},
		{"no such incident", "GET", "/api/v1/incidents/999999", incidentsToken, "", 404, "not_found", ""},
		{"bad state filter", "GET", "/api/v1/incidents?state=sleeping", incidentsToken, "", 400, "invalid_field", "state"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got [2]apiErrorJSON
			for i, lang := range []string{"", "zh-CN,zh;q=0.9,en;q=0.5"} {
				req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
				req.Header.Set("Content-Type", "application/json")
				if tc.token != "" {
					req.Header.Set("Authorization", "Bearer "+tc.token)
				}
				if lang != "" {
					req.Header.Set("Accept-Language", lang)
				}
				rec := httptest.NewRecorder()
				is.Server.ServeHTTP(rec, req)
				wantStatus(t, rec, tc.status)
				if err := json.Unmarshal(rec.Body.Bytes(), &got[i]); err != nil {
					t.Fatalf("not a JSON error: %s", rec.Body)
				}
				if got[i].Code != tc.code || got[i].Field != tc.field || got[i].Error == "" {
					t.Errorf("lang %q: %+v, want code %q field %q", lang, got[i], tc.code, tc.field)
				}
			}
			if hasHan(got[0].Error) {
				t.Errorf("English answer has Chinese: %q", got[0].Error)
			}
			if !hasHan(got[1].Error) {
				t.Errorf("zh-CN answer is not Chinese: %q", got[1].Error)
			}
		})
	}
}
