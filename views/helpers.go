package views

import (
	"net/http"
	"strconv"
)

func statusTitle(code int) string {
	switch code {
	case http.StatusNotFound:
		return "Not found"
	case http.StatusForbidden:
		return "Not allowed"
	case http.StatusTooManyRequests:
		return "Too many attempts"
	case http.StatusBadRequest:
		return "Bad request"
	}
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "Error " + strconv.Itoa(code)
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
