package views

import (
	"context"
	"net/http"
	"strconv"

	"alertdesk/i18n"
)

func statusTitle(ctx context.Context, code int) string {
	switch code {
	case http.StatusNotFound:
		return i18n.T(ctx, "common.status.not_found")
	case http.StatusForbidden:
		return i18n.T(ctx, "common.status.forbidden")
	case http.StatusTooManyRequests:
		return i18n.T(ctx, "common.status.too_many")
	case http.StatusBadRequest:
		return i18n.T(ctx, "common.status.bad_request")
	}
	return i18n.T(ctx, "common.status.error", "Code", code)
}

// roleName is a role in words of the reader's language.
func roleName(ctx context.Context, role string) string {
	switch role {
	case "admin", "member", "auditor":
		return i18n.T(ctx, "common.role."+role)
	}
	return role
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func robotFormAction(id int64) string {
	if id == 0 {
		return "/robots"
	}
	return "/robots/" + strconv.FormatInt(id, 10)
}

func webhookPlaceholder(ctx context.Context, hint string) string {
	if hint == "" {
		return "https://…"
	}
	return i18n.T(ctx, "common.webhook_stored", "Hint", hint)
}

func secretPlaceholder(ctx context.Context, hint string) string {
	if hint == "" {
		return i18n.T(ctx, "common.secret_none")
	}
	return i18n.T(ctx, "common.secret_stored", "Hint", hint)
}

// languageOptions are the choices of the language setting: the browser's, then each
// language in its own name.
func languageOptions(ctx context.Context, browser string) []Option {
	opts := []Option{{Value: "", Label: i18n.T(ctx, "auth.language_browser", "Lang", i18n.LanguageName[browser])}}
	for _, l := range i18n.Languages {
		opts = append(opts, Option{Value: l, Label: i18n.LanguageName[l]})
	}
	return opts
}

// commonZones are offered as suggestions in the time zone field; any IANA name is taken.
var commonZones = []string{"UTC", "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo",
	"Asia/Kolkata", "Europe/London", "Europe/Berlin", "Europe/Moscow", "America/New_York", "America/Chicago",
	"America/Los_Angeles", "America/Sao_Paulo", "Australia/Sydney"}
