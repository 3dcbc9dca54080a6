package pipeline

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"alertdesk/alerting"
	"alertdesk/db"
)

// The pipeline's promise, checked under randomized concurrent runs: every alert that was
// acknowledged (stored) is carried by a notification — shown or counted in it, or
// recorded muted — by the group's next flush after it arrived, resolves included, and a
// resolve is carried once. Alerts join and resolve at random moments while groups flush,
// on a fake clock; each seed is one run.
func TestFlushNeverLosesAnAcknowledgedAlert(t *testing.T) {
	seeds := 24
	if testing.Short() {
		seeds = 6
	}
	for seed := range seeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { flushInvariantRun(t, uint64(seed)) })
	}
}

func flushInvariantRun(t *testing.T, seed uint64) {
	f := newFixture(t)
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	waits := []time.Duration{0, 0, time.Second, 5 * time.Second}
	groupWait := waits[rng.IntN(len(waits))]
	f.rule(db.RuleInput{Matchers: alerting.Matchers{mustMatcher("job", "=", "node")}, GroupBy: []string{"alertname"},
		GroupWait: groupWait, SendResolved: true, RobotIDs: []int64{f.robots[0].ID}})
	if rng.IntN(2) == 0 { // some runs silence one alert name: its alerts must be recorded muted
		if _, err := f.db.CreateSilence(f.ctx, db.SystemActor, db.Silence{TeamID: f.team.ID,
			Matchers: alerting.Matchers{mustMatcher("alertname", "=", "A1")}, StartsAt: f.clock.Now().Add(-time.Hour),
			EndsAt: f.clock.Now().Add(24 * time.Hour), Comment: "maintenance"}); err != nil {
			t.Fatal(err)
		}
		if err := f.p.Reload(f.ctx); err != nil {
			t.Fatal(err)
		}
	}

	// Writers: each owns a few fingerprints and walks them firing → resolved → firing …,
	// a new start time per firing, in bursts of 1–3 alerts a few fake milliseconds apart.
	const writers, steps = 4, 30
	var wg sync.WaitGroup
	var stopFlush sync.WaitGroup
	done := make(chan struct{})
	errc := make(chan error, writers+1)
	start := f.clock.Now()
	for w := range writers {
		wrng := rand.New(rand.NewPCG(seed, uint64(w)+1))
		wg.Add(1)
		go func() {
			defer wg.Done()
			firing := map[string]time.Time{}
			for step := range steps {
				var batch []alerting.Alert
				for range 1 + wrng.IntN(3) {
					name := fmt.Sprintf("A%d", wrng.IntN(3))
					inst := fmt.Sprintf("w%d-i%d", w, wrng.IntN(4))
					key := name + "/" + inst
					labels := map[string]string{"alertname": name, "job": "node", "instance": inst}
					if since, on := firing[key]; on && wrng.IntN(2) == 0 {
						a := alert(name, alerting.StatusResolved, labels, since)
						a.Labels["alertname"] = name
						batch = append(batch, a)
						delete(firing, key)
					} else if !on {
						at := start.Add(time.Duration(w*steps+step) * time.Millisecond)
						batch = append(batch, alert(name, alerting.StatusFiring, labels, at))
						firing[key] = at
					}
				}
				if len(batch) == 0 {
					continue
				}
				if _, err := f.p.Ingest(context.Background(), f.team.ID, batch); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	// The flusher runs concurrently, moving the fake clock a little each round.
	stopFlush.Add(1)
	go func() {
		defer stopFlush.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			f.clock.Add(time.Duration(rng.IntN(1500)) * time.Millisecond)
			if err := f.p.FlushDue(context.Background()); err != nil {
				errc <- err
				return
			}
		}
	}()
	wg.Wait()
	close(done)
	stopFlush.Wait()
	select {
	case err := <-errc:
		t.Fatal(err)
	default:
	}

	// Every group's next flush: after the group wait, one flush must carry everything.
	f.clock.Add(groupWait + time.Millisecond)
	f.flush()

	// An alert's state may be superseded before its group flushes (it fired and resolved
	// within the group wait): then the later state of the same alert carries it.
	lost, err := rawQuery(f, `SELECT a.id, a.name, a.status, a.labels FROM alerts a
		WHERE NOT EXISTS (SELECT 1 FROM notification_alerts na JOIN alerts b ON b.id = na.alert_id
			WHERE b.fingerprint = a.fingerprint AND b.team_id = a.team_id AND b.id >= a.id) ORDER BY a.id`)
	if err != nil {
		t.Fatal(err)
	}
	if len(lost) > 0 {
		t.Errorf("seed %d (group wait %s): %d acknowledged alerts are in no notification by their group's next flush, e.g. %v",
			seed, groupWait, len(lost), lost[0])
	}
	twice, err := rawQuery(f, `SELECT a.id, COUNT(*) FROM alerts a JOIN notification_alerts na ON na.alert_id = a.id
		JOIN notifications n ON n.id = na.notification_id
		WHERE a.status = 'resolved' GROUP BY a.id, n.robot_id HAVING COUNT(*) > 1`)
	if err != nil {
		t.Fatal(err)
	}
	if len(twice) > 0 {
		t.Errorf("seed %d: %d resolves were carried more than once, e.g. alert %v", seed, len(twice), twice[0])
	}
	pending, err := rawQuery(f, `SELECT COUNT(*) FROM group_alerts WHERE notified = 0`)
	if err != nil {
		t.Fatal(err)
	}
	if pending[0][0] != "0" {
		t.Errorf("seed %d: %s group members are still unnotified after the groups' next flush", seed, pending[0][0])
	}
}
