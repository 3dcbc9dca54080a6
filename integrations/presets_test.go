package integrations

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"alertdesk/alerting"
)

// receivedAt is when the tests pretend every payload arrived.
var receivedAt = time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)

type wantAlert struct {
	name     string
	status   string
	labels   map[string]string // a subset that must be present
	absent   []string          // labels that must not be present
	starts   time.Time
	ends     time.Time // checked when not zero
	value    *float64
	url      string
	annotate map[string]string
}

func num(f float64) *float64 { return &f }

func convertFixture(t *testing.T, preset, file string, at time.Time) []alerting.Alert {
	t.Helper()
	p, ok := PresetByID(preset)
	if !ok {
		t.Fatalf("no preset %q", preset)
	}
	c, err := Compile(p.Mapping)
	if err != nil {
		t.Fatalf("preset %s does not compile: %v", preset, err)
	}
	body, err := os.ReadFile(filepath.Join("testdata", preset, file))
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Convert(context.Background(), body, p.ContentType, at)
	if err != nil {
		t.Fatalf("%s/%s: %v", preset, file, err)
	}
	return res.Alerts
}

func checkAlerts(t *testing.T, got []alerting.Alert, want []wantAlert) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d alerts, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		a := got[i]
		if a.Name() != w.name {
			t.Errorf("[%d] alertname = %q, want %q", i, a.Name(), w.name)
		}
		if a.Status != w.status {
			t.Errorf("[%d] status = %q, want %q", i, a.Status, w.status)
		}
		if a.Source != Source {
			t.Errorf("[%d] source = %q, want %q", i, a.Source, Source)
		}
		for k, v := range w.labels {
			if a.Labels[k] != v {
				t.Errorf("[%d] label %s = %q, want %q (labels %v)", i, k, a.Labels[k], v, a.Labels)
			}
		}
		for _, k := range w.absent {
			if _, ok := a.Labels[k]; ok {
				t.Errorf("[%d] label %s is set (%q), want it absent", i, k, a.Labels[k])
			}
		}
		for k, v := range w.annotate {
			if a.Annotations[k] != v {
				t.Errorf("[%d] annotation %s = %q, want %q", i, k, a.Annotations[k], v)
			}
		}
		if !a.StartsAt.Equal(w.starts) {
			t.Errorf("[%d] startsAt = %v, want %v", i, a.StartsAt, w.starts)
		}
		if !w.ends.IsZero() && !a.EndsAt.Equal(w.ends) {
			t.Errorf("[%d] endsAt = %v, want %v", i, a.EndsAt, w.ends)
		}
		if w.status == alerting.StatusResolved && a.EndsAt.IsZero() {
			t.Errorf("[%d] resolved without endsAt", i)
		}
		if w.value != nil {
			if v, ok := a.Value(""); !ok || v != *w.value {
				t.Errorf("[%d] value = %v (%v), want %v", i, v, ok, *w.value)
			}
		}
		if w.url != "" && a.GeneratorURL != w.url {
			t.Errorf("[%d] source link = %q, want %q", i, a.GeneratorURL, w.url)
		}
	}
}

