package db_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"alertdesk/db"
	"alertdesk/db/dbtest"
)

type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *stepClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// An ended incident goes with the history once its messages are gone; an open one stays.
func TestPruneEndedIncidents(t *testing.T) {
	ctx := context.Background()
	clk := &stepClock{now: time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)}
	d := dbtest.Open(t, db.Options{Now: clk.Now})
	team, err := d.CreateTeam(ctx, db.SystemActor, "ops")
	if err != nil {
		t.Fatal(err)
	}
	open := func(key string) db.Incident {
		inc, err := d.IncidentFiring(ctx, db.IncidentFiring{TeamID: team.ID, GroupKey: key, Title: key, Firing: 1, News: true})
		if err != nil {
			t.Fatal(err)
		}
		return inc
	}
	ended, stays := open("ended"), open("open")
	if _, err := d.ActOnIncident(ctx, db.AllTeams, db.IncidentAction{IncidentID: ended.ID, Action: db.ActClose,
		Actor: db.Actor{Name: "Alice"}, ActorKind: "user"}); err != nil {
		t.Fatal(err)
	}
	clk.Add(100 * 24 * time.Hour)
	if _, err := d.PruneBefore(ctx, clk.Now().Add(-90*24*time.Hour), 100); err != nil {
		t.Fatal(err)
	}
	if _, err := d.IncidentByID(ctx, db.AllTeams, ended.ID); err != db.ErrNotFound {
		t.Errorf("ended incident: %v, want it pruned", err)
	}
	if evs, _ := d.IncidentEvents(ctx, ended.ID); len(evs) != 0 {
		t.Errorf("its timeline stayed: %+v", evs)
	}
	if _, err := d.IncidentByID(ctx, db.AllTeams, stays.ID); err != nil {
		t.Errorf("open incident: %v", err)
	}
}
