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

// PlanMentions decides, for platform p, which identity of each person is used:
//   - DingTalk: the mobile when known, else the DingTalk userId.
//   - Feishu/Lark: the open_id (the platforms accept no mobile or e-mail).
//   - WeCom: the userid when known, else the mobile (which forces a text message, see Prepare).
//
// People without a usable identity are listed in Skipped; duplicates are dropped.
func PlanMentions(p Platform, people []Person, atAll bool) MentionPlan {
	mp := MentionPlan{AtAll: atAll}
	if atAll {
		mp.Labels = append(mp.Labels, "@all")
	}
	seen := map[string]bool{}
	add := func(list *[]string, kind, id, name string) {
		key := kind + ":" + id
		if seen[key] {
			return
		}
		seen[key] = true
		*list = append(*list, id)
		mp.Labels = append(mp.Labels, fmt.Sprintf("@%s (%s)", name, id))
	}
	for _, pe := range people {
		name := strings.TrimSpace(pe.Name)
		if name == "" {
			name = "a contact without a name"
		}
		mobile := strings.TrimSpace(pe.Mobile)
		switch p {
		case DingTalk:
			if mobile != "" {
				add(&mp.AtMobiles, "mobile", mobile, name)
			} else if id := strings.TrimSpace(pe.DingTalkUserID); id != "" {
				add(&mp.AtUserIDs, "userid", id, name)
			} else {
				mp.Skipped = append(mp.Skipped, name+" has no DingTalk mobile or userId")
			}
		case Feishu, Lark:
			if id := strings.TrimSpace(pe.FeishuOpenID); id != "" {
				add(&mp.FeishuIDs, "open_id", id, name)
			} else {
				mp.Skipped = append(mp.Skipped, name+" has no "+p.Label()+" open_id or user_id")
			}
		case WeCom:
			if id := strings.TrimSpace(pe.WeComUserID); id != "" {
				add(&mp.WeComUserIDs, "userid", id, name)
			} else if mobile != "" {
				add(&mp.WeComMobiles, "mobile", mobile, name)
			} else {
				mp.Skipped = append(mp.Skipped, name+" has no WeCom userid or mobile")
			}
		default:
			mp.Skipped = append(mp.Skipped, name+" cannot be mentioned on "+p.Label())
		}
	}
	return mp
}
