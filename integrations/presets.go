package integrations

import (
	"embed"
	"strings"
)

// Preset is a ready mapping for one tool, with a sample payload for "Try it" and the
// steps that connect the tool.
type Preset struct {
	ID          string
	Name        string
	Description string
	Setup       string // what to configure in the tool, plain text
	Mapping     Mapping
	// Sample is a firing payload from the fixtures (testdata/<ID>/firing.*).
	Sample string
	// ContentType of Sample as the tool sends it.
	ContentType string
	// Script is what the user pastes into the tool (Zabbix's media type), "" for none.
	Script string
}

//go:embed testdata/*/firing.* zabbix_mediatype.js
var fixtures embed.FS

// ZabbixMediaType is the media-type script users paste into Zabbix.
func ZabbixMediaType() string { return mustRead("zabbix_mediatype.js") }

func mustRead(name string) string {
	b, err := fixtures.ReadFile(name)
	if err != nil {
		panic("integrations: embedded file missing: " + name)
	}
	return string(b)
}

// Presets lists the presets in the order the screen offers them.
func Presets() []Preset {
	out := make([]Preset, 0, len(presets))
	for _, p := range presets {
		ext := ".json"
		if p.ContentType == "application/x-www-form-urlencoded" {
			ext = ".form"
		}
		p.Sample = strings.TrimSpace(mustRead("testdata/" + p.ID + "/firing" + ext))
		if p.ID == "zabbix" {
			p.Script = ZabbixMediaType()
		}
		out = append(out, p)
	}
	return out
}

// PresetByID finds a preset; ok is false for an unknown id.
func PresetByID(id string) (Preset, bool) {
	for _, p := range Presets() {
		if p.ID == id {
			return p, true
		}
	}
	return Preset{}, false
}

// Shared jq: turn an array of {key|tag|name, value} pairs into an object.
const pairsToObject = `map({key: (.key // .tag // .name | tostring), value: (.value | tostring)}) | from_entries`