// Each preset maps its tool's firing and resolved fixtures, and the two meet under one
// fingerprint so the resolve closes the alert the firing opened.
func TestPresetFixtures(t *testing.T) {
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	tests := []struct {
		preset, firing, resolved string
		wantFiring, wantResolved []wantAlert
		at                       time.Time // when the payloads arrive; zero: receivedAt
	}{
		{"plain", "firing.json", "resolved.json",
			[]wantAlert{{name: "Order queue backlog", status: "firing", starts: utc("2026-11-24T02:09:55Z"), value: num(12408),
				labels: map[string]string{"severity": "critical", "host": "mq-02.prod", "service": "orders", "team": "commerce", "env": "prod"},
				url:    "https://ops.example.com/queues/orders.created"}},
			[]wantAlert{{name: "Order queue backlog", status: "resolved", starts: utc("2026-11-24T02:09:55Z"), ends: receivedAt.Add(time.Hour), value: num(42),
				labels: map[string]string{"severity": "critical"}}}, time.Time{}},
		{"zabbix", "firing.json", "resolved.json",
			[]wantAlert{{name: "Linux: High CPU utilization (over 90% for 5m)", status: "firing", starts: utc("2026-11-24T10:09:55Z"), value: num(96.4),
				labels: map[string]string{"severity": "critical", "host": "web-01", "host_ip": "192.168.10.21", "scope": "performance",
					"component": "cpu", "template": "Linux", "trigger_id": "23619"},
				url: "https://zabbix.example.com/tr_events.php?triggerid=23619&eventid=8261"}},
			[]wantAlert{{name: "Linux: High CPU utilization (over 90% for 5m)", status: "resolved", starts: utc("2026-11-24T10:09:55Z"),
				ends: utc("2026-11-24T10:21:07Z"), value: num(41.2), labels: map[string]string{"severity": "critical", "host": "web-01"}}}, time.Time{}},
		{"cloudmonitor", "firing.form", "resolved.form",
			[]wantAlert{{name: "Basic monitoring-ECS-CPU usage", status: "firing", starts: time.UnixMilli(1795975795000), value: num(92.55),
				labels: map[string]string{"severity": "critical", "instance": "prod-web-01", "metric": "CPUUtilization",
					"instance_id": "i-bp1a7xt8ug3vgyl4****", "region": "cn-hangzhou"},
				annotate: map[string]string{"expression": "$Average>=80"}}},
			[]wantAlert{{name: "Basic monitoring-ECS-CPU usage", status: "resolved", starts: time.UnixMilli(1795976467000), ends: time.UnixMilli(1795976467000),
				value: num(31.02), labels: map[string]string{"severity": "critical"}}}, time.Time{}},
		{"arms", "firing.json", "resolved.json",
			[]wantAlert{{name: "Container memory usage above 80%", status: "firing", starts: utc("2026-11-24T07:27:15.404Z"), value: num(85.521240234375),
				labels: map[string]string{"severity": "warning", "namespace": "arms-prom", "arms_level": "ERROR", "pod_name": "kube-state-metrics-ccb59dbff-jljg4"},
				absent: []string{"_aliyun_arms_alert_level", "_aliyun_arms_region_id"}, url: "https://arms.console.aliyun.com/#/alarm/history"}},
			[]wantAlert{{name: "Container memory usage above 80%", status: "resolved", starts: utc("2026-11-24T07:27:15.404Z"),
				ends: utc("2026-11-24T07:42:15.404Z"), value: num(61.0400390625)}}, time.Time{}},
		{"uptimekuma", "firing.json", "resolved.json",
			[]wantAlert{{name: "Monitor down: Shop front page", status: "firing", starts: utc("2026-11-24T02:09:55.527Z"),
				labels: map[string]string{"monitor": "Shop front page", "monitor_type": "http", "env": "prod", "severity": "critical"},
				url:    "https://shop.example.com/", annotate: map[string]string{"message": "getaddrinfo ENOTFOUND shop.example.com"}}},
			[]wantAlert{{name: "Monitor down: Shop front page", status: "resolved", starts: utc("2026-11-24T02:14:56.104Z"),
				ends: utc("2026-11-24T02:14:56.104Z"), value: num(182)}}, time.Time{}},
		{"vmalert", "firing.json", "resolved.json",
			[]wantAlert{{name: "DiskRunningFull", status: "firing", starts: utc("2026-11-24T02:09:55Z"),
				labels: map[string]string{"severity": "critical", "instance": "node-7:9100", "mountpoint": "/var"},
				url:    "http://vmalert.monitoring:8880/vmalert/alert?group_id=5975734424016316536&alert_id=4181545536284898532"}},
			[]wantAlert{{name: "DiskRunningFull", status: "resolved", starts: utc("2026-11-24T02:09:55Z"), ends: utc("2026-11-24T02:41:25Z")}},
			// vmalert's firing alerts carry an endsAt a few evaluation intervals ahead.
			utc("2026-11-24T02:10:00Z")},
		{"skywalking", "firing.json", "resolved.json",
			[]wantAlert{
				{name: "service_resp_time_rule", status: "firing", starts: time.UnixMilli(1560524171000),
					labels: map[string]string{"severity": "warning", "scope": "SERVICE", "service": "serviceA", "level": "WARNING"}},
				{name: "service_instance_resp_time_rule", status: "firing", starts: time.UnixMilli(1560524171000),
					labels: map[string]string{"severity": "critical", "service": "serviceB", "entity": "instance-7 of serviceB"}}},
			[]wantAlert{{name: "service_resp_time_rule", status: "resolved", starts: time.UnixMilli(1560524171000), ends: time.UnixMilli(1560524771000)}}, time.Time{}},
		{"tencent", "firing.json", "resolved.json",
			[]wantAlert{{name: "CPU utilization", status: "firing", starts: time.Date(2017, 3, 9, 7, 0, 35, 0, shanghai), value: num(100),
				labels:   map[string]string{"unInstanceId": "ins-o9p3rg3m", "region": "gz", "namespace": "qce/cvm", "policy_id": "policy-n4exeh88"},
				annotate: map[string]string{"summary": "CPU utilization > 90% (now 100%)"}}},
			[]wantAlert{{name: "CPU utilization", status: "resolved", starts: time.Date(2017, 3, 9, 7, 0, 35, 0, shanghai),
				ends: time.Date(2017, 3, 9, 7, 50, 0, 0, shanghai), value: num(35)}}, time.Time{}},
		{"huawei", "firing.json", "resolved.json",
			[]wantAlert{{name: "Node CPU usage high", status: "firing", starts: time.UnixMilli(1795975795000),
				labels: map[string]string{"severity": "critical", "resource_provider": "CCE", "resource_type": "node",
					"region": "cn-north-4", "topic": "alertdesk_aom"},
				annotate: map[string]string{"summary": "CPU usage of node 192.168.0.45 is 93.1%, above 90% for 3 minutes"}}},
			[]wantAlert{{name: "Node CPU usage high", status: "resolved", starts: time.UnixMilli(1795975795000), ends: time.UnixMilli(1795976587000)}}, time.Time{}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.preset] = true
		t.Run(tt.preset, func(t *testing.T) {
			at := tt.at
			if at.IsZero() {
				at = receivedAt
			}
			firing := convertFixture(t, tt.preset, tt.firing, at)
			checkAlerts(t, firing, tt.wantFiring)
			resolved := convertFixture(t, tt.preset, tt.resolved, at.Add(time.Hour))
			checkAlerts(t, resolved, tt.wantResolved)
			if firing[0].Fingerprint != resolved[0].Fingerprint {
				t.Errorf("firing fingerprint %s != resolved %s: the resolve would not close the alert", firing[0].Fingerprint, resolved[0].Fingerprint)
			}
		})
	}
	for _, p := range Presets() {
		if !seen[p.ID] {
			t.Errorf("preset %s has no fixture test", p.ID)
		}
		if p.Sample == "" {
			t.Errorf("preset %s has no sample", p.ID)
		}
	}
}

