package db_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"alertdesk/db"
)

// Intake errors are kept per team up to IntakeErrorsKept (the newest), and a member sees
// their team's and the global token's.
func TestIntakeErrorsBoundedAndScoped(t *testing.T) {
	d, a, b := contactsFixture(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC)
	rows := func(n int, reason string) []db.IntakeError {
		out := make([]db.IntakeError, n)
		for i := range out {
			out[i] = db.IntakeError{At: at, Source: "alertmanager", Kind: db.IntakeRefused, Field: "alerts[" + strconv.Itoa(i) + "].labels",
				Reason: reason, AlertIndex: i, Alerts: n}
		}
		return out
	}
	// Alpha: more than are kept, in two bodies; beta and the global token: a few.
	if err := d.RecordIntakeErrors(ctx, a.ID, rows(db.IntakeErrorsKept-2, "first")); err != nil {
		t.Fatal(err)
	}
	if err := d.RecordIntakeErrors(ctx, b.ID, rows(3, "beta")); err != nil {
		t.Fatal(err)
	}
	if err := d.RecordIntakeErrors(ctx, a.ID, rows(5, "second")); err != nil {
		t.Fatal(err)
	}
	if err := d.RecordIntakeErrors(ctx, 0, []db.IntakeError{{At: at, Source: "grafana", Kind: db.IntakeBody, Reason: "global", AlertIndex: -1}}); err != nil {
		t.Fatal(err)
	}
	count := func(s db.Scope, kind string) (n int, oldest db.IntakeError) {
		f := db.IntakeErrorFilter{Kind: kind, Limit: 200}
		for {
			page, more, err := d.IntakeErrors(ctx, s, f)
			if err != nil {
				t.Fatal(err)
			}
			n += len(page)
			if len(page) > 0 {
				oldest = page[len(page)-1]
				f.Before = oldest.ID
			}
			if !more {
				return n, oldest
			}
		}
	}
	all, _ := count(db.AllTeams, "")
	if want := db.IntakeErrorsKept + 3 + 1; all != want {
		t.Errorf("kept %d intake errors, want %d", all, want)
	}
	n, oldest := count(db.TeamScope(a.ID), "")
	if n != db.IntakeErrorsKept+1 || oldest.Reason != "first" || oldest.AlertIndex != 3 {
		t.Errorf("alpha sees %d, oldest %+v; want %d (its newest plus the global one), the oldest three pruned", n, oldest, db.IntakeErrorsKept+1)
	}
	page, _, err := d.IntakeErrors(ctx, db.TeamScope(b.ID), db.IntakeErrorFilter{})
	if err != nil || len(page) != 4 || page[0].Reason != "global" || page[0].TeamID != 0 || page[1].TeamName != "beta" {
		t.Errorf("beta sees %+v, %v; want the global error and its three", page, err)
	}
	if n, _ := count(db.AllTeams, db.IntakeBody); n != 1 {
		t.Errorf("kind filter: %d body errors, want 1", n)
	}
}
