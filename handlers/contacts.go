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
	Name           string
	Mobile         string
	Email          string
	DingTalkUserID string
	FeishuOpenID   string
	WeComUserID    string
}

func contactFormFrom(c echo.Context) contactForm {
	return contactForm{TeamID: form(c, "team_id"), Name: form(c, "name"), Mobile: form(c, "mobile"), Email: form(c, "email"),
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
			errs["mobile"] = "Use at most 40 characters."
		case !contactMobileRe.MatchString(m):
			errs["mobile"] = "Enter 5 to 20 digits, optionally starting with + and the country code, e.g. +86 138 0013 8000."
		default:
			f.Mobile = m
		}
	}
	if f.Email != "" {
		switch {
		case len(f.Email) > 254:
			errs["email"] = "Use at most 254 characters."
		case !contactValidEmail(f.Email):
			errs["email"] = "Enter an email address like name@example.com."
		}
	}
	checkContactID(errs, "dingtalk_user_id", f.DingTalkUserID, 64, contactDingTalkRe.MatchString,
		"A DingTalk userId has only letters, digits, _ and -.")
	checkContactID(errs, "feishu_open_id", f.FeishuOpenID, 67, func(s string) bool {
		return contactFeishuOpenRe.MatchString(s) || contactFeishuUserRe.MatchString(s)
	}, "Enter an open_id (ou_ followed by letters, digits, _ or -) or a user_id (4–64 lowercase letters and digits).")
	checkContactID(errs, "wecom_user_id", f.WeComUserID, 64, contactWeComRe.MatchString,
		"A WeCom userid has only letters, digits and _ . @ -.")
	if f.Mobile == "" && f.Email == "" && f.DingTalkUserID == "" && f.FeishuOpenID == "" && f.WeComUserID == "" {
		errs["_form"] = "Give at least one way to reach this person: a mobile number, an email address, " +
			"or a DingTalk, Feishu/Lark or WeCom ID."
	}
	return errs
}

