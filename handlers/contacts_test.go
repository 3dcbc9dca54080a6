package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"alertdesk/db"
)

func contactsCount(t *testing.T, ts *testServer) int {
	t.Helper()
	cs, err := ts.DB.Contacts(context.Background(), db.AllTeams, "")
	if err != nil {
		t.Fatal(err)
	}
	return len(cs)
}

func contactsMust(t *testing.T, ts *testServer, in db.ContactInput) db.Contact {
	t.Helper()
	c, err := ts.DB.CreateContact(context.Background(), db.SystemActor, in)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestContactsCreateEditDelete(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	alice := ts.login(t, "alice", testPassword)

	rec := alice.get(t, "/contacts/new")
	wantStatus(t, rec, http.StatusOK)
	for _, want := range []string{`id="contact-form"`, `name="mobile"`, `name="feishu_open_id"`, `data-testid="contact-team">alpha<`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("new form lacks %s", want)
		}
	}
	if strings.Contains(rec.Body.String(), `name="team_id"`) {
		t.Error("a member's form offers a team picker")
	}

	rec = alice.postForm(t, "/contacts", url.Values{"name": {"Zhang San"}, "mobile": {"+86 138-0013-8000"},
		"dingtalk_user_id": {"zhangsan"}, "feishu_open_id": {"ou_7d8a6e6df7621556ce0d21922b676706"}, "wecom_user_id": {"ZhangSan"}}, false)
	wantStatus(t, rec, http.StatusSeeOther)
	if loc := rec.Header().Get("Location"); loc != "/contacts" {
		t.Errorf("Location = %q, want /contacts", loc)
	}
	cs, _ := ts.DB.Contacts(ctx, db.AllTeams, "")
	if len(cs) != 1 {
		t.Fatalf("contacts = %+v, want one", cs)
	}
	c := cs[0]
	if c.TeamID != ts.TeamA.ID || c.Mobile != "+8613800138000" || c.Name != "Zhang San" || c.WeComUserID != "ZhangSan" {
		t.Fatalf("stored = %+v", c)
	}

	rec = alice.get(t, "/contacts")
	wantStatus(t, rec, http.StatusOK)
	body := bodyText(rec)
	if !strings.Contains(body, "Contact Zhang San created.") || strings.Count(body, `data-testid="contact-row"`) != 1 {
		t.Errorf("list after create lacks the flash or the row:\n%s", body)
	}

	id := idStr(c.ID)
	rec = alice.get(t, "/contacts/"+id)
	wantStatus(t, rec, http.StatusOK)
	if !strings.Contains(rec.Body.String(), `value="ou_7d8a6e6df7621556ce0d21922b676706"`) {
		t.Error("edit form does not show the stored open_id")
	}
	rec = alice.postForm(t, "/contacts/"+id, url.Values{"name": {"Zhang San (ops)"}, "email": {"zs@example.com"},
		"feishu_open_id": {"zhangsan01"}}, true)
	wantStatus(t, rec, http.StatusNoContent)
	if got := rec.Header().Get("HX-Redirect"); got != "/contacts" {
		t.Errorf("HX-Redirect = %q", got)
	}
	c, err := ts.DB.ContactByID(ctx, db.AllTeams, c.ID)
	if err != nil || c.Name != "Zhang San (ops)" || c.Mobile != "" || c.Email != "zs@example.com" || c.FeishuOpenID != "zhangsan01" {
		t.Fatalf("after update = %+v, %v", c, err)
	}

	rec = alice.postForm(t, "/contacts/"+id+"/delete", nil, false)
	wantStatus(t, rec, http.StatusSeeOther)
	if n := contactsCount(t, ts); n != 0 {
		t.Fatalf("contacts after delete = %d", n)
	}
	events, _, err := ts.DB.AuditEvents(ctx, db.AuditFilter{ObjectType: "contact"})
	if err != nil || len(events) != 3 || events[0].Actor != "alice" {
		t.Errorf("audit = %+v, %v; want create, update, delete by alice", events, err)
	}
}

