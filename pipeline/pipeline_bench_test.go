package pipeline

import (
	"alertdesk/alerting"
	"alertdesk/db/dbtest"
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"alertdesk/db"
)

// BenchmarkIngest measures the intake path below HTTP: store, match against 50 rules,
// group, commit. Run: go test ./alerting -run XXX -bench Ingest -benchmem
func BenchmarkIngest(b *testing.B) {
	for _, perBody := range []int{1, 10} {
		b.Run(fmt.Sprintf("alerts=%d", perBody), func(b *testing.B) {
			ctx := context.Background()
			d, err := db.Open(ctx, dbtest.Addr(b), db.Options{}) // SQLite, or PostgreSQL with ALERTDESK_TEST_POSTGRES
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close()
			team, _ := d.CreateTeam(ctx, db.SystemActor, "load")
			robot, err := d.CreateRobot(ctx, db.SystemActor, db.RobotInput{TeamID: team.ID, Name: "r", Platform: "wecom",
				WebhookURL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x", WebhookHint: "x", Enabled: true})
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < 50; i++ {
				if _, err := d.CreateRule(ctx, db.SystemActor, db.RuleInput{TeamID: team.ID, Name: fmt.Sprint("rule ", i), Enabled: true,
					Severity: "warning", Matchers: alerting.Matchers{mustMatcher("service", "=", fmt.Sprint("svc-", i)),
						mustMatcher("severity", "=~", "critical|warning")},
					GroupBy: []string{"alertname", "service"}, GroupWait: time.Minute, RepeatInterval: time.Hour, SendResolved: true,
					RobotIDs: []int64{robot.ID}}); err != nil {
					b.Fatal(err)
				}
			}
			p := New(d, NewComposer(d, ""), slog.New(slog.NewTextHandler(io.Discard, nil)), Options{})
			if err := p.Reload(ctx); err != nil {
				b.Fatal(err)
			}
			p.done.Add(1)
			go p.writeLoop()
			defer func() { close(p.stop); p.done.Wait() }()
			var seq atomic.Int64
			start := time.Now()
			b.ReportAllocs()
			b.ResetTimer()
			b.SetParallelism(4) // 8 concurrent requests on 2 cores, like the load test
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					alerts := make([]alerting.Alert, perBody)
					for i := range alerts {
						id := seq.Add(1)
						labels := map[string]string{"alertname": fmt.Sprint("Load", id%20), "instance": fmt.Sprint("host-", id),
							"job": "load", "service": fmt.Sprint("svc-", id%100), "severity": []string{"critical", "warning", "info"}[id%3]}
						alerts[i] = alerting.Alert{Source: alerting.SourceAlertmanager, Status: alerting.StatusFiring, Labels: labels,
							Annotations: map[string]string{"summary": "synthetic"}, StartsAt: start, Fingerprint: alerting.Fingerprint(labels)}
					}
					if _, err := p.Ingest(ctx, team.ID, alerts); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N*perBody)/b.Elapsed().Seconds(), "alerts/s")
		})
	}
}