func checkContactID(errs views.FieldErrors, field, value string, max int, ok func(string) bool, msg string) {
	switch {
	case value == "":
	case utf8.RuneCountInString(value) > max:
		errs[field] = "Use at most " + itoa(int64(max)) + " characters."
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
	return views.ContactFormData{TeamID: f.TeamID, Name: f.Name, Mobile: f.Mobile, Email: f.Email,
		DingTalkUserID: f.DingTalkUserID, FeishuOpenID: f.FeishuOpenID, WeComUserID: f.WeComUserID}
}

func contactFormOf(ct db.Contact) views.ContactFormData {
	return views.ContactFormData{TeamID: itoa(ct.TeamID), Name: ct.Name, Mobile: ct.Mobile, Email: ct.Email,
		DingTalkUserID: ct.DingTalkUserID, FeishuOpenID: ct.FeishuOpenID, WeComUserID: ct.WeComUserID}
}

var contactFieldLabels = map[string]string{
	"mobile": "mobile", "dingtalk_user_id": "DingTalk userId", "feishu_open_id": "Feishu/Lark ID", "wecom_user_id": "WeCom userid",
}

// contactConflict turns a uniqueness clash into a field error; false when err is no clash.
func contactConflict(err error, errs views.FieldErrors) bool {
	var cc *db.ContactConflict
	switch {
	case errors.As(err, &cc) && cc.Field == "user_id":
		errs["_form"] = "This user already has a contact card."
	case errors.As(err, &cc):
		errs[cc.Field] = "Another contact of this team already has this " + contactFieldLabels[cc.Field] + ": " + cc.Other
	case errors.Is(err, db.ErrConflict):
		errs["_form"] = "Another contact of this team already has one of these numbers or IDs."
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
	q := form(c, "q")
	if utf8.RuneCountInString(q) > 100 {
		q = string([]rune(q)[:100])
	}
	cs, err := s.deps.DB.Contacts(c.Request().Context(), scope(c), q)
	if err != nil {
		return err
	}
	u := currentUser(c)
	d := views.ContactsPageData{Query: q, ShowTeam: u.Role != db.RoleMember, CanWrite: u.CanWrite()}
	for _, ct := range cs {
		d.Rows = append(d.Rows, views.ContactRow{ID: ct.ID, Name: ct.Name, Team: ct.TeamName, Mobile: ct.Mobile, Email: ct.Email,
			DingTalkUserID: ct.DingTalkUserID, FeishuOpenID: ct.FeishuOpenID, WeComUserID: ct.WeComUserID, User: ct.Username,
			EditURL: "/contacts/" + itoa(ct.ID)})
	}
	if isHTMX(c) {
		return render(c, http.StatusOK, views.ContactsTable(d))
	}
	d.Page = s.page(c, "Contacts", "contacts")
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
	d.Teams = append([]views.Option{{Value: "", Label: "— pick a team —"}}, teams...)
	return d, nil
}

func (s *Server) contactsNew(c echo.Context) error {
	u := currentUser(c)
	if !u.CanWrite() {
		return userError(http.StatusForbidden, "Auditors can read everything but change nothing.")
	}
	d, err := s.contactEditData(c, db.Contact{}, "New contact")
	if err != nil {
		return err
	}
	f := views.ContactFormData{}
	if u.TeamID != 0 {
		f.TeamID = itoa(u.TeamID)
	}
	errs := views.FieldErrors{}
	if len(d.Teams) == 1 {
		errs["team_id"] = "There are no teams yet. Create one under Admin → Teams first."
	}
	return render(c, http.StatusOK, views.ContactEditPage(d, f, errs))
}

func (s *Server) contactsCreate(c echo.Context) error {
	f := contactFormFrom(c)
	errs := f.Validate(c)
	teamID := s.teamFromForm(c, errs, "team_id")
	if len(errs) == 0 {
		ct, err := s.deps.DB.CreateContact(c.Request().Context(), actor(c), f.input(teamID))
		if !contactConflict(err, errs) {
			if err != nil {
				return err
			}
			s.setFlash(c, "ok", "Contact "+ct.Name+" created.")
			return redirect(c, "/contacts")
		}
	}
	d, err := s.contactEditData(c, db.Contact{}, "New contact")
	if err != nil {
		return err
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
	d, err := s.contactEditData(c, ct, "Contact "+ct.Name)
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
		if !contactConflict(err, errs) {
			if err != nil {
				return err
			}
			s.setFlash(c, "ok", "Contact "+nct.Name+" saved.")
			return redirect(c, "/contacts")
		}
	}
	d, err := s.contactEditData(c, ct, "Contact "+ct.Name)
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
			s.setFlash(c, "error", ct.Name+" is still on call in schedule "+strings.Join(scheds, ", ")+
				". Take the contact out of its rotations, overrides and fallback first, then delete it.")
			return redirect(c, "/contacts/"+itoa(id))
		}
		s.setFlash(c, "error", ct.Name+" is still mentioned by "+ruleList(c, names)+". Remove the contact from those rules first, then delete it.")
		return redirect(c, "/contacts/"+itoa(id))
	}
	if err != nil {
		return err
	}
	s.setFlash(c, "ok", "Contact "+ct.Name+" deleted.")
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
	d := views.ContactGroupsPageData{Page: s.page(c, "Contact groups", "contacts"), ShowTeam: u.Role != db.RoleMember, CanWrite: u.CanWrite()}
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
		d.Teams = append([]views.Option{{Value: "", Label: "— pick a team —"}}, teams...)
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
			errs["name"] = "This team already has a group with this name."
		case err != nil:
			return err
		default:
			s.setFlash(c, "ok", "Group "+g.Name+" created. Now add its members.")
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
		return userError(http.StatusBadRequest, "The form could not be read.")
	}
	name := form(c, "name")
	errs := views.FieldErrors{}
	checkName(c, errs, "name", name, 100)
	ids, ok := contactMemberIDs(params["member_id"])
	switch {
	case !ok:
		errs["member_id"] = "Pick members from the list."
	case len(ids) > maxContactGroupMembers:
		errs["member_id"] = "A group has at most " + itoa(maxContactGroupMembers) + " members."
	}
	scheduleIDs, err := parseIDs(params["schedule_id"])
	if err != nil {
		errs["schedule_id"] = "Pick schedules from the list."
	}
	// Checked before anything is stored, so a refused schedule leaves the group as it was.
	teamSchedules, err := s.deps.DB.Schedules(c.Request().Context(), db.TeamScope(g.TeamID))
	if err != nil {
		return err
	}
	for _, id := range scheduleIDs {
		if !slices.ContainsFunc(teamSchedules, func(sc db.Schedule) bool { return sc.ID == id }) {
			errs["schedule_id"] = "Only schedules of team " + g.TeamName + " can be mentioned by this group."
		}
	}
	if len(errs) == 0 {
		ng, err := s.deps.DB.UpdateContactGroup(c.Request().Context(), actor(c), scope(c), g.ID, name, ids)
		if err == nil {
			err = s.deps.DB.SetGroupSchedules(c.Request().Context(), actor(c), scope(c), g.ID, scheduleIDs)
		}
		switch {
		case errors.Is(err, db.ErrForeignMember):
			errs["member_id"] = "Only contacts of team " + g.TeamName + " can be members of this group."
		case errors.Is(err, db.ErrConflict):
			errs["name"] = "This team already has a group with this name."
		case err != nil:
			return err
		default:
			s.setFlash(c, "ok", "Group "+ng.Name+" saved.")
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
		s.setFlash(c, "error", "Group "+g.Name+" is still mentioned by "+ruleList(c, names)+". Remove it from those rules first, then delete it.")
		return redirect(c, "/contacts/groups/"+itoa(g.ID))
	}
	if err != nil {
		return err
	}
	s.setFlash(c, "ok", "Group "+g.Name+" deleted.")
	return redirect(c, "/contacts/groups")
}

// myContactData loads the signed-in user's card; a card left behind in a former team only
// pre-fills the form (saving makes a new card in the current team).
func (s *Server) myContactData(c echo.Context) (views.MyContactData, views.ContactFormData, error) {
	u := currentUser(c)
	d := views.MyContactData{Page: s.page(c, "My contact card", "account"), HasTeam: u.TeamID != 0, Team: u.TeamName, CanWrite: u.CanWrite()}
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
		errs["_form"] = "Contact cards belong to a team, and your account is not in one."
	}
	if len(errs) == 0 {
		_, err := s.deps.DB.SaveOwnContact(c.Request().Context(), actor(c), *u, f.input(u.TeamID))
		if !contactConflict(err, errs) {
			if err != nil {
				return err
			}
			s.setFlash(c, "ok", "Your contact card is saved.")
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
