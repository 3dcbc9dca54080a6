package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"alertdesk/db"
	"alertdesk/notify"
	"alertdesk/oncall"
	"alertdesk/views"
)

const (
	maxScheduleLayers = 10
	maxLayerMembers   = 50
	// calendarSpan is how far ahead the calendar, the gap warning and My shifts look.
	calendarSpan = 14 * 24 * time.Hour
)

// scheduleUnits are the shift length's units in the reader's language.
func scheduleUnits(c echo.Context) []views.Option {
	return []views.Option{{Value: "hours", Label: t(c, "schedules.unit_hours")}, {Value: "days", Label: t(c, "schedules.unit_days")},
		{Value: "weeks", Label: t(c, "schedules.unit_weeks")}}
}

// scheduleDays are a layer's restrictions in the reader's language.
func scheduleDays(c echo.Context) []views.Option {
	return []views.Option{
		{Value: "", Label: t(c, "schedules.days_all")},
		{Value: "weekdays", Label: t(c, "schedules.days_weekdays")},
		{Value: "weekends", Label: t(c, "schedules.days_weekends")},
		{Value: "daily", Label: t(c, "schedules.days_daily")},
	}
}

// scheduleTime shows a schedule's time in its zone, zone shown.
func scheduleTime(at time.Time, loc *time.Location) string {
	return at.In(loc).Format("2006-01-02 15:04 MST")
}

// teamContacts lists a team's contacts: rotations name them, pages show their names.
func (s *Server) teamContacts(c echo.Context, teamID int64) ([]db.Contact, error) {
	return s.deps.DB.Contacts(c.Request().Context(), db.TeamScope(teamID), "")
}

func contactNameMap(cs []db.Contact) map[int64]string {
	m := make(map[int64]string, len(cs))
	for _, ct := range cs {
		m[ct.ID] = ct.Name
	}
	return m
}

func (s *Server) schedulesList(c echo.Context) error {
	u := currentUser(c)
	rows, err := s.scheduleRows(c)
	if err != nil {
		return err
	}
	d := views.SchedulesPageData{Page: s.page(c, t(c, "schedules.title"), "contacts"), ShowTeam: u.Role != db.RoleMember,
		CanWrite: u.CanWrite(), Rows: rows}
	return render(c, http.StatusOK, views.SchedulesPage(d))
}

