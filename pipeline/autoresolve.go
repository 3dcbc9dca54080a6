package pipeline

import (
	"context"

	"alertdesk/alerting"
)

// autoResolve resolves the alerts of tools that never send a resolve once their
// integration's auto-resolve time has passed since they were last received: the resolve
// goes through the intake like any other, so it is stored, grouped and sent the same way.
func (p *Pipeline) autoResolve(ctx context.Context) error {
	due, err := p.db.DueAutoResolves(ctx, p.now(), 500)
	if err != nil || len(due) == 0 {
		return err
	}
	for _, d := range due {
		a := d.Alert
		a.Status, a.EndsAt = alerting.StatusResolved, d.ResolveAt
		if a.EndsAt.Before(a.StartsAt) {
			a.EndsAt = a.StartsAt
		}
		if _, err := p.Ingest(ctx, d.TeamID, []alerting.Alert{a}); err != nil {
			return err
		}
		if err := p.db.AutoResolved(ctx, d.TeamID, a.Fingerprint, d.ResolveAt); err != nil {
			return err
		}
	}
	return nil
}
