package db_test

import (
	"alertdesk/db/dbtest"
	"context"
	"encoding/json"
	"errors"
	"testing"

	"alertdesk/db"
)

func newContactsTestDB(t testing.TB) *db.DB {
	t.Helper()
	d := dbtest.Open(t, db.Options{})
	return d
}

var contactsActor = db.Actor{UserID: 0, Name: "tester", IP: "127.0.0.1"}

// contactsFixture: two teams.
func contactsFixture(t *testing.T) (*db.DB, db.Team, db.Team) {
	t.Helper()
	d := newContactsTestDB(t)
	ctx := context.Background()
	a, err := d.CreateTeam(ctx, contactsActor, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.CreateTeam(ctx, contactsActor, "beta")
	if err != nil {
		t.Fatal(err)
	}
	return d, a, b
}

func mustContact(t *testing.T, d *db.DB, in db.ContactInput) db.Contact {
	t.Helper()
	c, err := d.CreateContact(context.Background(), contactsActor, in)
	if err != nil {
		t.Fatalf("create contact %q: %v", in.Name, err)
	}
	return c
}

func countContacts(t *testing.T, d *db.DB) int {
	t.Helper()
	cs, err := d.Contacts(context.Background(), db.AllTeams, "")
	if err != nil {
		t.Fatal(err)
	}
	return len(cs)
}

func TestContactUniquePerTeam(t *testing.T) {
	ctx := context.Background()
	d, a, b := contactsFixture(t)
	alice := mustContact(t, d, db.ContactInput{TeamID: a.ID, Name: "Alice", Mobile: "+8613800138000", DingTalkUserID: "alice01",
		FeishuOpenID: "ou_alice", WeComUserID: "Alice"})

	for _, tc := range []struct {
		field string
		in    db.ContactInput
	}{
		{"mobile", db.ContactInput{TeamID: a.ID, Name: "Bob", Mobile: "+8613800138000"}},
		{"dingtalk_user_id", db.ContactInput{TeamID: a.ID, Name: "Bob", DingTalkUserID: "alice01"}},
		{"feishu_open_id", db.ContactInput{TeamID: a.ID, Name: "Bob", FeishuOpenID: "ou_alice"}},
		{"wecom_user_id", db.ContactInput{TeamID: a.ID, Name: "Bob", WeComUserID: "Alice"}},
	} {
		_, err := d.CreateContact(ctx, contactsActor, tc.in)
		var cc *db.ContactConflict
		if !errors.As(err, &cc) || !errors.Is(err, db.ErrConflict) {
			t.Fatalf("%s: err = %v, want *ContactConflict matching ErrConflict", tc.field, err)
		}
		if cc.Field != tc.field || cc.Other != "Alice" {
			t.Errorf("conflict = %+v, want field %s other Alice", cc, tc.field)
		}
	}
	if n := countContacts(t, d); n != 1 {
		t.Fatalf("contacts = %d after refused creates, want 1", n)
	}

	// The same numbers in another team are fine; empty fields never clash.
	mustContact(t, d, db.ContactInput{TeamID: b.ID, Name: "Alice B", Mobile: "+8613800138000", DingTalkUserID: "alice01"})
	mustContact(t, d, db.ContactInput{TeamID: a.ID, Name: "Carol", Email: "carol@example.com"})
	dave := mustContact(t, d, db.ContactInput{TeamID: a.ID, Name: "Dave", Email: "dave@example.com"})

	// Updating into a clash is refused and changes nothing; keeping one's own values is fine.
	_, err := d.UpdateContact(ctx, contactsActor, db.AllTeams, dave.ID, db.ContactInput{Name: "Dave", Mobile: "+8613800138000"})
	var cc *db.ContactConflict
	if !errors.As(err, &cc) || cc.Field != "mobile" {
		t.Fatalf("update err = %v, want mobile conflict", err)
	}
	got, err := d.ContactByID(ctx, db.AllTeams, dave.ID)
	if err != nil || got.Mobile != "" || got.Email != "dave@example.com" {
		t.Fatalf("dave after refused update = %+v, %v", got, err)
	}
	if _, err := d.UpdateContact(ctx, contactsActor, db.AllTeams, alice.ID, db.ContactInput{Name: "Alice Smith",
		Mobile: alice.Mobile, DingTalkUserID: alice.DingTalkUserID}); err != nil {
		t.Fatalf("update own values: %v", err)
	}
}

func TestContactScopeAndSearch(t *testing.T) {
	ctx := context.Background()
	d, a, b := contactsFixture(t)
	alice := mustContact(t, d, db.ContactInput{TeamID: a.ID, Name: "Alice", Mobile: "+8613800138000"})
	bob := mustContact(t, d, db.ContactInput{TeamID: b.ID, Name: "Bob 100%", Email: "bob@example.com"})
	mustContact(t, d, db.ContactInput{TeamID: a.ID, Name: "Al_x", WeComUserID: "alx"})

	if _, err := d.ContactByID(ctx, db.TeamScope(a.ID), bob.ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("other team's contact: err = %v, want ErrNotFound", err)
	}
	if _, err := d.UpdateContact(ctx, contactsActor, db.TeamScope(a.ID), bob.ID, db.ContactInput{Name: "x", Email: "x@y.z"}); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("update other team's contact: err = %v, want ErrNotFound", err)
	}
	if err := d.DeleteContact(ctx, contactsActor, db.TeamScope(a.ID), bob.ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("delete other team's contact: err = %v, want ErrNotFound", err)
	}
	names := func(s db.Scope, q string) []string {
		t.Helper()
		cs, err := d.Contacts(ctx, s, q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range cs {
			out = append(out, c.Name)
		}
		return out
	}
	for _, tc := range []struct {
		scope db.Scope
		q     string
		want  []string
	}{
		{db.TeamScope(a.ID), "", []string{"Al_x", "Alice"}},
		{db.TeamScope(a.ID), "bob", nil},
		{db.AllTeams, "bob", []string{"Bob 100%"}},
		{db.AllTeams, "%", []string{"Bob 100%"}},
		{db.AllTeams, "_", []string{"Al_x"}},
		{db.AllTeams, "138 0013", []string{"Alice"}},
		{db.AllTeams, "example.com", []string{"Bob 100%"}},
		{db.TeamScope(b.ID), "alice", nil},
	} {
		got := names(tc.scope, tc.q)
		if len(got) != len(tc.want) || (len(got) > 0 && !equalStrings(got, tc.want)) {
			t.Errorf("Contacts(%+v, %q) = %q, want %q", tc.scope, tc.q, got, tc.want)
		}
	}
	cs, err := d.ContactsByIDs(ctx, db.TeamScope(a.ID), []int64{alice.ID, bob.ID, 9999})
	if err != nil || len(cs) != 1 || cs[0].ID != alice.ID {
		t.Errorf("ContactsByIDs = %+v, %v; want only Alice", cs, err)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestContactGroupMembersSameTeam(t *testing.T) {
	ctx := context.Background()
	d, a, b := contactsFixture(t)
	alice := mustContact(t, d, db.ContactInput{TeamID: a.ID, Name: "Alice", Mobile: "13800138000"})
	carol := mustContact(t, d, db.ContactInput{TeamID: a.ID, Name: "Carol", Email: "carol@example.com"})
	bob := mustContact(t, d, db.ContactInput{TeamID: b.ID, Name: "Bob", Email: "bob@example.com"})

	if _, err := d.CreateContactGroup(ctx, contactsActor, a.ID, "oncall", []int64{alice.ID, bob.ID}); !errors.Is(err, db.ErrForeignMember) {
		t.Fatalf("create with foreign member: err = %v, want ErrForeignMember", err)
	}
	if gs, _ := d.ContactGroups(ctx, db.AllTeams); len(gs) != 0 {
		t.Fatalf("groups after refused create = %+v, want none", gs)
	}
	g, err := d.CreateContactGroup(ctx, contactsActor, a.ID, "oncall", []int64{alice.ID, alice.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Members) != 1 {
		t.Fatalf("members = %+v, want Alice once", g.Members)
	}
	if _, err := d.CreateContactGroup(ctx, contactsActor, a.ID, "OnCall", nil); !errors.Is(err, db.ErrConflict) {
		t.Errorf("duplicate group name: err = %v, want ErrConflict", err)
	}
	if _, err := d.CreateContactGroup(ctx, contactsActor, b.ID, "oncall", []int64{bob.ID}); err != nil {
		t.Errorf("same name in another team: %v", err)
	}

	for _, ids := range [][]int64{{carol.ID, bob.ID}, {carol.ID, 9999}} {
		_, err = d.UpdateContactGroup(ctx, contactsActor, db.AllTeams, g.ID, "renamed", ids)
		if !errors.Is(err, db.ErrForeignMember) {
			t.Fatalf("update with %v: err = %v, want ErrForeignMember", ids, err)
		}
	}
	got, err := d.ContactGroupByID(ctx, db.AllTeams, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "oncall" || len(got.Members) != 1 || got.Members[0].ID != alice.ID {
		t.Fatalf("group after refused update = %+v, want oncall with Alice", got)
	}
	if _, err := d.ContactGroupByID(ctx, db.TeamScope(b.ID), g.ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("other team's group: err = %v, want ErrNotFound", err)
	}
	if _, err := d.UpdateContactGroup(ctx, contactsActor, db.TeamScope(b.ID), g.ID, "x", nil); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("update other team's group: err = %v, want ErrNotFound", err)
	}

	g, err = d.UpdateContactGroup(ctx, contactsActor, db.TeamScope(a.ID), g.ID, "oncall", []int64{carol.ID, alice.ID})
	if err != nil || len(g.Members) != 2 {
		t.Fatalf("update = %+v, %v", g, err)
	}
	g2, err := d.CreateContactGroup(ctx, contactsActor, a.ID, "leads", []int64{alice.ID})
	if err != nil {
		t.Fatal(err)
	}
	members, err := d.GroupMembers(ctx, db.TeamScope(a.ID), []int64{g.ID, g2.ID})
	if err != nil || len(members) != 2 {
		t.Fatalf("GroupMembers = %+v, %v; want Alice and Carol once each", members, err)
	}
	if members, _ := d.GroupMembers(ctx, db.TeamScope(b.ID), []int64{g.ID}); len(members) != 0 {
		t.Errorf("GroupMembers of another team's group = %+v, want none", members)
	}

	// Deleting a contact drops its memberships; deleting a group keeps its contacts.
	if err := d.DeleteContact(ctx, contactsActor, db.TeamScope(a.ID), alice.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := d.ContactGroupByID(ctx, db.AllTeams, g2.ID); len(got.Members) != 0 {
		t.Errorf("members after contact delete = %+v", got.Members)
	}
	if err := d.DeleteContactGroup(ctx, contactsActor, db.TeamScope(a.ID), g.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ContactByID(ctx, db.AllTeams, carol.ID); err != nil {
		t.Errorf("carol after group delete: %v", err)
	}
}

func TestSaveOwnContact(t *testing.T) {
	ctx := context.Background()
	d, a, b := contactsFixture(t)
	u, err := d.CreateUser(ctx, contactsActor, db.NewUser{Username: "mia", DisplayName: "Mia", PasswordHash: "x", Role: db.RoleMember, TeamID: a.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.ContactByUser(ctx, u.ID); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("card before save: err = %v, want ErrNotFound", err)
	}
	c1, err := d.SaveOwnContact(ctx, contactsActor, u, db.ContactInput{TeamID: b.ID, Name: "Mia", Mobile: "13900000000"})
	if err != nil {
		t.Fatal(err)
	}
	if c1.TeamID != a.ID || c1.UserID != u.ID || c1.Username != "mia" {
		t.Fatalf("card = %+v, want team %d linked to mia", c1, a.ID)
	}
	c2, err := d.SaveOwnContact(ctx, contactsActor, u, db.ContactInput{Name: "Mia W", Mobile: "13900000001"})
	if err != nil {
		t.Fatal(err)
	}
	if c2.ID != c1.ID || c2.Name != "Mia W" {
		t.Fatalf("second save = %+v, want the same card updated", c2)
	}
	if n := countContacts(t, d); n != 1 {
		t.Fatalf("contacts = %d, want one card per user", n)
	}
	// A duplicate mobile is refused on one's own card too.
	mustContact(t, d, db.ContactInput{TeamID: a.ID, Name: "Other", Mobile: "13911111111"})
	if _, err := d.SaveOwnContact(ctx, contactsActor, u, db.ContactInput{Name: "Mia", Mobile: "13911111111"}); !errors.Is(err, db.ErrConflict) {
		t.Errorf("own card with a taken mobile: err = %v, want ErrConflict", err)
	}

	// After moving to another team, the old card stays with the old team, unlinked.
	bid := b.ID
	u, err = d.UpdateUser(ctx, contactsActor, u.ID, db.UserUpdate{TeamID: &bid})
	if err != nil {
		t.Fatal(err)
	}
	c3, err := d.SaveOwnContact(ctx, contactsActor, u, db.ContactInput{Name: "Mia", Mobile: "13900000001"})
	if err != nil {
		t.Fatal(err)
	}
	if c3.ID == c1.ID || c3.TeamID != b.ID {
		t.Fatalf("card after team change = %+v, want a new card in team %d", c3, b.ID)
	}
	old, err := d.ContactByID(ctx, db.AllTeams, c1.ID)
	if err != nil || old.UserID != 0 || old.TeamID != a.ID {
		t.Fatalf("old card = %+v, %v; want unlinked in team alpha", old, err)
	}

	admin, err := d.CreateUser(ctx, contactsActor, db.NewUser{Username: "root", PasswordHash: "x", Role: db.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.SaveOwnContact(ctx, contactsActor, admin, db.ContactInput{Name: "Root", Email: "r@example.com"}); !errors.Is(err, db.ErrUserHasNoTeam) {
		t.Errorf("admin without team: err = %v, want ErrUserHasNoTeam", err)
	}
}

func TestContactAudit(t *testing.T) {
	ctx := context.Background()
	d, a, _ := contactsFixture(t)
	actor := db.Actor{Name: "auditee", IP: "10.0.0.1"}
	c, err := d.CreateContact(ctx, actor, db.ContactInput{TeamID: a.ID, Name: "Alice", Mobile: "13800138000"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.UpdateContact(ctx, actor, db.AllTeams, c.ID, db.ContactInput{Name: "Alice", Mobile: "13800138001"}); err != nil {
		t.Fatal(err)
	}
	g, err := d.CreateContactGroup(ctx, actor, a.ID, "oncall", []int64{c.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.UpdateContactGroup(ctx, actor, db.AllTeams, g.ID, "primary", nil); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteContactGroup(ctx, actor, db.AllTeams, g.ID); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteContact(ctx, actor, db.AllTeams, c.ID); err != nil {
		t.Fatal(err)
	}
	// Refused changes leave no event.
	_, _ = d.CreateContactGroup(ctx, actor, a.ID, "bad", []int64{424242})

	events, _, err := d.AuditEvents(ctx, db.AuditFilter{Actor: "auditee"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for i := len(events) - 1; i >= 0; i-- {
		actions = append(actions, events[i].Action)
	}
	want := []string{"contact.create", "contact.update", "contact_group.create", "contact_group.update", "contact_group.delete", "contact.delete"}
	if !equalStrings(actions, want) {
		t.Fatalf("actions = %q, want %q", actions, want)
	}
	upd := events[4] // contact.update
	if upd.ObjectType != "contact" || upd.ObjectID != c.ID || upd.TeamID != a.ID || upd.IP != "10.0.0.1" {
		t.Errorf("update event = %+v", upd)
	}
	var before, after map[string]any
	if err := json.Unmarshal([]byte(upd.Before), &before); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(upd.After), &after); err != nil {
		t.Fatal(err)
	}
	if before["mobile"] != "13800138000" || after["mobile"] != "13800138001" {
		t.Errorf("before/after = %s / %s", upd.Before, upd.After)
	}
	gu := events[2] // contact_group.update
	if gu.ObjectType != "contact_group" {
		t.Fatalf("event = %+v, want a contact_group event", gu)
	}
	var gb, ga map[string]any
	_ = json.Unmarshal([]byte(gu.Before), &gb)
	_ = json.Unmarshal([]byte(gu.After), &ga)
	if gb["name"] != "oncall" || ga["name"] != "primary" || len(gb["members"].([]any)) != 1 || len(ga["members"].([]any)) != 0 {
		t.Errorf("group before/after = %s / %s", gu.Before, gu.After)
	}
}

func TestDeleteContactStillReferenced(t *testing.T) {
	ctx := context.Background()
	d, a, _ := contactsFixture(t)
	c := mustContact(t, d, db.ContactInput{TeamID: a.ID, Name: "Alice", Mobile: "13800138000"})
	// A disabled rule may have no robot; it still mentions Alice.
	if _, err := d.CreateRule(ctx, contactsActor, db.RuleInput{TeamID: a.ID, Name: "paging", Severity: "warning",
		ContactIDs: []int64{c.ID}}); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteContact(ctx, contactsActor, db.AllTeams, c.ID); !errors.Is(err, db.ErrInUse) {
		t.Fatalf("delete referenced contact: err = %v, want ErrInUse", err)
	}
	if _, err := d.ContactByID(ctx, db.AllTeams, c.ID); err != nil {
		t.Fatalf("contact after refused delete: %v", err)
	}
	// Teams with contacts cannot be deleted either.
	if err := d.DeleteTeam(ctx, contactsActor, a.ID); !errors.Is(err, db.ErrInUse) {
		t.Errorf("delete team with contacts: err = %v, want ErrInUse", err)
	}
}
