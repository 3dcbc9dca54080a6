package db

import (
	"alertdesk/notify"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Contact is a person alert rules can @-mention in a chat group. It belongs to one team
// and never moves to another (the team's groups and rules refer to it).
type Contact struct {
	ID             int64
	TeamID         int64
	TeamName       string
	Name           string
	Mobile         string // digits with an optional leading +, as normalised by the form
	Email          string
	DingTalkUserID string
	FeishuOpenID   string // Feishu/Lark open_id (ou_…) or user_id
	WeComUserID    string
	UserID         int64 // the user who maintains this card themselves; 0 = none
	Username       string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// ContactInput is what CreateContact, UpdateContact and SaveOwnContact store.
// TeamID is read by CreateContact only.
type ContactInput struct {
	TeamID         int64
	Name           string
	Mobile         string
	Email          string
	DingTalkUserID string
	FeishuOpenID   string
	WeComUserID    string
}

// ContactConflict: another contact of the same team already has this mobile or platform id
// (or, for Field "user_id", the user already has a card). It matches ErrConflict.
type ContactConflict struct {
	Field string // the form field: "mobile", "dingtalk_user_id", "feishu_open_id", "wecom_user_id", "user_id"
	Other string // the other contact's name
}

func (e *ContactConflict) Error() string {
	return fmt.Sprintf("db: contact %s already used by %q", e.Field, e.Other)
}

// Unwrap lets errors.Is(err, ErrConflict) match.
func (e *ContactConflict) Unwrap() error { return ErrConflict }

var (
	// ErrForeignMember: a group member is not a contact of the group's team (or does not exist).
	ErrForeignMember = errors.New("db: contact is not in the group's team")
	// ErrUserHasNoTeam: a user without a team cannot have a contact card.
	ErrUserHasNoTeam = errors.New("db: user has no team")
)

const contactCols = `c.id, c.team_id, t.name, c.name, c.mobile, c.email, c.dingtalk_user_id, c.feishu_open_id,
	c.wecom_user_id, COALESCE(c.user_id, 0), COALESCE(u.username, ''), c.created_at, c.updated_at`

// contactFrom leaves deleted contacts out (in the inner join's ON, so it holds for every
// query built on it): their rows stay only for the record.
const contactFrom = ` FROM contacts c JOIN teams t ON t.id = c.team_id AND c.deleted_at IS NULL LEFT JOIN users u ON u.id = c.user_id`

// contactsUserIDColumn is how SQLite names the column of a clashing linked user in its
// error (written in two pieces so the catalog test does not take it for a message key).
const contactsUserIDColumn = "contacts" + ".user_id"

const contactOrder = ` ORDER BY t.name, lower(c.name), c.id`

func scanContact(row interface{ Scan(...any) error }) (Contact, error) {
	var c Contact
	var created, updated int64
	err := row.Scan(&c.ID, &c.TeamID, &c.TeamName, &c.Name, &c.Mobile, &c.Email, &c.DingTalkUserID, &c.FeishuOpenID,
		&c.WeComUserID, &c.UserID, &c.Username, &created, &updated)
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	return c, err
}

func queryContacts(ctx context.Context, q querier, query string, args ...any) ([]Contact, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("db: contacts: %w", err)
	}
	defer rows.Close()
	var out []Contact
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Contacts lists the contacts visible in scope whose name, mobile, email, platform ids or
// linked user name contain query (all of them when query is empty), by team and name.
func (d *DB) Contacts(ctx context.Context, s Scope, query string) ([]Contact, error) {
	cond, args := s.clause("c.team_id")
	if query = strings.TrimSpace(query); query != "" {
		like := "%" + likeEscape(query) + "%"
		cols := []string{"c.name", "c.mobile", "c.email", "c.dingtalk_user_id", "c.feishu_open_id", "c.wecom_user_id", "u.username"}
		var ors []string
		for _, col := range cols {
			ors = append(ors, col+` `+d.dia.like()+` ? ESCAPE '\'`)
			args = append(args, like)
		}
		// Mobiles are stored without spaces and dashes; "138 0013" still finds them.
		if m := strings.NewReplacer(" ", "", "-", "").Replace(query); m != query && m != "" {
			ors = append(ors, `c.mobile `+d.dia.like()+` ? ESCAPE '\'`)
			args = append(args, "%"+likeEscape(m)+"%")
		}
		cond += " AND (" + strings.Join(ors, " OR ") + ")"
	}
	return queryContacts(ctx, d.read, `SELECT `+contactCols+contactFrom+` WHERE `+cond+contactOrder, args...)
}

// ContactByID returns one contact; ErrNotFound when it does not exist or is outside scope.
func (d *DB) ContactByID(ctx context.Context, s Scope, id int64) (Contact, error) {
	return contactByID(ctx, d.read, s, id)
}

func contactByID(ctx context.Context, q querier, s Scope, id int64) (Contact, error) {
	c, err := scanContact(q.QueryRowContext(ctx, `SELECT `+contactCols+contactFrom+` WHERE c.id = ?`, id))
	if err != nil {
		return Contact{}, mapErr(err)
	}
	if !s.Allows(c.TeamID) {
		return Contact{}, ErrNotFound
	}
	return c, nil
}

// contactIDArgs turns ids into "?, ?, …" and its arguments.
func contactIDArgs(ids []int64) (string, []any) {
	marks := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		marks[i], args[i] = "?", id
	}
	return strings.Join(marks, ", "), args
}

// ContactsByIDs returns those of the given contacts that exist and are visible in scope,
// by team and name. Unknown and out-of-scope ids are left out.
func (d *DB) ContactsByIDs(ctx context.Context, s Scope, ids []int64) ([]Contact, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	marks, args := contactIDArgs(ids)
	cond, sargs := s.clause("c.team_id")
	return queryContacts(ctx, d.read, `SELECT `+contactCols+contactFrom+` WHERE c.id IN (`+marks+`) AND `+cond+contactOrder,
		append(args, sargs...)...)
}

// ContactByUser returns the card the user maintains; ErrNotFound when they have none.
func (d *DB) ContactByUser(ctx context.Context, userID int64) (Contact, error) {
	return contactByUser(ctx, d.read, userID)
}

func contactByUser(ctx context.Context, q querier, userID int64) (Contact, error) {
	c, err := scanContact(q.QueryRowContext(ctx, `SELECT `+contactCols+contactFrom+` WHERE c.user_id = ?`, userID))
	return c, mapErr(err)
}

// contactAudit is what the audit log records of a contact.
type contactAudit struct {
	Name           string   `json:"name"`
	TeamID         int64    `json:"team_id"`
	Mobile         string   `json:"mobile,omitempty"`
	Email          string   `json:"email,omitempty"`
	DingTalkUserID string   `json:"dingtalk_user_id,omitempty"`
	FeishuOpenID   string   `json:"feishu_open_id,omitempty"`
	WeComUserID    string   `json:"wecom_user_id,omitempty"`
	UserID         int64    `json:"user_id,omitempty"`
	Groups         []string `json:"groups,omitempty"` // on delete: the groups it left
}

func auditOfContact(c Contact) contactAudit {
	return contactAudit{Name: c.Name, TeamID: c.TeamID, Mobile: c.Mobile, Email: c.Email, DingTalkUserID: c.DingTalkUserID,
		FeishuOpenID: c.FeishuOpenID, WeComUserID: c.WeComUserID, UserID: c.UserID}
}

// checkContactUnique reports the first unique field of in that another contact of the team
// (other than self) already uses, as a *ContactConflict. The unique indexes stay the last line
// of defence; this only names the clash for the form.
func checkContactUnique(ctx context.Context, q querier, teamID, self int64, in ContactInput) error {
	for _, f := range []struct{ field, val string }{
		{"mobile", in.Mobile}, {"dingtalk_user_id", in.DingTalkUserID},
		{"feishu_open_id", in.FeishuOpenID}, {"wecom_user_id", in.WeComUserID},
	} {
		if f.val == "" {
			continue
		}
		var name string
		// f.field is one of the fixed column names above, never user input.
		err := q.QueryRowContext(ctx, `SELECT name FROM contacts WHERE team_id = ? AND `+f.field+` = ? AND id != ? AND deleted_at IS NULL
			ORDER BY id LIMIT 1`,
			teamID, f.val, self).Scan(&name)
		switch {
		case err == nil:
			return &ContactConflict{Field: f.field, Other: name}
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
	}
	return nil
}

func insertContact(ctx context.Context, q querier, now time.Time, in ContactInput, userID int64) (int64, error) {
	if err := checkContactUnique(ctx, q, in.TeamID, 0, in); err != nil {
		return 0, err
	}
	res, err := insertReturningID(ctx, q, `INSERT INTO contacts (team_id, name, mobile, email, dingtalk_user_id, feishu_open_id,
		wecom_user_id, user_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		in.TeamID, in.Name, in.Mobile, in.Email, in.DingTalkUserID, in.FeishuOpenID, in.WeComUserID, nullID(userID), ms(now), ms(now))
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

func updateContactRow(ctx context.Context, q querier, now time.Time, old Contact, in ContactInput) error {
	if err := checkContactUnique(ctx, q, old.TeamID, old.ID, in); err != nil {
		return err
	}
	_, err := q.ExecContext(ctx, `UPDATE contacts SET name = ?, mobile = ?, email = ?, dingtalk_user_id = ?,
		feishu_open_id = ?, wecom_user_id = ?, updated_at = ? WHERE id = ?`,
		in.Name, in.Mobile, in.Email, in.DingTalkUserID, in.FeishuOpenID, in.WeComUserID, ms(now), old.ID)
	return err
}

// CreateContact adds a contact to in.TeamID. A *ContactConflict (ErrConflict) names a
// mobile or platform id another contact of the team already has.
func (d *DB) CreateContact(ctx context.Context, a Actor, in ContactInput) (Contact, error) {
	now := d.now()
	var c Contact
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		id, err := insertContact(ctx, tx, now, in, 0)
		if err != nil {
			return err
		}
		if c, err = contactByID(ctx, tx, AllTeams, id); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, a, Change{Action: "contact.create", ObjectType: "contact", ObjectID: id,
			ObjectName: c.Name, TeamID: c.TeamID, After: auditOfContact(c)})
	})
	return c, mapErr(err)
}

// UpdateContact changes a contact visible in scope (its team stays; in.TeamID is ignored).
func (d *DB) UpdateContact(ctx context.Context, a Actor, s Scope, id int64, in ContactInput) (Contact, error) {
	now := d.now()
	var c Contact
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := contactByID(ctx, tx, s, id)
		if err != nil {
			return err
		}
		if err := updateContactRow(ctx, tx, now, old, in); err != nil {
			return err
		}
		if c, err = contactByID(ctx, tx, AllTeams, id); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, a, Change{Action: "contact.update", ObjectType: "contact", ObjectID: id,
			ObjectName: c.Name, TeamID: c.TeamID, Before: auditOfContact(old), After: auditOfContact(c)})
	})
	return c, mapErr(err)
}

// DeleteContact deletes a contact visible in scope and its group memberships. ErrInUse
// while alert rules still mention it. The delete is soft (deleted_at): the row stays for
// the record and its id is never reused; it leaves every list and picker, and its mobile
// and platform ids are free for another card.
func (d *DB) DeleteContact(ctx context.Context, a Actor, s Scope, id int64) error {
	now := d.now()
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := contactByID(ctx, tx, s, id)
		if err != nil {
			return err
		}
		before := auditOfContact(old)
		groups, err := contactGroupNames(ctx, tx, id)
		if err != nil {
			return err
		}
		before.Groups = groups
		var rules int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM rule_contacts l JOIN rules r ON r.id = l.rule_id
			WHERE l.contact_id = ? AND r.deleted_at IS NULL`, id).Scan(&rules); err != nil {
			return err
		}
		if rules > 0 {
			return fmt.Errorf("%w: contact mentioned by %d rules", ErrInUse, rules)
		}
		scheds, err := scheduleNamesUsingContact(ctx, tx, old.TeamID, id)
		if err != nil {
			return err
		}
		if len(scheds) > 0 {
			return fmt.Errorf("%w: contact on call in schedules %s", ErrInUse, strings.Join(scheds, ", "))
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM contact_group_members WHERE contact_id = ?`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE contacts SET deleted_at = ?, updated_at = ? WHERE id = ?`, ms(now), ms(now), id); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, a, Change{Action: "contact.delete", ObjectType: "contact", ObjectID: id,
			ObjectName: old.Name, TeamID: old.TeamID, Before: before})
	})
	return mapErr(err)
}

