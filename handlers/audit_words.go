package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"alertdesk/db"
	"alertdesk/i18n"
	"alertdesk/views"
)

// auditVerbs are the audit actions' last parts that have a sentence of their own in the
// catalog ("audit.did.update" = "{{.Actor}} changed {{.Type}} {{.Object}}"). Any other
// action is told by "audit.did_other" with the action's words as they are stored.
var auditVerbs = map[string]bool{"create": true, "update": true, "delete": true, "enable": true, "disable": true,
	"rename": true, "revoke": true, "reveal": true, "test": true, "test_send": true, "reset_password": true,
	"change_password": true, "clone": true, "expire": true, "resend": true, "secret": true, "webhook": true,
	"unlink": true, "schedules": true, "secret_url_create": true, "secret_url_revoke": true, "token_rotate": true,
	"contact_actions": true, "summary": true, "login": true, "login_failed": true, "login_throttled": true,
	"sessions_ended": true, "signup": true, "ack": true, "claim": true, "close": true, "silence1h": true,
	"silence4h": true, "silence24h": true, "note": true}

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

// auditInWords puts an audit event into words: the catalog sentence that tells it
// ("alice changed rule DiskFull", with the actor and the object as arguments so each
// language orders them its own way) and its changes field by field ("severity: warning →
// critical").
func auditInWords(ctx context.Context, e db.AuditEvent) (sentence views.AuditSentence, changes []views.AuditChange) {
	action := e.Action
	if i := strings.LastIndexByte(action, '.'); i >= 0 {
		action = action[i+1:]
	}
	sentence = views.AuditSentence{Key: "audit.did_other", Verb: strings.ReplaceAll(action, "_", " "),
		Type: auditWord(ctx, "audit.type.", e.ObjectType)}
	if auditVerbs[action] {
		sentence.Key = "audit.did." + action
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
		bs, as := auditValue(ctx, b, bok), auditValue(ctx, a, aok)
		if bs == as {
			continue
		}
		changes = append(changes, views.AuditChange{Field: auditWord(ctx, "audit.field.", k), Before: bs, After: as})
	}
	return sentence, changes
}

// auditWord is a stored name (an object type, a field) in the reader's words: the
// catalog's prefix.name when it has one, else the name with spaces for underscores.
func auditWord(ctx context.Context, prefix, name string) string {
	if w := views.CodeWord(ctx, prefix, name); w != name || name == "" {
		return w
	}
	return strings.ReplaceAll(name, "_", " ")
}

func auditValue(ctx context.Context, v any, ok bool) string {
	if !ok || v == nil {
		return "—"
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case bool:
		if x {
			s = i18n.T(ctx, "audit.value_true")
		} else {
			s = i18n.T(ctx, "audit.value_false")
		}
	case float64:
		s = fmt.Sprint(x)
	default:
		b, _ := json.Marshal(x)
		s = string(b)
	}
	if s == "" {
		s = i18n.T(ctx, "audit.value_empty")
	}
	if len(s) > 120 {
		s = strings.ToValidUTF8(s[:120], "") + "…"
	}
	return s
}
