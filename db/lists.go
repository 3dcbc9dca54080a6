package db

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// ListOpts orders and pages a console list in SQL: lists of contacts, users, tokens and
// silences can grow past what one screen (or one query without LIMIT) should carry.
type ListOpts struct {
	Query  string // free-text search; each list says which columns it looks in
	Sort   string // a sort key the list knows; "" or unknown = the list's default order
	Desc   bool
	Limit  int // 0 = every row
	Offset int
}

// orderBy is " ORDER BY …" for o.Sort among keys (key → SQL expression), the whole order def
// when the key is unknown; tie keeps the order stable between pages.
func (o ListOpts) orderBy(keys map[string]string, def, tie string) string {
	col, ok := keys[o.Sort]
	if !ok {
		return " ORDER BY " + def
	}
	dir := " ASC"
	if o.Desc {
		dir = " DESC"
	}
	return " ORDER BY " + col + dir + ", " + tie + dir
}

// limit is " LIMIT ? OFFSET ?" with its arguments, "" for every row.
func (o ListOpts) limit() (string, []any) {
	if o.Limit <= 0 {
		return "", nil
	}
	return " LIMIT ? OFFSET ?", []any{o.Limit, max(o.Offset, 0)}
}

// searchCond is "(col LIKE ? OR …)" for a non-empty query over cols, with its arguments.
func (d *DB) searchCond(query string, cols ...string) (string, []any) {
	query = strings.TrimSpace(query)
	if query == "" {
		return "", nil
	}
	like := "%" + likeEscape(query) + "%"
	ors := make([]string, 0, len(cols))
	args := make([]any, 0, len(cols))
	for _, col := range cols {
		ors = append(ors, col+` `+d.dia.like()+` ? ESCAPE '\'`)
		args = append(args, like)
	}
	return "(" + strings.Join(ors, " OR ") + ")", args
}

// countWhere counts the rows of from (with its joins) that cond selects.
func (d *DB) countWhere(ctx context.Context, from, cond string, args []any) (int, error) {
	var n int
	if err := d.read.QueryRowContext(ctx, `SELECT COUNT(*)`+from+` WHERE `+cond, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("db: count: %w", err)
	}
	return n, nil
}

// ContactFilter narrows the contacts list.
type ContactFilter struct {
	TeamID int64  // 0 = every team in scope
	Has    string // "", "mobile", "email", "dingtalk", "feishu", "wecom", "user" (a linked user), "nouser"
}

var contactSorts = map[string]string{"name": "lower(c.name)", "team": "lower(t.name)", "updated": "c.updated_at"}

// ContactList is one page of the contacts visible in scope that match the search (name,
// mobile, email, platform ids, linked user name) and the filter, and how many match in all.
// Sort keys: name, team, updated.
func (d *DB) ContactList(ctx context.Context, s Scope, f ContactFilter, o ListOpts) ([]Contact, int, error) {
	cond, args := s.clause("c.team_id")
	if f.TeamID > 0 {
		cond += " AND c.team_id = ?"
		args = append(args, f.TeamID)
	}
	if col, ok := map[string]string{"mobile": "c.mobile", "email": "c.email", "dingtalk": "c.dingtalk_user_id",
		"feishu": "c.feishu_open_id", "wecom": "c.wecom_user_id"}[f.Has]; ok {
		cond += " AND " + col + " <> ''"
	}
	switch f.Has {
	case "user":
		cond += " AND c.user_id IS NOT NULL"
	case "nouser":
		cond += " AND c.user_id IS NULL"
	}
	if sc, sargs := d.searchCond(o.Query, "c.name", "c.mobile", "c.email", "c.dingtalk_user_id", "c.feishu_open_id",
		"c.wecom_user_id", "u.username"); sc != "" {
		// Mobiles are stored without spaces and dashes; "138 0013" still finds them.
		if m := strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(o.Query)); m != strings.TrimSpace(o.Query) && m != "" {
			sc = strings.TrimSuffix(sc, ")") + ` OR c.mobile ` + d.dia.like() + ` ? ESCAPE '\')`
			sargs = append(sargs, "%"+likeEscape(m)+"%")
		}
		cond += " AND " + sc
		args = append(args, sargs...)
	}
	total, err := d.countWhere(ctx, contactFrom, cond, args)
	if err != nil || total == 0 {
		return nil, total, err
	}
	lim, largs := o.limit()
	list, err := queryContacts(ctx, d.read, `SELECT `+contactCols+contactFrom+` WHERE `+cond+
		o.orderBy(contactSorts, "lower(t.name), lower(c.name), c.id", "c.id")+lim, append(args, largs...)...)
	return list, total, err
}

// UserFilter narrows the users list.
type UserFilter struct {
	Role   string // "" = any
	TeamID int64  // 0 = any, -1 = users in no team
	Status string // "", "active", "disabled"
}

var userSorts = map[string]string{"username": "lower(u.username)", "role": "u.role", "team": "lower(COALESCE(t.name, ''))",
	"created": "u.created_at"}

const userFrom = ` FROM users u LEFT JOIN teams t ON t.id = u.team_id`

