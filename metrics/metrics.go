// Package metrics holds every Prometheus collector of the console, registered on one
// dedicated registry (not the global default), and the http.Handler that serves it at
// /metrics. Names start with alertdesk_.
//
// The intake counts what it receives:
//
//	metrics.AlertsReceived.WithLabelValues("alertmanager").Add(float64(n))
//
// The delivery engine reports through Engine, which satisfies delivery.Observer.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry is the console's own registry; Handler serves it.
var Registry = prometheus.NewRegistry()

var (
	// AlertsReceived counts alerts accepted by the intake, by source
	// (alertmanager, grafana, api).
	AlertsReceived = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "alertdesk_alerts_received_total",
		Help: "Alerts accepted by the intake, by source.",
	}, []string{"source"})

	// IntakeRefused counts alerts the intake refused, by source and reason: the field
	// that was wrong (labels, startsAt, endsAt, status, …) for one alert left out of a
	// body whose other alerts were stored, "body" for each alert of a body that could not
	// be read at all (counted as one when it could not be counted), "too_large" for a body
	// over the size limit.
	IntakeRefused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "alertdesk_intake_alerts_refused_total",
		Help: "Alerts refused by the intake, by source and reason.",
	}, []string{"source", "reason"})

	// IntakeClamped counts resolves stored with their endsAt corrected, by source.
	IntakeClamped = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "alertdesk_intake_resolves_clamped_total",
		Help: "Resolved alerts stored with an impossible or missing endsAt replaced by startsAt, by source.",
	}, []string{"source"})

	// IntakeTruncated counts alerts that Alertmanager left out of its bodies
	// (truncatedAlerts, set when a receiver has max_alerts).
	IntakeTruncated = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "alertdesk_intake_alerts_truncated_total",
		Help: "Alerts Alertmanager reported as left out of its webhook bodies (truncatedAlerts).",
	})

	// GroupFlushFailures counts group flushes that failed and will be retried with backoff
	// (a template, a robot gone, the database); other groups flush on regardless.
	GroupFlushFailures = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "alertdesk_group_flush_failures_total",
		Help: "Alert group flushes that failed and are retried with backoff.",
	})

	// Notifications counts what became of notifications, by outcome (delivered, retry,
	// rate_limited, misconfigured, rejected, expired, folded), platform and robot id.
	Notifications = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "alertdesk_notifications_total",
		Help: "Notification outcomes (one per send attempt, fold or expiry), by outcome, platform and robot id.",
	}, []string{"outcome", "platform", "robot"})

	// QueueDepth is the number of pending notifications in the outbox, by state.
	QueueDepth = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "alertdesk_outbox_queue_depth",
		Help: "Pending notifications in the outbox, by state (queued, retrying, sending).",
	}, []string{"state"})

	// SendLatency is the time from request to classified answer, by platform.
	SendLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "alertdesk_send_latency_seconds",
		Help:    "Latency of webhook sends, from request to answer, by platform.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"platform"})

	// Retries counts sends that will be retried, by platform and class (retry, rate_limited).
	Retries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "alertdesk_notification_retries_total",
		Help: "Sends scheduled for another attempt, by platform and class.",
	}, []string{"platform", "class"})

	// Digests counts digests created by the send governor, by platform.
	Digests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "alertdesk_digests_total",
		Help: "Digest notifications created because a robot's backlog exceeded its rate limit, by platform.",
	}, []string{"platform"})

	// Folded counts notifications folded into digests, by platform.
	Folded = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "alertdesk_notifications_folded_total",
		Help: "Notifications folded into a digest, by platform.",
	}, []string{"platform"})

	// ThrottleWaits counts the times the send governor held a robot back to stay within
	// the platform's rate limit, by platform.
	ThrottleWaits = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "alertdesk_throttle_waits_total",
		Help: "Times the send governor made a robot wait to stay within its rate limit, by platform.",
	}, []string{"platform"})

	// ConsoleRole says which roles this console holds (1) or not (0), labelled with the
	// console's id, so that several consoles scraped side by side tell which one flushes,
	// sends and runs the jobs.
	ConsoleRole = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "alertdesk_console_role_held",
		Help: "1 when this console holds the role (pipeline, delivery, jobs), else 0.",
	}, []string{"console", "role"})
	// ConsoleHeartbeat is the time of this console's last heartbeat in the database.
	ConsoleHeartbeat = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "alertdesk_console_heartbeat_timestamp_seconds",
		Help: "Unix time of this console's last heartbeat written to the database.",
	}, []string{"console"})
)

