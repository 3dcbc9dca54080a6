package handlers

import (
	"errors"
	"fmt"
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
		return nil, userError(http.StatusBadRequest, "The form could not be read.")
	}
	var ids []int64
	for _, v := range vals["id"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return nil, userError(http.StatusBadRequest, "The list's selection could not be read.")
		}
		ids = append(ids, id)
	}
	if len(ids) > maxBulk {
		return nil, userError(http.StatusBadRequest, "Pick at most %d at once.", maxBulk)
	}
	return ids, nil
}

// bulkReport is the flash after a bulk action: how many were done, and why others were not.
func bulkReport(c echo.Context, s *Server, verb, noun string, done int, refused []string, back string) error {
	if done == 0 && len(refused) == 0 {
		s.setFlash(c, "error", "Tick at least one "+noun+" first.")
		return redirect(c, back)
	}
	msg := fmt.Sprintf("%s %d %s.", verb, done, plural(done, noun))
	kind := "ok"
	if len(refused) > 0 {
		msg += " Not done: " + strings.Join(refused, "; ") + "."
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
			return userError(http.StatusUnprocessableEntity, "Pick enable, disable or delete.")
		}
		var inUse *db.RobotInUseError
		switch {
		case errors.As(err, &inUse):
			r, _ := s.deps.DB.RobotByID(ctx, scope(c), id)
			refused = append(refused, fmt.Sprintf("%s is used by %d %s (delete it from its page)", r.Name, len(inUse.Rules), plural(len(inUse.Rules), "rule")))
		case errors.Is(err, db.ErrNotFound):
			refused = append(refused, "robot #"+itoa(id)+" is not one of yours")
		case err != nil:
			return err
		default:
			done++
		}
	}
	verb := map[string]string{"enable": "Enabled", "disable": "Disabled", "delete": "Deleted"}[action]
	return bulkReport(c, s, verb, "robot", done, refused, "/robots")
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
			return userError(http.StatusUnprocessableEntity, "Pick enable, disable or delete.")
		}
		switch {
		case errors.Is(err, db.ErrRuleNeedsRobot):
			r, _ := s.deps.DB.RuleByID(ctx, scope(c), id)
			refused = append(refused, r.Name+" has no robot to send to")
		case errors.Is(err, db.ErrNotFound):
			refused = append(refused, "rule #"+itoa(id)+" is not one of yours")
		case err != nil:
			return err
		default:
			done++
		}
	}
	if done > 0 {
		s.rulesChanged()
	}
	verb := map[string]string{"enable": "Enabled", "disable": "Disabled", "delete": "Deleted"}[action]
	return bulkReport(c, s, verb, "rule", done, refused, "/rules")
}