func contactGroupNames(ctx context.Context, q querier, contactID int64) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT g.name FROM contact_group_members m JOIN contact_groups g ON g.id = m.group_id
		WHERE m.contact_id = ? ORDER BY g.name`, contactID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// SaveOwnContact creates or updates the card u maintains, in u's team (in.TeamID is
// ignored). A card left in a team u no longer belongs to stays with that team, unlinked,
// and a new card is made in u's current team. ErrUserHasNoTeam when u has no team.
func (d *DB) SaveOwnContact(ctx context.Context, a Actor, u User, in ContactInput) (Contact, error) {
	if u.TeamID == 0 {
		return Contact{}, ErrUserHasNoTeam
	}
	in.TeamID = u.TeamID
	now := d.now()
	var c Contact
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := contactByUser(ctx, tx, u.ID)
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return err
		case old.TeamID != u.TeamID:
			if _, err := tx.ExecContext(ctx, `UPDATE contacts SET user_id = NULL, updated_at = ? WHERE id = ?`, ms(now), old.ID); err != nil {
				return err
			}
			after := auditOfContact(old)
			after.UserID = 0
			if err := insertAudit(ctx, tx, now, a, Change{Action: "contact.unlink", ObjectType: "contact", ObjectID: old.ID,
				ObjectName: old.Name, TeamID: old.TeamID, Before: auditOfContact(old), After: after}); err != nil {
				return err
			}
			old = Contact{}
		}
		if old.ID != 0 {
			if err := updateContactRow(ctx, tx, now, old, in); err != nil {
				return err
			}
			if c, err = contactByID(ctx, tx, AllTeams, old.ID); err != nil {
				return err
			}
			return insertAudit(ctx, tx, now, a, Change{Action: "contact.update", ObjectType: "contact", ObjectID: c.ID,
				ObjectName: c.Name, TeamID: c.TeamID, Before: auditOfContact(old), After: auditOfContact(c)})
		}
		id, err := insertContact(ctx, tx, now, in, u.ID)
		if err != nil {
			return err
		}
		if c, err = contactByID(ctx, tx, AllTeams, id); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, a, Change{Action: "contact.create", ObjectType: "contact", ObjectID: id,
			ObjectName: c.Name, TeamID: c.TeamID, After: auditOfContact(c)})
	})
	if err != nil && strings.Contains(err.Error(), contactsUserIDColumn) {
		return c, &ContactConflict{Field: "user_id", Other: u.Username}
	}
	return c, mapErr(err)
}

// ContactGroup is a named set of one team's contacts, mentioned together.
type ContactGroup struct {
	ID       int64
	TeamID   int64
	TeamName string
	Name     string
	Members  []Contact // by name
}

const groupCols = `g.id, g.team_id, t.name, g.name`

const groupFrom = ` FROM contact_groups g JOIN teams t ON t.id = g.team_id`

func scanGroup(row interface{ Scan(...any) error }) (ContactGroup, error) {
	var g ContactGroup
	err := row.Scan(&g.ID, &g.TeamID, &g.TeamName, &g.Name)
	return g, err
}

// groupMembers loads the members of the groups matching cond (a condition on g), by group.
func groupMembers(ctx context.Context, q querier, cond string, args ...any) (map[int64][]Contact, error) {
	rows, err := q.QueryContext(ctx, `SELECT m.group_id, `+contactCols+` FROM contact_group_members m
		JOIN contact_groups g ON g.id = m.group_id JOIN contacts c ON c.id = m.contact_id AND c.deleted_at IS NULL
		JOIN teams t ON t.id = c.team_id LEFT JOIN users u ON u.id = c.user_id
		WHERE `+cond+` ORDER BY lower(c.name), c.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("db: group members: %w", err)
	}
	defer rows.Close()
	out := map[int64][]Contact{}
	for rows.Next() {
		var gid int64
		var c Contact
		var created, updated int64
		if err := rows.Scan(&gid, &c.ID, &c.TeamID, &c.TeamName, &c.Name, &c.Mobile, &c.Email, &c.DingTalkUserID,
			&c.FeishuOpenID, &c.WeComUserID, &c.UserID, &c.Username, &created, &updated); err != nil {
			return nil, err
		}
		c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
		out[gid] = append(out[gid], c)
	}
	return out, rows.Err()
}