func TestHuaweiSubscriptionConfirmation(t *testing.T) {
	p, _ := PresetByID("huawei")
	c, err := Compile(p.Mapping)
	if err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile("testdata/huawei/subscription_confirmation.json")
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Convert(context.Background(), body, "application/json", receivedAt)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Alerts) != 0 {
		t.Errorf("a confirmation became %d alerts", len(res.Alerts))
	}
	if res.Confirmation == nil || res.Confirmation.Kind != "SubscriptionConfirmation" ||
		res.Confirmation.URL[:len("https://console.")] != "https://console." {
		t.Errorf("confirmation = %+v, want the subscribe_url", res.Confirmation)
	}
}

// An SMN message that is not an AOM event (CES sends text) still becomes an alert, named
// after the SMN subject, with the text as its summary.
func TestHuaweiTextNotification(t *testing.T) {
	p, _ := PresetByID("huawei")
	c, err := Compile(p.Mapping)
	if err != nil {
		t.Fatal(err)
	}
	body := `{"type":"Notification","topic_urn":"urn:smn:cn-north-4:0a41******:ces_alarms","message_id":"b1f0c2d3e4f5",` +
		`"subject":"[Major] ECS ecs-web-01 CPU usage above 80%","message":"Alarm name: alarm-cpu\nResource: ecs-web-01\nCPU usage: 91.2%",` +
		`"signature_version":"v1","timestamp":"2026-11-24T02:09:57Z","signature":"xx"}`
	res, err := c.Convert(context.Background(), []byte(body), "application/json", receivedAt)
	if err != nil {
		t.Fatal(err)
	}
	a := res.Alerts[0]
	if a.Name() != "[Major] ECS ecs-web-01 CPU usage above 80%" || a.Status != alerting.StatusFiring ||
		!strings.Contains(a.Annotations["summary"], "CPU usage: 91.2%") || a.Labels["topic"] != "ces_alarms" {
		t.Errorf("got %+v", a)
	}
}

func TestZabbixMediaTypeShipped(t *testing.T) {
	s := ZabbixMediaType()
	for _, want := range []string{"HttpRequest", "Authorization: Bearer", "{EVENT.ID}", "{EVENT.RECOVERY.DATE}", "{EVENT.TAGSJSON}"} {
		if !strings.Contains(s, want) {
			t.Errorf("media type script lacks %q", want)
		}
	}
}