// scheduleRows lists the schedules in the user's scope with who is on call in each now.
func (s *Server) scheduleRows(c echo.Context) ([]views.ScheduleRow, error) {
	list, err := s.deps.DB.Schedules(c.Request().Context(), scope(c))
	if err != nil {
		return nil, err
	}
	var rows []views.ScheduleRow
	names := map[int64]map[int64]string{}
	now := s.now()
	for _, sc := range list {
		if names[sc.TeamID] == nil {
			cs, err := s.teamContacts(c, sc.TeamID)
			if err != nil {
				return nil, err
			}
			names[sc.TeamID] = contactNameMap(cs)
		}
		r := views.ScheduleRow{ID: sc.ID, Name: sc.Name, Team: sc.TeamName, EditURL: "/schedules/" + itoa(sc.ID)}
		nowView := onCallNowView(c, sc, now, names[sc.TeamID])
		r.OnCall, r.Gap = nowView.Name, nowView.Gap
		if nowView.Broken != "" {
			r.OnCall = nowView.Broken
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// onCallNowView says who is on call in sc at now and until when.
func onCallNowView(c echo.Context, sc db.Schedule, now time.Time, names map[int64]string) views.OnCallNow {
	plan, err := sc.Plan()
	if err != nil {
		return views.OnCallNow{Broken: t(c, "schedules.broken", "Detail", strings.TrimPrefix(err.Error(), "db: "))}
	}
	oc := plan.At(now)
	var v views.OnCallNow
	switch oc.Source {
	case oncall.FromOverride:
		v.Name, v.Why = names[oc.Contact], t(c, "schedules.override")
	case oncall.FromLayer:
		v.Name, v.Why = names[oc.Contact], t(c, "schedules.layer_n", "N", oc.Layer+1)
	default:
		v.Gap = true
		if fb := names[sc.FallbackContactID]; fb != "" {
			v.Name, v.Why = fb, t(c, "schedules.why_fallback", "Name", fb)
		} else {
			v.Why = t(c, "schedules.why_nobody")
		}
	}
	if next, ok := plan.NextHandoff(now, calendarSpan); ok {
		v.Until = scheduleTime(next, scheduleZone(sc))
	}
	return v
}

// scheduleZone is the zone the schedule's pages show times in: its first layer's.
func scheduleZone(sc db.Schedule) *time.Location {
	for _, l := range sc.Layers {
		if loc, err := time.LoadLocation(l.Zone); err == nil {
			return loc
		}
	}
	return time.UTC
}

func (s *Server) schedulesNew(c echo.Context) error {
	u := currentUser(c)
	if !u.CanWrite() {
		return userError(http.StatusForbidden, "%s", t(c, "common.err.auditor_read_only"))
	}
	f := views.ScheduleFormData{Layers: []views.LayerRowData{newLayerRow(s.now())}}
	if u.TeamID != 0 {
		f.TeamID = itoa(u.TeamID)
	}
	d, err := s.scheduleEditData(c, db.Schedule{TeamID: u.TeamID}, t(c, "schedules.new"))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.ScheduleEditPage(d, f, nil))
}

func newLayerRow(now time.Time) views.LayerRowData {
	// Yesterday 09:00: a new rotation has someone on shift at once, in any zone.
	start := time.Date(now.Year(), now.Month(), now.Day()-1, 9, 0, 0, 0, time.UTC)
	return views.LayerRowData{Length: "1", Unit: "weeks", Start: start.Format(db.LayerStartLayout), Zone: "Asia/Shanghai", From: "09:00", To: "18:00"}
}

func (s *Server) schedulesLayerRow(c echo.Context) error {
	return render(c, http.StatusOK, views.LayerRow(newLayerRow(s.now()), scheduleUnits(c), scheduleDays(c)))
}

// scheduleEditData fills the page around the form: for a stored schedule, who is on call
// now, its gaps, overrides and calendar.
func (s *Server) scheduleEditData(c echo.Context, sc db.Schedule, title string) (views.ScheduleEditData, error) {
	u := currentUser(c)
	d := views.ScheduleEditData{Page: s.page(c, title, "contacts"), ID: sc.ID, Title: title, CanWrite: u.CanWrite(),
		Units: scheduleUnits(c), DayOpts: scheduleDays(c)}
	if sc.ID == 0 && u.Role != db.RoleMember {
		teams, err := s.teamOptions(c)
		if err != nil {
			return d, err
		}
		d.Teams = append([]views.Option{{Value: "", Label: t(c, "schedules.pick_team")}}, teams...)
	}
	if sc.TeamID == 0 {
		return d, nil
	}
	cs, err := s.teamContacts(c, sc.TeamID)
	if err != nil {
		return d, err
	}
	for _, ct := range cs {
		d.Contacts = append(d.Contacts, views.Option{Value: itoa(ct.ID), Label: ct.Name})
	}
	robots, err := s.deps.DB.Robots(c.Request().Context(), db.TeamScope(sc.TeamID))
	if err != nil {
		return d, err
	}
	for _, r := range robots {
		d.Robots = append(d.Robots, views.Option{Value: itoa(r.ID), Label: r.Name + " (" + notify.Platform(r.Platform).Label() + ")"})
	}
	if sc.ID == 0 {
		return d, nil
	}
	d.Team = t(c, "schedules.team_of", "Team", sc.TeamName)
	names := contactNameMap(cs)
	now := s.now()
	d.Now = onCallNowView(c, sc, now, names)
	loc := scheduleZone(sc)
	d.Zone = loc.String()
	for _, o := range sc.Overrides {
		if o.To.Before(now) {
			continue
		}
		d.Overrides = append(d.Overrides, views.OverrideRow{ID: o.ID, Who: names[o.ContactID],
			From: scheduleTime(o.From, loc), To: scheduleTime(o.To, loc)})
	}
	plan, err := sc.Plan()
	if err != nil {
		return d, nil // d.Now.Broken says why
	}
	n := now.In(loc)
	day := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, loc)
	for i := 0; i < 14; i++ {
		next := time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc)
		cd := views.CalendarDay{Date: t(c, "schedules.calendar_day", "Weekday", weekdayName(c, day.Weekday()), "Date", day.Format("2006-01-02"))}
		for _, sh := range plan.Shifts(day, next) {
			cs := views.CalendarShift{From: sh.From.In(loc).Format("15:04"), To: sh.To.In(loc).Format("15:04"),
				Who: names[sh.Contact], Gap: sh.Source == oncall.Gap, Override: sh.Source == oncall.FromOverride}
			if sh.To.Equal(next) {
				cs.To = "24:00"
			}
			if cs.Gap {
				cs.Who = t(c, "schedules.cal_nobody")
				if fb := names[sc.FallbackContactID]; fb != "" {
					cs.Who = t(c, "schedules.cal_nobody_fallback", "Name", fb)
				}
			}
			cd.Shifts = append(cd.Shifts, cs)
		}
		d.Calendar = append(d.Calendar, cd)
		day = next
	}
	for _, g := range plan.Gaps(now, now.Add(calendarSpan)) {
		d.Gaps = append(d.Gaps, scheduleTime(g.From, loc)+" – "+scheduleTime(g.To, loc))
	}
	return d, nil
}

