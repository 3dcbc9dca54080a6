package main

import (
	"context"
	"log/slog"

	"alertdesk/alerting"
	"alertdesk/db"
	"alertdesk/metrics"
)

// startPipeline builds and starts the alert pipeline (intake → match → group → outbox).
func startPipeline(ctx context.Context, d *db.DB, log *slog.Logger, baseURL string, kick func()) (*alerting.Pipeline, error) {
	p := alerting.NewPipeline(d, log.With("component", "pipeline"), alerting.PipelineOptions{
		BaseURL: baseURL,
		Kick:    kick,
		People:  mentionPeople(d),
	})
	p.OnReceived = func(source string, n int) { metrics.AlertsReceived.WithLabelValues(source).Add(float64(n)) }
	if err := p.Start(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// mentionPeople resolves a rule's contacts and contact groups when a notification is written.
func mentionPeople(d *db.DB) alerting.PeopleResolver {
	return func(ctx context.Context, teamID int64, contactIDs, groupIDs []int64) ([]db.MentionPerson, error) {
		return d.PeopleToMention(ctx, db.TeamScope(teamID), contactIDs, groupIDs)
	}
}