func TestContactsCreateRejected(t *testing.T) {
	ts := newTestServer(t)
	contactsMust(t, ts, db.ContactInput{TeamID: ts.TeamA.ID, Name: "Alice", Mobile: "+8613800138000", DingTalkUserID: "alice01",
		FeishuOpenID: "ou_alice", WeComUserID: "alice"})
	alice := ts.login(t, "alice", testPassword)
	ok := url.Values{"name": {"Bob"}, "email": {"bob@example.com"}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for kk, vv := range ok {
			f[kk] = vv
		}
		f.Set(k, v)
		return f
	}
	tests := []struct {
		name string
		form url.Values
		want string
	}{
		{"duplicate mobile", with("mobile", "+86 1380013 8000"), "Another contact of this team already has this mobile: Alice"},
		{"duplicate dingtalk", with("dingtalk_user_id", "alice01"), "Another contact of this team already has this DingTalk userId: Alice"},
		{"duplicate feishu", with("feishu_open_id", "ou_alice"), "Another contact of this team already has this Feishu/Lark ID: Alice"},
		{"duplicate wecom", with("wecom_user_id", "alice"), "Another contact of this team already has this WeCom userid: Alice"},
		{"no identity", url.Values{"name": {"Bob"}}, "Give at least one way to reach this person"},
		{"missing name", with("name", ""), "This field is required."},
		{"long name", with("name", strings.Repeat("n", 101)), "Use at most 100 characters."},
		{"mobile letters", with("mobile", "138-abc-0000"), "Enter 5 to 20 digits"},
		{"mobile short", with("mobile", "1234"), "Enter 5 to 20 digits"},
		{"mobile plus inside", with("mobile", "86+1380013800"), "Enter 5 to 20 digits"},
		{"mobile long", with("mobile", strings.Repeat("1", 41)), "Use at most 40 characters."},
		{"email no at", with("email", "bob.example.com"), "Enter an email address like name@example.com."},
		{"email two at", with("email", "bob@@example.com"), "Enter an email address like name@example.com."},
		{"email no dot", with("email", "bob@localhost"), "Enter an email address like name@example.com."},
		{"email long", with("email", strings.Repeat("b", 250)+"@example.com"), "Use at most 254 characters."},
		{"dingtalk space", with("dingtalk_user_id", "ali ce"), "A DingTalk userId has only letters, digits, _ and -."},
		{"dingtalk long", with("dingtalk_user_id", strings.Repeat("a", 65)), "Use at most 64 characters."},
		{"feishu bad prefix", with("feishu_open_id", "on_abc"), "Enter an open_id (ou_"},
		{"feishu upper user_id", with("feishu_open_id", "ABCDEF"), "Enter an open_id (ou_"},
		{"feishu short user_id", with("feishu_open_id", "abc"), "Enter an open_id (ou_"},
		{"feishu empty open_id", with("feishu_open_id", "ou_"), "Enter an open_id (ou_"},
		{"wecom slash", with("wecom_user_id", "a/b"), "A WeCom userid has only letters, digits and _ . @ -."},
		{"wecom markup", with("wecom_user_id", `<script>`), "A WeCom userid has only letters"},
		{"another team", with("team_id", idStr(ts.TeamB.ID)), "Pick one of your teams."},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			htmx := i%2 == 0
			rec := alice.postForm(t, "/contacts", tt.form, htmx)
			wantStatus(t, rec, http.StatusUnprocessableEntity)
			body := bodyText(rec)
			if !strings.Contains(body, tt.want) {
				t.Errorf("body lacks %q:\n%s", tt.want, body)
			}
			if htmx && strings.Contains(body, "<html") {
				t.Error("htmx request got a full page, want the form fragment")
			}
			if !htmx && !strings.Contains(body, "<html") {
				t.Error("plain request got a fragment, want the page")
			}
			if tt.form.Get("name") != "" && len(tt.form.Get("name")) <= 100 && !strings.Contains(body, `value="`+tt.form.Get("name")+`"`) {
				t.Error("the typed name is not kept")
			}
			if n := contactsCount(t, ts); n != 1 {
				t.Fatalf("contacts = %d, want 1: nothing may be stored", n)
			}
		})
	}
	// The same numbers are fine in another team.
	bob := ts.login(t, "bob", testPassword)
	rec := bob.postForm(t, "/contacts", url.Values{"name": {"Alice B"}, "mobile": {"+8613800138000"}, "dingtalk_user_id": {"alice01"}}, false)
	wantStatus(t, rec, http.StatusSeeOther)
}