func scheduleFormOf(sc db.Schedule, names map[int64]string) views.ScheduleFormData {
	f := views.ScheduleFormData{TeamID: itoa(sc.TeamID), Name: sc.Name, Handoff: idOrEmpty(sc.HandoffRobotID)}
	if sc.FallbackContactID != 0 {
		f.Fallback = itoa(sc.FallbackContactID)
	}
	for _, l := range sc.Layers {
		var ms []string
		for _, id := range l.Members {
			ms = append(ms, names[id])
		}
		f.Layers = append(f.Layers, views.LayerRowData{Members: strings.Join(ms, ", "), Length: strconv.Itoa(l.Length),
			Unit: l.Unit, Start: l.Start, Zone: l.Zone, Days: l.Days, From: l.From, To: l.To})
	}
	return f
}

func scheduleFormFrom(c echo.Context) (views.ScheduleFormData, error) {
	vals, err := c.FormParams()
	if err != nil {
		return views.ScheduleFormData{}, userError(http.StatusBadRequest, "%s", t(c, "schedules.err_form"))
	}
	f := views.ScheduleFormData{TeamID: form(c, "team_id"), Name: form(c, "name"), Fallback: form(c, "fallback"),
		Handoff: form(c, "handoff")}
	at := func(key string, i int) string {
		if v := vals[key]; i < len(v) {
			return strings.TrimSpace(v[i])
		}
		return ""
	}
	for i := range vals["layer_members"] {
		f.Layers = append(f.Layers, views.LayerRowData{Members: at("layer_members", i), Length: at("layer_length", i),
			Unit: at("layer_unit", i), Start: at("layer_start", i), Zone: at("layer_zone", i), Days: at("layer_days", i),
			From: at("layer_from", i), To: at("layer_to", i)})
	}
	return f, nil
}

