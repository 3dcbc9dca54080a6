package handlers

import (
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"alertdesk/db"
	"alertdesk/views"
)

var (
	contactMobileRe     = regexp.MustCompile(`^\+?[0-9]{5,20}$`)
	contactDingTalkRe   = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	contactFeishuOpenRe = regexp.MustCompile(`^ou_[A-Za-z0-9_-]{1,64}$`)
	contactFeishuUserRe = regexp.MustCompile(`^[a-z0-9]{4,64}$`)
	contactWeComRe      = regexp.MustCompile(`^[A-Za-z0-9_.@-]+$`)
)

// contactForm is the input of the contact form and of "My contact card".
type contactForm struct {
	TeamID         string
	NewTeam        string // an administrator on a console without teams names one here
	Name           string
	Mobile         string
	Email          string
	DingTalkUserID string
	FeishuOpenID   string
	WeComUserID    string
}

func contactFormFrom(c echo.Context) contactForm {
	return contactForm{TeamID: form(c, "team_id"), NewTeam: form(c, "new_team"), Name: form(c, "name"), Mobile: form(c, "mobile"), Email: form(c, "email"),
		DingTalkUserID: form(c, "dingtalk_user_id"), FeishuOpenID: form(c, "feishu_open_id"), WeComUserID: form(c, "wecom_user_id")}
}

// Validate checks the form and normalises the mobile number (spaces and dashes removed).
func (f *contactForm) Validate(c echo.Context) views.FieldErrors {
	errs := views.FieldErrors{}
	checkName(c, errs, "name", f.Name, 100)
	if f.Mobile != "" {
		m := strings.NewReplacer(" ", "", "-", "").Replace(f.Mobile)
		switch {
		case utf8.RuneCountInString(f.Mobile) > 40:
			errs["mobile"] = t(c, "contacts.err_max_chars", "Max", 40)
		case !contactMobileRe.MatchString(m):
			errs["mobile"] = t(c, "contacts.err_mobile")
		default:
			f.Mobile = m
		}
	}
	if f.Email != "" {
		switch {
		case len(f.Email) > 254:
			errs["email"] = t(c, "contacts.err_max_chars", "Max", 254)
		case !contactValidEmail(f.Email):
			errs["email"] = t(c, "contacts.err_email")
		}
	}
	checkContactID(c, errs, "dingtalk_user_id", f.DingTalkUserID, 64, contactDingTalkRe.MatchString,
		t(c, "contacts.err_dingtalk"))
	checkContactID(c, errs, "feishu_open_id", f.FeishuOpenID, 67, func(s string) bool {
		return contactFeishuOpenRe.MatchString(s) || contactFeishuUserRe.MatchString(s)
	}, t(c, "contacts.err_feishu"))
	checkContactID(c, errs, "wecom_user_id", f.WeComUserID, 64, contactWeComRe.MatchString,
		t(c, "contacts.err_wecom"))
	if f.Mobile == "" && f.Email == "" && f.DingTalkUserID == "" && f.FeishuOpenID == "" && f.WeComUserID == "" {
		errs["_form"] = t(c, "contacts.err_no_way")
	}
	return errs
}

func checkContactID(c echo.Context, errs views.FieldErrors, field, value string, max int, ok func(string) bool, msg string) {
	switch {
	case value == "":
	case utf8.RuneCountInString(value) > max:
		errs[field] = t(c, "contacts.err_max_chars", "Max", max)
	case !ok(value):
		errs[field] = msg
	}
}