func TestContactsEditRejectedKeepsStored(t *testing.T) {
	ts := newTestServer(t)
	contactsMust(t, ts, db.ContactInput{TeamID: ts.TeamA.ID, Name: "Alice", Mobile: "13800138000"})
	c := contactsMust(t, ts, db.ContactInput{TeamID: ts.TeamA.ID, Name: "Carol", Email: "carol@example.com"})
	alice := ts.login(t, "alice", testPassword)
	rec := alice.postForm(t, "/contacts/"+idStr(c.ID), url.Values{"name": {"Carol"}, "mobile": {"138 0013 8000"}}, false)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if !strings.Contains(bodyText(rec), "Another contact of this team already has this mobile: Alice") {
		t.Errorf("body lacks the duplicate message:\n%s", rec.Body)
	}
	got, _ := ts.DB.ContactByID(context.Background(), db.AllTeams, c.ID)
	if got.Mobile != "" || got.Email != "carol@example.com" {
		t.Errorf("stored after refused edit = %+v", got)
	}
}

func TestContactsOtherTeam(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	mine := contactsMust(t, ts, db.ContactInput{TeamID: ts.TeamA.ID, Name: "Ann Alpha", Email: "ann@example.com"})
	theirs := contactsMust(t, ts, db.ContactInput{TeamID: ts.TeamB.ID, Name: "Bert Beta", Mobile: "13900000000"})
	alice := ts.login(t, "alice", testPassword)

	for _, path := range []string{"/contacts/" + idStr(theirs.ID), "/contacts/999999"} {
		rec := alice.get(t, path)
		wantStatus(t, rec, http.StatusNotFound)
		if strings.Contains(rec.Body.String(), "Bert") {
			t.Errorf("404 page for %s names the contact", path)
		}
	}
	rec := alice.postForm(t, "/contacts/"+idStr(theirs.ID), url.Values{"name": {"Hijacked"}, "email": {"x@example.com"}}, false)
	wantStatus(t, rec, http.StatusNotFound)
	rec = alice.postForm(t, "/contacts/"+idStr(theirs.ID)+"/delete", nil, true)
	wantStatus(t, rec, http.StatusNotFound)
	got, err := ts.DB.ContactByID(ctx, db.AllTeams, theirs.ID)
	if err != nil || got.Name != "Bert Beta" {
		t.Fatalf("other team's contact after attempts = %+v, %v", got, err)
	}

	// Lists and searches never show another team's contacts.
	for _, path := range []string{"/contacts", "/contacts?q=Bert", "/contacts?q=139", "/contacts?q=%25"} {
		rec := alice.get(t, path)
		wantStatus(t, rec, http.StatusOK)
		if strings.Contains(rec.Body.String(), "Bert Beta") || strings.Contains(rec.Body.String(), "13900000000") {
			t.Errorf("GET %s shows team beta's contact", path)
		}
	}
	rec = alice.getHTMX(t, "/contacts?q=ann")
	wantStatus(t, rec, http.StatusOK)
	if body := rec.Body.String(); strings.Contains(body, "<html") || !strings.Contains(body, `data-testid="contacts-table"`) ||
		strings.Count(body, `data-testid="contact-row"`) != 1 || !strings.Contains(body, "Ann Alpha") {
		t.Errorf("htmx search fragment:\n%s", body)
	}
	rec = alice.getHTMX(t, "/contacts?q=Bert")
	if strings.Count(rec.Body.String(), `data-testid="contact-row"`) != 0 {
		t.Errorf("member search finds another team's contact:\n%s", rec.Body)
	}
	if strings.Contains(alice.get(t, "/contacts").Body.String(), `data-testid="contact-team"`) {
		t.Error("a member's list has a team column")
	}

	// Admins see every team, with the team column.
	admin := ts.login(t, "admin", testPassword)
	rec = admin.get(t, "/contacts")
	body := rec.Body.String()
	if !strings.Contains(body, "Ann Alpha") || !strings.Contains(body, "Bert Beta") || !strings.Contains(body, `data-testid="contact-team">beta<`) {
		t.Errorf("admin list lacks a team's contacts or the team column:\n%s", body)
	}
	_ = mine
}

func TestContactDeleteStillMentioned(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	c := contactsMust(t, ts, db.ContactInput{TeamID: ts.TeamA.ID, Name: "Ann Alpha", Email: "ann@example.com"})
	// A disabled rule may have no robot; it still mentions Ann.
	if _, err := ts.DB.CreateRule(ctx, db.SystemActor, db.RuleInput{TeamID: ts.TeamA.ID, Name: "paging", Severity: "warning",
		GroupWait: time.Second, RepeatInterval: time.Hour, ContactIDs: []int64{c.ID}}); err != nil {
		t.Fatal(err)
	}
	alice := ts.login(t, "alice", testPassword)
	rec := alice.postForm(t, "/contacts/"+idStr(c.ID)+"/delete", nil, false)
	wantStatus(t, rec, http.StatusSeeOther)
	rec = alice.get(t, rec.Header().Get("Location"))
	if !strings.Contains(bodyText(rec), `Ann Alpha is still mentioned by the alert rule "paging". Remove the contact from those rules first`) {
		t.Errorf("page after refused delete lacks the reason:\n%s", rec.Body)
	}
	if _, err := ts.DB.ContactByID(ctx, db.AllTeams, c.ID); err != nil {
		t.Errorf("contact after refused delete: %v", err)
	}
}

