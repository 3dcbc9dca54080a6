package handlers

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"alertdesk/views"
)

// checkName validates a required one-line name of at most max characters.
func checkName(c echo.Context, errs views.FieldErrors, field, value string, max int) {
	switch {
	case value == "":
		errs[field] = t(c, "common.err.required")
	case !utf8.ValidString(value):
		errs[field] = t(c, "common.err.utf8")
	case utf8.RuneCountInString(value) > max:
		errs[field] = t(c, "common.err.too_long", "Count", max)
	case strings.IndexFunc(value, unicode.IsControl) >= 0:
		errs[field] = t(c, "common.err.control")
	}
}

// checkOptional validates an optional one-line text of at most max characters.
func checkOptional(c echo.Context, errs views.FieldErrors, field, value string, max int) {
	if value != "" {
		checkName(c, errs, field, value, max)
	}
}

// form returns a trimmed form value.
func form(c echo.Context, name string) string {
	return strings.TrimSpace(c.FormValue(name))
}

// paramID parses a numeric path parameter; anything else is a 404.
func paramID(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, userError(404, "%s", t(c, "common.err.not_found"))
	}
	return id, nil
}

func parseID(s string) int64 {
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || id < 0 {
		return -1
	}
	return id
}

func fmtTime(t interface{ Format(string) string }) string {
	return t.Format("2006-01-02 15:04")
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// ruleList names rules in a sentence of the reader's language: `the alert rules "a", "b"`.
func ruleList(c echo.Context, names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = strconv.Quote(n)
	}
	return t(c, "common.rule_list", "Count", len(names), "Names", strings.Join(quoted, ", "))
}

// postedValue reads a field from the request body only (urlencoded or multipart), never
// from the query string: a token in a URL leaks through logs, history and Referer.
func postedValue(c echo.Context, name string) string {
	return c.Request().PostFormValue(name)
}
