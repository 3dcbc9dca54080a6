package db_test

import (
	"alertdesk/db/dbtest"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"alertdesk/db"
)

func newIntegrationsDB(t *testing.T) (*db.DB, db.Team, db.Team) {
	t.Helper()
	ctx := context.Background()
	d := dbtest.Open(t, db.Options{})
	a, err := d.CreateTeam(ctx, rulesActor, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.CreateTeam(ctx, rulesActor, "beta")
	if err != nil {
		t.Fatal(err)
	}
	return d, a, b
}

func TestIntegrationsScopeCredentialsAndAudit(t *testing.T) {
	ctx := context.Background()
	d, a, b := newIntegrationsDB(t)
	in := db.IntegrationInput{TeamID: a.ID, Name: "zabbix", Preset: "zabbix", Mapping: `{"alertname":".x"}`, Enabled: true}
	g, err := d.CreateIntegration(ctx, rulesActor, in, "ad_tokentokentoken1234", "secretsecret")
	if err != nil {
		t.Fatal(err)
	}
	if !g.HasSecretURL || g.TokenHint != "ad_…1234" || !g.Enabled {
		t.Errorf("created %+v", g)
	}
	if _, err := d.CreateIntegration(ctx, rulesActor, in, "other", ""); !errors.Is(err, db.ErrConflict) {
		t.Errorf("same name twice: err = %v, want ErrConflict", err)
	}
	if _, err := d.IntegrationByID(ctx, db.TeamScope(b.ID), g.ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("another team reads it: err = %v, want ErrNotFound", err)
	}
	if _, err := d.UpdateIntegration(ctx, rulesActor, db.TeamScope(b.ID), g.ID, in); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("another team changes it: err = %v, want ErrNotFound", err)
	}
	if err := d.DeleteIntegration(ctx, rulesActor, db.TeamScope(b.ID), g.ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("another team deletes it: err = %v, want ErrNotFound", err)
	}
	if list, _ := d.Integrations(ctx, db.TeamScope(b.ID)); len(list) != 0 {
		t.Errorf("another team lists %d integrations", len(list))
	}
	auth, err := d.IntegrationForIntake(ctx, g.ID)
	if err != nil || auth.TokenHash != db.HashToken("ad_tokentokentoken1234") || auth.SecretHash != db.HashToken("secretsecret") {
		t.Fatalf("intake view %+v, %v", auth, err)
	}
	if _, err := d.SetIntegrationCredential(ctx, rulesActor, db.TeamScope(a.ID), g.ID, db.CredentialSecretURL, ""); err != nil {
		t.Fatal(err)
	}
	if auth, _ = d.IntegrationForIntake(ctx, g.ID); auth.SecretHash != "" || auth.HasSecretURL {
		t.Errorf("revoked secret URL still there: %+v", auth)
	}
	events, _, err := d.AuditEvents(ctx, db.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range events {
		if e.ObjectType == "integration" {
			actions = append(actions, e.Action)
			for _, s := range []string{"tokentokentoken", "secretsecret", db.HashToken("secretsecret")} {
				if strings.Contains(e.Before+e.After, s) {
					t.Errorf("audit %s carries a credential: %s %s", e.Action, e.Before, e.After)
				}
			}
		}
	}
	if got := strings.Join(actions, ","); !strings.Contains(got, "integration.create") || !strings.Contains(got, "integration.secret_url_revoke") {
		t.Errorf("audit actions = %s", got)
	}
}

func TestInboundLogKeepsTheNewestHundred(t *testing.T) {
	ctx := context.Background()
	d, a, _ := newIntegrationsDB(t)
	g, err := d.CreateIntegration(ctx, rulesActor, db.IntegrationInput{TeamID: a.ID, Name: "x", Mapping: "{}", Enabled: true}, "tok", "")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	for i := range 130 {
		p := db.InboundPayload{IntegrationID: g.ID, ReceivedAt: at.Add(time.Duration(i) * time.Second), Body: fmt.Sprintf(`{"n":%d}`, i),
			BodyBytes: 8, Outcome: db.PayloadRefused, HTTPStatus: 400, Detail: "alertname: missing", Field: "alertname"}
		if i%2 == 0 {
			p.Outcome, p.HTTPStatus, p.Detail, p.Field = db.PayloadAccepted, 202, "", ""
			p.Alerts = []db.PayloadAlert{{Name: "a", Status: "firing", Fingerprint: "f"}}
		}
		if err := d.RecordPayload(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	got, err := d.Payloads(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != db.MaxLoggedPayloads {
		t.Fatalf("kept %d payloads, want %d", len(got), db.MaxLoggedPayloads)
	}
	if got[0].Body != `{"n":129}` || got[99].Body != `{"n":30}` {
		t.Errorf("kept %s … %s, want the newest 100", got[0].Body, got[99].Body)
	}
	if got[0].Outcome != db.PayloadRefused || got[0].Field != "alertname" || got[1].Alerts[0].Name != "a" {
		t.Errorf("entries lost their outcome: %+v %+v", got[0], got[1])
	}
	if g2, _ := d.IntegrationByID(ctx, db.AllTeams, g.ID); !g2.LastReceivedAt.Equal(at.Add(129 * time.Second)) {
		t.Errorf("last received = %v", g2.LastReceivedAt)
	}
}