func TestContactGroups(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	ann := contactsMust(t, ts, db.ContactInput{TeamID: ts.TeamA.ID, Name: "Ann Alpha", Email: "ann@example.com"})
	amy := contactsMust(t, ts, db.ContactInput{TeamID: ts.TeamA.ID, Name: "Amy Alpha", Mobile: "13700000000"})
	bert := contactsMust(t, ts, db.ContactInput{TeamID: ts.TeamB.ID, Name: "Bert Beta", Mobile: "13900000000"})
	alice := ts.login(t, "alice", testPassword)

	rec := alice.postForm(t, "/contacts/groups", url.Values{"name": {"db on-call"}}, false)
	wantStatus(t, rec, http.StatusSeeOther)
	groups, _ := ts.DB.ContactGroups(ctx, db.AllTeams)
	if len(groups) != 1 || groups[0].TeamID != ts.TeamA.ID {
		t.Fatalf("groups = %+v", groups)
	}
	g := groups[0]
	gpath := "/contacts/groups/" + idStr(g.ID)
	if loc := rec.Header().Get("Location"); loc != gpath {
		t.Errorf("Location = %q, want %q", loc, gpath)
	}
	rec = alice.postForm(t, "/contacts/groups", url.Values{"name": {"DB On-Call"}}, true)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if !strings.Contains(rec.Body.String(), "This team already has a group with this name.") {
		t.Errorf("duplicate group name:\n%s", rec.Body)
	}

	// The edit page works without JS: a checkbox per contact of the team, none of team beta.
	rec = alice.get(t, gpath)
	wantStatus(t, rec, http.StatusOK)
	body := rec.Body.String()
	if strings.Count(body, `type="checkbox" name="member_id"`) != 2 || strings.Contains(body, "Bert") {
		t.Errorf("checkbox list:\n%s", body)
	}

	// Another team's contact in the member list: 422, nothing stored, not even the new name.
	for _, htmx := range []bool{false, true} {
		rec = alice.postForm(t, gpath, url.Values{"name": {"renamed"}, "member_id": {idStr(ann.ID), idStr(bert.ID)}}, htmx)
		wantStatus(t, rec, http.StatusUnprocessableEntity)
		body = bodyText(rec)
		if !strings.Contains(body, "Only contacts of team alpha can be members of this group.") || strings.Contains(body, "Bert") {
			t.Errorf("foreign member (htmx=%v):\n%s", htmx, body)
		}
		got, _ := ts.DB.ContactGroupByID(ctx, db.AllTeams, g.ID)
		if got.Name != "db on-call" || len(got.Members) != 0 {
			t.Fatalf("group after refused save = %+v", got)
		}
	}
	rec = alice.postForm(t, gpath, url.Values{"name": {"db on-call"}, "member_id": {"abc"}}, false)
	wantStatus(t, rec, http.StatusUnprocessableEntity)

	// The htmx member editor: add and remove recompute the set; foreign ids are dropped.
	rec = alice.getHTMX(t, gpath+"/members?member_id="+idStr(ann.ID)+"&add="+idStr(amy.ID))
	wantStatus(t, rec, http.StatusOK)
	body = rec.Body.String()
	if strings.Count(body, `data-testid="group-member"`) != 2 || !strings.Contains(body, `type="hidden" name="member_id" value="`+idStr(amy.ID)+`"`) ||
		!strings.Contains(body, `data-testid="member-search"`) {
		t.Errorf("members after add:\n%s", body)
	}
	rec = alice.getHTMX(t, gpath+"/members?member_id="+idStr(ann.ID)+"&member_id="+idStr(amy.ID)+"&remove="+idStr(ann.ID)+"&add="+idStr(bert.ID))
	body = rec.Body.String()
	if strings.Count(body, `data-testid="group-member"`) != 1 || strings.Contains(body, "Bert") || strings.Contains(body, `name="member_id" value="`+idStr(ann.ID)+`"`) {
		t.Errorf("members after remove + foreign add:\n%s", body)
	}

	// Candidates: the team's contacts matching q, minus members; never another team's.
	rec = alice.getHTMX(t, gpath+"/candidates?q=alpha&member_id="+idStr(ann.ID))
	wantStatus(t, rec, http.StatusOK)
	body = rec.Body.String()
	if strings.Count(body, `data-testid="candidate-row"`) != 1 || !strings.Contains(body, "Amy Alpha") {
		t.Errorf("candidates:\n%s", body)
	}
	rec = alice.getHTMX(t, gpath+"/candidates?q=Bert")
	if strings.Count(rec.Body.String(), `data-testid="candidate-row"`) != 0 {
		t.Errorf("candidates include another team's contact:\n%s", rec.Body)
	}

	// Save the member set.
	rec = alice.postForm(t, gpath, url.Values{"name": {"db on-call"}, "member_id": {idStr(ann.ID), idStr(amy.ID), idStr(amy.ID)}}, true)
	wantStatus(t, rec, http.StatusNoContent)
	got, _ := ts.DB.ContactGroupByID(ctx, db.AllTeams, g.ID)
	if len(got.Members) != 2 {
		t.Fatalf("members after save = %+v", got.Members)
	}
	rec = alice.get(t, "/contacts/groups")
	if !strings.Contains(rec.Body.String(), "Amy Alpha") || strings.Count(rec.Body.String(), `data-testid="group-row"`) != 1 {
		t.Errorf("group list:\n%s", rec.Body)
	}

	// Another team's member cannot see or touch the group.
	bob := ts.login(t, "bob", testPassword)
	for _, path := range []string{gpath, gpath + "/candidates?q=", gpath + "/members"} {
		wantStatus(t, bob.get(t, path), http.StatusNotFound)
	}
	wantStatus(t, bob.postForm(t, gpath, url.Values{"name": {"x"}, "member_id": {idStr(bert.ID)}}, false), http.StatusNotFound)
	wantStatus(t, bob.postForm(t, gpath+"/delete", nil, false), http.StatusNotFound)
	if strings.Contains(bob.get(t, "/contacts/groups").Body.String(), "db on-call") {
		t.Error("bob's group list shows team alpha's group")
	}

	rec = alice.postForm(t, gpath+"/delete", nil, false)
	wantStatus(t, rec, http.StatusSeeOther)
	if gs, _ := ts.DB.ContactGroups(ctx, db.AllTeams); len(gs) != 0 {
		t.Errorf("groups after delete = %+v", gs)
	}
	if n := contactsCount(t, ts); n != 3 {
		t.Errorf("contacts after group delete = %d, want 3", n)
	}
}