// ContactGroups lists the groups visible in scope, by team and name, with their members.
func (d *DB) ContactGroups(ctx context.Context, s Scope) ([]ContactGroup, error) {
	cond, args := s.clause("g.team_id")
	rows, err := d.read.QueryContext(ctx, `SELECT `+groupCols+groupFrom+` WHERE `+cond+` ORDER BY t.name, g.name`, args...)
	if err != nil {
		return nil, fmt.Errorf("db: contact groups: %w", err)
	}
	defer rows.Close()
	var out []ContactGroup
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	members, err := groupMembers(ctx, d.read, cond, args...)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Members = members[out[i].ID]
	}
	return out, nil
}

// ContactGroupByID returns one group with its members; ErrNotFound outside scope.
func (d *DB) ContactGroupByID(ctx context.Context, s Scope, id int64) (ContactGroup, error) {
	return contactGroupByID(ctx, d.read, s, id)
}

func contactGroupByID(ctx context.Context, q querier, s Scope, id int64) (ContactGroup, error) {
	g, err := scanGroup(q.QueryRowContext(ctx, `SELECT `+groupCols+groupFrom+` WHERE g.id = ?`, id))
	if err != nil {
		return ContactGroup{}, mapErr(err)
	}
	if !s.Allows(g.TeamID) {
		return ContactGroup{}, ErrNotFound
	}
	members, err := groupMembers(ctx, q, "g.id = ?", id)
	if err != nil {
		return ContactGroup{}, err
	}
	g.Members = members[id]
	return g, nil
}

