package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// contactsSandboxMsg is one entry of GET /sandbox/messages: what the emulated chat app received.
type contactsSandboxMsg struct {
	ID        int64           `json:"id"`
	Platform  string          `json:"platform"`
	Token     string          `json:"token"`
	RobotName string          `json:"robot_name"`
	Accepted  bool            `json:"accepted"`
	Code      int             `json:"code"`
	ErrMsg    string          `json:"errmsg"`
	Body      json.RawMessage `json:"body"` // the raw JSON the console posted
	Title     string          `json:"title"`
	Text      string          `json:"text"`
	Mentions  []string        `json:"mentions"`
}

// contactsNewestMsg reads the sandbox log as JSON and returns the newest message that the
// sandbox robot named robotName received.
func contactsNewestMsg(t *testing.T, api *client, robotName string) contactsSandboxMsg {
	t.Helper()
	r := api.get("/sandbox/messages")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /sandbox/messages: status %d, want 200; body:\n%s", r.Status, r.Body)
	}
	var msgs []contactsSandboxMsg
	if err := json.Unmarshal([]byte(r.Body), &msgs); err != nil {
		t.Fatalf("GET /sandbox/messages: not a JSON array of messages: %v\n%s", err, r.Body)
	}
	for _, m := range msgs { // newest first
		if m.RobotName == robotName {
			return m
		}
	}
	t.Fatalf("the sandbox robot %q received nothing; messages:\n%s", robotName, r.Body)
	return contactsSandboxMsg{}
}

// contactsPickMention ticks, in the robot page's test-send mention picker, the tag whose label
// starts with label (a contact's label carries their IDs after the name) and returns its value.
func contactsPickMention(b *browser, label string) string {
	b.t.Helper()
	// The picker is tap-to-pick tags (checkboxes), not a Ctrl-click list.
	b.waitVisible("[data-testid=test-mention] input[name=mention]")
	v := b.eval(`(() => {
		const l = [...document.querySelectorAll("[data-testid=test-mention] label.tag")].find(l => l.innerText.trim().startsWith(` + jsString(label) + `));
		if (!l) return "";
		const box = l.querySelector("input[name=mention]");
		if (!box.checked) box.click();
		return box.value;
	})()`)
	if v == "" {
		b.fail("no tag %q in the mention picker; it offers: %s", label,
			b.eval(`[...document.querySelectorAll("[data-testid=test-mention] label.tag")].map(l => l.innerText.trim()).join(" | ")`))
	}
	return v
}

// contactsRowID returns the data-contact-id of the row named name in the contacts table
// the browser shows ("" when there is none).
// contactsRowID waits a while for the row, since a loaded machine may still be swapping
// the list in when the flash is already shown; "" when it never comes.
func contactsRowID(b *browser, name string) string {
	b.t.Helper()
	expr := `(() => {
		const r = [...document.querySelectorAll("[data-testid=contact-row]")]
			.find(r => { const s = r.querySelector("td strong"); return s && s.textContent.trim() === ` + jsString(name) + `; });
		return r ? r.dataset.contactId : "";
	})()`
	for deadline := time.Now().Add(stepTimeout); ; time.Sleep(100 * time.Millisecond) {
		if id := b.eval(expr); id != "" || time.Now().After(deadline) {
			return id
		}
	}
}

