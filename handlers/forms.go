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
func checkName(errs views.FieldErrors, field, value string, max int) {
	switch {
	case value == "":
		errs[field] = "This field is required."
	case !utf8.ValidString(value):
		errs[field] = "Use valid UTF-8 text."
	case utf8.RuneCountInString(value) > max:
		errs[field] = "Use at most " + strconv.Itoa(max) + " characters."
	case strings.IndexFunc(value, unicode.IsControl) >= 0:
		errs[field] = "Control characters are not allowed."
	}
}

// checkOptional validates an optional one-line text of at most max characters.
func checkOptional(errs views.FieldErrors, field, value string, max int) {
	if value != "" {
		checkName(errs, field, value, max)
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
		return 0, userError(404, "Not found, or not visible to you.")
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

// ruleList names rules in a sentence: `the alert rules "a", "b"`.
func ruleList(names []string) string {
	if len(names) == 0 {
		return "alert rules"
	}
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = strconv.Quote(n)
	}
	if len(names) == 1 {
		return "the alert rule " + quoted[0]
	}
	return "the alert rules " + strings.Join(quoted, ", ")
}

// postedValue reads a field from the request body only (urlencoded or multipart), never
// from the query string: a token in a URL leaks through logs, history and Referer.
func postedValue(c echo.Context, name string) string {
	return c.Request().PostFormValue(name)
}