func contactValidEmail(s string) bool {
	local, domain, found := strings.Cut(s, "@")
	if !found || local == "" || strings.Contains(domain, "@") || !utf8.ValidString(s) {
		return false
	}
	if strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(`<>,;:"()[]\`, r)
	}) >= 0 {
		return false
	}
	dot := strings.Index(domain, ".")
	return dot > 0 && !strings.HasSuffix(domain, ".") && !strings.Contains(domain, "..")
}

func (f contactForm) input(teamID int64) db.ContactInput {
	return db.ContactInput{TeamID: teamID, Name: f.Name, Mobile: f.Mobile, Email: f.Email,
		DingTalkUserID: f.DingTalkUserID, FeishuOpenID: f.FeishuOpenID, WeComUserID: f.WeComUserID}
}

func (f contactForm) view() views.ContactFormData {
	return views.ContactFormData{TeamID: f.TeamID, NewTeam: f.NewTeam, Name: f.Name, Mobile: f.Mobile, Email: f.Email,
		DingTalkUserID: f.DingTalkUserID, FeishuOpenID: f.FeishuOpenID, WeComUserID: f.WeComUserID}
}

func contactFormOf(ct db.Contact) views.ContactFormData {
	return views.ContactFormData{TeamID: itoa(ct.TeamID), Name: ct.Name, Mobile: ct.Mobile, Email: ct.Email,
		DingTalkUserID: ct.DingTalkUserID, FeishuOpenID: ct.FeishuOpenID, WeComUserID: ct.WeComUserID}
}

// contactFieldKeys name the fields a clash can be on.
var contactFieldKeys = map[string]string{"mobile": "contacts.field_mobile", "email": "contacts.field_email",
	"dingtalk_user_id": "contacts.field_dingtalk_user_id", "feishu_open_id": "contacts.field_feishu_open_id",
	"wecom_user_id": "contacts.field_wecom_user_id"}

// contactConflict turns a uniqueness clash into a field error; false when err is no clash.
func contactConflict(c echo.Context, err error, errs views.FieldErrors) bool {
	var cc *db.ContactConflict
	switch {
	case errors.As(err, &cc) && cc.Field == "user_id":
		errs["_form"] = t(c, "contacts.err_user_has_card")
	case errors.As(err, &cc):
		errs[cc.Field] = t(c, "contacts.err_taken", "Field", t(c, contactFieldKeys[cc.Field]), "Other", cc.Other)
	case errors.Is(err, db.ErrConflict):
		errs["_form"] = t(c, "contacts.err_taken_any")
	default:
		return false
	}
	return true
}

// contactReach is a short "how to reach them" for lists.
func contactReach(ct db.Contact) string {
	var parts []string
	for _, p := range []struct{ label, v string }{
		{"", ct.Mobile}, {"", ct.Email}, {"DingTalk ", ct.DingTalkUserID}, {"Feishu/Lark ", ct.FeishuOpenID}, {"WeCom ", ct.WeComUserID},
	} {
		if p.v != "" {
			parts = append(parts, p.label+p.v)
		}
	}
	return strings.Join(parts, " · ")
}

func (s *Server) contactsList(c echo.Context) error {
	u := currentUser(c)
	d := views.ContactsPageData{ShowTeam: u.Role != db.RoleMember, CanWrite: u.CanWrite()}
	filters := map[string][]string{"has": {"mobile", "email", "dingtalk", "feishu", "wecom", "user", "nouser"}}
	if d.ShowTeam {
		filters["team"] = nil
	}
	opts, st := readList(c, "/contacts", "#contacts-table", "contacts-filters", []string{"name", "team", "updated"}, filters)
	d.List, d.Query = st, opts.Query
	f := db.ContactFilter{Has: st.Get("has")}
	if d.ShowTeam {
		teams, err := s.teamOptions(c)
		if err != nil {
			return err
		}
		d.Teams = teams
		f.TeamID = filterTeam(st.Get("team"), "")
	}
	ctx := c.Request().Context()
	cs, total, err := s.deps.DB.ContactList(ctx, scope(c), f, opts)
	if err == nil && lastPage(&opts, &d.List, total) {
		cs, total, err = s.deps.DB.ContactList(ctx, scope(c), f, opts)
	}
	if err != nil {
		return err
	}
	d.List.Total = total
	for _, ct := range cs {
		row := views.ContactRow{ID: ct.ID, Name: ct.Name, Team: ct.TeamName, Mobile: ct.Mobile, Email: ct.Email,
			DingTalkUserID: ct.DingTalkUserID, FeishuOpenID: ct.FeishuOpenID, WeComUserID: ct.WeComUserID, User: ct.Username,
			EditURL: "/contacts/" + itoa(ct.ID)}
		if ct.UserID != 0 && u.Role == db.RoleAdmin {
			row.UserURL = "/admin/users/" + itoa(ct.UserID)
		}
		d.Rows = append(d.Rows, row)
	}
	if isHTMX(c) {
		return render(c, http.StatusOK, views.ContactsTable(d))
	}
	d.Page = s.page(c, t(c, "common.nav.contacts"), "contacts")
	return render(c, http.StatusOK, views.ContactsPage(d))
}

// contactEditData frames the contact form. Only a new contact gets a team picker, and only
// for admins: a member's contacts are always in their own team, and a contact never moves.
func (s *Server) contactEditData(c echo.Context, ct db.Contact, title string) (views.ContactEditData, error) {
	u := currentUser(c)
	d := views.ContactEditData{Page: s.page(c, title, "contacts"), ID: ct.ID, TeamName: ct.TeamName,
		LinkedUser: ct.Username, CanWrite: u.CanWrite(), Action: "/contacts"}
	if ct.ID != 0 {
		d.Action = "/contacts/" + itoa(ct.ID)
		return d, nil
	}
	if u.Role == db.RoleMember {
		d.TeamName = u.TeamName
		return d, nil
	}
	teams, err := s.teamOptions(c)
	if err != nil {
		return d, err
	}
	if len(teams) == 0 {
		// An administrator on a console without teams names one right in the form.
		d.CanCreateTeam = u.Role == db.RoleAdmin
		return d, nil
	}
	d.Teams = append([]views.Option{{Value: "", Label: t(c, "contacts.pick_team")}}, teams...)
	return d, nil
}

func (s *Server) contactsNew(c echo.Context) error {
	u := currentUser(c)
	if !u.CanWrite() {
		return userError(http.StatusForbidden, "%s", t(c, "contacts.err_auditor"))
	}
	d, err := s.contactEditData(c, db.Contact{}, t(c, "contacts.new"))
	if err != nil {
		return err
	}
	f := views.ContactFormData{}
	if u.TeamID != 0 {
		f.TeamID = itoa(u.TeamID)
	}
	return render(c, http.StatusOK, views.ContactEditPage(d, f, nil))
}

func (s *Server) contactsCreate(c echo.Context) error {
	f := contactFormFrom(c)
	errs := f.Validate(c)
	d, err := s.contactEditData(c, db.Contact{}, t(c, "contacts.new"))
	if err != nil {
		return err
	}
	var team teamPick
	if d.CanCreateTeam {
		team = s.pickTeam(c, errs, "team_id")
	} else {
		team.ID = s.teamFromForm(c, errs, "team_id")
	}
	if len(errs) == 0 {
		teamID, err := s.commitTeam(c, errs, team)
		if err != nil {
			return err
		}
		var ct db.Contact
		if teamID != 0 {
			ct, err = s.deps.DB.CreateContact(c.Request().Context(), actor(c), f.input(teamID))
		}
		if teamID != 0 && !contactConflict(c, err, errs) {
			if err != nil {
				return err
			}
			s.setFlash(c, "ok", t(c, "contacts.created", "Name", ct.Name))
			return redirect(c, "/contacts")
		}
		if team.NewName != "" && teamID != 0 {
			// The contact was refused after its new team was made: the form now picks that team.
			if d, err = s.contactEditData(c, db.Contact{}, t(c, "contacts.new")); err != nil {
				return err
			}
			f.TeamID = itoa(teamID)
		}
	}
	if isHTMX(c) {
		return render(c, http.StatusUnprocessableEntity, views.ContactForm(d, f.view(), errs))
	}
	return render(c, http.StatusUnprocessableEntity, views.ContactEditPage(d, f.view(), errs))
}

func (s *Server) contactsEdit(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	ct, err := s.deps.DB.ContactByID(c.Request().Context(), scope(c), id)
	if err != nil {
		return err
	}
	d, err := s.contactEditData(c, ct, t(c, "contacts.title", "Name", ct.Name))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.ContactEditPage(d, contactFormOf(ct), nil))
}

func (s *Server) contactsUpdate(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	ct, err := s.deps.DB.ContactByID(ctx, scope(c), id)
	if err != nil {
		return err
	}
	f := contactFormFrom(c)
	f.TeamID = itoa(ct.TeamID)
	errs := f.Validate(c)
	if len(errs) == 0 {
		nct, err := s.deps.DB.UpdateContact(ctx, actor(c), scope(c), id, f.input(ct.TeamID))
		if !contactConflict(c, err, errs) {
			if err != nil {
				return err
			}
			s.setFlash(c, "ok", t(c, "contacts.saved", "Name", nct.Name))
			return redirect(c, "/contacts")
		}
	}
	d, err := s.contactEditData(c, ct, t(c, "contacts.title", "Name", ct.Name))
	if err != nil {
		return err
	}
	if isHTMX(c) {
		return render(c, http.StatusUnprocessableEntity, views.ContactForm(d, f.view(), errs))
	}
	return render(c, http.StatusUnprocessableEntity, views.ContactEditPage(d, f.view(), errs))
}

func (s *Server) contactsDelete(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	ct, err := s.deps.DB.ContactByID(ctx, scope(c), id)
	if err != nil {
		return err
	}
	err = s.deps.DB.DeleteContact(ctx, actor(c), scope(c), id)
	if errors.Is(err, db.ErrInUse) {
		names, _ := s.deps.DB.RuleNamesMentioningContact(c.Request().Context(), id)
		if len(names) == 0 {
			scheds, _ := s.deps.DB.ScheduleNamesUsingContact(ctx, ct.TeamID, id)
			s.setFlash(c, "error", t(c, "contacts.err_on_call", "Name", ct.Name, "Schedules", strings.Join(scheds, ", ")))
			return redirect(c, "/contacts/"+itoa(id))
		}
		s.setFlash(c, "error", t(c, "contacts.err_mentioned", "Name", ct.Name, "Rules", ruleList(c, names)))
		return redirect(c, "/contacts/"+itoa(id))
	}
	if err != nil {
		return err
	}
	s.setFlash(c, "ok", t(c, "contacts.deleted", "Name", ct.Name))
	return redirect(c, "/contacts")
}

func contactGroupMembers(cs []db.Contact) []views.ContactGroupMember {
	out := make([]views.ContactGroupMember, 0, len(cs))
	for _, ct := range cs {
		out = append(out, views.ContactGroupMember{ID: ct.ID, Name: ct.Name, Detail: contactReach(ct)})
	}
	return out
}

func (s *Server) contactGroupsPage(c echo.Context) (views.ContactGroupsPageData, error) {
	ctx := c.Request().Context()
	u := currentUser(c)
	groups, err := s.deps.DB.ContactGroups(ctx, scope(c))
	if err != nil {
		return views.ContactGroupsPageData{}, err
	}
	d := views.ContactGroupsPageData{Page: s.page(c, t(c, "contacts.groups_title"), "contacts"), ShowTeam: u.Role != db.RoleMember, CanWrite: u.CanWrite()}
	for _, g := range groups {
		r := views.ContactGroupRow{ID: g.ID, Name: g.Name, Team: g.TeamName, EditURL: "/contacts/groups/" + itoa(g.ID)}
		for _, m := range g.Members {
			r.Members = append(r.Members, m.Name)
		}
		d.Rows = append(d.Rows, r)
	}
	if u.Role != db.RoleMember && u.CanWrite() {
		teams, err := s.teamOptions(c)
		if err != nil {
			return d, err
		}
		d.Teams = append([]views.Option{{Value: "", Label: t(c, "contacts.pick_team")}}, teams...)
	}
	return d, nil
}

func (s *Server) contactGroupsList(c echo.Context) error {
	d, err := s.contactGroupsPage(c)
	if err != nil {
		return err
	}
	f := views.ContactGroupFormData{}
	if u := currentUser(c); u.TeamID != 0 {
		f.TeamID = itoa(u.TeamID)
	}
	return render(c, http.StatusOK, views.ContactGroupsPage(d, f, nil))
}

func (s *Server) contactGroupsCreate(c echo.Context) error {
	f := views.ContactGroupFormData{TeamID: form(c, "team_id"), Name: form(c, "name")}
	errs := views.FieldErrors{}
	checkName(c, errs, "name", f.Name, 100)
	teamID := s.teamFromForm(c, errs, "team_id")
	if len(errs) == 0 {
		g, err := s.deps.DB.CreateContactGroup(c.Request().Context(), actor(c), teamID, f.Name, nil)
		switch {
		case errors.Is(err, db.ErrConflict):
			errs["name"] = t(c, "contacts.err_group_taken")
		case err != nil:
			return err
		default:
			s.setFlash(c, "ok", t(c, "contacts.group_created", "Name", g.Name))
			return redirect(c, "/contacts/groups/"+itoa(g.ID))
		}
	}
	d, err := s.contactGroupsPage(c)
	if err != nil {
		return err
	}
	if isHTMX(c) {
		return render(c, http.StatusUnprocessableEntity, views.ContactGroupCreateForm(d, f, errs))
	}
	return render(c, http.StatusUnprocessableEntity, views.ContactGroupsPage(d, f, errs))
}

// contactMemberIDs reads the repeated member_id values; ok is false when one is not an id.
func contactMemberIDs(vals []string) (ids []int64, ok bool) {
	ok = true
	for _, v := range vals {
		if strings.TrimSpace(v) == "" {
			continue
		}
		id := parseID(v)
		if id <= 0 {
			ok = false
			continue
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return slices.Compact(ids), ok
}

const maxContactGroupMembers = 500

// contactGroupEditData builds the group screen for g with the member set ids (only contacts
// of the group's team are ever shown) and the candidates matching q.
func (s *Server) contactGroupEditData(c echo.Context, g db.ContactGroup, ids []int64, q string, full bool) (views.ContactGroupEditData, error) {
	ctx := c.Request().Context()
	team := db.TeamScope(g.TeamID)
	d := views.ContactGroupEditData{ID: g.ID, Team: g.TeamName, CanWrite: currentUser(c).CanWrite(), Query: q}
	if full {
		d.Page = s.page(c, g.Name, "contacts")
	}
	members, err := s.deps.DB.ContactsByIDs(ctx, team, ids)
	if err != nil {
		return d, err
	}
	d.Members = contactGroupMembers(members)
	all, err := s.deps.DB.Contacts(ctx, team, q)
	if err != nil {
		return d, err
	}
	if q == "" {
		d.TeamContacts = contactGroupMembers(all)
	}
	schedules, err := s.deps.DB.Schedules(ctx, team)
	if err != nil {
		return d, err
	}
	for _, sc := range schedules {
		d.Schedules = append(d.Schedules, views.Option{Value: itoa(sc.ID), Label: sc.Name})
	}
	if g.ID != 0 {
		ids, err := s.deps.DB.GroupSchedules(ctx, team, g.ID)
		if err != nil {
			return d, err
		}
		for _, id := range ids {
			d.ScheduleIDs = append(d.ScheduleIDs, itoa(id))
		}
	}
	for _, ct := range all {
		if len(d.Candidates) == 20 {
			break
		}
		if !d.IsMember(ct.ID) {
			d.Candidates = append(d.Candidates, views.ContactGroupMember{ID: ct.ID, Name: ct.Name, Detail: contactReach(ct)})
		}
	}
	return d, nil
}

func (s *Server) contactGroupByParam(c echo.Context) (db.ContactGroup, error) {
	id, err := paramID(c, "id")
	if err != nil {
		return db.ContactGroup{}, err
	}
	return s.deps.DB.ContactGroupByID(c.Request().Context(), scope(c), id)
}

func contactGroupMemberIDs(g db.ContactGroup) []int64 {
	ids := make([]int64, 0, len(g.Members))
	for _, m := range g.Members {
		ids = append(ids, m.ID)
	}
	return ids
}

func (s *Server) contactGroupsEdit(c echo.Context) error {
	g, err := s.contactGroupByParam(c)
	if err != nil {
		return err
	}
	d, err := s.contactGroupEditData(c, g, contactGroupMemberIDs(g), "", true)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.ContactGroupEditPage(d, g.Name, nil))
}

func (s *Server) contactGroupsUpdate(c echo.Context) error {
	g, err := s.contactGroupByParam(c)
	if err != nil {
		return err
	}
	params, err := c.FormParams()
	if err != nil {
		return userError(http.StatusBadRequest, "%s", t(c, "contacts.err_form"))
	}
	name := form(c, "name")
	errs := views.FieldErrors{}
	checkName(c, errs, "name", name, 100)
	ids, ok := contactMemberIDs(params["member_id"])
	switch {
	case !ok:
		errs["member_id"] = t(c, "contacts.err_pick_members")
	case len(ids) > maxContactGroupMembers:
		errs["member_id"] = t(c, "contacts.err_max_members", "Max", maxContactGroupMembers)
	}
	scheduleIDs, err := parseIDs(params["schedule_id"])
	if err != nil {
		errs["schedule_id"] = t(c, "contacts.err_pick_schedules")
	}
	// Checked before anything is stored, so a refused schedule leaves the group as it was.
	teamSchedules, err := s.deps.DB.Schedules(c.Request().Context(), db.TeamScope(g.TeamID))
	if err != nil {
		return err
	}
	for _, id := range scheduleIDs {
		if !slices.ContainsFunc(teamSchedules, func(sc db.Schedule) bool { return sc.ID == id }) {
			errs["schedule_id"] = t(c, "contacts.err_foreign_schedule", "Team", g.TeamName)
		}
	}
	if len(errs) == 0 {
		ng, err := s.deps.DB.UpdateContactGroup(c.Request().Context(), actor(c), scope(c), g.ID, name, ids)
		if err == nil {
			err = s.deps.DB.SetGroupSchedules(c.Request().Context(), actor(c), scope(c), g.ID, scheduleIDs)
		}
		switch {
		case errors.Is(err, db.ErrForeignMember):
			errs["member_id"] = t(c, "contacts.err_foreign_member", "Team", g.TeamName)
		case errors.Is(err, db.ErrConflict):
			errs["name"] = t(c, "contacts.err_group_taken")
		case err != nil:
			return err
		default:
			s.setFlash(c, "ok", t(c, "contacts.group_saved", "Name", ng.Name))
			return redirect(c, "/contacts/groups/"+itoa(g.ID))
		}
	}
	d, err := s.contactGroupEditData(c, g, ids, "", !isHTMX(c))
	if err != nil {
		return err
	}
	d.ScheduleIDs = nil // as posted
	for _, id := range scheduleIDs {
		d.ScheduleIDs = append(d.ScheduleIDs, itoa(id))
	}
	if isHTMX(c) {
		d.CSRF = session(c).csrf()
		return render(c, http.StatusUnprocessableEntity, views.ContactGroupEditForm(d, name, errs))
	}
	return render(c, http.StatusUnprocessableEntity, views.ContactGroupEditPage(d, name, errs))
}

// contactGroupsMembers re-renders the htmx member editor for the member set in the query,
// plus ?add= or minus ?remove= one contact. Nothing is stored until the form is saved.
func (s *Server) contactGroupsMembers(c echo.Context) error {
	g, err := s.contactGroupByParam(c)
	if err != nil {
		return err
	}
	ids, _ := contactMemberIDs(c.QueryParams()["member_id"])
	if add := parseID(c.QueryParam("add")); add > 0 {
		ids = append(ids, add)
	}
	if rm := parseID(c.QueryParam("remove")); rm > 0 {
		ids = slices.DeleteFunc(ids, func(id int64) bool { return id == rm })
	}
	if len(ids) > maxContactGroupMembers {
		ids = ids[:maxContactGroupMembers]
	}
	d, err := s.contactGroupEditData(c, g, ids, contactQuery(c), false)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.ContactGroupMemberList(d))
}

// contactGroupsCandidates lists the team's contacts matching ?q= that are not among the
// member_id values, for the search-and-add control.
func (s *Server) contactGroupsCandidates(c echo.Context) error {
	g, err := s.contactGroupByParam(c)
	if err != nil {
		return err
	}
	ids, _ := contactMemberIDs(c.QueryParams()["member_id"])
	if len(ids) > maxContactGroupMembers {
		ids = ids[:maxContactGroupMembers]
	}
	d, err := s.contactGroupEditData(c, g, ids, contactQuery(c), false)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.ContactGroupCandidates(d))
}

func contactQuery(c echo.Context) string {
	q := strings.TrimSpace(c.QueryParam("q"))
	if utf8.RuneCountInString(q) > 100 {
		q = string([]rune(q)[:100])
	}
	return q
}

func (s *Server) contactGroupsDelete(c echo.Context) error {
	g, err := s.contactGroupByParam(c)
	if err != nil {
		return err
	}
	err = s.deps.DB.DeleteContactGroup(c.Request().Context(), actor(c), scope(c), g.ID)
	if errors.Is(err, db.ErrInUse) {
		names, _ := s.deps.DB.RuleNamesMentioningGroup(c.Request().Context(), g.ID)
		s.setFlash(c, "error", t(c, "contacts.err_group_mentioned", "Name", g.Name, "Rules", ruleList(c, names)))
		return redirect(c, "/contacts/groups/"+itoa(g.ID))
	}
	if err != nil {
		return err
	}
	s.setFlash(c, "ok", t(c, "contacts.group_deleted", "Name", g.Name))
	return redirect(c, "/contacts/groups")
}

// myContactData loads the signed-in user's card; a card left behind in a former team only
// pre-fills the form (saving makes a new card in the current team).
func (s *Server) myContactData(c echo.Context) (views.MyContactData, views.ContactFormData, error) {
	u := currentUser(c)
	d := views.MyContactData{Page: s.page(c, t(c, "contacts.tab_mine"), "account"), HasTeam: u.TeamID != 0, Team: u.TeamName, CanWrite: u.CanWrite()}
	name := u.DisplayName
	if name == "" {
		name = u.Username
	}
	f := views.ContactFormData{Name: name}
	if !d.HasTeam {
		return d, f, nil
	}
	ct, err := s.deps.DB.ContactByUser(c.Request().Context(), u.ID)
	switch {
	case errors.Is(err, db.ErrNotFound):
	case err != nil:
		return d, f, err
	default:
		f = contactFormOf(ct)
		d.Exists = ct.TeamID == u.TeamID
	}
	return d, f, nil
}

func (s *Server) myContact(c echo.Context) error {
	d, f, err := s.myContactData(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.MyContactPage(d, f, nil))
}

func (s *Server) myContactSave(c echo.Context) error {
	u := currentUser(c)
	f := contactFormFrom(c)
	errs := f.Validate(c)
	if u.TeamID == 0 {
		errs["_form"] = t(c, "contacts.err_no_team")
	}
	if len(errs) == 0 {
		_, err := s.deps.DB.SaveOwnContact(c.Request().Context(), actor(c), *u, f.input(u.TeamID))
		if !contactConflict(c, err, errs) {
			if err != nil {
				return err
			}
			s.setFlash(c, "ok", t(c, "contacts.mine_saved"))
			return redirect(c, "/account/contact")
		}
	}
	d, _, err := s.myContactData(c)
	if err != nil {
		return err
	}
	if isHTMX(c) && d.HasTeam {
		return render(c, http.StatusUnprocessableEntity, views.MyContactForm(d, f.view(), errs))
	}
	return render(c, http.StatusUnprocessableEntity, views.MyContactPage(d, f.view(), errs))
}
