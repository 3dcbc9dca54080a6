package alerting

import (
	"slices"
	"time"
)

// Sources of alerts, as stored in Alert.Source.
const (
	SourceAlertmanager = "alertmanager"
	SourceGrafana      = "grafana"
	SourceAPI          = "api"
)

// Alert statuses.
const (
	StatusFiring   = "firing"
	StatusResolved = "resolved"
)

// Alert is one normalised alert from any source.
type Alert struct {
	Source       string // SourceAlertmanager, SourceGrafana or SourceAPI
	Fingerprint  string // the sender's when given, else Fingerprint(Labels)
	Status       string // StatusFiring or StatusResolved
	Labels       map[string]string
	Annotations  map[string]string
	Values       map[string]float64 // Grafana "values"; the API's "value" becomes {"value": v}; Alertmanager: none
	StartsAt     time.Time          // zero when the sender gave none (API only); the caller fills in the receive time
	EndsAt       time.Time          // zero while firing; set when resolved
	GeneratorURL string
	GroupKey     string // Alertmanager's/Grafana's groupKey, informational
	// SourceTruncated counts the alerts the sender left out of the body this alert came in
	// (Alertmanager's and Grafana's truncatedAlerts, set by their max_alerts).
	SourceTruncated int
}

// Value returns the alert's value for metric. With metric "" it returns the
// only value when there is exactly one, else the one named "value".
func (a Alert) Value(metric string) (float64, bool) {
	if metric == "" {
		if len(a.Values) == 1 {
			for _, v := range a.Values {
				return v, true
			}
		}
		metric = "value"
	}
	v, ok := a.Values[metric]
	return v, ok
}

// Name returns the alert's alertname label.
func (a Alert) Name() string { return a.Labels["alertname"] }

// Firing reports whether the alert is firing.
func (a Alert) Firing() bool { return a.Status == StatusFiring }

const (
	fnvOffset64 = 14695981039346656037
	fnvPrime64  = 1099511628211
	sepByte     = 0xff
)

// Fingerprint returns a stable 16-hex-digit identity for a label set: FNV-1a
// 64 over the pairs sorted by name, each name and value followed by 0xff. It
// is the same hash Prometheus and Alertmanager use (model.LabelSet.Fingerprint),
// so an alert gets the same fingerprint whether Alertmanager computed it or we
// did, and whatever the order of the labels.
func Fingerprint(labels map[string]string) string {
	var buf [32]string
	names := buf[:0]
	for name := range labels {
		names = append(names, name)
	}
	slices.Sort(names)
	h := uint64(fnvOffset64)
	for _, name := range names {
		h = fnvAdd(h, name)
		h = (h ^ sepByte) * fnvPrime64
		h = fnvAdd(h, labels[name])
		h = (h ^ sepByte) * fnvPrime64
	}
	return hex16(h)
}

func fnvAdd(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime64
	}
	return h
}

func hex16(h uint64) string {
	const digits = "0123456789abcdef"
	var b [16]byte
	for i := 15; i >= 0; i-- {
		b[i] = digits[h&0xf]
		h >>= 4
	}
	return string(b[:])
}