// scheduleInput checks the form against the team's contacts; problems go to errs.
func scheduleInput(c echo.Context, f views.ScheduleFormData, contacts []db.Contact, errs views.FieldErrors) db.ScheduleInput {
	in := db.ScheduleInput{Name: f.Name}
	checkName(c, errs, "name", f.Name, 100)
	byName := map[string]int64{}
	for _, ct := range contacts {
		byName[strings.ToLower(ct.Name)] = ct.ID
	}
	if f.Fallback != "" {
		in.FallbackContactID = parseID(f.Fallback)
		if in.FallbackContactID <= 0 {
			errs["fallback"] = t(c, "schedules.err_pick_contact")
		}
	}
	if f.Handoff != "" {
		if in.HandoffRobotID = parseID(f.Handoff); in.HandoffRobotID <= 0 {
			errs["handoff"] = t(c, "schedules.err_pick_robot")
		}
	}
	var rows []views.LayerRowData
	for _, l := range f.Layers {
		if l.Members != "" || len(rows) == 0 && len(f.Layers) == 1 {
			rows = append(rows, l)
		}
	}
	if len(rows) > maxScheduleLayers {
		errs["layers"] = t(c, "schedules.err_layers_max", "Max", maxScheduleLayers)
		return in
	}
	for i, l := range rows {
		bad := func(msg string) { errs["layers"] = t(c, "schedules.err_layer", "N", i+1, "Problem", msg) }
		var members []int64
		for _, name := range strings.Split(l.Members, ",") {
			name = strings.TrimSpace(name)
			if name == "" {
				continue
			}
			id, ok := byName[strings.ToLower(name)]
			if !ok {
				bad(t(c, "schedules.err_no_contact", "Name", strconv.Quote(name)))
				return in
			}
			members = append(members, id)
		}
		if len(members) == 0 {
			bad(t(c, "schedules.err_rotation_empty"))
			return in
		}
		if len(members) > maxLayerMembers {
			bad(t(c, "schedules.err_rotation_max", "Max", maxLayerMembers))
			return in
		}
		length, err := strconv.Atoi(l.Length)
		if err != nil || length < 1 || length > 1000 {
			bad(t(c, "schedules.err_length"))
			return in
		}
		sl := db.ScheduleLayer{Members: members, Length: length, Unit: l.Unit, Start: l.Start, Zone: l.Zone, Days: l.Days}
		if l.Days != "" {
			sl.From, sl.To = l.From, l.To
		}
		switch {
		case !oncall.Unit(l.Unit).Valid():
			bad(t(c, "schedules.err_unit"))
			return in
		case l.Zone == "":
			bad(t(c, "schedules.err_zone_empty"))
			return in
		}
		if _, err := time.LoadLocation(l.Zone); err != nil {
			bad(t(c, "schedules.err_zone", "Zone", strconv.Quote(l.Zone)))
			return in
		}
		if _, err := time.Parse(db.LayerStartLayout, l.Start); err != nil {
			bad(t(c, "schedules.err_start"))
			return in
		}
		if l.Days != "" {
			if _, ok := db.RestrictDays[l.Days]; !ok {
				bad(t(c, "schedules.err_days"))
				return in
			}
			if _, err := time.Parse("15:04", l.From); err != nil {
				bad(t(c, "schedules.err_hours"))
				return in
			}
			if _, err := time.Parse("15:04", l.To); err != nil {
				bad(t(c, "schedules.err_hours"))
				return in
			}
		}
		in.Layers = append(in.Layers, sl)
	}
	return in
}

func (s *Server) schedulesCreate(c echo.Context) error {
	f, err := scheduleFormFrom(c)
	if err != nil {
		return err
	}
	errs := views.FieldErrors{}
	teamID := s.teamFromForm(c, errs, "team_id")
	var contacts []db.Contact
	if teamID > 0 {
		if contacts, err = s.teamContacts(c, teamID); err != nil {
			return err
		}
	}
	in := scheduleInput(c, f, contacts, errs)
	in.TeamID = teamID
	if len(errs) == 0 {
		sc, err := s.deps.DB.CreateSchedule(c.Request().Context(), actor(c), in)
		if !scheduleSaveError(c, err, errs) {
			s.setFlash(c, "ok", t(c, "schedules.created", "Name", sc.Name))
			return redirect(c, "/schedules/"+itoa(sc.ID))
		}
	}
	d, err := s.scheduleEditData(c, db.Schedule{TeamID: teamID}, t(c, "schedules.new"))
	if err != nil {
		return err
	}
	return render(c, http.StatusUnprocessableEntity, views.ScheduleEditPage(d, f, errs))
}

// scheduleSaveError puts a save error in words into errs; false when err is nil.
func scheduleSaveError(c echo.Context, err error, errs views.FieldErrors) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, db.ErrConflict):
		errs["name"] = t(c, "schedules.err_name_taken")
	case errors.Is(err, db.ErrForeignRef):
		errs["handoff"] = t(c, "schedules.err_team_robot")
	case errors.Is(err, db.ErrForeignMember):
		errs["layers"] = t(c, "schedules.err_foreign_member")
	default:
		errs["_form"] = t(c, "schedules.err_save", "Detail", strings.TrimPrefix(err.Error(), "db: "))
	}
	return true
}