// TestContactsAndMentions: a colleague joins the demo team with an invite, fills in her own
// contact card, and proves with test-sends to WeCom, DingTalk and Feishu sandbox robots that
// each platform receives the @-mention in the exact field it needs. Then bad contact input is
// refused in words and nothing is stored, and a contact of another team cannot be slipped
// into a group.
func TestContactsAndMentions(t *testing.T) {
	c := startConsole(t, consoleOpts{Args: []string{"-demo"}})
	admin := newBrowser(t, c.URL)
	admin.login("admin", c.AdminPassword)

	t.Log("the admin invites a colleague to the demo team")
	admin.visit("/invites")
	admin.fill("#invite-create #f-team_id", "demo")
	admin.fill("#invite-create #f-days", "7")
	admin.fill("#invite-create #f-uses", "1")
	admin.click("#invite-create button[type=submit]")
	admin.waitText("[data-testid=invite-link]", "Invite link")
	link := admin.value("#invite-link")
	if !strings.HasPrefix(link, c.URL+"/invite/") {
		t.Fatalf("invite link = %q, want it to start with %s/invite/", link, c.URL)
	}
	admin.screenshot("invite-created")

	t.Log("carol opens the link in her own browser and signs up")
	const carolPassword = "carol-secret-42"
	carol := newIncognito(t, admin)
	if st := carol.visit(link); st != http.StatusOK {
		t.Fatalf("GET invite link: status %d, want 200", st)
	}
	carol.waitText("h1", "Join demo")
	carol.fill("#signup-form #f-username", "carol")
	carol.fill("#signup-form #f-display_name", "Carol")
	carol.fill("#signup-form #f-password", carolPassword)
	carol.fill("#signup-form #f-password2", carolPassword)
	carol.click("#signup-form button[type=submit]")
	carol.waitPath("/")
	carol.waitText("#flash", "Welcome to demo!")
	carol.waitText("[data-testid=account-link]", "carol")

	t.Log("carol fills in her contact card")
	carol.visit("/account/contact")
	carol.waitText("main h1", "My contact card")
	carol.waitText("[data-testid=my-contact]", "You have no card yet")
	carol.fill("#my-contact-form #f-name", "Carol Chen")
	carol.fill("#my-contact-form #f-mobile", "13800000001")
	carol.fill("#my-contact-form #f-feishu_open_id", "ou_carol001")
	carol.fill("#my-contact-form #f-wecom_user_id", "carol.chen")
	carol.fill("#my-contact-form #f-dingtalk_user_id", "carol001")
	carol.click("[data-testid=my-contact-save]")
	carol.waitText("#flash", "Your contact card is saved.")
	for sel, want := range map[string]string{
		"#f-name": "Carol Chen", "#f-mobile": "13800000001", "#f-feishu_open_id": "ou_carol001",
		"#f-wecom_user_id": "carol.chen", "#f-dingtalk_user_id": "carol001",
	} {
		if got := carol.value("#my-contact-form " + sel); got != want {
			t.Errorf("after saving, my contact card %s = %q, want %q", sel, got, want)
		}
	}
	if txt := carol.textOf("[data-testid=my-contact]"); strings.Contains(txt, "You have no card yet") {
		t.Errorf("after saving, the card still says %q", txt)
	}
	carol.screenshot("contact-card-saved")
	carol.visit("/contacts")
	carol.waitText("[data-testid=contacts-table]", "Carol Chen")
	carolID := contactsRowID(carol, "Carol Chen")
	if carolID == "" {
		t.Fatal("the contacts list has no row for Carol Chen")
	}
	if row := carol.textOf(`[data-testid=contact-row][data-contact-id="` + carolID + `"]`); !strings.Contains(row, "carol") {
		t.Errorf("Carol Chen's row %q does not show that user carol maintains it", row)
	}

	api := newClient(t, c)
	api.login("carol", carolPassword)

	t.Log("WeCom: a test-send mentioning carol carries <@carol.chen> in the markdown")
	wecomHook, _ := sandboxRobot(t, carol, "wecom", "carol WeCom group", false, "")
	wecomPath := createRobot(t, carol, "demo", "carol WeCom", "wecom", wecomHook, "", "")
	if v := contactsPickMention(carol, "Carol Chen"); v != "c:"+carolID {
		t.Errorf("mention picker value for Carol Chen = %q, want c:%s", v, carolID)
	}
	testSend(carol, "Delivered")
	carol.waitText("[data-testid=test-outcome]", "Mentioned: @Carol Chen (carol.chen)")
	carol.screenshot("wecom-mention-delivered")
	m := contactsNewestMsg(t, api, "carol WeCom group")
	var wecomBody struct {
		MsgType  string `json:"msgtype"`
		Markdown struct {
			Content string `json:"content"`
		} `json:"markdown"`
		Text *struct {
			MentionedList       []string `json:"mentioned_list"`
			MentionedMobileList []string `json:"mentioned_mobile_list"`
		} `json:"text"`
	}
	if err := json.Unmarshal(m.Body, &wecomBody); err != nil {
		t.Fatalf("WeCom body is not JSON: %v\n%s", err, m.Body)
	}
	if !m.Accepted || !slices.Contains(m.Mentions, "userid:carol.chen") {
		t.Errorf("WeCom sandbox: accepted=%v mentions=%q, want accepted with userid:carol.chen", m.Accepted, m.Mentions)
	}
	if wecomBody.MsgType != "markdown" || !strings.Contains(wecomBody.Markdown.Content, "<@carol.chen>") || wecomBody.Text != nil {
		t.Errorf("WeCom body: msgtype %q, markdown.content %q; want markdown with <@carol.chen> (no text message)\n%s",
			wecomBody.MsgType, wecomBody.Markdown.Content, m.Body)
	}

	t.Log("DingTalk: she has a mobile, so the adapter mentions the mobile in at.atMobiles and as @mobile in the text")
	dingHook, _ := sandboxRobot(t, carol, "dingtalk", "carol DingTalk group", false, "")
	createRobot(t, carol, "demo", "carol DingTalk", "dingtalk", dingHook, "", "")
	contactsPickMention(carol, "Carol Chen")
	testSend(carol, "Delivered")
	carol.waitText("[data-testid=test-outcome]", "Mentioned: @Carol Chen (13800000001)")
	carol.screenshot("dingtalk-mention-delivered")
	m = contactsNewestMsg(t, api, "carol DingTalk group")
	var dingBody struct {
		MsgType  string `json:"msgtype"`
		Markdown struct {
			Title string `json:"title"`
			Text  string `json:"text"`
		} `json:"markdown"`
		At struct {
			AtMobiles []string `json:"atMobiles"`
			AtUserIDs []string `json:"atUserIds"`
			IsAtAll   bool     `json:"isAtAll"`
		} `json:"at"`
	}
	if err := json.Unmarshal(m.Body, &dingBody); err != nil {
		t.Fatalf("DingTalk body is not JSON: %v\n%s", err, m.Body)
	}
	if !m.Accepted || !slices.Equal(m.Mentions, []string{"mobile:13800000001"}) {
		t.Errorf("DingTalk sandbox: accepted=%v mentions=%q, want accepted with exactly mobile:13800000001", m.Accepted, m.Mentions)
	}
	if dingBody.MsgType != "markdown" || !slices.Equal(dingBody.At.AtMobiles, []string{"13800000001"}) ||
		len(dingBody.At.AtUserIDs) != 0 || dingBody.At.IsAtAll {
		t.Errorf("DingTalk body: msgtype %q, at %+v; want markdown with at.atMobiles [13800000001] only\n%s",
			dingBody.MsgType, dingBody.At, m.Body)
	}
	if !strings.Contains(dingBody.Markdown.Text, "@13800000001") {
		t.Errorf("DingTalk markdown.text lacks @13800000001 (without it the @ does not light up):\n%s", dingBody.Markdown.Text)
	}

	t.Log("Feishu: the card's lark_md text carries <at id=ou_carol001></at>")
	feishuHook, _ := sandboxRobot(t, carol, "feishu", "carol Feishu group", false, "")
	createRobot(t, carol, "demo", "carol Feishu", "feishu", feishuHook, "", "")
	contactsPickMention(carol, "Carol Chen")
	testSend(carol, "Delivered")
	carol.waitText("[data-testid=test-outcome]", "Mentioned: @Carol Chen (ou_carol001)")
	carol.screenshot("feishu-mention-delivered")
	m = contactsNewestMsg(t, api, "carol Feishu group")
	var feishuBody struct {
		MsgType string `json:"msg_type"`
		Card    struct {
			Elements []struct {
				Tag  string `json:"tag"`
				Text struct {
					Tag     string `json:"tag"`
					Content string `json:"content"`
				} `json:"text"`
			} `json:"elements"`
		} `json:"card"`
	}
	if err := json.Unmarshal(m.Body, &feishuBody); err != nil {
		t.Fatalf("Feishu body is not JSON: %v\n%s", err, m.Body)
	}
	if !m.Accepted || !slices.Equal(m.Mentions, []string{"open_id:ou_carol001"}) {
		t.Errorf("Feishu sandbox: accepted=%v mentions=%q, want accepted with exactly open_id:ou_carol001", m.Accepted, m.Mentions)
	}
	if feishuBody.MsgType != "interactive" || len(feishuBody.Card.Elements) == 0 ||
		feishuBody.Card.Elements[0].Text.Tag != "lark_md" ||
		!strings.Contains(feishuBody.Card.Elements[0].Text.Content, "<at id=ou_carol001></at>") {
		t.Errorf("Feishu body: want an interactive card whose lark_md text has <at id=ou_carol001></at>:\n%s", m.Body)
	}
	carol.visit("/sandbox")
	carol.waitText("main", "carol Feishu group")
	carol.screenshot("sandbox-messages")

	t.Log("bad input: a second contact with carol's mobile (typed with spaces) names Carol Chen")
	carol.visit("/contacts/new")
	carol.waitText("[data-testid=contact-team]", "demo")
	carol.fill("#contact-form #f-name", "Carol Again")
	carol.fill("#contact-form #f-mobile", "138 0000 0001")
	carol.click("[data-testid=contact-save]")
	if msg := carol.waitText("#contact-form [data-testid=err-mobile]", "Carol Chen"); !strings.Contains(msg, "already has this mobile") {
		t.Errorf("duplicate mobile error = %q, want it to say another contact already has this mobile", msg)
	}
	carol.screenshot("duplicate-mobile")

	t.Log("bad input: a malformed mobile and a malformed Feishu id")
	carol.visit("/contacts/new")
	carol.fill("#contact-form #f-name", "Dave Malformed")
	carol.fill("#contact-form #f-mobile", "12ab")
	carol.fill("#contact-form #f-feishu_open_id", "abc")
	carol.click("[data-testid=contact-save]")
	carol.waitText("#contact-form [data-testid=err-mobile]", "Enter 5 to 20 digits")
	carol.waitText("#contact-form [data-testid=err-feishu_open_id]", "open_id (ou_")
	if got := carol.value("#contact-form #f-feishu_open_id"); got != "abc" {
		t.Errorf("after the error, the Feishu field holds %q, want what carol typed (abc)", got)
	}
	if carol.exists("#contact-form [data-testid=err-name]") || carol.exists("#contact-form [data-testid=form-error]") {
		t.Error("a malformed mobile and Feishu id also produced a name or form-level error")
	}
	carol.screenshot("malformed-ids")

	t.Log("bad input: a name and no way to reach the person")
	carol.visit("/contacts/new")
	carol.fill("#contact-form #f-name", "Nobody Reachable")
	carol.click("[data-testid=contact-save]")
	carol.waitText("#contact-form [data-testid=form-error]", "Give at least one way to reach this person")
	carol.screenshot("no-identity")

	list := api.get("/contacts")
	if list.Status != http.StatusOK {
		t.Fatalf("GET /contacts as carol: status %d", list.Status)
	}
	for _, name := range []string{"Carol Again", "Dave Malformed", "Nobody Reachable"} {
		if strings.Contains(list.Body, name) {
			t.Errorf("refused contact %q was stored anyway", name)
		}
	}
	if n := strings.Count(list.Body, `data-testid="contact-row"`); n != 1 {
		t.Errorf("team demo has %d contacts after the refused ones, want 1 (Carol Chen)", n)
	}

	t.Log("the admin creates team other with a contact Olga")
	admin.visit("/admin/teams")
	admin.fill("#team-create #f-name", "other")
	admin.click("#team-create button[type=submit]")
	admin.waitText("#flash", "Team other created.")
	admin.visit("/contacts/new")
	admin.fill("#contact-form #f-team_id", "other")
	otherTeamID := admin.value("#contact-form #f-team_id")
	admin.fill("#contact-form #f-name", "Olga Other")
	admin.fill("#contact-form #f-mobile", "13900000009")
	admin.fill("#contact-form #f-wecom_user_id", "olga")
	admin.click("[data-testid=contact-save]")
	admin.waitText("#flash", "Contact Olga Other created.")
	olgaID := contactsRowID(admin, "Olga Other")
	if olgaID == "" {
		t.Fatal("the admin's contacts list has no row for Olga Other")
	}
	if team := admin.textOf(`[data-testid=contact-row][data-contact-id="` + olgaID + `"] [data-testid=contact-team]`); team != "other" {
		t.Fatalf("Olga Other is in team %q, want other", team)
	}

	t.Log("carol makes an on-call group and adds herself")
	carol.visit("/contacts/groups")
	carol.fill("#group-create #f-name", "carol on-call")
	carol.click("#group-create button[type=submit]")
	carol.waitText("#flash", "Group carol on-call created.")
	groupPath := strings.TrimPrefix(carol.location(), c.URL)
	if !strings.HasPrefix(groupPath, "/contacts/groups/") {
		t.Fatalf("after creating the group the page is %s, want /contacts/groups/<id>", groupPath)
	}
	addBtn := `[data-testid=candidate-row][data-contact-id="` + carolID + `"] [data-testid=candidate-add]`
	carol.waitJS(`(() => { const b = document.querySelector(`+jsString(addBtn)+`); return !!b && !!b["htmx-internal-data"]; })()`,
		"htmx to wire up the Add button of Carol Chen")
	carol.click(addBtn)
	carol.waitVisible(`[data-testid=group-member][data-contact-id="` + carolID + `"]`)
	carol.click("[data-testid=group-save]")
	carol.waitText("#flash", "Group carol on-call saved.")

	t.Log("a contact of team other slipped into the group form is refused next to the members")
	carol.waitVisible(`[data-testid=group-member][data-contact-id="` + carolID + `"]`)
	carol.eval(`(() => {
		const i = document.createElement("input");
		i.type = "hidden"; i.name = "member_id"; i.value = ` + jsString(olgaID) + `;
		document.querySelector("#group-form #group-members").appendChild(i);
		return "";
	})()`)
	carol.click("[data-testid=group-save]")
	carol.waitText("#group-form [data-testid=err-member_id]", "Only contacts of team demo can be members of this group.")
	carol.screenshot("foreign-member-refused")

	r := api.postForm(groupPath, url.Values{"name": {"carol on-call"}, "member_id": {carolID, olgaID}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Only contacts of team demo can be members of this group.") {
		t.Errorf("POST %s with Olga (team other) as a member: status %d, want 422 with a message; body:\n%s", groupPath, r.Status, r.Body)
	}
	r = api.postForm("/contacts/groups", url.Values{"team_id": {otherTeamID}, "name": {"sneaky"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Pick one of your teams.") {
		t.Errorf("carol POST /contacts/groups into team other: status %d, want 422 \"Pick one of your teams.\"", r.Status)
	}
	r = api.postForm("/contacts", url.Values{"team_id": {otherTeamID}, "name": {"Sneaky Contact"}, "mobile": {"13700000007"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Pick one of your teams.") {
		t.Errorf("carol POST /contacts into team other: status %d, want 422 \"Pick one of your teams.\"", r.Status)
	}
	if r := api.get("/contacts/" + olgaID); r.Status != http.StatusNotFound {
		t.Errorf("carol GET /contacts/%s (team other): status %d, want 404", olgaID, r.Status)
	}

	t.Log("the group still has only carol; nothing of the refused posts was stored")
	admin.visit("/contacts/groups")
	admin.waitText("[data-testid=groups-table]", "carol on-call")
	groups := admin.textOf("[data-testid=groups-table]")
	if !strings.Contains(groups, "1: Carol Chen") || strings.Contains(groups, "Olga") || strings.Contains(groups, "sneaky") {
		t.Errorf("groups table as the admin sees it = %q, want carol on-call with the single member Carol Chen and no group sneaky", groups)
	}
	admin.visit("/contacts")
	if contacts := admin.textOf("[data-testid=contacts-table]"); strings.Contains(contacts, "Sneaky Contact") {
		t.Errorf("contact Sneaky Contact was stored in another team: %q", contacts)
	}
	admin.screenshot("groups-admin")

	t.Log("a test-send naming Olga's id mentions nobody")
	before := contactsNewestMsg(t, api, "carol WeCom group").ID
	r = api.postForm(wecomPath+"/test", url.Values{"mention": {"c:" + olgaID}})
	if r.Status != http.StatusOK {
		t.Fatalf("POST %s/test: status %d", wecomPath, r.Status)
	}
	m = contactsNewestMsg(t, api, "carol WeCom group")
	if m.ID == before || len(m.Mentions) != 0 || strings.Contains(string(m.Body), "olga") || strings.Contains(string(m.Body), "13900000009") {
		t.Errorf("test-send with another team's contact: message %d (before %d) mentions %q; body:\n%s", m.ID, before, m.Mentions, m.Body)
	}
}