func TestContactsAuditorReadOnly(t *testing.T) {
	ts := newTestServer(t)
	c := contactsMust(t, ts, db.ContactInput{TeamID: ts.TeamA.ID, Name: "Ann Alpha", Email: "ann@example.com"})
	g, err := ts.DB.CreateContactGroup(context.Background(), db.SystemActor, ts.TeamA.ID, "oncall", []int64{c.ID})
	if err != nil {
		t.Fatal(err)
	}
	aud := ts.login(t, "auditor", testPassword)
	rec := aud.get(t, "/contacts")
	wantStatus(t, rec, http.StatusOK)
	if body := rec.Body.String(); !strings.Contains(body, "Ann Alpha") || strings.Contains(body, `data-testid="contact-new"`) {
		t.Errorf("auditor list:\n%s", body)
	}
	rec = aud.get(t, "/contacts/"+idStr(c.ID))
	wantStatus(t, rec, http.StatusOK)
	if strings.Contains(rec.Body.String(), `data-testid="contact-save"`) || strings.Contains(rec.Body.String(), `data-testid="contact-delete"`) {
		t.Error("auditor sees write buttons on a contact")
	}
	rec = aud.get(t, "/contacts/groups/"+idStr(g.ID))
	wantStatus(t, rec, http.StatusOK)
	if strings.Contains(rec.Body.String(), `data-testid="group-save"`) || !strings.Contains(rec.Body.String(), "Ann Alpha") {
		t.Errorf("auditor group page:\n%s", rec.Body)
	}
	for _, p := range []struct {
		path string
		form url.Values
	}{
		{"/contacts", url.Values{"name": {"X"}, "email": {"x@example.com"}, "team_id": {idStr(ts.TeamA.ID)}}},
		{"/contacts/" + idStr(c.ID), url.Values{"name": {"X"}, "email": {"x@example.com"}}},
		{"/contacts/" + idStr(c.ID) + "/delete", nil},
		{"/contacts/groups", url.Values{"name": {"X"}, "team_id": {idStr(ts.TeamA.ID)}}},
		{"/contacts/groups/" + idStr(g.ID) + "/delete", nil},
		{"/account/contact", url.Values{"name": {"X"}, "email": {"x@example.com"}}},
	} {
		wantStatus(t, aud.postForm(t, p.path, p.form, false), http.StatusForbidden)
	}
	if n := contactsCount(t, ts); n != 1 {
		t.Errorf("contacts = %d after auditor posts", n)
	}
	rec = aud.get(t, "/account/contact")
	wantStatus(t, rec, http.StatusOK)
	if strings.Contains(rec.Body.String(), `data-testid="my-contact-save"`) {
		t.Error("auditor can save a contact card")
	}
}