func (s *Server) scheduleByParam(c echo.Context) (db.Schedule, error) {
	id, err := paramID(c, "id")
	if err != nil {
		return db.Schedule{}, err
	}
	sc, err := s.deps.DB.ScheduleByID(c.Request().Context(), scope(c), id)
	if errors.Is(err, db.ErrNotFound) {
		return sc, userError(http.StatusNotFound, "%s", t(c, "common.err.not_found"))
	}
	return sc, err
}

func (s *Server) schedulesEdit(c echo.Context) error {
	sc, err := s.scheduleByParam(c)
	if err != nil {
		return err
	}
	d, err := s.scheduleEditData(c, sc, t(c, "schedules.title_one", "Name", sc.Name))
	if err != nil {
		return err
	}
	cs, err := s.teamContacts(c, sc.TeamID)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.ScheduleEditPage(d, scheduleFormOf(sc, contactNameMap(cs)), nil))
}

func (s *Server) schedulesUpdate(c echo.Context) error {
	sc, err := s.scheduleByParam(c)
	if err != nil {
		return err
	}
	f, err := scheduleFormFrom(c)
	if err != nil {
		return err
	}
	f.TeamID = itoa(sc.TeamID)
	contacts, err := s.teamContacts(c, sc.TeamID)
	if err != nil {
		return err
	}
	errs := views.FieldErrors{}
	in := scheduleInput(c, f, contacts, errs)
	if len(errs) == 0 {
		nsc, err := s.deps.DB.UpdateSchedule(c.Request().Context(), actor(c), scope(c), sc.ID, in)
		if !scheduleSaveError(c, err, errs) {
			s.setFlash(c, "ok", t(c, "schedules.saved", "Name", nsc.Name))
			return redirect(c, "/schedules/"+itoa(sc.ID))
		}
	}
	d, err := s.scheduleEditData(c, sc, t(c, "schedules.title_one", "Name", sc.Name))
	if err != nil {
		return err
	}
	return render(c, http.StatusUnprocessableEntity, views.ScheduleEditPage(d, f, errs))
}

func (s *Server) schedulesDelete(c echo.Context) error {
	sc, err := s.scheduleByParam(c)
	if err != nil {
		return err
	}
	err = s.deps.DB.DeleteSchedule(c.Request().Context(), actor(c), scope(c), sc.ID)
	if errors.Is(err, db.ErrInUse) {
		names, nerr := s.deps.DB.RuleNamesMentioningSchedule(c.Request().Context(), sc.ID)
		if nerr != nil {
			return nerr
		}
		s.setFlash(c, "error", t(c, "schedules.in_use", "Name", sc.Name, "Rules", strings.Join(names, t(c, "schedules.list_sep"))))
		return redirect(c, "/schedules/"+itoa(sc.ID))
	}
	if err != nil {
		return err
	}
	s.setFlash(c, "ok", t(c, "schedules.deleted", "Name", sc.Name))
	return redirect(c, "/schedules")
}

func (s *Server) schedulesOverrideAdd(c echo.Context) error {
	sc, err := s.scheduleByParam(c)
	if err != nil {
		return err
	}
	loc := scheduleZone(sc)
	contactID := parseID(form(c, "contact_id"))
	from, err1 := time.ParseInLocation(db.LayerStartLayout, form(c, "from"), loc)
	to, err2 := time.ParseInLocation(db.LayerStartLayout, form(c, "to"), loc)
	var msg string
	switch {
	case contactID <= 0:
		msg = t(c, "schedules.err_override_who")
	case err1 != nil || err2 != nil:
		msg = t(c, "schedules.err_override_times")
	case !to.After(from):
		msg = t(c, "schedules.err_override_order")
	}
	if msg == "" {
		err := s.deps.DB.AddOverride(c.Request().Context(), actor(c), scope(c), sc.ID, contactID, from, to)
		switch {
		case errors.Is(err, db.ErrForeignMember):
			msg = t(c, "schedules.err_override_team", "Team", sc.TeamName)
		case err != nil:
			return err
		default:
			s.setFlash(c, "ok", t(c, "schedules.override_added"))
			return redirect(c, "/schedules/"+itoa(sc.ID))
		}
	}
	s.setFlash(c, "error", msg)
	return redirect(c, "/schedules/"+itoa(sc.ID))
}

