package pipeline

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"alertdesk/alerting"
	"alertdesk/db"
)

func (f *fixture) incidents() []db.Incident {
	f.t.Helper()
	list, err := f.db.Incidents(f.ctx, db.AllTeams, db.IncidentFilter{})
	if err != nil {
		f.t.Fatal(err)
	}
	return list
}

func (f *fixture) withActions() *LinkSigner {
	links := NewLinkSigner([]byte("0123456789abcdef0123456789abcdef"), 0)
	f.p.composer = NewActionComposer(f.db, "https://console.example", links, f.clock.Now)
	return links
}

func TestIncidentLifecycleAndReopen(t *testing.T) {
	f := newFixture(t)
	links := f.withActions()
	f.p.reopenWindow = time.Hour
	f.rule(db.RuleInput{GroupBy: []string{"instance"}, GroupWait: 10 * time.Second, RepeatInterval: 4 * time.Hour, SendResolved: true})
	starts := map[string]time.Time{}
	fire := func(name string) {
		starts[name] = f.clock.Now() // a new start: firing anew, not a redelivery
		f.ingest(0, alert(name, alerting.StatusFiring, map[string]string{"instance": "db-1"}, starts[name]))
		f.clock.Add(11 * time.Second)
		f.flush()
	}
	resolve := func(name string) {
		f.ingest(0, alert(name, alerting.StatusResolved, map[string]string{"instance": "db-1"}, starts[name]))
		f.clock.Add(11 * time.Second)
		f.flush()
	}
	fire("DiskFull")
	incs := f.incidents()
	if len(incs) != 1 || incs[0].State != db.IncidentTriggered || incs[0].Title != "DiskFull on db-1" || incs[0].AlertCount != 1 {
		t.Fatalf("after firing: %+v", incs)
	}
	first := incs[0]
	// The message names its incident and carries the signed links.
	n, err := f.db.NotificationByID(f.ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if n.IncidentID != first.ID || len(n.Actions) != len(LinkActions)+1 {
		t.Fatalf("notification: incident %d, actions %+v", n.IncidentID, n.Actions)
	}
	tok := n.Actions[0].URL[strings.LastIndexByte(n.Actions[0].URL, '/')+1:]
	if c, err := links.Verify(tok, f.clock.Now()); err != nil || c.IncidentID != first.ID || c.Action != db.ActAck {
		t.Errorf("first action link: %+v, %v", c, err)
	}
	if n.Actions[len(n.Actions)-1].URL != "https://console.example/incidents/"+itoa(first.ID) {
		t.Errorf("open link: %s", n.Actions[len(n.Actions)-1].URL)
	}
	fire("DiskSlow") // joins: news on the same incident
	resolve("DiskFull")
	resolve("DiskSlow")
	incs = f.incidents()
	if len(incs) != 1 || incs[0].State != db.IncidentResolved || incs[0].ResolvedAt.IsZero() {
		t.Fatalf("after resolving: %+v", incs)
	}
	// The resolve message names the incident and carries only its Open link.
	last, err := f.db.NotificationByID(f.ctx, int64(len(f.notifications())))
	if err != nil {
		t.Fatal(err)
	}
	if last.Kind != "resolved" || last.IncidentID != first.ID || len(last.Actions) != 1 || last.Actions[0].Label != "Open" {
		t.Errorf("resolve message: kind %s, incident %d, actions %+v", last.Kind, last.IncidentID, last.Actions)
	}
	// Firing again within the window reopens it.
	f.clock.Add(30 * time.Minute)
	fire("DiskFull")
	incs = f.incidents()
	if len(incs) != 1 || incs[0].State != db.IncidentTriggered || incs[0].Reopens != 1 || !incs[0].OpenedAt.Equal(first.OpenedAt) {
		t.Fatalf("within the window: %+v", incs)
	}
	resolve("DiskFull")
	// After the window: a new incident with its own start.
	f.clock.Add(2 * time.Hour)
	fire("DiskFull")
	incs = f.incidents()
	if len(incs) != 2 || incs[0].ID == first.ID || incs[0].State != db.IncidentTriggered || !incs[0].OpenedAt.After(first.OpenedAt.Add(2*time.Hour)) {
		t.Fatalf("after the window: %+v", incs)
	}
	evs, err := f.db.IncidentEvents(f.ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	if got := strings.Join(kinds, " "); got != "opened alerts alerts resolved reopen resolved" {
		t.Errorf("timeline kinds %q", got)
	}
}

// Repeat until acknowledged, on the fixture's fake clock: every 10 minutes while the
// incident is triggered; after the ack, only at the rule's repeat interval.
func TestRepeatUntilAcknowledged(t *testing.T) {
	f := newFixture(t)
	f.withActions()
	f.rule(db.RuleInput{GroupBy: []string{"instance"}, GroupWait: 10 * time.Second, RepeatInterval: 4 * time.Hour,
		RepeatUnacked: 10 * time.Minute})
	f.ingest(0, alert("DiskFull", alerting.StatusFiring, map[string]string{"instance": "db-1"}, f.clock.Now()))
	f.clock.Add(11 * time.Second)
	f.flush()
	count := func() int { return len(f.notifications()) }
	if count() != 1 {
		t.Fatalf("first message: %d", count())
	}
	f.clock.Add(9 * time.Minute)
	f.flush()
	if count() != 1 {
		t.Fatalf("before 10 min: %d messages, want 1", count())
	}
	f.clock.Add(2 * time.Minute)
	f.flush()
	f.clock.Add(10 * time.Minute)
	f.flush()
	if count() != 3 {
		t.Fatalf("after two unacknowledged periods: %d messages, want 3", count())
	}
	inc := f.incidents()[0]
	r := NewResponder(f.db, f.p.composer)
	if _, err := r.Act(f.ctx, db.AllTeams, db.IncidentAction{IncidentID: inc.ID, Action: db.ActAck,
		Actor: db.Actor{Name: "Alice"}, ActorKind: "user", Via: "console"}); err != nil {
		t.Fatal(err)
	}
	got := f.notifications()
	if len(got) != 4 || got[3].title != "Alice acknowledged DiskFull on db-1 (1 alert) after 21 min" {
		t.Fatalf("follow-up: %+v", got[len(got)-1])
	}
	// The repeat that fell due by the 10-minute period is held: nothing until 4 h after
	// the last alert message.
	for i := 0; i < 6; i++ {
		f.clock.Add(10 * time.Minute)
		f.flush()
	}
	if count() != 4 {
		t.Fatalf("after the ack: %d messages, want 4 (repeats stopped)", count())
	}
	f.clock.Add(4 * time.Hour)
	f.flush()
	if count() != 5 {
		t.Fatalf("at the repeat interval: %d messages, want 5", count())
	}
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// A group whose alerts are all silenced opens no incident: its message is muted and nobody
// is to act on it.
func TestSilencedGroupOpensNoIncident(t *testing.T) {
	f := newFixture(t)
	f.withActions()
	f.rule(db.RuleInput{GroupBy: []string{"instance"}, GroupWait: 10 * time.Second, RepeatInterval: 4 * time.Hour})
	now := f.clock.Now()
	if _, err := f.db.CreateSilence(f.ctx, db.SystemActor, db.Silence{TeamID: f.team.ID, StartsAt: now, EndsAt: now.Add(time.Hour),
		Matchers: alerting.Matchers{mustMatcher("instance", "=", "db-1")}, Comment: "maintenance"}); err != nil {
		t.Fatal(err)
	}
	if err := f.p.Reload(f.ctx); err != nil {
		t.Fatal(err)
	}
	f.ingest(0, alert("DiskFull", alerting.StatusFiring, map[string]string{"instance": "db-1"}, now))
	f.clock.Add(11 * time.Second)
	f.flush()
	if got := f.notifications(); len(got) != 1 || got[0].state != db.StateMuted {
		t.Fatalf("notifications: %+v, want one muted", got)
	}
	if incs := f.incidents(); len(incs) != 0 {
		t.Errorf("incidents: %+v, want none", incs)
	}
}

// A message held back by quiet hours is on the incident's timeline with the reason.
func TestQuietHoursMessageOnTimeline(t *testing.T) {
	f := newFixture(t) // Monday 10:00 UTC is 18:00 in Shanghai: inside the window
	f.rule(db.RuleInput{GroupBy: []string{"instance"}, GroupWait: 10 * time.Second, RepeatInterval: 4 * time.Hour,
		QuietHours: []alerting.QuietWindow{{Days: []time.Weekday{time.Monday}, From: "17:00", To: "09:00", TimeZone: "Asia/Shanghai"}}})
	f.ingest(0, alert("DiskFull", alerting.StatusFiring, map[string]string{"instance": "db-1"}, f.clock.Now()))
	f.clock.Add(11 * time.Second)
	f.flush()
	incs := f.incidents()
	if len(incs) != 1 {
		t.Fatalf("incidents: %+v", incs)
	}
	evs, err := f.db.IncidentEvents(f.ctx, incs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if last := evs[len(evs)-1]; last.Kind != "message" || !strings.Contains(last.Text, "not sent: Held back by the rule's quiet hours") {
		t.Errorf("timeline: %+v", evs)
	}
}