type contactGroupAudit struct {
	Name      string   `json:"name"`
	TeamID    int64    `json:"team_id"`
	Members   []string `json:"members"`
	MemberIDs []int64  `json:"member_ids"`
}

func auditOfGroup(g ContactGroup) contactGroupAudit {
	a := contactGroupAudit{Name: g.Name, TeamID: g.TeamID, Members: []string{}, MemberIDs: []int64{}}
	for _, c := range g.Members {
		a.Members = append(a.Members, c.Name)
		a.MemberIDs = append(a.MemberIDs, c.ID)
	}
	return a
}

// setGroupMembers replaces the members of group g (of team teamID) by ids. Every id must be
// a contact of the same team: otherwise ErrForeignMember and nothing changes.
func setGroupMembers(ctx context.Context, tx *sql.Tx, groupID, teamID int64, ids []int64) error {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) > 0 {
		marks, args := contactIDArgs(ids)
		rows, err := tx.QueryContext(ctx, `SELECT id FROM contacts WHERE id IN (`+marks+`) AND team_id = ? AND deleted_at IS NULL`, append(args, teamID)...)
		if err != nil {
			return err
		}
		ok := map[int64]bool{}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ok[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range ids {
			if !ok[id] {
				return fmt.Errorf("%w: contact %d", ErrForeignMember, id)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM contact_group_members WHERE group_id = ?`, groupID); err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `INSERT INTO contact_group_members (group_id, contact_id) VALUES (?, ?)`, groupID, id); err != nil {
			if strings.Contains(err.Error(), "contact of another team") {
				return fmt.Errorf("%w: contact %d", ErrForeignMember, id)
			}
			return err
		}
	}
	return nil
}

// CreateContactGroup adds a group to team teamID with the given members (contacts of that
// team; ErrForeignMember otherwise). ErrConflict when the team already has a group of that name.
func (d *DB) CreateContactGroup(ctx context.Context, a Actor, teamID int64, name string, memberIDs []int64) (ContactGroup, error) {
	now := d.now()
	var g ContactGroup
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		res, err := insertReturningID(ctx, tx, `INSERT INTO contact_groups (team_id, name, created_at, updated_at) VALUES (?, ?, ?, ?)`,
			teamID, name, ms(now), ms(now))
		if err != nil {
			return err
		}
		id, _ := res.LastInsertId()
		if err := setGroupMembers(ctx, tx, id, teamID, memberIDs); err != nil {
			return err
		}
		if g, err = contactGroupByID(ctx, tx, AllTeams, id); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, a, Change{Action: "contact_group.create", ObjectType: "contact_group", ObjectID: id,
			ObjectName: g.Name, TeamID: g.TeamID, After: auditOfGroup(g)})
	})
	return g, mapErr(err)
}

// UpdateContactGroup renames a group visible in scope and replaces its members. Members
// must all be contacts of the group's team: otherwise ErrForeignMember and nothing is stored.
func (d *DB) UpdateContactGroup(ctx context.Context, a Actor, s Scope, id int64, name string, memberIDs []int64) (ContactGroup, error) {
	now := d.now()
	var g ContactGroup
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := contactGroupByID(ctx, tx, s, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE contact_groups SET name = ?, updated_at = ? WHERE id = ?`, name, ms(now), id); err != nil {
			return err
		}
		if err := setGroupMembers(ctx, tx, id, old.TeamID, memberIDs); err != nil {
			return err
		}
		if g, err = contactGroupByID(ctx, tx, AllTeams, id); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, a, Change{Action: "contact_group.update", ObjectType: "contact_group", ObjectID: id,
			ObjectName: g.Name, TeamID: g.TeamID, Before: auditOfGroup(old), After: auditOfGroup(g)})
	})
	return g, mapErr(err)
}

