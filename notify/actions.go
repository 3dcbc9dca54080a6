package notify

import "strings"

// Action is a link a message carries for the reader to act on it: a button where the
// platform shows buttons, else a markdown link. Custom group robots cannot call back,
// so an action is always a URL the reader's phone opens.
type Action struct {
	Label string `json:"label"`
	URL   string `json:"url"`
}

// actionLinks writes actions as one line of markdown links, "[Acknowledge](…) · [Claim](…)",
// after a blank line; "" when there are none.
func actionLinks(actions []Action) string {
	if len(actions) == 0 {
		return ""
	}
	parts := make([]string, len(actions))
	for i, a := range actions {
		parts[i] = "[" + a.Label + "](" + a.URL + ")"
	}
	return "\n\n" + strings.Join(parts, " · ")
}

// actionLines writes actions for a plain-text message, one "Label: URL" a line (the
// chat apps make bare URLs clickable).
func actionLines(actions []Action) string {
	if len(actions) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n")
	for _, a := range actions {
		b.WriteString("\n" + a.Label + ": " + a.URL)
	}
	return b.String()
}
