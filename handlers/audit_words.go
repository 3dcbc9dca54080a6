package handlers

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"alertdesk/db"
	"alertdesk/views"
)

// auditVerbs put an audit action's last part into words.
var auditVerbs = map[string]string{"create": "created", "update": "changed", "delete": "deleted", "enable": "enabled",
	"disable": "disabled", "rename": "renamed", "revoke": "revoked", "reveal": "revealed the secret of",
	"test": "test-sent", "reset_password": "reset the password of", "change_password": "changed the password of",
	"clone": "cloned", "expire": "expired", "resend": "resent a notification of"}

// auditObjectURL is the page of an audited object, "" when it has none.
func auditObjectURL(objectType string, id int64) string {
	if id <= 0 {
		return ""
	}
	switch objectType {
	case "rule", "robot", "contact", "incident", "integration":
		return "/" + objectType + "s/" + itoa(id)
	case "user":
		return "/admin/users/" + itoa(id)
	case "contact_group":
		return "/contacts/groups/" + itoa(id)
	}
	return ""
}

// auditInWords turns an audit event into a sentence ("alice changed rule DiskFull") and
// its changes field by field ("severity: warning → critical").
func auditInWords(e db.AuditEvent) (verb string, changes []views.AuditChange) {
	action := e.Action
	if i := strings.LastIndexByte(action, '.'); i >= 0 {
		action = action[i+1:]
	}
	verb = auditVerbs[action]
	if verb == "" {
		verb = strings.ReplaceAll(action, "_", " ")
	}
	var before, after map[string]any
	_ = json.Unmarshal([]byte(e.Before), &before)
	_ = json.Unmarshal([]byte(e.After), &after)
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		b, bok := before[k]
		a, aok := after[k]
		bs, as := auditValue(b, bok), auditValue(a, aok)
		if bs == as {
			continue
		}
		changes = append(changes, views.AuditChange{Field: strings.ReplaceAll(k, "_", " "), Before: bs, After: as})
	}
	return verb, changes
}

func auditValue(v any, ok bool) string {
	if !ok || v == nil {
		return "—"
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case float64, bool:
		s = fmt.Sprint(x)
	default:
		b, _ := json.Marshal(x)
		s = string(b)
	}
	if s == "" {
		s = "(empty)"
	}
	if len(s) > 120 {
		s = strings.ToValidUTF8(s[:120], "") + "…"
	}
	return s
}
