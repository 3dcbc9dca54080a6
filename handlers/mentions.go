package handlers

import (
	"context"
	"strconv"
	"strings"

	"alertdesk/db"
	"alertdesk/i18n"
	"alertdesk/notify"
	"alertdesk/views"
)

// mentionOptions lists what a mention picker offers for a team: @all, its contact groups
// and its contacts. Values are "all", "g:<id>" and "c:<id>".
func (s *Server) mentionOptions(ctx context.Context, sc db.Scope) ([]views.Option, error) {
	opts := []views.Option{{Value: "all", Label: i18n.T(ctx, "robots.mention_all")}}
	groups, err := s.deps.DB.ContactGroups(ctx, sc)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		opts = append(opts, views.Option{Value: "g:" + itoa(g.ID), Label: i18n.T(ctx, "robots.mention_group", "Name", g.Name)})
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
	people, err := s.deps.DB.PeopleToMention(ctx, sc, contactIDs, groupIDs)
	if err != nil {
		return nil, false, err
	}
	return people, atAll, nil
}
