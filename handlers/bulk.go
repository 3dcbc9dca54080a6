package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"alertdesk/db"
)

// maxBulk bounds how many objects one bulk action touches.
const maxBulk = 500

// bulkIDs reads the ticked ids of a list's bulk form.
func bulkIDs(c echo.Context) ([]int64, error) {
	vals, err := c.FormParams()
	if err != nil {
		return nil, userError(http.StatusBadRequest, "%s", t(c, "robots.bulk_unreadable"))
	}
	var ids []int64
	for _, v := range vals["id"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return nil, userError(http.StatusBadRequest, "%s", t(c, "robots.bulk_bad_selection"))
		}
		ids = append(ids, id)
	}
	if len(ids) > maxBulk {
		return nil, userError(http.StatusBadRequest, "%s", t(c, "robots.bulk_too_many", "Max", maxBulk))
	}
	return ids, nil
}

// bulkTexts are the catalog keys of a list's bulk-action flashes.
type bulkTexts struct {
	none                       string // nothing ticked
	enabled, disabled, deleted string // "Enabled N robots." (plural by Count)
	notDone                    string // the done message and the refusals
}

var (
	robotBulkTexts = bulkTexts{none: "robots.bulk_none", enabled: "robots.bulk_enabled", disabled: "robots.bulk_disabled",
		deleted: "robots.bulk_deleted", notDone: "robots.bulk_not_done"}
	ruleBulkTexts = bulkTexts{none: "rules.bulk_none", enabled: "rules.bulk_enabled", disabled: "rules.bulk_disabled",
		deleted: "rules.bulk_deleted", notDone: "rules.bulk_not_done"}
)

// bulkReport is the flash after a bulk action: how many were done, and why others were not.
func bulkReport(c echo.Context, s *Server, action string, texts bulkTexts, done int, refused []string, back string) error {
	if done == 0 && len(refused) == 0 {
		s.setFlash(c, "error", t(c, texts.none))
		return redirect(c, back)
	}
	key := map[string]string{"enable": texts.enabled, "disable": texts.disabled, "delete": texts.deleted}[action]
	msg := t(c, key, "Count", done)
	kind := "ok"
	if len(refused) > 0 {
		msg = t(c, texts.notDone, "Done", msg, "Refused", strings.Join(refused, t(c, "robots.bulk_separator")))
		kind = "error"
	}
	s.setFlash(c, kind, msg)
	return redirect(c, back)
}

func plural(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}

// robotsBulk enables, disables or deletes the ticked robots. A robot that rules still
// send to is not deleted here: its page lists the rules and deletes it from them.
func (s *Server) robotsBulk(c echo.Context) error {
	ids, err := bulkIDs(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	action := c.FormValue("action")
	var refused []string
	done := 0
	for _, id := range ids {
		switch action {
		case "enable", "disable":
			_, err = s.deps.DB.SetRobotEnabled(ctx, actor(c), scope(c), id, action == "enable")
		case "delete":
			err = s.deps.DB.DeleteRobot(ctx, actor(c), scope(c), id)
		default:
			return userError(http.StatusUnprocessableEntity, "%s", t(c, "robots.bulk_bad_action"))
		}
		var inUse *db.RobotInUseError
		switch {
		case errors.As(err, &inUse):
			r, _ := s.deps.DB.RobotByID(ctx, scope(c), id)
			refused = append(refused, t(c, "robots.bulk_in_use", "Name", r.Name, "Count", len(inUse.Rules)))
		case errors.Is(err, db.ErrNotFound):
			refused = append(refused, t(c, "robots.bulk_not_yours", "ID", id))
		case err != nil:
			return err
		default:
			done++
		}
	}
	return bulkReport(c, s, action, robotBulkTexts, done, refused, "/robots")
}

// rulesBulk enables, disables or deletes the ticked rules.
func (s *Server) rulesBulk(c echo.Context) error {
	ids, err := bulkIDs(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	action := c.FormValue("action")
	var refused []string
	done := 0
	for _, id := range ids {
		switch action {
		case "enable", "disable":
			_, err = s.deps.DB.SetRuleEnabled(ctx, actor(c), scope(c), id, action == "enable")
		case "delete":
			err = s.deps.DB.DeleteRule(ctx, actor(c), scope(c), id)
		default:
			return userError(http.StatusUnprocessableEntity, "%s", t(c, "robots.bulk_bad_action"))
		}
		switch {
		case errors.Is(err, db.ErrRuleNeedsRobot):
			r, _ := s.deps.DB.RuleByID(ctx, scope(c), id)
			refused = append(refused, t(c, "rules.bulk_no_robot", "Name", r.Name))
		case errors.Is(err, db.ErrNotFound):
			refused = append(refused, t(c, "rules.bulk_not_yours", "ID", id))
		case err != nil:
			return err
		default:
			done++
		}
	}
	if done > 0 {
		s.rulesChanged()
	}
	return bulkReport(c, s, action, ruleBulkTexts, done, refused, "/rules")
}
