package handlers_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"alertdesk/alerting"
	"alertdesk/db"
	"alertdesk/handlers"
	"alertdesk/pipeline"
)

// amBody is a real Alertmanager body (alerting/testdata) with extra labels on every
// alert and each alert rewritten by edit (when set).
func amBody(t *testing.T, file string, extra map[string]string, edit func(i int, a map[string]any)) []byte {
	t.Helper()
	var env map[string]any
	if err := json.Unmarshal(sampleBody(t, file), &env); err != nil {
		t.Fatal(err)
	}
	for i, a := range env["alerts"].([]any) {
		obj := a.(map[string]any)
		for k, v := range extra {
			obj["labels"].(map[string]any)[k] = v
		}
		if edit != nil {
			edit(i, obj)
		}
	}
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// manyAlertsBody is an Alertmanager body of n alerts of one alertname on distinct
// instances, with the labels, annotations and generatorURL a Kubernetes alert carries.
func manyAlertsBody(t testing.TB, n int, status string) []byte {
	t.Helper()
	alerts := make([]map[string]any, n)
	for i := range alerts {
		a := map[string]any{"status": status,
			"labels": map[string]string{"alertname": "KubePodCrashLooping", "cluster": "prod-eu-west-1", "container": "api-server",
				"endpoint": "http", "instance": fmt.Sprintf("10.42.%d.%d:8080", i/250, i%250), "job": "kube-state-metrics",
				"namespace": "payments-production", "pod": fmt.Sprintf("payments-api-7c9f8d6b5-%05d", i),
				"prometheus": "monitoring/kube-prometheus-stack-prometheus", "service": "kube-prometheus-stack-kube-state-metrics",
				"severity": "warning", "uid": fmt.Sprintf("5d0c3a4e-8f1b-4c2d-9e6a-%012d", i)},
			"annotations": map[string]string{
				"description": fmt.Sprintf(`Pod payments-production/payments-api-7c9f8d6b5-%05d (api-server) is in waiting state (reason: "CrashLoopBackOff").`, i),
				"runbook_url": "https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping",
				"summary":     "Pod is crash looping."},
			"startsAt": "2026-11-24T02:09:55.200487562Z", "endsAt": "0001-01-01T00:00:00Z",
			"generatorURL": "http://prometheus-kube-prometheus-prometheus.monitoring:9090/graph?g0.expr=max_over_time%28kube_pod_container_status_waiting_reason%7Bjob%3D%22kube-state-metrics%22%2Cnamespace%3D~%22.%2A%22%2Creason%3D%22CrashLoopBackOff%22%7D%5B5m%5D%29+%3E%3D+1&g0.tab=1",
			"fingerprint":  fmt.Sprintf("%016x", i+1)}
		if status == "resolved" {
			a["endsAt"] = "2026-11-24T03:09:55Z"
		}
		alerts[i] = a
	}
	b, err := json.Marshal(map[string]any{"receiver": "alertdesk", "status": status, "alerts": alerts, "version": "4",
		"groupLabels": map[string]string{"alertname": "KubePodCrashLooping"}, "commonLabels": map[string]string{"alertname": "KubePodCrashLooping"},
		"commonAnnotations": map[string]string{}, "externalURL": "http://alertmanager:9093",
		"groupKey": `{}:{alertname="KubePodCrashLooping"}`, "truncatedAlerts": 0})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type intakeAnswer struct {
	Status          string `json:"status"`
	Alerts          int    `json:"alerts"`
	Stored          int    `json:"stored"`
	Duplicates      int    `json:"duplicates"`
	Refused         int    `json:"refused"`
	Clamped         int    `json:"clamped"`
	TruncatedAlerts int    `json:"truncatedAlerts"`
	Errors          []struct {
		Kind  string `json:"kind"`
		Index int    `json:"index"`
		Field string `json:"field"`
		Error string `json:"error"`
	} `json:"errors"`
	Error string `json:"error"`
	Field string `json:"field"`
}

func answer(t *testing.T, rec *httptest.ResponseRecorder) intakeAnswer {
	t.Helper()
	var a intakeAnswer
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		t.Fatalf("answer %q is not JSON: %v", rec.Body, err)
	}
	return a
}

func (is *intakeServer) postWith(t *testing.T, path, token string, body []byte, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	is.Server.ServeHTTP(rec, req)
	return rec
}

func (is *intakeServer) intakeErrors(t *testing.T) []db.IntakeError {
	t.Helper()
	rows, _, err := is.DB.IntakeErrors(context.Background(), db.AllTeams, db.IntakeErrorFilter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// A real Alertmanager body whose alerts carry UTF-8 label names is stored, matched by a
// rule whose matchers and group-by use those names (entered through the rule form),
// rendered by the rule's template, explained on the why page and silenced by name.
func TestIntakeUTF8LabelNamesEndToEnd(t *testing.T) {
	is := newIntakeServer(t)
	ctx := context.Background()
	robot, err := is.DB.CreateRobot(ctx, db.SystemActor, db.RobotInput{TeamID: is.TeamA.ID, Name: "ops-ding", Platform: "dingtalk",
		WebhookURL: "https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef", WebhookHint: "hint", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	alice := is.login(t, "alice", testPassword)
	form := url.Values{
		"team_id": {idStr(is.TeamA.ID)}, "name": {"Dotted"}, "severity": {"critical"}, "source": {""}, "enabled": {"1"},
		"matcher_name": {"host.keyword", "机房", "customer-environment"}, "matcher_op": {"=", "=~", "!="}, "matcher_value": {"db-1", "上海|北京", "dev"},
		"cond_op": {">"}, "robot_id": {idStr(robot.ID)},
		"title_template": {`{{index .GroupLabels "host.keyword"}} in {{index .GroupLabels "机房"}}`},
		"body_template":  {`{{range .Alerts}}{{index .Labels "customer-environment"}}/{{index .Labels "00"}} {{end}}`},
		"group_by":       {`alertname, host.keyword, "机房"`}, "group_wait": {"0s"}, "repeat_interval": {"4h"}, "send_resolved": {"1"},
	}
	rec := alice.postForm(t, "/rules", form, false)
	wantStatus(t, rec, http.StatusSeeOther)
	rules, err := is.DB.Rules(ctx, db.AllTeams)
	if err != nil || len(rules) != 1 {
		t.Fatalf("rules = %v, %v", rules, err)
	}
	rule := rules[0]
	if !slices.Equal(rule.GroupBy, []string{"alertname", "host.keyword", "机房"}) || rule.Matchers.String() != `{"host.keyword"="db-1", "机房"=~"上海|北京", "customer-environment"!="dev"}` {
		t.Fatalf("stored rule: group by %q, matchers %s", rule.GroupBy, rule.Matchers)
	}
	rec = alice.get(t, "/rules/"+idStr(rule.ID))
	wantStatus(t, rec, http.StatusOK)
	if !strings.Contains(rec.Body.String(), `value="alertname, host.keyword, 机房"`) {
		t.Errorf("the edit form does not show the group-by list back")
	}
	if err := is.pipe.Reload(ctx); err != nil {
		t.Fatal(err)
	}

	labels := map[string]string{"host.keyword": "db-1", "customer-environment": "prod", "机房": "上海", "00": "zero"}
	rec = is.post(t, "/api/v1/alerts/alertmanager", is.teamToken, amBody(t, "alertmanager-webhook.json", labels, nil))
	wantStatus(t, rec, http.StatusAccepted)
	if a := answer(t, rec); a.Stored != 1 || a.Refused != 0 {
		t.Fatalf("answer %+v, want 1 stored", a)
	}
	stored := is.storedAlerts(t)
	if len(stored) != 1 || stored[0].Labels["host.keyword"] != "db-1" || !slices.Contains(stored[0].MatchedRules, rule.ID) {
		t.Fatalf("stored %+v, want the alert matched by rule %d", stored, rule.ID)
	}
	if err := is.pipe.FlushDue(ctx); err != nil {
		t.Fatal(err)
	}
	var msg db.Notification
	deadline := time.Now().Add(10 * time.Second)
	for msg.ID == 0 {
		ns, err := is.DB.NotificationsForAlert(ctx, stored[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ns) > 0 {
			if msg, err = is.DB.NotificationByID(ctx, ns[0].ID); err != nil {
				t.Fatal(err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no notification carried the alert")
		}
		_ = is.pipe.FlushDue(ctx)
	}
	if !strings.Contains(msg.Title, "db-1 in 上海") || !strings.Contains(msg.Body, "prod/zero") {
		t.Errorf("notification %q / %q, want the UTF-8 labels rendered", msg.Title, msg.Body)
	}

	rec = alice.get(t, "/alerts/"+idStr(stored[0].ID))
	wantStatus(t, rec, http.StatusOK)
	why := bodyText(rec)
	for _, want := range []string{"host.keyword", "机房", "All matchers matched", `"host.keyword"="db-1"`} {
		if !strings.Contains(why, want) {
			t.Errorf("why page lacks %q", want)
		}
	}

	rec = alice.postForm(t, "/silences", url.Values{"team_id": {idStr(is.TeamA.ID)}, "matchers": {`{"host.keyword"="db-1", 机房=~"上.*"}`},
		"duration": {"2h"}, "comment": {"maintenance"}}, false)
	wantStatus(t, rec, http.StatusSeeOther)
	sils, err := is.DB.Silences(ctx, db.AllTeams)
	if err != nil || len(sils) != 1 || !(alerting.Silence{Matchers: sils[0].Matchers, StartsAt: sils[0].StartsAt, EndsAt: sils[0].EndsAt}).Mutes(stored[0].Labels, is.DB.Now()) ||
		sils[0].Matchers.String() != `{"host.keyword"="db-1", "机房"=~"上.*"}` {
		t.Fatalf("silences = %+v, %v", sils, err)
	}
	if list := bodyText(alice.get(t, "/silences")); !strings.Contains(list, `"host.keyword"="db-1"`) {
		t.Errorf("the silences list does not show the quoted name")
	}
}

type countingObserver struct {
	mu                 sync.Mutex
	refused            map[string]int // "source/reason"
	clamped, truncated int
}

func (o *countingObserver) Refused(source, reason string, n int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.refused[source+"/"+reason] += n
}
func (o *countingObserver) Clamped(_ string, n int) { o.mu.Lock(); o.clamped += n; o.mu.Unlock() }
func (o *countingObserver) Truncated(n int)         { o.mu.Lock(); o.truncated += n; o.mu.Unlock() }

// On the Alertmanager and Grafana endpoints one bad alert no longer loses the others: they
// are stored, the bad one is refused with its reason (answer, intake errors, metric), 2xx.
// On the console's own API the same body is refused whole with a 400 naming the field.
func TestIntakeOneBadAlertAmongGoodOnes(t *testing.T) {
	bad := []struct {
		name, field, reason string
		edit                func(a map[string]any)
		apiAlert            string
	}{
		{"label name with a control character", "alerts[1].labels", "labels",
			func(a map[string]any) { a["labels"].(map[string]any)["bad\x01name"] = "x" },
			`{"labels":{"alertname":"b","bad\u0001name":"x"}}`},
		{"startsAt year 0000", "alerts[1].startsAt", "startsAt",
			func(a map[string]any) { a["startsAt"] = "0000-01-01T00:00:00Z" },
			`{"labels":{"alertname":"b"},"startsAt":"0000-01-01T00:00:00Z"}`},
		{"startsAt year 9999", "alerts[1].startsAt", "startsAt",
			func(a map[string]any) { a["startsAt"] = "9999-12-31T00:00:00Z" },
			`{"labels":{"alertname":"b"},"startsAt":"9999-12-31T00:00:00Z"}`},
		{"endsAt before startsAt", "alerts[1].endsAt", "endsAt",
			func(a map[string]any) { a["endsAt"] = "2026-11-23T00:00:00Z" },
			`{"status":"resolved","labels":{"alertname":"b"},"startsAt":"2026-11-24T00:00:00Z","endsAt":"2026-11-23T00:00:00Z"}`},
		{"status of the wrong type", "alerts[1].status", "status",
			func(a map[string]any) { a["status"] = 7 },
			`{"labels":{"alertname":"b"},"status":7}`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			obs := &countingObserver{refused: map[string]int{}}
			is := newIntakeServerWith(t, func(d *handlers.Deps) { d.IntakeObserver = obs })
			for _, ep := range []struct{ path, source string }{{"/api/v1/alerts/alertmanager", "alertmanager"}, {"/api/v1/alerts/grafana", "grafana"}} {
				// Without the sample's fingerprints, the "via" label keeps the two endpoints' alerts apart.
				body := amBody(t, "alertmanager-webhook-grouped.json", map[string]string{"via": ep.source},
					func(_ int, a map[string]any) { delete(a, "fingerprint") })
				// Three alerts: the grouped sample's two, and a third that edit spoils.
				var env map[string]any
				_ = json.Unmarshal(body, &env)
				list := env["alerts"].([]any)
				spoiled := map[string]any{}
				b, _ := json.Marshal(list[0])
				_ = json.Unmarshal(b, &spoiled)
				spoiled["labels"].(map[string]any)["instance"] = "spoiled"
				tc.edit(spoiled)
				env["alerts"] = []any{list[0], spoiled, list[1]}
				if ep.source == "grafana" {
					env["version"] = "1"
				}
				body, _ = json.Marshal(env)

				rec := is.post(t, ep.path, is.teamToken, body)
				wantStatus(t, rec, http.StatusAccepted)
				a := answer(t, rec)
				if a.Alerts != 3 || a.Stored != 2 || a.Refused != 1 || a.Status != "partly accepted" || len(a.Errors) != 1 ||
					a.Errors[0].Field != tc.field || a.Errors[0].Index != 1 || a.Errors[0].Kind != "refused" {
					t.Fatalf("%s: answer %s", ep.source, rec.Body)
				}
				if got := obs.refused[ep.source+"/"+tc.reason]; got != 1 {
					t.Errorf("%s: metric refused{%s} = %d, want 1 (%v)", ep.source, tc.reason, got, obs.refused)
				}
			}
			if n := len(is.storedAlerts(t)); n != 4 {
				t.Errorf("stored %d alerts, want 4 (two per endpoint)", n)
			}
			errs := is.intakeErrors(t)
			if len(errs) != 2 || errs[0].Kind != db.IntakeRefused || errs[0].Field != tc.field || errs[0].Reason == "" ||
				errs[0].TeamID != is.TeamA.ID || errs[0].AlertName != "NodeDown" || errs[0].AlertIndex != 1 || errs[0].Alerts != 3 {
				t.Fatalf("intake errors = %+v", errs)
			}
			// The operator sees them, with the reason, on the intake errors screen.
			alice := is.login(t, "alice", testPassword)
			page := bodyText(alice.get(t, "/intake-errors"))
			if strings.Count(page, `data-testid="intake-error-row"`) != 2 || !strings.Contains(page, tc.field) ||
				!strings.Contains(page, "NodeDown (#2 of 3)") {
				t.Errorf("intake errors screen:\n%s", page)
			}
			if bob := is.login(t, "bob", testPassword); strings.Contains(bodyText(bob.get(t, "/intake-errors")), tc.field) {
				t.Errorf("another team's member sees alpha's intake errors")
			}

			// The console's own API: all or nothing, 400 naming the field.
			before := len(is.storedAlerts(t))
			rec := is.post(t, "/api/v1/alerts", is.teamToken, []byte(`[{"labels":{"alertname":"good"}},`+tc.apiAlert+`]`))
			wantStatus(t, rec, http.StatusBadRequest)
			if a := answer(t, rec); !strings.HasPrefix(a.Field, "[1].") || !strings.Contains(a.Error, strings.TrimPrefix(tc.field, "alerts[1].")) {
				t.Errorf("API answer %s, want the field [1].… named", rec.Body)
			}
			if after := len(is.storedAlerts(t)); after != before {
				t.Errorf("the API stored %d alerts from a refused body", after-before)
			}
		})
	}
}

// Every alert of the body refused: 2xx still (Alertmanager would drop a 4xx anyway), the
// answer says so, and nothing reaches the pipeline.
func TestIntakeAllAlertsRefused(t *testing.T) {
	is := newIntakeServer(t)
	body := amBody(t, "alertmanager-webhook-grouped.json", nil, func(_ int, a map[string]any) { a["startsAt"] = "0000-01-01T00:00:00Z" })
	rec := is.post(t, "/api/v1/alerts/alertmanager", globalToken, body)
	wantStatus(t, rec, http.StatusAccepted)
	if a := answer(t, rec); a.Status != "refused" || a.Stored != 0 || a.Refused != 2 {
		t.Errorf("answer %s", rec.Body)
	}
	if n := len(is.storedAlerts(t)); n != 0 {
		t.Errorf("%d stored", n)
	}
	// A global token's errors are seen by every team, as its alerts are.
	if page := bodyText(is.login(t, "bob", testPassword).get(t, "/intake-errors")); strings.Count(page, `data-testid="intake-error-row"`) != 2 {
		t.Errorf("bob does not see the global token's intake errors:\n%s", page)
	}
}

// A resolve is never dropped for an odd endsAt: it is stored with endsAt = startsAt and
// the correction is recorded and answered. The zero endsAt of a firing alert is absent.
func TestIntakeResolveWithOddEndsAtIsClamped(t *testing.T) {
	obs := &countingObserver{refused: map[string]int{}}
	is := newIntakeServerWith(t, func(d *handlers.Deps) { d.IntakeObserver = obs })
	for i, endsAt := range []string{"2026-11-24T01:00:00Z", "9999-01-01T00:00:00Z", "0001-01-01T00:00:00Z"} {
		body := amBody(t, "alertmanager-webhook-resolved.json", map[string]string{"case": fmt.Sprint(i)}, func(_ int, a map[string]any) {
			a["endsAt"] = endsAt
			delete(a, "fingerprint")
		})
		rec := is.post(t, "/api/v1/alerts/alertmanager", globalToken, body)
		wantStatus(t, rec, http.StatusAccepted)
		a := answer(t, rec)
		if a.Stored != 1 || a.Clamped != 1 || a.Refused != 0 || a.Errors[0].Kind != "clamped" || a.Errors[0].Field != "alerts[0].endsAt" {
			t.Fatalf("endsAt %s: answer %s", endsAt, rec.Body)
		}
	}
	for _, s := range is.storedAlerts(t) {
		if s.Status != "resolved" || !s.EndsAt.Equal(s.StartsAt) {
			t.Errorf("stored %s endsAt %v startsAt %v, want endsAt = startsAt", s.Status, s.EndsAt, s.StartsAt)
		}
	}
	if errs := is.intakeErrors(t); len(errs) != 3 || errs[0].Kind != db.IntakeClamped || obs.clamped != 3 {
		t.Errorf("intake errors %+v, clamped metric %d", errs, obs.clamped)
	}
	// Firing with Alertmanager's zero endsAt: stored, nothing clamped.
	rec := is.post(t, "/api/v1/alerts/grafana", globalToken, []byte(`{"version":"1","alerts":[{"status":"firing","labels":{"alertname":"Z"},
		"startsAt":"2026-11-24T01:00:00Z","endsAt":"0001-01-01T00:00:00Z","values":{"B":1}}]}`))
	wantStatus(t, rec, http.StatusAccepted)
	if a := answer(t, rec); a.Stored != 1 || a.Clamped != 0 || a.Refused != 0 {
		t.Errorf("zero endsAt: %s", rec.Body)
	}
	// The API refuses instead: its caller can fix the time.
	rec = is.post(t, "/api/v1/alerts", globalToken, []byte(`{"status":"resolved","labels":{"alertname":"R"},"startsAt":"2026-11-24T02:00:00Z","endsAt":"9999-01-01T00:00:00Z"}`))
	wantStatus(t, rec, http.StatusBadRequest)
	if a := answer(t, rec); a.Field != "endsAt" {
		t.Errorf("API answer %s, want field endsAt", rec.Body)
	}
}

func TestIntakeFifteenHundredAlertsAndTruncatedAlerts(t *testing.T) {
	obs := &countingObserver{refused: map[string]int{}}
	is := newIntakeServerWith(t, func(d *handlers.Deps) { d.IntakeObserver = obs })
	rec := is.post(t, "/api/v1/alerts/alertmanager", is.teamToken, manyAlertsBody(t, 1500, "firing"))
	wantStatus(t, rec, http.StatusAccepted)
	if a := answer(t, rec); a.Stored != 1500 || a.Alerts != 1500 {
		t.Fatalf("answer %s", rec.Body)
	}
	if n := countAlerts(t, is); n != 1500 {
		t.Errorf("stored %d alerts, want 1500", n)
	}

	// Alertmanager's truncatedAlerts (max_alerts) is answered, logged, counted and recorded.
	body := amBody(t, "alertmanager-webhook-grouped.json", nil, nil)
	body = bytes.Replace(body, []byte(`"truncatedAlerts":0`), []byte(`"truncatedAlerts":98`), 1)
	rec = is.post(t, "/api/v1/alerts/alertmanager", is.teamToken, body)
	wantStatus(t, rec, http.StatusAccepted)
	if a := answer(t, rec); a.TruncatedAlerts != 98 || a.Stored != 2 {
		t.Errorf("answer %s, want truncatedAlerts 98", rec.Body)
	}
	errs := is.intakeErrors(t)
	if len(errs) != 1 || errs[0].Kind != db.IntakeTruncated || errs[0].Alerts != 98 || obs.truncated != 98 {
		t.Errorf("intake errors %+v, truncated metric %d", errs, obs.truncated)
	}
}

func countAlerts(t *testing.T, is *intakeServer) int {
	t.Helper()
	n := 0
	f := db.AlertFilter{Limit: 200}
	for {
		alerts, more, err := is.DB.Alerts(context.Background(), db.AllTeams, f)
		if err != nil {
			t.Fatal(err)
		}
		n += len(alerts)
		if !more {
			return n
		}
		last := alerts[len(alerts)-1]
		f.Before = &db.AuditCursor{At: last.ReceivedAt.UnixMilli(), ID: last.ID}
	}
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Bodies are bounded by bytes, after gzip: a gzip body is read, a zip bomb gets 413 as a
// plain body over the limit does, and JSON is read whatever the Content-Type.
func TestIntakeBodyLimitAndGzip(t *testing.T) {
	obs := &countingObserver{refused: map[string]int{}}
	is := newIntakeServerWith(t, func(d *handlers.Deps) {
		d.Config.IntakeMaxBytes = 1 << 20
		d.IntakeObserver = obs
	})
	plain := amBody(t, "alertmanager-webhook.json", nil, nil)
	rec := is.postWith(t, "/api/v1/alerts/alertmanager", globalToken, gzipped(t, plain), map[string]string{"Content-Encoding": "gzip"})
	wantStatus(t, rec, http.StatusAccepted)
	if a := answer(t, rec); a.Stored != 1 {
		t.Fatalf("gzip body: %s", rec.Body)
	}
	rec = is.postWith(t, "/api/v1/alerts", globalToken, gzipped(t, []byte(`{"labels":{"alertname":"zipped"}}`)),
		map[string]string{"Content-Encoding": "GZIP", "Content-Type": "text/plain"})
	wantStatus(t, rec, http.StatusAccepted)

	// 1,500 realistic alerts take about 1.7 MB, 170 KB gzipped: over the 1 MiB limit once decoded.
	big := manyAlertsBody(t, 1500, "firing")
	if len(big) <= 1<<20 {
		t.Fatalf("test body is only %d bytes", len(big))
	}
	bomb := gzipped(t, append([]byte(`{"alerts":[{"labels":{"x":"`), make([]byte, 64<<20)...))
	for _, tc := range []struct {
		name   string
		body   []byte
		header map[string]string
		status int
	}{
		{"plain body over the limit", big, nil, http.StatusRequestEntityTooLarge},
		{"gzip body over the limit once decoded", gzipped(t, big), map[string]string{"Content-Encoding": "gzip"}, http.StatusRequestEntityTooLarge},
		{"zip bomb", bomb, map[string]string{"Content-Encoding": "gzip"}, http.StatusRequestEntityTooLarge},
		{"gzip header on plain JSON", plain, map[string]string{"Content-Encoding": "gzip"}, http.StatusBadRequest},
		{"gzip cut short", gzipped(t, plain)[:200], map[string]string{"Content-Encoding": "gzip"}, http.StatusBadRequest},
		{"unsupported encoding", plain, map[string]string{"Content-Encoding": "br"}, http.StatusUnsupportedMediaType},
	} {
		rec := is.postWith(t, "/api/v1/alerts/alertmanager", globalToken, tc.body, tc.header)
		wantStatus(t, rec, tc.status)
		if a := answer(t, rec); a.Field != "body" || a.Error == "" {
			t.Errorf("%s: answer %s", tc.name, rec.Body)
		}
	}
	if len(bomb) > 1<<20 {
		t.Errorf("the bomb is %d bytes compressed: it should get in under the limit", len(bomb))
	}
	if n := countAlerts(t, is); n != 2 {
		t.Errorf("stored %d alerts, want 2", n)
	}
	if obs.refused["alertmanager/too_large"] != 3 || obs.refused["alertmanager/body"] != 3 {
		t.Errorf("refused metric %v", obs.refused)
	}
	// Body refusals of Alertmanager are on the intake errors screen: its operator sees no 4xx.
	errs := is.intakeErrors(t)
	if len(errs) != 6 || errs[0].Kind != db.IntakeBody || !strings.Contains(errs[len(errs)-1].Reason, "larger than the limit of 1 MiB") {
		t.Errorf("intake errors %+v", errs)
	}
}

// The default body limit takes 10,000 realistic Alertmanager alerts (a Kubernetes alert
// with eleven labels, three annotations and a long generatorURL) with room to spare.
func TestDefaultBodyLimitFitsTenThousandAlerts(t *testing.T) {
	body := manyAlertsBody(t, 10_000, "firing")
	t.Logf("10,000 alerts: %d bytes (%.0f per alert); default limit %d", len(body), float64(len(body))/10_000, handlers.DefaultIntakeMaxBytes)
	if int64(len(body))*2 > handlers.DefaultIntakeMaxBytes {
		t.Errorf("10,000 alerts take %d bytes: less than twice that is left in the default limit of %d", len(body), handlers.DefaultIntakeMaxBytes)
	}
}

// failingPipeline refuses to store anything, as a pipeline that is shutting down does.
type failingPipeline struct{}

func (failingPipeline) Ingest(context.Context, int64, []alerting.Alert) (pipeline.IngestResult, error) {
	return pipeline.IngestResult{}, pipeline.ErrStopped
}
func (failingPipeline) ReloadAsync() {}

// "alerts not stored" is logged when, and only when, alerts were not stored.
func TestIntakeLogsNotStoredOnlyWhenNotStored(t *testing.T) {
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	is := newIntakeServerWith(t, func(d *handlers.Deps) { d.Log = log })
	refused := amBody(t, "alertmanager-webhook.json", nil, func(_ int, a map[string]any) { a["startsAt"] = "0000-01-01T00:00:00Z" })
	wantStatus(t, is.post(t, "/api/v1/alerts/alertmanager", globalToken, amBody(t, "alertmanager-webhook.json", nil, nil)), http.StatusAccepted)
	wantStatus(t, is.post(t, "/api/v1/alerts/alertmanager", globalToken, refused), http.StatusAccepted)
	if strings.Contains(logs.String(), "alerts not stored") {
		t.Errorf("stored or refused alerts logged as not stored:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "intake: alerts refused") {
		t.Errorf("the refusal is not logged:\n%s", logs.String())
	}

	failing := newIntakeServerWith(t, func(d *handlers.Deps) { d.Log = log; d.Pipeline = failingPipeline{} })
	rec := failing.post(t, "/api/v1/alerts/alertmanager", globalToken, amBody(t, "alertmanager-webhook.json", nil, nil))
	wantStatus(t, rec, http.StatusInternalServerError)
	if !strings.Contains(logs.String(), "alerts not stored") {
		t.Errorf("a failed store is not logged")
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