// Console reports this console's roles and heartbeat (called after every heartbeat).
func Console(id string, all, held []string, at time.Time) {
	for _, r := range all {
		v := 0.0
		for _, h := range held {
			if h == r {
				v = 1
			}
		}
		ConsoleRole.WithLabelValues(id, r).Set(v)
	}
	ConsoleHeartbeat.WithLabelValues(id).Set(float64(at.UnixMilli()) / 1000)
}

func init() {
	Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		AlertsReceived, IntakeRefused, IntakeClamped, IntakeTruncated, GroupFlushFailures, Notifications, QueueDepth, SendLatency, Retries, Digests, Folded, ThrottleWaits,
		ConsoleRole, ConsoleHeartbeat,
	)
	for _, s := range []string{"queued", "retrying", "sending"} {
		QueueDepth.WithLabelValues(s)
	}
}

// Pipeline reports the alert pipeline's events; it satisfies pipeline.Observer.
type Pipeline struct{}

// Received counts stored alerts by source.
func (Pipeline) Received(source string, n int) {
	AlertsReceived.WithLabelValues(source).Add(float64(n))
}

// FlushFailed counts a failed group flush.
func (Pipeline) FlushFailed() { GroupFlushFailures.Inc() }

// Intake reports what the intake refused or corrected; it satisfies handlers.IntakeObserver.
type Intake struct{}

// Refused counts n refused alerts of a source for a reason.
func (Intake) Refused(source, reason string, n int) {
	IntakeRefused.WithLabelValues(source, reason).Add(float64(n))
}

// Clamped counts n resolves stored with a corrected endsAt.
func (Intake) Clamped(source string, n int) { IntakeClamped.WithLabelValues(source).Add(float64(n)) }

// Truncated counts n alerts Alertmanager left out of a body.
func (Intake) Truncated(n int) { IntakeTruncated.Add(float64(n)) }

// Handler serves the registry in the Prometheus exposition format.
func Handler() http.Handler {
	return promhttp.HandlerFor(Registry, promhttp.HandlerOpts{Registry: Registry})
}

// Engine reports the delivery engine's events into the collectors above; it satisfies
// delivery.Observer.
type Engine struct{}

// Outcome counts one notification outcome; latency is observed for real sends (> 0).
func (Engine) Outcome(platform string, robotID int64, outcome string, latency time.Duration) {
	Notifications.WithLabelValues(outcome, platform, strconv.FormatInt(robotID, 10)).Inc()
	if latency > 0 {
		SendLatency.WithLabelValues(platform).Observe(latency.Seconds())
	}
	if outcome == "retry" || outcome == "rate_limited" {
		Retries.WithLabelValues(platform, outcome).Inc()
	}
}

// Digest counts one fold of n notifications into a digest (created is false when they
// were added to a digest that was already waiting).
func (Engine) Digest(platform string, n int, created bool) {
	if created {
		Digests.WithLabelValues(platform).Inc()
	}
	Folded.WithLabelValues(platform).Add(float64(n))
}

// ThrottleWait counts one wait of the send governor.
func (Engine) ThrottleWait(platform string) { ThrottleWaits.WithLabelValues(platform).Inc() }

// QueueDepth sets the outbox gauge.
func (Engine) QueueDepth(byState map[string]int) {
	for s, n := range byState {
		QueueDepth.WithLabelValues(s).Set(float64(n))
	}
}
