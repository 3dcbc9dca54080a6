package handlers

import (
	"alertdesk/i18n"
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"alertdesk/db"
	"alertdesk/views"
)

// listPerPage is how many rows a page of a console list shows.
const listPerPage = 50

// readList reads a list's search (q), filters, sort (sort, dir=desc) and page from the
// query string. Unknown sort keys fall back to the list's default order; filters keep only
// the values allowed[name] lists (nil = any value, trimmed to 100 characters).
func readList(c echo.Context, base, target, formID string, sorts []string, filters map[string][]string) (db.ListOpts, views.ListState) {
	st := views.ListState{Base: base, Target: target, Form: formID, Params: url.Values{}, PerPage: listPerPage, Page: 1}
	q := strings.TrimSpace(c.QueryParam("q"))
	if utf8.RuneCountInString(q) > 100 {
		q = string([]rune(q)[:100])
	}
	if q != "" {
		st.Params.Set("q", q)
	}
	for name, allowed := range filters {
		v := strings.TrimSpace(c.QueryParam(name))
		if v == "" || (allowed != nil && !slices.Contains(allowed, v)) || utf8.RuneCountInString(v) > 100 {
			continue
		}
		st.Params.Set(name, v)
	}
	if s := c.QueryParam("sort"); slices.Contains(sorts, s) {
		st.Sort, st.Desc = s, c.QueryParam("dir") == "desc"
	}
	if p, err := strconv.Atoi(c.QueryParam("page")); err == nil && p > 1 && p < 1_000_000 {
		st.Page = p
	}
	return db.ListOpts{Query: q, Sort: st.Sort, Desc: st.Desc, Limit: listPerPage, Offset: (st.Page - 1) * listPerPage}, st
}

// lastPage moves a list past its end back to its last page; true when it did, and the
// caller queries again with o.
func lastPage(o *db.ListOpts, st *views.ListState, total int) bool {
	if total == 0 || o.Offset < total {
		return false
	}
	st.Page = (total + listPerPage - 1) / listPerPage
	o.Offset = (st.Page - 1) * listPerPage
	return true
}

// filterTeam is a team filter's id: 0 for any team (or a value that is no id), -1 for
// special, the value that stands for "no team" / "every team" in that list.
func filterTeam(v, special string) int64 {
	if v == "" {
		return 0
	}
	if special != "" && v == special {
		return -1
	}
	if id := parseID(v); id > 0 {
		return id
	}
	return 0
}

// minuteOrEmpty is t to the minute in the reader's zone, "" for the zero time (lists
// show their own dash or leave a badge out).
func minuteOrEmpty(ctx context.Context, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return i18n.Minute(ctx, t)
}
