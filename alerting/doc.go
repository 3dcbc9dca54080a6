// Package alerting is the pure logic of the alert pipeline: it parses
// inbound alerts (Alertmanager, Grafana, the console's own JSON), fingerprints
// them, matches them against rules (label matchers, threshold conditions),
// groups them, applies silences and quiet hours, and renders notification
// templates. It touches no database and no HTTP.
//
// # Notification templates
//
// A rule's title and body are Go text/template templates
// (https://pkg.go.dev/text/template) over TemplateData:
//
//	.Status             "firing" if any alert in the group fires, else "resolved"
//	.Kind               "firing", "resolved" or "test"
//	.RuleName, .Severity, .Team
//	.ConsoleURL         the console's page for this notification
//	.Alerts             the alerts the message shows (at most 20 of each status); .Firing
//	                    and .Resolved split them
//	.FiringCount        firing alerts in the whole group; .ResolvedCount the resolved ones
//	                    the message reports
//	.OmittedCount       alerts counted but not shown (.OmittedFiring + .OmittedResolved)
//	.GroupURL           the console's page listing every alert of the group
//	.SourceOmitted      alerts the source left out of what it sent (Alertmanager's
//	                    truncatedAlerts, from its max_alerts)
//	.GroupLabels        the labels the rule groups by
//	.CommonLabels       labels every alert shares; .CommonAnnotations likewise
//	.Now                the time of rendering
//
// Each alert (in .Alerts, .Firing, .Resolved):
//
//	.Name               the alertname label
//	.Status             "firing" or "resolved"
//	.Labels             e.g. {{.Labels.instance}}; a missing label is "". A label name that
//	                    is not a Go identifier (host.keyword, customer-environment, 00: names
//	                    as Alertmanager 0.34 accepts them) is read with index:
//	                    {{index .Labels "host.keyword"}}; sortedPairs lists every name
//	.Annotations        e.g. {{.Annotations.summary}}, {{.Annotations.description}}
//	.Values             numeric values, e.g. {{.Values.B}} (Grafana) or {{.Values.value}} (API)
//	.StartsAt, .EndsAt  times (EndsAt is zero while firing)
//	.GeneratorURL       link to the source's rule or expression
//	.WhyURL             the console's "why was I notified?" page for the alert
//	.Fingerprint        the alert's identity
//
// Besides text/template's built-ins (if, with, range, len, index, slice, eq,
// printf, …) these functions are available:
//
//	toUpper s, toLower s    change case
//	title s                 capitalise each word
//	join sep list           {{join ", " (sortedPairs .Labels)}}
//	sortedPairs map         labels as a sorted list of "name=value"
//	since t                 time from t to now, like "5m" or "2h3m"
//	sinceIn lang t          since in a language: {{sinceIn "zh-CN" .StartsAt}} is like "3天4小时"
//	date layout t           format a time with a Go layout: {{date "2006-01-02 15:04" .StartsAt}}
//	tz zone t               the time in an IANA zone: {{.StartsAt | tz "Asia/Shanghai" | date "15:04"}}
//	truncate n s            at most n characters, ending in "…" when cut
//	default d v             d when v is empty: {{.Labels.team | default "none"}}
//	markdownEscape s        make a value plain text in markdown: escapes < > & as entities and the
//	                        characters that start emphasis, code, links, lists and headings, so that
//	                        a label value cannot inject formatting, HTML or a fake @-mention
//	safeURL u               u if it is an http(s) URL (with ( ) < > " ' ` and spaces percent-encoded), else ""
//
// Values from alerts come from outside: pass them through markdownEscape, as
// the default templates do. Templates run within limits: 100 ms and 64 KiB
// of output each for title and body by default. text/template cannot be
// stopped from outside, so templates are kept from looping without bound when
// they are checked: {{template}} and {{block}} are refused (they can
// recurse), range may only walk the model's lists and maps by name (.Alerts,
// .Firing, .Resolved, .Labels, $a.Annotations, .Values, .CommonLabels,
// sortedPairs .Labels, …; never a number such as {{range 1000000000}} or
// {{range .Now.Unix}}, a bare variable or the dot), and ranges nest at most
// two deep. No function produces a sequence to range over. Output beyond the
// byte limit ends the run with an error, and so does any function (including
// the built-ins print, printf, println, html, js and urlquery, which are
// replaced by bounded copies) that would return a string longer than that
// limit, so a template cannot grow a variable without bound either.
package alerting
