package db_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"alertdesk/db"
)

func TestScheduleLifecycle(t *testing.T) {
	ctx := context.Background()
	d, a, b := contactsFixture(t)
	alice := mustContact(t, d, db.ContactInput{TeamID: a.ID, Name: "Alice", Mobile: "+8613800138000"})
	bob := mustContact(t, d, db.ContactInput{TeamID: a.ID, Name: "Bob", Mobile: "+8613800138001"})
	stranger := mustContact(t, d, db.ContactInput{TeamID: b.ID, Name: "Stranger", Mobile: "+8613800138002"})
	layer := db.ScheduleLayer{Members: []int64{alice.ID, bob.ID}, Length: 1, Unit: "days", Start: "2026-03-02T09:00", Zone: "Asia/Shanghai"}

	if _, err := d.CreateSchedule(ctx, contactsActor, db.ScheduleInput{TeamID: a.ID, Name: "Ops",
		Layers: []db.ScheduleLayer{{Members: []int64{stranger.ID}, Length: 1, Unit: "days", Start: "2026-03-02T09:00", Zone: "UTC"}}}); !errors.Is(err, db.ErrForeignMember) {
		t.Fatalf("another team's contact in a layer: err = %v, want ErrForeignMember", err)
	}
	s, err := d.CreateSchedule(ctx, contactsActor, db.ScheduleInput{TeamID: a.ID, Name: "Ops", Layers: []db.ScheduleLayer{layer},
		FallbackContactID: bob.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateSchedule(ctx, contactsActor, db.ScheduleInput{TeamID: a.ID, Name: "Ops"}); !errors.Is(err, db.ErrConflict) {
		t.Fatalf("duplicate name: err = %v, want ErrConflict", err)
	}
	if _, err := d.ScheduleByID(ctx, db.TeamScope(b.ID), s.ID); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("other team reads schedule: err = %v, want ErrNotFound", err)
	}
	from := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)
	if err := d.AddOverride(ctx, contactsActor, db.AllTeams, s.ID, stranger.ID, from, from.Add(time.Hour)); !errors.Is(err, db.ErrForeignMember) {
		t.Fatalf("override by another team's contact: err = %v", err)
	}
	if err := d.AddOverride(ctx, contactsActor, db.AllTeams, s.ID, bob.ID, from, from.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, err := d.ScheduleByID(ctx, db.TeamScope(a.ID), s.ID)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := got.Plan()
	if err != nil {
		t.Fatal(err)
	}
	// 2026-03-02 09:00 Shanghai is 01:00 UTC: Alice until 03-03 01:00 UTC, with Bob's hour on top.
	if oc := plan.At(from.Add(30 * time.Minute)); oc.Contact != bob.ID {
		t.Errorf("during the override: %+v, want Bob", oc)
	}
	if oc := plan.At(from.Add(-time.Hour)); oc.Contact != alice.ID {
		t.Errorf("before the override: %+v, want Alice", oc)
	}
	if err := d.DeleteOverride(ctx, contactsActor, db.AllTeams, s.ID, got.Overrides[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteSchedule(ctx, contactsActor, db.AllTeams, s.ID); err != nil {
		t.Fatal(err)
	}
	var actions []string
	rows, _, err := d.AuditEvents(ctx, db.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range rows {
		if e.ObjectType == "schedule" {
			actions = append(actions, e.Action)
		}
	}
	want := map[string]bool{"schedule.create": true, "schedule.override.create": true, "schedule.override.delete": true, "schedule.delete": true}
	for _, act := range actions {
		delete(want, act)
	}
	if len(want) > 0 {
		t.Errorf("audit log lacks %v (has %v)", want, actions)
	}
}