// UserList is one page of the users (searched by user name and display name) and how many
// match in all. Sort keys: username, role, team, created.
func (d *DB) UserList(ctx context.Context, f UserFilter, o ListOpts) ([]User, int, error) {
	cond, args := "1=1", []any{}
	if f.Role != "" {
		cond += " AND u.role = ?"
		args = append(args, f.Role)
	}
	switch {
	case f.TeamID > 0:
		cond += " AND u.team_id = ?"
		args = append(args, f.TeamID)
	case f.TeamID < 0:
		cond += " AND u.team_id IS NULL"
	}
	switch f.Status {
	case "active":
		cond += " AND u.disabled = 0"
	case "disabled":
		cond += " AND u.disabled <> 0"
	}
	if sc, sargs := d.searchCond(o.Query, "u.username", "u.display_name"); sc != "" {
		cond += " AND " + sc
		args = append(args, sargs...)
	}
	total, err := d.countWhere(ctx, userFrom, cond, args)
	if err != nil || total == 0 {
		return nil, total, err
	}
	lim, largs := o.limit()
	rows, err := d.read.QueryContext(ctx, `SELECT `+userCols+userFrom+` WHERE `+cond+
		o.orderBy(userSorts, "lower(u.username), u.id", "u.id")+lim, append(args, largs...)...)
	if err != nil {
		return nil, 0, fmt.Errorf("db: users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, u)
	}
	return out, total, rows.Err()
}

// TokenFilter narrows the API tokens list.
type TokenFilter struct {
	TeamID int64  // 0 = any, -1 = global tokens
	Scope  string // "", TokenIntake, TokenIncidents
	Status string // "", "active", "revoked"
}

var tokenSorts = map[string]string{"name": "lower(k.name)", "team": "lower(COALESCE(t.name, ''))", "created": "k.created_at",
	"last_used": "COALESCE(k.last_used_at, 0)"}

// TokenList is one page of the tokens visible in scope (searched by name, hint and creator)
// and how many match in all; newest first unless sorted by name, team, created or last_used.
func (d *DB) TokenList(ctx context.Context, s Scope, f TokenFilter, o ListOpts) ([]APIToken, int, error) {
	cond, args := s.clause("k.team_id")
	switch {
	case f.TeamID > 0:
		cond += " AND k.team_id = ?"
		args = append(args, f.TeamID)
	case f.TeamID < 0:
		cond += " AND k.team_id IS NULL"
	}
	if f.Scope != "" {
		cond += " AND k.scope = ?"
		args = append(args, f.Scope)
	}
	switch f.Status {
	case "active":
		cond += " AND k.revoked_at IS NULL"
	case "revoked":
		cond += " AND k.revoked_at IS NOT NULL"
	}
	if sc, sargs := d.searchCond(o.Query, "k.name", "k.token_hint", "k.created_by"); sc != "" {
		cond += " AND " + sc
		args = append(args, sargs...)
	}
	total, err := d.countWhere(ctx, tokenFrom, cond, args)
	if err != nil || total == 0 {
		return nil, total, err
	}
	lim, largs := o.limit()
	rows, err := d.read.QueryContext(ctx, `SELECT `+tokenCols+tokenFrom+` WHERE `+cond+
		o.orderBy(tokenSorts, "k.id DESC", "k.id")+lim, append(args, largs...)...)
	if err != nil {
		return nil, 0, fmt.Errorf("db: api tokens: %w", err)
	}
	defer rows.Close()
	var out []APIToken
	for rows.Next() {
		k, err := scanToken(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, k)
	}
	return out, total, rows.Err()
}

// SilenceFilter narrows the silences list.
type SilenceFilter struct {
	TeamID int64  // 0 = any, -1 = silences of every team
	Status string // "" = current (active or pending), "active", "pending", "expired", "all"
	Now    time.Time
}

var silenceSorts = map[string]string{"starts": "s.starts_at", "ends": "s.ends_at", "created": "s.created_at",
	"team": "lower(COALESCE(t.name, ''))"}

// SilenceList is one page of the silences visible in scope (searched in matchers, comment
// and creator) and how many match in all; newest first unless sorted by starts, ends,
// created or team.
func (d *DB) SilenceList(ctx context.Context, s Scope, f SilenceFilter, o ListOpts) ([]Silence, int, error) {
	cond, args := silenceScope(s)
	switch {
	case f.TeamID > 0:
		cond += " AND s.team_id = ?"
		args = append(args, f.TeamID)
	case f.TeamID < 0:
		cond += " AND s.team_id IS NULL"
	}
	now := ms(f.Now)
	switch f.Status {
	case "":
		cond += " AND s.ends_at > ?"
		args = append(args, now)
	case "active":
		cond += " AND s.starts_at <= ? AND s.ends_at > ?"
		args = append(args, now, now)
	case "pending":
		cond += " AND s.starts_at > ?"
		args = append(args, now)
	case "expired":
		cond += " AND s.ends_at <= ?"
		args = append(args, now)
	}
	if sc, sargs := d.searchCond(o.Query, "s.matchers", "s.comment", "s.created_by"); sc != "" {
		cond += " AND " + sc
		args = append(args, sargs...)
	}
	total, err := d.countWhere(ctx, silenceFrom, cond, args)
	if err != nil || total == 0 {
		return nil, total, err
	}
	lim, largs := o.limit()
	list, err := querySilences(ctx, d.read, `SELECT `+silenceCols+silenceFrom+` WHERE `+cond+
		o.orderBy(silenceSorts, "s.created_at DESC, s.id DESC", "s.id")+lim, append(args, largs...)...)
	return list, total, err
}
