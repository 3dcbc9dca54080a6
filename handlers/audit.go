package handlers

import (
	"context"
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"alertdesk/db"
	"alertdesk/i18n"
	"alertdesk/views"
)

const formTimeLayout = "2006-01-02T15:04"

// parseFormTime parses a datetime-local value (in the reader's time zone, the one the
// console shows times in) or RFC 3339.
func parseFormTime(ctx context.Context, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.ParseInLocation(formTimeLayout, s, i18n.From(ctx).Zone); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, s)
}

// parseTimeRange reads the from/to filter fields; a bad or reversed range is reported on
// the fields and not applied.
func parseTimeRange(c echo.Context, errs views.FieldErrors, fromField, toField string) (from, to time.Time) {
	ctx := c.Request().Context()
	var err error
	if from, err = parseFormTime(ctx, fromField); err != nil {
		errs["from"] = t(c, "audit.err_from")
	}
	if to, err = parseFormTime(ctx, toField); err != nil {
		errs["to"] = t(c, "audit.err_to")
	}
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		errs["to"] = t(c, "audit.err_range")
		return time.Time{}, time.Time{}
	}
	return from, to
}

func encodeCursor(parts ...int64) string {
	strs := make([]string, len(parts))
	for i, p := range parts {
		strs[i] = strconv.FormatInt(p, 10)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(strs, ".")))
}

// decodeCursor reverses encodeCursor; a forged or damaged cursor is an error.
func decodeCursor(s string, n int) ([]int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	parts := strings.Split(string(raw), ".")
	if len(parts) != n {
		return nil, fmt.Errorf("cursor has %d parts", len(parts))
	}
	out := make([]int64, n)
	for i, p := range parts {
		if out[i], err = strconv.ParseInt(p, 10, 64); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Server) auditFilter(c echo.Context) (db.AuditFilter, views.AuditFilterData, views.FieldErrors) {
	q := c.QueryParams()
	fd := views.AuditFilterData{Actor: strings.TrimSpace(q.Get("actor")), Action: q.Get("action"),
		ObjectType: q.Get("object"), From: q.Get("from"), To: q.Get("to")}
	errs := views.FieldErrors{}
	f := db.AuditFilter{Actor: fd.Actor, Action: fd.Action, ObjectType: fd.ObjectType, Limit: 50}
	checkOptional(c, errs, "actor", fd.Actor, 64)
	checkOptional(c, errs, "action", fd.Action, 64)
	checkOptional(c, errs, "object", fd.ObjectType, 64)
	f.From, f.To = parseTimeRange(c, errs, fd.From, fd.To)
	if cur := q.Get("before"); cur != "" {
		parts, err := decodeCursor(cur, 2)
		if err != nil {
			errs["_form"] = t(c, "audit.err_cursor")
		} else {
			f.Before = &db.AuditCursor{At: parts[0], ID: parts[1]}
		}
	}
	return f, fd, errs
}

func (s *Server) auditList(c echo.Context) error {
	ctx := c.Request().Context()
	f, fd, errs := s.auditFilter(c)
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusUnprocessableEntity
		f = db.AuditFilter{Limit: 50}
		if _, only := errs["_form"]; only && len(errs) == 1 {
			f, _, _ = s.auditFilter(c)
			f.Before = nil
		}
	}
	events, more, err := s.deps.DB.AuditEvents(ctx, f)
	if err != nil {
		return err
	}
	d := views.AuditPageData{Page: s.page(c, t(c, "audit.title"), "audit"), Filter: fd, Errors: errs}
	for _, e := range events {
		sentence, changes := auditInWords(ctx, e)
		d.Rows = append(d.Rows, views.AuditRow{At: i18n.Time(ctx, e.At), Actor: e.Actor,
			Action: e.Action, ObjectType: e.ObjectType, ObjectName: e.ObjectName, IP: e.IP, Before: e.Before, After: e.After,
			Sentence: sentence, Changes: changes, ObjectURL: auditObjectURL(e.ObjectType, e.ObjectID)})
	}
	base := url.Values{}
	for k, v := range map[string]string{"actor": fd.Actor, "action": fd.Action, "object": fd.ObjectType, "from": fd.From, "to": fd.To} {
		if v != "" {
			base.Set(k, v)
		}
	}
	d.ExportURL = "/audit.csv?" + base.Encode()
	if more && len(events) > 0 {
		last := events[len(events)-1]
		next := url.Values{}
		for k, v := range base {
			next[k] = v
		}
		next.Set("before", encodeCursor(last.At.UnixMilli(), last.ID))
		d.NextURL = "/audit?" + next.Encode()
	}
	if actions, err := s.deps.DB.AuditActions(ctx); err == nil {
		for _, a := range actions {
			d.Actions = append(d.Actions, views.Option{Value: a, Label: a})
		}
	}
	if types, err := s.deps.DB.AuditObjectTypes(ctx); err == nil {
		for _, tp := range types {
			d.ObjectTypes = append(d.ObjectTypes, views.Option{Value: tp, Label: auditWord(ctx, "audit.type.", tp)})
		}
	}
	if isHTMX(c) {
		return render(c, status, views.AuditResults(d))
	}
	return render(c, status, views.AuditPage(d))
}

func (s *Server) auditExport(c echo.Context) error {
	f, _, errs := s.auditFilter(c)
	if len(errs) > 0 {
		for k, v := range errs {
			return userError(http.StatusBadRequest, "%s", t(c, "audit.field_error", "Field", k, "Error", v))
		}
	}
	f.Before = nil
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="alertdesk-audit.csv"`)
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	_ = w.Write(csvHeader(c.Request().Context(), "audit.csv.", "time", "actor", "ip", "action", "object_type", "object_id",
		"object_name", "before", "after"))
	n := 0
	err := s.deps.DB.EachAuditEvent(c.Request().Context(), f, func(e db.AuditEvent) error {
		n++
		if err := w.Write([]string{e.At.UTC().Format(time.RFC3339), e.Actor, e.IP, e.Action, e.ObjectType,
			strconv.FormatInt(e.ObjectID, 10), csvSafe(e.ObjectName), e.Before, e.After}); err != nil {
			return err
		}
		if n%500 == 0 {
			w.Flush()
			c.Response().Flush()
		}
		return nil
	})
	w.Flush()
	if err != nil {
		logger(c).Error("audit export stopped", "error", err)
	}
	return nil
}

// csvSafe defuses spreadsheet formulas in user-controlled cells.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
