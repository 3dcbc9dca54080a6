package delivery

import (
	"context"
	"strings"
	"testing"

	"alertdesk/db"
	"alertdesk/notify"
	"alertdesk/notify/sandbox"
)

// TestDigestInTeamLanguage: a digest of a team whose message language is Chinese goes out
// in Chinese (title, counts, "… and N more"), and one of a team that chose none in the
// console's default language.
func TestDigestInTeamLanguage(t *testing.T) {
	for _, tc := range []struct {
		name, team, console string
	}{{"team chose zh-CN", "zh-CN", ""}, {"console default zh-CN", "", "zh-CN"}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpts{})
			if tc.team != "" {
				if _, err := e.db.SetTeamLanguage(e.ctx, db.SystemActor, e.team.ID, tc.team); err != nil {
					t.Fatal(err)
				}
			}
			r, sr := e.robot(sandbox.RobotConfig{Platform: notify.WeCom}, "", 0)
			warm := e.enqueue(r, "warm", 17, nil)
			eng := e.engine(Options{Language: tc.console})
			for _, id := range warm {
				e.waitState(id, db.StateDelivered)
			}
			_ = eng.Close(context.Background())
			ids := e.enqueue(r, "burst", 10, nil)
			e.engine(Options{Language: tc.console, DigestTitles: 3})
			n := e.waitState(ids[2], db.StateFolded)
			dg := e.waitState(n.DigestID, db.StateDelivered)
			if !strings.HasPrefix(dg.Title, "已合并 8 条通知：8 条触发，0 条恢复") {
				t.Errorf("digest title = %q", dg.Title)
			}
			for _, want := range []string{"条通知（8 个告警）到达的速度超过了", "每分钟 20 条", "**按规则**：", "**按级别**：warning 8", "… 另有 5 条："} {
				if !strings.Contains(dg.Body, want) {
					t.Errorf("digest body lacks %q:\n%s", want, dg.Body)
				}
			}
			for _, english := range []string{"folded", "arrived", "By rule", "more", "a minute"} {
				if strings.Contains(dg.Title+dg.Body, english) {
					t.Errorf("digest has English %q:\n%s\n%s", english, dg.Title, dg.Body)
				}
			}
			var sent bool
			for _, m := range e.sb.MessagesFor(sr.Token) {
				if strings.Contains(m.Text, "已合并 8 条通知") {
					sent = true
				}
			}
			if !sent {
				t.Errorf("the sandbox never received the Chinese digest")
			}
		})
	}
}

// TestTruncationNoteInTeamLanguage: a message cut to the platform's size ends with the
// truncation note in the team's language.
func TestTruncationNoteInTeamLanguage(t *testing.T) {
	e := newEnv(t, envOpts{})
	if _, err := e.db.SetTeamLanguage(e.ctx, db.SystemActor, e.team.ID, "zh-CN"); err != nil {
		t.Fatal(err)
	}
	r, sr := e.robot(sandbox.RobotConfig{Platform: notify.DingTalk}, "", 0)
	ids := e.enqueue(r, "big", 1, func(_ int, it *db.OutboxItem) { it.Body = strings.Repeat("告警内容很长。", 10000) })
	e.engine(Options{})
	e.waitState(ids[0], db.StateDelivered)
	msgs := e.sb.MessagesFor(sr.Token)
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "… 内容已截断，完整消息：") || strings.Contains(msgs[0].Text, "truncated") {
		t.Errorf("the message lacks the Chinese truncation note (%d messages)", len(msgs))
	}
}
