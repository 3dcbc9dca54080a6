package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"alertdesk/alerting"
	"alertdesk/db"
)

var contactRowNameRe = regexp.MustCompile(`data-testid="contact-row"[^>]*>\s*<td[^>]*><a[^>]*><strong>([^<]+)</strong>`)

func contactNames(body string) []string {
	var out []string
	for _, m := range contactRowNameRe.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// The contacts list pages, sorts and searches in SQL, and its URLs carry the state.
func TestContactsListPagesSortsAndSearches(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	for i := 1; i <= 55; i++ {
		if _, err := ts.DB.CreateContact(ctx, db.SystemActor, db.ContactInput{TeamID: ts.TeamA.ID,
			Name: fmt.Sprintf("Person %02d", i), Email: fmt.Sprintf("p%02d@example.com", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ts.DB.CreateContact(ctx, db.SystemActor, db.ContactInput{TeamID: ts.TeamB.ID, Name: "Beta Only",
		DingTalkUserID: "beta01"}); err != nil {
		t.Fatal(err)
	}
	admin := ts.login(t, "admin", testPassword)

	rec := admin.get(t, "/contacts")
	wantStatus(t, rec, http.StatusOK)
	body := bodyText(rec)
	if n := strings.Count(body, `data-testid="contact-row"`); n != 50 {
		t.Fatalf("first page has %d rows, want 50", n)
	}
	if !strings.Contains(body, "1–50 of 56") || !strings.Contains(body, `data-testid="pager-next"`) ||
		strings.Contains(body, `data-testid="pager-prev"`) {
		t.Errorf("first page's pager is wrong:\n%s", body)
	}
	// Default order: team, then name; alpha's people come first.
	if names := contactNames(body); names[0] != "Person 01" {
		t.Errorf("first row = %q, want Person 01", names[0])
	}

	rec = admin.get(t, "/contacts?page=2")
	body = bodyText(rec)
	if n := strings.Count(body, `data-testid="contact-row"`); n != 6 {
		t.Errorf("second page has %d rows, want 6", n)
	}
	if !strings.Contains(body, "51–56 of 56") || !strings.Contains(body, `data-testid="pager-prev"`) ||
		strings.Contains(body, `data-testid="pager-next"`) {
		t.Errorf("second page's pager is wrong")
	}
	// A page past the end shows the last page rather than nothing.
	if n := strings.Count(admin.get(t, "/contacts?page=99").Body.String(), `data-testid="contact-row"`); n != 6 {
		t.Errorf("page 99 has %d rows, want the last page's 6", n)
	}

	// Sorted by name, descending: the sort link says so and the order follows.
	rec = admin.getHTMX(t, "/contacts?sort=name&dir=desc")
	body = bodyText(rec)
	if strings.Contains(body, "<html") {
		t.Fatal("htmx sort answers a whole page")
	}
	names := contactNames(body)
	if len(names) != 50 || names[0] != "Person 55" || names[1] != "Person 54" {
		t.Errorf("sorted by name desc: %v", names[:min(3, len(names))])
	}
	if !strings.Contains(body, `aria-sort="descending"`) || !strings.Contains(body, `href="/contacts?sort=name"`) {
		t.Errorf("the name header does not show the descending sort nor offer the ascending one")
	}
	// The sort is kept by the filter form (hidden inputs joined to it) and by the pager.
	if !strings.Contains(body, `name="sort" value="name" form="contacts-filters"`) ||
		!strings.Contains(body, `href="/contacts?dir=desc&page=2&sort=name"`) {
		t.Errorf("sort is not carried by the form or the pager")
	}
	// An unknown sort key is ignored, not an error or SQL.
	wantStatus(t, admin.get(t, "/contacts?sort=name;DROP&dir=desc"), http.StatusOK)

	// Search and filters narrow the list; the filters show what is in force.
	rec = admin.get(t, "/contacts?q=p07%40")
	if names := contactNames(bodyText(rec)); len(names) != 1 || names[0] != "Person 07" {
		t.Errorf("search p07@ = %v", names)
	}
	rec = admin.get(t, "/contacts?team="+idStr(ts.TeamB.ID))
	body = bodyText(rec)
	if names := contactNames(body); len(names) != 1 || names[0] != "Beta Only" {
		t.Errorf("team filter beta = %v", names)
	}
	if !strings.Contains(body, `value="`+idStr(ts.TeamB.ID)+`" selected`) {
		t.Error("the team filter does not show beta as chosen")
	}
	if names := contactNames(bodyText(admin.get(t, "/contacts?has=dingtalk"))); len(names) != 1 || names[0] != "Beta Only" {
		t.Errorf("has=dingtalk = %v", names)
	}
	if !strings.Contains(bodyText(admin.get(t, "/contacts?q=nobody-at-all")), "No contact matches this search.") {
		t.Error("an empty search result says nothing")
	}

	// A member's list stays in their team whatever the filter says.
	alice := ts.login(t, "alice", testPassword)
	if names := contactNames(bodyText(alice.get(t, "/contacts?team="+idStr(ts.TeamB.ID)+"&q=Beta"))); len(names) != 0 {
		t.Errorf("member sees %v through a team filter", names)
	}
}

var userRowRe = regexp.MustCompile(`data-testid="user-row" data-user="([^"]+)"`)

func userNames(body string) []string {
	var out []string
	for _, m := range userRowRe.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestUsersListSearchFilterSort(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.login(t, "admin", testPassword)
	if got := userNames(admin.get(t, "/admin/users").Body.String()); strings.Join(got, ",") != "admin,alice,auditor,bob" {
		t.Errorf("users = %v", got)
	}
	if got := userNames(admin.get(t, "/admin/users?sort=username&dir=desc").Body.String()); strings.Join(got, ",") != "bob,auditor,alice,admin" {
		t.Errorf("users by name desc = %v", got)
	}
	if got := userNames(admin.get(t, "/admin/users?q=liddell").Body.String()); strings.Join(got, ",") != "alice" {
		t.Errorf("search by display name = %v", got)
	}
	if got := userNames(admin.get(t, "/admin/users?role=member&team="+idStr(ts.TeamB.ID)).Body.String()); strings.Join(got, ",") != "bob" {
		t.Errorf("member of beta = %v", got)
	}
	if got := userNames(admin.get(t, "/admin/users?team=none").Body.String()); strings.Join(got, ",") != "admin,auditor" {
		t.Errorf("users in no team = %v", got)
	}
	rec := admin.getHTMX(t, "/admin/users?status=disabled")
	if body := rec.Body.String(); strings.Contains(body, "<html") || !strings.Contains(body, `id="users-results"`) ||
		len(userNames(body)) != 0 || !strings.Contains(body, "No user matches this search.") {
		t.Errorf("htmx disabled-users fragment:\n%s", body)
	}
}

var tokenRowRe = regexp.MustCompile(`data-testid="token-row" data-token="([^"]+)"`)

func tokenNames(body string) []string {
	var out []string
	for _, m := range tokenRowRe.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestTokensListSearchFilterSort(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	for i, n := range []struct {
		team int64
		name string
	}{{ts.TeamA.ID, "alpha-prom"}, {ts.TeamB.ID, "beta-grafana"}, {0, "global-am"}} {
		if _, err := ts.DB.CreateAPIToken(ctx, db.SystemActor, n.team, n.name, fmt.Sprintf("ad_token%029d", i)); err != nil {
			t.Fatal(err)
		}
	}
	list, err := ts.DB.APITokens(ctx, db.AllTeams)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range list {
		if k.Name == "beta-grafana" {
			if err := ts.DB.RevokeAPIToken(ctx, db.SystemActor, db.AllTeams, k.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	admin := ts.login(t, "admin", testPassword)
	if got := strings.Join(tokenNames(admin.get(t, "/admin/tokens").Body.String()), ","); got != "global-am,beta-grafana,alpha-prom" {
		t.Errorf("tokens newest first = %s", got)
	}
	if got := strings.Join(tokenNames(admin.get(t, "/admin/tokens?sort=name").Body.String()), ","); got != "alpha-prom,beta-grafana,global-am" {
		t.Errorf("tokens by name = %s", got)
	}
	if got := strings.Join(tokenNames(admin.get(t, "/admin/tokens?status=revoked").Body.String()), ","); got != "beta-grafana" {
		t.Errorf("revoked tokens = %s", got)
	}
	if got := strings.Join(tokenNames(admin.get(t, "/admin/tokens?team=global").Body.String()), ","); got != "global-am" {
		t.Errorf("global tokens = %s", got)
	}
	if got := strings.Join(tokenNames(admin.getHTMX(t, "/admin/tokens?q=graf").Body.String()), ","); got != "beta-grafana" {
		t.Errorf("search graf = %s", got)
	}
	alice := ts.login(t, "alice", testPassword)
	if got := strings.Join(tokenNames(alice.get(t, "/tokens?team=global").Body.String()), ","); got != "alpha-prom" {
		t.Errorf("member's tokens = %s", got)
	}
}

func TestSilencesListShowsCurrentUnlessAsked(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	now := ts.Clock.Now()
	mk := func(comment string, starts, ends time.Time) {
		t.Helper()
		if _, err := ts.DB.CreateSilence(ctx, db.SystemActor, db.Silence{TeamID: ts.TeamA.ID, StartsAt: starts, EndsAt: ends,
			Comment: comment, Matchers: alerting.Matchers{{Name: "service", Op: alerting.MatchEqual, Value: comment}}}); err != nil {
			t.Fatal(err)
		}
	}
	mk("oldmaint", now.Add(-3*time.Hour), now.Add(-2*time.Hour))
	mk("nowmaint", now.Add(-time.Hour), now.Add(time.Hour))
	mk("latermaint", now.Add(time.Hour), now.Add(2*time.Hour))
	admin := ts.login(t, "admin", testPassword)
	body := bodyText(admin.get(t, "/silences"))
	if !strings.Contains(body, "nowmaint") || !strings.Contains(body, "latermaint") || strings.Contains(body, "oldmaint") {
		t.Errorf("default silences list should hold the active and scheduled ones only")
	}
	body = bodyText(admin.getHTMX(t, "/silences?status=expired"))
	if strings.Contains(body, "<html") || !strings.Contains(body, "oldmaint") || strings.Contains(body, "nowmaint") {
		t.Errorf("expired filter:\n%s", body)
	}
	body = bodyText(admin.get(t, "/silences?status=all&sort=ends&dir=desc"))
	if i, j, k := strings.Index(body, "latermaint"), strings.Index(body, "nowmaint"), strings.Index(body, "oldmaint"); !(i >= 0 && i < j && j < k) {
		t.Errorf("all silences by end, latest first: positions %d %d %d", i, j, k)
	}
	if body := bodyText(admin.get(t, "/silences?status=all&q=latermaint")); strings.Count(body, `data-testid="silence-row"`) != 1 {
		t.Errorf("search latermaint finds %d silences", strings.Count(body, `data-testid="silence-row"`))
	}
}

// An administrator on a console without teams names one in the contact form and the
// token form: it is created with the object. A taken name is an error on the field, with
// what was typed kept.
func TestInlineTeamInContactAndTokenForms(t *testing.T) {
	ts := newFreshServer(t)
	admin := ts.login(t, "admin", testPassword)
	ctx := context.Background()

	page := admin.get(t, "/contacts/new").Body.String()
	if !strings.Contains(page, `name="new_team"`) || !strings.Contains(page, `data-testid="no-team-hint"`) {
		t.Fatalf("contact form without teams offers no new team:\n%s", page)
	}
	// No team named: refused, everything typed kept.
	rec := admin.postForm(t, "/contacts", url.Values{"name": {"Dora Duty"}, "email": {"dora@example.com"}}, false)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if body := rec.Body.String(); !strings.Contains(body, `data-testid="err-new_team"`) || !strings.Contains(body, `value="dora@example.com"`) {
		t.Errorf("contact without a team: no error on new_team or input lost:\n%s", body)
	}
	rec = admin.postForm(t, "/contacts", url.Values{"new_team": {"payments"}, "name": {"Dora Duty"}, "email": {"dora@example.com"}}, false)
	wantStatus(t, rec, http.StatusSeeOther)
	teams, err := ts.DB.Teams(ctx)
	if err != nil || len(teams) != 1 || teams[0].Name != "payments" {
		t.Fatalf("teams after the contact = %+v, %v", teams, err)
	}
	cs, err := ts.DB.Contacts(ctx, db.AllTeams, "")
	if err != nil || len(cs) != 1 || cs[0].TeamID != teams[0].ID {
		t.Fatalf("contacts = %+v, %v", cs, err)
	}
	// Now there is a team: the form picks one instead.
	if page := admin.get(t, "/contacts/new").Body.String(); strings.Contains(page, `name="new_team"`) {
		t.Error("contact form still offers a new team when one exists")
	}

	// The token form, on another fresh console.
	ts2 := newFreshServer(t)
	admin2 := ts2.login(t, "admin", testPassword)
	page = admin2.get(t, "/admin/tokens").Body.String()
	if !strings.Contains(page, `name="new_team"`) || !strings.Contains(page, `data-testid="token-global"`) {
		t.Fatalf("token form without teams offers no new team:\n%s", page)
	}
	rec = admin2.postForm(t, "/tokens", url.Values{"name": {"prom"}, "scope": {"intake"}}, false)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if body := rec.Body.String(); !strings.Contains(body, `data-testid="err-new_team"`) || !strings.Contains(body, `value="prom"`) {
		t.Errorf("token without a team: no error or name lost:\n%s", body)
	}
	rec = admin2.postForm(t, "/tokens", url.Values{"new_team": {"sre"}, "name": {"prom"}, "scope": {"intake"}}, false)
	wantStatus(t, rec, http.StatusOK)
	if !strings.Contains(rec.Body.String(), `data-testid="token-plain"`) {
		t.Fatal("token not shown after creating it with a new team")
	}
	toks, err := ts2.DB.APITokens(ctx, db.AllTeams)
	if err != nil || len(toks) != 1 || toks[0].TeamName != "sre" {
		t.Fatalf("tokens = %+v, %v", toks, err)
	}
	// Global instead of a new team works too.
	ts3 := newFreshServer(t)
	admin3 := ts3.login(t, "admin", testPassword)
	admin3.get(t, "/admin/tokens")
	rec = admin3.postForm(t, "/tokens", url.Values{"team_id": {"global"}, "name": {"everything"}, "scope": {"intake"}}, false)
	wantStatus(t, rec, http.StatusOK)
	if toks, err := ts3.DB.APITokens(ctx, db.AllTeams); err != nil || len(toks) != 1 || toks[0].TeamID != 0 {
		t.Fatalf("global token = %+v, %v", toks, err)
	}
	if teams, _ := ts3.DB.Teams(ctx); len(teams) != 0 {
		t.Errorf("a global token made a team: %+v", teams)
	}
}

// The people screens answer a Chinese reader in Chinese: their lists, filters, pager and forms.
func TestPeopleScreensInChinese(t *testing.T) {
	ts := newTestServer(t)
	if _, err := ts.DB.CreateContact(context.Background(), db.SystemActor, db.ContactInput{TeamID: ts.TeamA.ID,
		Name: "Ann", Email: "ann@example.com"}); err != nil {
		t.Fatal(err)
	}
	admin := ts.login(t, "admin", testPassword)
	admin.header = http.Header{"Accept-Language": {"zh-CN"}}
	for path, want := range map[string]string{"/contacts": "搜索与筛选", "/contacts/new": "创建联系人", "/silences": "新建静默",
		"/admin/users": "新建用户", "/admin/tokens": "新建令牌", "/invites": "新建邀请"} {
		body := bodyText(admin.get(t, path))
		if !strings.Contains(body, want) {
			t.Errorf("%s in Chinese lacks %q", path, want)
		}
		for _, english := range []string{"Search and filter", "any team", "Create contact", "New silence", "New user", "New token", "New invite"} {
			if strings.Contains(body, ">"+english+"<") {
				t.Errorf("%s in Chinese still shows %q", path, english)
			}
		}
	}
	if body := bodyText(admin.get(t, "/contacts")); !strings.Contains(body, "第 1–1 条，共 1 条") {
		t.Error("the contacts pager is not in Chinese")
	}
}
