package notify

import (
	"fmt"
	"strings"
)

// Person is a contact to @-mention, with whatever identities they have.
// The JSON names are how notifications keep who they mention.
type Person struct {
	Name           string `json:"name"`
	Mobile         string `json:"mobile,omitempty"`
	DingTalkUserID string `json:"dingtalk,omitempty"`
	FeishuOpenID   string `json:"feishu,omitempty"`
	WeComUserID    string `json:"wecom,omitempty"`
}

// MentionPlan is what PlanMentions decides for one platform.
type MentionPlan struct {
	AtMobiles    []string // DingTalk at.atMobiles (and @mobile in the text)
	AtUserIDs    []string // DingTalk at.atUserIds (and @userid in the text)
	FeishuIDs    []string // Feishu/Lark open_id or user_id
	WeComUserIDs []string
	WeComMobiles []string
	AtAll        bool
	Skipped      []string // human sentences, e.g. "Alice has no DingTalk mobile or userId"
	Labels       []string // who will be mentioned, e.g. "@Alice (13800000000)"
}

// Empty reports whether the plan mentions nobody.
func (mp MentionPlan) Empty() bool {
	return !mp.AtAll && len(mp.AtMobiles) == 0 && len(mp.AtUserIDs) == 0 && len(mp.FeishuIDs) == 0 &&
		len(mp.WeComUserIDs) == 0 && len(mp.WeComMobiles) == 0
}

// PlanMentions decides, for platform p, which identity of each person is used
// (each platform's spec says how: DingTalk takes the mobile, else the userId;
// Feishu/Lark the open_id; WeCom the userid, else the mobile).
//
// People without a usable identity are listed in Skipped; duplicates are dropped.
func PlanMentions(p Platform, people []Person, atAll bool) MentionPlan {
	pl := planner{MentionPlan: MentionPlan{AtAll: atAll}, label: p.Label(), seen: map[string]bool{}}
	if atAll {
		pl.Labels = append(pl.Labels, "@all")
	}
	mention := SpecOf(p).mention
	for _, pe := range people {
		if mention == nil {
			pl.skip(pe, "cannot be mentioned on "+pl.label)
			continue
		}
		mention(&pl, pe)
	}
	return pl.MentionPlan
}

// planner builds a MentionPlan for a platform's mention rule.
type planner struct {
	MentionPlan
	label string // the platform's, for sentences
	seen  map[string]bool
}

// add appends id (an identity of kind) to list once, with a label naming pe.
func (pl *planner) add(list *[]string, kind, id string, pe Person) {
	key := kind + ":" + id
	if pl.seen[key] {
		return
	}
	pl.seen[key] = true
	*list = append(*list, id)
	pl.Labels = append(pl.Labels, fmt.Sprintf("@%s (%s)", displayName(pe), id))
}

// skip records that pe cannot be mentioned, and why ("has no WeCom userid").
func (pl *planner) skip(pe Person, why string) {
	pl.Skipped = append(pl.Skipped, displayName(pe)+" "+why)
}

func displayName(pe Person) string {
	if name := strings.TrimSpace(pe.Name); name != "" {
		return name
	}
	return "a contact without a name"
}

// mentionTail writes ids, each formatted by at, after a blank line and separated
// by spaces; "" when there are none.
func mentionTail(ids []string, at func(id string) string) string {
	var tail strings.Builder
	for _, id := range ids {
		if tail.Len() == 0 {
			tail.WriteString("\n\n")
		} else {
			tail.WriteByte(' ')
		}
		tail.WriteString(at(id))
	}
	return tail.String()
}
