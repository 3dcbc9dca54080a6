package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// overflowJS lists what sticks out of the viewport sideways: the page scrolling sideways,
// any element reaching past either edge that no fitting scroll box holds, and (strict, at
// desktop widths) any scroll box whose content is cut off, like a table one must scroll
// within at 1280 px. The top bar's navigation may scroll: that is its design.
const overflowJS = `(() => {
	const W = window.innerWidth, strict = %t, bad = [];
	const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
		(el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "") +
		(el.dataset.testid ? "[" + el.dataset.testid + "]" : "");
	if (document.scrollingElement.scrollWidth > W) bad.push("page scrollWidth " + document.scrollingElement.scrollWidth + " > " + W);
	for (const el of document.querySelectorAll("body *")) {
		const r = el.getBoundingClientRect();
		if (r.width === 0 || r.height === 0) continue;
		const s = getComputedStyle(el);
		if (strict && /(auto|scroll)/.test(s.overflowX) && el.scrollWidth > el.clientWidth + 1 &&
			!el.closest(".mainnav") && el.tagName !== "PRE" && el.tagName !== "TEXTAREA" && el.tagName !== "SELECT") {
			bad.push("cut off: " + name(el) + " scrolls " + el.scrollWidth + " in " + el.clientWidth);
		}
		if (r.right <= W + 1 && r.left >= -1) continue;
		let held = false;
		for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
			if (/(auto|scroll|hidden|clip)/.test(getComputedStyle(p).overflowX)) {
				const pr = p.getBoundingClientRect();
				if (pr.right <= W + 1 && pr.left >= -1) { held = true; break; }
			}
		}
		if (!held) bad.push("outside: " + name(el) + " " + Math.round(r.left) + "…" + Math.round(r.right));
	}
	return JSON.stringify([...new Set(bad)].slice(0, 12));
})()`

// checkOverflow fails the test when the current page has anything sticking out sideways.
func checkOverflow(t *testing.T, b *browser, page string, width int) {
	t.Helper()
	var bad []string
	if err := json.Unmarshal([]byte(b.eval(fmt.Sprintf(overflowJS, width >= 1000))), &bad); err != nil {
		t.Fatalf("%s at %d px: %v", page, width, err)
	}
	if len(bad) > 0 {
		t.Errorf("%s at %d px overflows:\n  %s", page, width, strings.Join(bad, "\n  "))
	}
}

// TestEveryScreenFitsPhoneAndDesktop takes a screenshot of every screen at 1280 and 390 px
// and checks by element widths that nothing is cut off or overflows sideways.
func TestEveryScreenFitsPhoneAndDesktop(t *testing.T) {
	c := startConsole(t, consoleOpts{Args: []string{"-demo"}})
	b := newBrowser(t, c.URL)
	b.login("admin", c.AdminPassword)

	// Something in every list: a test-send gives history, a robot and rule pages exist.
	b.visit("/robots")
	robot := b.eval(`document.querySelector("[data-testid=robot-row] a[href^='/robots/']").getAttribute("href")`)
	b.click("form[hx-post$='/test'] [data-testid=test-send]")
	b.waitText("[data-testid=test-summary]", "")
	b.visit("/rules")
	rule := b.eval(`(document.querySelector("a[href^='/rules/']:not([href='/rules/new'])") || {getAttribute: () => "/rules/new"}).getAttribute("href")`)
	b.visit("/history")
	notification := b.eval(`(document.querySelector("a[href^='/history/']") || {getAttribute: () => "/history"}).getAttribute("href")`)

	pages := []string{"/", "/alerts", "/history", notification, "/rules", "/rules/new", rule, "/robots", "/robots/new", robot,
		"/contacts", "/contacts/new", "/contacts/groups", "/silences", "/tokens", "/sandbox", "/account", "/admin/teams",
		"/admin/users", "/invites", "/audit", "/incidents", "/incidents/settings", "/reports", "/integrations",
		"/integrations/new", "/intake-errors"}
	for _, size := range []struct {
		w, h   int
		mobile bool
	}{{1280, 900, false}, {390, 844, true}} {
		b.viewport(size.w, size.h, size.mobile)
		for _, p := range pages {
			b.visit(p)
			b.waitJS(`document.readyState === "complete"`, "the page "+p)
			b.screenshot(fmt.Sprintf("%d%s", size.w, strings.ReplaceAll(p, "/", "-")))
			checkOverflow(t, b, p, size.w)
		}
	}
	b.resetViewport()
}