func (s *Server) schedulesOverrideDelete(c echo.Context) error {
	sc, err := s.scheduleByParam(c)
	if err != nil {
		return err
	}
	oid, err := paramID(c, "oid")
	if err != nil {
		return err
	}
	err = s.deps.DB.DeleteOverride(c.Request().Context(), actor(c), scope(c), sc.ID, oid)
	if errors.Is(err, db.ErrNotFound) {
		return userError(http.StatusNotFound, "%s", t(c, "schedules.err_override_gone"))
	}
	if err != nil {
		return err
	}
	s.setFlash(c, "ok", t(c, "schedules.override_removed"))
	return redirect(c, "/schedules/"+itoa(sc.ID))
}

// myShifts lists the upcoming shifts of the user's linked contact card.
func (s *Server) myShifts(c echo.Context) ([]views.MyShift, bool, error) {
	ctx := c.Request().Context()
	u := currentUser(c)
	card, err := s.deps.DB.ContactByUser(ctx, u.ID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	list, err := s.deps.DB.Schedules(ctx, db.TeamScope(card.TeamID))
	if err != nil {
		return nil, true, err
	}
	now := s.now()
	var out []views.MyShift
	for _, sc := range list {
		plan, err := sc.Plan()
		if err != nil {
			continue
		}
		loc := scheduleZone(sc)
		for _, sh := range plan.Shifts(now, now.Add(calendarSpan)) {
			if sh.Contact == card.ID {
				out = append(out, views.MyShift{Schedule: sc.Name, URL: "/schedules/" + itoa(sc.ID),
					From: scheduleTime(sh.From, loc), To: scheduleTime(sh.To, loc)})
			}
		}
	}
	return out, true, nil
}

// onCallWarning words, for the flash after a rule is saved, who of the people its
// schedules can put on call (rotations, overrides, fallback) its robots' platforms cannot
// @-mention for want of an identity; "" when everyone can be.
func (s *Server) onCallWarning(c echo.Context, r db.Rule) string {
	return s.unmentionable(c, r.TeamID, r.RobotIDs, r.ScheduleIDs)
}

// unmentionable words who of the people the schedules can put on call the robots'
// platforms cannot @-mention; "" when everyone can be.
func (s *Server) unmentionable(c echo.Context, teamID int64, robotIDs, scheduleIDs []int64) string {
	who := s.unmentionableWho(c, teamID, robotIDs, scheduleIDs)
	if who == "" {
		return ""
	}
	return " " + t(c, "schedules.warn_unmentionable", "Who", who)
}

// unmentionableWho is unmentionable's list of who cannot be mentioned and why ("" for
// nobody).
func (s *Server) unmentionableWho(c echo.Context, teamID int64, robotIDs, scheduleIDs []int64) string {
	if len(scheduleIDs) == 0 {
		return ""
	}
	ctx := c.Request().Context()
	sc := db.TeamScope(teamID)
	var people []notify.Person
	for _, id := range scheduleIDs {
		sch, err := s.deps.DB.ScheduleByID(ctx, sc, id)
		if err != nil {
			continue
		}
		cs, err := s.deps.DB.ContactsByIDs(ctx, sc, sch.Contacts())
		if err != nil {
			continue
		}
		for _, ct := range cs {
			people = append(people, notify.Person{Name: ct.Name + " (" + sch.Name + ")", Mobile: ct.Mobile,
				DingTalkUserID: ct.DingTalkUserID, FeishuOpenID: ct.FeishuOpenID, WeComUserID: ct.WeComUserID})
		}
	}
	var skipped []string
	seen := map[string]bool{}
	for _, rid := range robotIDs {
		robot, err := s.deps.DB.RobotByID(ctx, sc, rid)
		if err != nil || seen[robot.Platform] {
			continue
		}
		seen[robot.Platform] = true
		skipped = append(skipped, notify.PlanMentions(notify.Platform(robot.Platform), people, false).Skipped...)
	}
	if len(skipped) == 0 {
		return ""
	}
	return strings.Join(skipped, "; ")
}

// weekdayName is a day's name in the reader's language.
func weekdayName(c echo.Context, d time.Weekday) string {
	return t(c, "schedules.weekday."+strings.ToLower(d.String()[:3]))
}
