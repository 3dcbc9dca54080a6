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

func webhookPlaceholder(hint string) string {
	if hint == "" {
		return "https://…"
	}
	return "stored (" + hint + ") — paste a new URL to replace it"
}

func secretPlaceholder(hint string) string {
	if hint == "" {
		return "SEC… (leave empty for none)"
	}
	return "stored (" + hint + ") — type a new one to replace it"
}