var presets = []Preset{
	{
		ID:          "plain",
		Name:        "Plain JSON (one object per alert)",
		Description: "Any in-house system that posts one JSON object per alert, or an array of them, with its own field names.",
		Setup:       "Post one JSON object per alert (or an array). Edit the mapping below so that its expressions point at your fields.",
		ContentType: "application/json",
		Mapping: Mapping{
			Alerts:         `if type == "array" then .[] else . end`,
			Alertname:      `.name // .title // .alertname`,
			LabelsFrom:     `.labels // .tags // {}`,
			Labels:         map[string]string{"host": `.host // .hostname // empty`, "service": `.service // empty`},
			Annotations:    map[string]string{"summary": `.message // .summary // .description // empty`},
			Severity:       `.severity // .level // empty`,
			SeverityMap:    map[string]string{"p1": "critical", "p2": "warning", "p3": "info", "error": "critical", "warn": "warning"},
			Status:         `.status // .state // "firing"`,
			ResolvedValues: []string{"resolved", "ok", "recovered", "closed"},
			Fingerprint:    `.id // .dedup_key // empty`,
			StartsAt:       `.time // .timestamp // empty`,
			Value:          `.value // empty`,
			SourceURL:      `.url // .link // empty`,
		},
	},
	{
		ID:          "zabbix",
		Name:        "Zabbix",
		Description: "Zabbix problem and recovery events through a webhook media type (the script below).",
		Setup: "Administration → Media types → Create media type → Type: Webhook. Name it alertdesk, paste the script below, " +
			"and add the parameters the script's header lists (URL = this integration's URL, Token = its token). " +
			"Tick \"Process tags\" off, set the message templates for Problem and Problem recovery, then add the media to a user " +
			"and an action that sends to it. Set time_zone below to the Zabbix server's time zone.",
		ContentType: "application/json",
		Mapping: Mapping{
			Alertname:  `.trigger_name // .subject`,
			LabelsFrom: `(.event_tags // []) | (if type == "string" then (try fromjson catch []) else . end) | ` + pairsToObject,
			Labels: map[string]string{
				"host": `.host_name // empty`, "host_ip": `.host_ip // empty`,
				"trigger_id": `.trigger_id // empty`,
			},
			Annotations: map[string]string{
				"summary": `.trigger_name // empty`, "description": `.message // empty`,
				"opdata": `.event_opdata // empty`,
			},
			Severity: `.event_severity`,
			SeverityMap: map[string]string{
				"Disaster": "critical", "High": "critical", "Average": "warning", "Warning": "warning",
				"Information": "info", "Not classified": "info",
			},
			Status:         `.event_value`,
			ResolvedValues: []string{"0"},
			Fingerprint:    `.event_id`,
			StartsAt:       `if .event_date then .event_date + " " + .event_time else empty end`,
			EndsAt:         `if .event_recovery_date then .event_recovery_date + " " + .event_recovery_time else empty end`,
			TimeFormat:     "2006.01.02 15:04:05",
			TimeZone:       "UTC",
			Value:          `.item_value // empty | tonumber? // empty`,
			SourceURL:      `if .zabbix_url and .event_id and .trigger_id then .zabbix_url + "/tr_events.php?triggerid=" + .trigger_id + "&eventid=" + .event_id else empty end`,
			Extract:        []Extraction{{From: `.trigger_name`, Regex: `^([^:]+): `, Label: "template"}},
		},
	},
	{
		ID:          "cloudmonitor",
		Name:        "Alibaba Cloud CloudMonitor",
		Description: "CloudMonitor threshold alert callbacks (HTTP POST, form-encoded).",
		Setup: "CloudMonitor console → Alerts → Alert Rules → Modify → HTTP CallBack: the secret URL below " +
			"(CloudMonitor cannot send an Authorization header). CloudMonitor sends ALERT when the rule fires and OK when it clears.",
		ContentType: "application/x-www-form-urlencoded",
		Mapping: Mapping{
			Format:    FormatForm,
			Alertname: `.alertName // .metricName`,
			Labels: map[string]string{
				"instance": `.instanceName // empty`, "namespace": `.namespace // empty`,
				"metric": `.metricName // empty`, "rule_id": `.ruleId // empty`,
				"region": `.regionId // empty`, "product": `.metricProject // empty`,
				"instance_id": `.dimensions // "" | capture("instanceId=(?<id>[^,}]+)").id? // empty`,
			},
			Annotations: map[string]string{
				"summary": `.alertName // empty`, "expression": `.expression // empty`,
				"dimensions": `.dimensions // empty`, "last_for": `.lastTime // empty`,
			},
			// A clearing callback's triggerLevel is OK; the level it clears is preTriggerLevel.
			Severity:       `if .alertState == "OK" then .preTriggerLevel else .triggerLevel end // empty`,
			SeverityMap:    map[string]string{"CRITICAL": "critical", "WARN": "warning", "INFO": "info"},
			Status:         `.alertState`,
			ResolvedValues: []string{"OK"},
			Fingerprint:    `(.ruleId // .alertName) + "/" + (.dimensions // .instanceName // "")`,
			// An OK callback's timestamp is when the alert cleared; the callback does not
			// say when it started, so the resolve starts and ends then.
			StartsAt:   `.timestamp // empty`,
			EndsAt:     `if .alertState == "OK" then .timestamp else empty end`,
			TimeFormat: TimeUnixMS,
			Value:      `.curValue // empty | tonumber? // empty`,
		},
	},
	{
		ID:          "arms",
		Name:        "Alibaba Cloud ARMS / Prometheus",
		Description: "ARMS alert management webhooks with the $alertmanager_content body (Alertmanager format); for MSE, alert on its metrics with ARMS Prometheus alert rules (the MSE console's own rules only email, text or DingTalk).",
		Setup: "ARMS console → Alert Management → Notification Objects → Webhook → Add: Post, this integration's URL, " +
			"header Authorization: Bearer <token>, Content-Type application/json, and the body $alertmanager_content for both " +
			"the alert and the recovery template.",
		ContentType: "application/json",
		Mapping: Mapping{
			Alerts:          `.alerts[]`,
			Alertname:       `.labels.alertname`,
			LabelsFrom:      `.labels | with_entries(select(.key | startswith("_aliyun_arms_") | not))`,
			AnnotationsFrom: `.annotations | with_entries(select(.key | startswith("_aliyun_arms_") | not))`,
			Labels:          map[string]string{"arms_level": `.labels._aliyun_arms_alert_level // empty`},
			Status:          `.status`,
			Fingerprint:     `.fingerprint // empty`,
			StartsAt:        `.startsAt // empty`,
			EndsAt:          `if .status == "resolved" then .endsAt else empty end`,
			Value:           `.annotations._aliyun_arms_alert_now_value // .annotations.value // empty | tonumber? // empty`,
			SourceURL:       `.generatorURL // $body.externalURL // empty`,
		},
	},
	{
		ID:          "uptimekuma",
		Name:        "Uptime Kuma",
		Description: "Uptime Kuma's Webhook notification (application/json): a monitor going down, and up again.",
		Setup: "Settings → Notifications → Setup Notification → Notification Type: Webhook, Post URL: this integration's URL, " +
			"Request Body: application/json, Additional Headers: {\"Authorization\": \"Bearer <token>\"}.",
		ContentType: "application/json",
		Mapping: Mapping{
			Alertname: `if .monitor then "Monitor down: " + .monitor.name else "Uptime Kuma: " + .msg end`,
			Labels: map[string]string{
				"monitor": `.monitor.name // empty`, "monitor_type": `.monitor.type // empty`,
				"url":      `.monitor.url // empty | select(. != "https://")`,
				"hostname": `.monitor.hostname // empty`,
			},
			LabelsFrom:     `(.monitor.tags // []) | map({key: .name, value: (.value // "" | if . == "" then "true" else . end)}) | from_entries`,
			Annotations:    map[string]string{"summary": `.msg // empty`, "message": `.heartbeat.msg // empty`},
			Status:         `.heartbeat.status // 0 | tostring`,
			ResolvedValues: []string{"1"},
			Fingerprint:    `.monitor.id // .heartbeat.monitorID // empty`,
			StartsAt:       `.heartbeat.time // empty`,
			EndsAt:         `if .heartbeat.status == 1 then .heartbeat.time else empty end`,
			TimeFormat:     "2006-01-02 15:04:05.000",
			TimeZone:       "UTC",
			Value:          `.heartbeat.ping // empty`,
			SourceURL:      `.monitor.url // empty | select(startswith("http"))`,
			Severity:       `"critical"`,
		},
	},
	{
		ID:          "vmalert",
		Name:        "VictoriaMetrics vmalert",
		Description: "vmalert's notifier, which posts Alertmanager API v2 alerts (a JSON array; resolved alerts carry an endsAt in the past).",
		Setup: "Run vmalert with -notifier.url=<this integration's URL> and -notifier.bearerToken=<token> (or " +
			"-notifier.bearerTokenFile). vmalert appends Alertmanager's /api/v2/alerts to the URL; the console answers there too.",
		ContentType: "application/json",
		Mapping: Mapping{
			Alerts:            `.[]`,
			Alertname:         `.labels.alertname`,
			LabelsFrom:        `.labels`,
			AnnotationsFrom:   `.annotations // {}`,
			ResolvedWhenEnded: true,
			StartsAt:          `.startsAt // empty`,
			EndsAt:            `.endsAt // empty`,
			SourceURL:         `.generatorURL // empty`,
		},
	},
	{
		ID:          "skywalking",
		Name:        "Apache SkyWalking",
		Description: "SkyWalking's alarm webhook: a JSON array of AlarmMessage; from 10.3 recovered alarms carry recoveryTime.",
		Setup: "In config/alarm-settings.yml add this integration's secret URL under hooks.webhook (SkyWalking's webhook " +
			"cannot set an Authorization header), then restart the OAP or update the dynamic configuration.",
		ContentType: "application/json",
		Mapping: Mapping{
			Alerts:    `.[]`,
			Alertname: `.ruleName // "skywalking_alarm"`,
			Labels: map[string]string{
				"scope": `.scope // empty`, "entity": `.name // empty`,
				"service": `.name // "" | split(" of ") | last | split(" in ") | last`,
			},
			LabelsFrom:  `(.tags // []) | ` + pairsToObject,
			Annotations: map[string]string{"summary": `.alarmMessage // empty`},
			Severity:    `(.tags // []) | map(select(.key == "level")) | first | .value // empty`,
			SeverityMap: map[string]string{"CRITICAL": "critical", "WARNING": "warning", "INFO": "info"},
			Status:      `if (.recoveryTime // 0) > 0 then "resolved" else "firing" end`,
			Fingerprint: `(.ruleName // "") + "/" + (.scope // "") + "/" + (.id0 | tostring) + "/" + (.id1 // "" | tostring)`,
			StartsAt:    `.startTime // empty`,
			EndsAt:      `if (.recoveryTime // 0) > 0 then .recoveryTime else empty end`,
			TimeFormat:  TimeUnixMS,
		},
	},
	{
		ID:          "tencent",
		Name:        "Tencent Cloud Observability",
		Description: "Tencent Cloud Observability Platform (Cloud Monitor) API callbacks: alarmStatus 1 fires, 0 resolves.",
		Setup: "Cloud Monitor console → Alarm Management → Notification Templates → API callback: this integration's " +
			"secret URL (the callback cannot carry credentials in a header).",
		ContentType: "application/json",
		Mapping: Mapping{
			Alertname:  `.alarmPolicyInfo.conditions.metricShowName // .alarmPolicyInfo.conditions.eventShowName // .alarmPolicyInfo.policyName`,
			LabelsFrom: `.alarmObjInfo.dimensions // {}`,
			Labels: map[string]string{
				"region": `.alarmObjInfo.region // empty`, "namespace": `.alarmObjInfo.namespace // empty`,
				"policy": `.alarmPolicyInfo.policyName // empty`, "policy_id": `.alarmPolicyInfo.policyId // empty`,
				"metric": `.alarmPolicyInfo.conditions.metricName // empty`,
			},
			Annotations: map[string]string{
				"summary":     `.alarmPolicyInfo.conditions | if .metricShowName then "\(.metricShowName) \(.calcType) \(.calcValue)\(.unit // "") (now \(.currentValue)\(.unit // ""))" else (.eventShowName // empty) end`,
				"policy_type": `.alarmPolicyInfo.policyTypeCName // empty`,
			},
			Status:         `.alarmStatus | tostring`,
			ResolvedValues: []string{"0"},
			Fingerprint:    `(.alarmPolicyInfo.policyId // "") + "/" + (.alarmObjInfo.dimensions // {} | tojson) + "/" + (.alarmPolicyInfo.conditions.metricName // .alarmPolicyInfo.conditions.eventName // "")`,
			StartsAt:       `.firstOccurTime // empty`,
			EndsAt:         `if (.recoverTime // "0" | tostring) != "0" then .recoverTime else empty end`,
			TimeFormat:     "2006-01-02 15:04:05",
			TimeZone:       "Asia/Shanghai",
			Value:          `.alarmPolicyInfo.conditions.currentValue // empty | tonumber? // empty`,
		},
	},
	{
		ID:   "huawei",
		Name: "Huawei Cloud AOM / CES (via SMN)",
		Description: "Huawei Cloud alarms delivered by Simple Message Notification to an HTTPS subscription: the subscription " +
			"confirmation is answered; AOM alarms (JSON events) fire and resolve; any other SMN message, such as a CES " +
			"text notification, becomes a firing alert named after its subject.",
		Setup: "SMN console → Topics → Add Subscription → Protocol HTTPS, Endpoint: this integration's secret URL. " +
			"SMN then posts a SubscriptionConfirmation; the inbound log below shows its confirm link — open it once in a " +
			"browser to confirm (the console never calls out to the internet). Then send AOM alarm action rules, or CES " +
			"alarm rules, to that topic.",
		ContentType: "application/json",
		Mapping: Mapping{
			Protocol:  ProtocolHuaweiSMN,
			Alerts:    `if .events then .events[] else . end`,
			Alertname: `.metadata.event_name // $body.smn.subject // "Huawei Cloud alarm"`,
			Labels: map[string]string{
				"resource_provider": `.metadata.resource_provider // empty`,
				"resource_type":     `.metadata.resource_type // empty`,
				"resource_id":       `.metadata.resource_id // empty`,
				"region":            `.metadata.region // empty`,
				"topic":             `$body.smn.topic_urn // empty | split(":") | last`,
			},
			Annotations: map[string]string{
				"summary":        `.annotations.message // (.message | strings) // empty`,
				"probable_cause": `.annotations.alarm_probableCause_en_us // .annotations.alarm_probableCause_zh_cn // empty`,
			},
			Severity:    `.metadata.event_severity // empty`,
			SeverityMap: map[string]string{"Critical": "critical", "Major": "critical", "Minor": "warning", "Info": "info"},
			Status:      `if (.ends_at // 0) > 0 then "resolved" else "firing" end`,
			// An AOM alarm is one event on one resource since one start; its clearing repeats all three.
			Fingerprint: `if .metadata then [.metadata.event_name, .metadata.resource_id, .starts_at] | map(tostring) | join("/") else $body.smn.message_id end`,
			StartsAt:    `.starts_at // empty`,
			EndsAt:      `if (.ends_at // 0) > 0 then .ends_at else empty end`,
			TimeFormat:  TimeUnixMS,
		},
	},
}