func TestContactsCSRF(t *testing.T) {
	ts := newTestServer(t)
	alice := ts.login(t, "alice", testPassword)
	rec := alice.postForm(t, "/contacts", url.Values{"_csrf": {"forged"}, "name": {"X"}, "email": {"x@example.com"}}, false)
	wantStatus(t, rec, http.StatusForbidden)
	if n := contactsCount(t, ts); n != 0 {
		t.Errorf("contacts = %d after a forged post", n)
	}
}

func TestMyContactCard(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	alice := ts.login(t, "alice", testPassword)
	rec := alice.get(t, "/account/contact")
	wantStatus(t, rec, http.StatusOK)
	if body := rec.Body.String(); !strings.Contains(body, `id="my-contact-form"`) || !strings.Contains(body, `value="Alice Liddell"`) {
		t.Errorf("empty card does not default the name:\n%s", body)
	}

	rec = alice.postForm(t, "/account/contact", url.Values{"name": {"Alice Liddell"}}, true)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if !strings.Contains(rec.Body.String(), "Give at least one way to reach this person") {
		t.Errorf("no identity:\n%s", rec.Body)
	}
	if _, err := ts.DB.ContactByUser(ctx, ts.MemberA.ID); err == nil {
		t.Fatal("a card was stored for invalid input")
	}

	rec = alice.postForm(t, "/account/contact", url.Values{"name": {"Alice Liddell"}, "mobile": {"+1 555-0100"},
		"team_id": {idStr(ts.TeamB.ID)}}, false)
	wantStatus(t, rec, http.StatusSeeOther)
	c1, err := ts.DB.ContactByUser(ctx, ts.MemberA.ID)
	if err != nil || c1.TeamID != ts.TeamA.ID || c1.Mobile != "+15550100" {
		t.Fatalf("card = %+v, %v; want team alpha, mobile +15550100", c1, err)
	}
	rec = alice.get(t, "/account/contact")
	if body := bodyText(rec); !strings.Contains(body, "Your contact card is saved.") || !strings.Contains(body, `value="+15550100"`) {
		t.Errorf("card page after save:\n%s", body)
	}

	rec = alice.postForm(t, "/account/contact", url.Values{"name": {"Alice L."}, "wecom_user_id": {"alice.l"}}, true)
	wantStatus(t, rec, http.StatusNoContent)
	c2, err := ts.DB.ContactByUser(ctx, ts.MemberA.ID)
	if err != nil || c2.ID != c1.ID || c2.Name != "Alice L." || c2.Mobile != "" || c2.WeComUserID != "alice.l" {
		t.Fatalf("updated card = %+v, %v", c2, err)
	}
	if n := contactsCount(t, ts); n != 1 {
		t.Errorf("contacts = %d, want one card", n)
	}
	if !strings.Contains(alice.get(t, "/contacts").Body.String(), ">alice</span>") {
		t.Error("contact list does not show the linked user")
	}

	admin := ts.login(t, "admin", testPassword)
	rec = admin.get(t, "/account/contact")
	wantStatus(t, rec, http.StatusOK)
	if !strings.Contains(rec.Body.String(), `data-testid="my-contact-no-team"`) {
		t.Errorf("admin without a team:\n%s", rec.Body)
	}
	rec = admin.postForm(t, "/account/contact", url.Values{"name": {"Ada"}, "email": {"ada@example.com"}}, false)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if _, err := ts.DB.ContactByUser(ctx, ts.Admin.ID); err == nil {
		t.Error("a card was stored for an admin without a team")
	}
}
