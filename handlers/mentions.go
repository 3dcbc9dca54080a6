package handlers

import (
	"context"
	"strconv"
	"strings"

	"alertdesk/db"
	"alertdesk/notify"
	"alertdesk/views"
)

// mentionOptions lists what a mention picker offers for a team: @all, its contact groups
// and its contacts. Values are "all", "g:<id>" and "c:<id>".
func (s *Server) mentionOptions(ctx context.Context, sc db.Scope) ([]views.Option, error) {
	opts := []views.Option{{Value: "all", Label: "@all (everyone in the group)"}}
	groups, err := s.deps.DB.ContactGroups(ctx, sc)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		opts = append(opts, views.Option{Value: "g:" + itoa(g.ID), Label: "Group: " + g.Name})
	}
	contacts, err := s.deps.DB.Contacts(ctx, sc, "")
	if err != nil {
		return nil, err
	}
	for _, c := range contacts {
		opts = append(opts, views.Option{Value: "c:" + itoa(c.ID), Label: c.Name + contactIdentities(c)})
	}
	return opts, nil
}

func contactIdentities(c db.Contact) string {
	var ids []string
	if c.Mobile != "" {
		ids = append(ids, c.Mobile)
	}
	if c.DingTalkUserID != "" {
		ids = append(ids, "DingTalk "+c.DingTalkUserID)
	}
	if c.FeishuOpenID != "" {
		ids = append(ids, "Feishu "+c.FeishuOpenID)
	}
	if c.WeComUserID != "" {
		ids = append(ids, "WeCom "+c.WeComUserID)
	}
	if len(ids) == 0 {
		return ""
	}
	return " (" + strings.Join(ids, ", ") + ")"
}

// resolveMentions turns picker values into people of the scope's team. Ids of other teams
// or unknown ids resolve to nobody: the db queries are scoped.
func (s *Server) resolveMentions(ctx context.Context, sc db.Scope, values []string) ([]notify.Person, bool, error) {
	atAll := false
	var contactIDs, groupIDs []int64
	for _, v := range values {
		kind, raw, _ := strings.Cut(v, ":")
		id, err := strconv.ParseInt(raw, 10, 64)
		switch {
		case v == "all":
			atAll = true
		case err != nil || id <= 0:
		case kind == "c":
			contactIDs = append(contactIDs, id)
		case kind == "g":
			groupIDs = append(groupIDs, id)
		}
	}
	return s.people(ctx, sc, contactIDs, groupIDs, atAll)
}

func (s *Server) people(ctx context.Context, sc db.Scope, contactIDs, groupIDs []int64, atAll bool) ([]notify.Person, bool, error) {
	var contacts []db.Contact
	if len(contactIDs) > 0 {
		cs, err := s.deps.DB.ContactsByIDs(ctx, sc, contactIDs)
		if err != nil {
			return nil, false, err
		}
		contacts = append(contacts, cs...)
	}
	if len(groupIDs) > 0 {
		cs, err := s.deps.DB.GroupMembers(ctx, sc, groupIDs)
		if err != nil {
			return nil, false, err
		}
		contacts = append(contacts, cs...)
	}
	return PeopleOf(contacts), atAll, nil
}

// PeopleOf turns contacts into the people adapters mention, once each.
func PeopleOf(contacts []db.Contact) []notify.Person {
	seen := map[int64]bool{}
	var out []notify.Person
	for _, c := range contacts {
		if seen[c.ID] {
			continue
		}
		seen[c.ID] = true
		out = append(out, notify.Person{Name: c.Name, Mobile: c.Mobile, DingTalkUserID: c.DingTalkUserID,
			FeishuOpenID: c.FeishuOpenID, WeComUserID: c.WeComUserID})
	}
	return out
}
