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
		sc := db.TeamScope(teamID)
		var contacts []db.Contact
		if len(contactIDs) > 0 {
			cs, err := d.ContactsByIDs(ctx, sc, contactIDs)
			if err != nil {
				return nil, err
			}
			contacts = append(contacts, cs...)
		}
		if len(groupIDs) > 0 {
			cs, err := d.GroupMembers(ctx, sc, groupIDs)
			if err != nil {
				return nil, err
			}
			contacts = append(contacts, cs...)
		}
		seen := map[int64]bool{}
		var out []db.MentionPerson
		for _, c := range contacts {
			if seen[c.ID] {
				continue
			}
			seen[c.ID] = true
			out = append(out, db.MentionPerson{Name: c.Name, Mobile: c.Mobile, DingTalkUserID: c.DingTalkUserID,
				FeishuOpenID: c.FeishuOpenID, WeComUserID: c.WeComUserID})
		}
		return out, nil
	}
}