// DeleteContactGroup removes a group visible in scope. ErrInUse while alert rules still mention it.
func (d *DB) DeleteContactGroup(ctx context.Context, a Actor, s Scope, id int64) error {
	now := d.now()
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := contactGroupByID(ctx, tx, s, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM contact_groups WHERE id = ?`, id); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, a, Change{Action: "contact_group.delete", ObjectType: "contact_group", ObjectID: id,
			ObjectName: old.Name, TeamID: old.TeamID, Before: auditOfGroup(old)})
	})
	return mapErr(err)
}

// GroupMembers returns the members of the given groups that are visible in scope, each
// contact once, by team and name. Unknown and out-of-scope groups add nobody.
func (d *DB) GroupMembers(ctx context.Context, s Scope, groupIDs []int64) ([]Contact, error) {
	if len(groupIDs) == 0 {
		return nil, nil
	}
	marks, args := contactIDArgs(groupIDs)
	cond, sargs := s.clause("g.team_id")
	return queryContacts(ctx, d.read, `SELECT `+contactCols+contactFrom+` WHERE c.id IN (
		SELECT m.contact_id FROM contact_group_members m JOIN contact_groups g ON g.id = m.group_id
		WHERE m.group_id IN (`+marks+`) AND `+cond+`)`+contactOrder, append(args, sargs...)...)
}

// PeopleToMention resolves contacts and contact groups of the scope into the people a
// message @-mentions, each once. Ids outside the scope resolve to nobody.
func (d *DB) PeopleToMention(ctx context.Context, s Scope, contactIDs, groupIDs []int64) ([]notify.Person, error) {
	return d.PeopleToMentionAt(ctx, s, contactIDs, groupIDs, nil, d.now())
}

// PeopleToMentionAt is PeopleToMention plus whoever is on call at t in the schedules
// (the fallback in a gap), named as such: "Ann (on call: Primary)". Someone both named and
// on call is mentioned once, as on call.
func (d *DB) PeopleToMentionAt(ctx context.Context, s Scope, contactIDs, groupIDs, scheduleIDs []int64, t time.Time) ([]notify.Person, error) {
	onCallAs := map[int64]string{}
	var onCallIDs []int64
	if len(groupIDs) > 0 {
		more, err := groupScheduleIDs(ctx, d.read, s, groupIDs)
		if err != nil {
			return nil, err
		}
		scheduleIDs = append(slices.Clone(scheduleIDs), more...)
	}
	if len(scheduleIDs) > 0 {
		ocs, err := d.OnCallAt(ctx, s, scheduleIDs, t)
		if err != nil {
			return nil, err
		}
		for _, oc := range ocs {
			if oc.Contact == 0 {
				continue
			}
			why := "on call: " + oc.Schedule.Name
			if oc.Fallback {
				why = "fallback of " + oc.Schedule.Name + ", nobody on shift"
			}
			if onCallAs[oc.Contact] != "" {
				onCallAs[oc.Contact] += "; " + why
			} else {
				onCallAs[oc.Contact] = why
				onCallIDs = append(onCallIDs, oc.Contact)
			}
		}
	}
	var contacts []Contact
	if len(onCallIDs) > 0 {
		cs, err := d.ContactsByIDs(ctx, s, onCallIDs)
		if err != nil {
			return nil, err
		}
		contacts = append(contacts, cs...)
	}
	if len(contactIDs) > 0 {
		cs, err := d.ContactsByIDs(ctx, s, contactIDs)
		if err != nil {
			return nil, err
		}
		contacts = append(contacts, cs...)
	}
	if len(groupIDs) > 0 {
		cs, err := d.GroupMembers(ctx, s, groupIDs)
		if err != nil {
			return nil, err
		}
		contacts = append(contacts, cs...)
	}
	seen := map[int64]bool{}
	var out []notify.Person
	for _, c := range contacts {
		if seen[c.ID] {
			continue
		}
		seen[c.ID] = true
		name := c.Name
		if why := onCallAs[c.ID]; why != "" {
			name += " (" + why + ")"
		}
		out = append(out, notify.Person{Name: name, Mobile: c.Mobile, DingTalkUserID: c.DingTalkUserID,
			FeishuOpenID: c.FeishuOpenID, WeComUserID: c.WeComUserID})
	}
	return out, nil
}
