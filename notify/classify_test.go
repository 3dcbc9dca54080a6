package notify

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	dt := func(code int, msg string) string {
		return `{"errcode":` + itoa64(int64(code)) + `,"errmsg":"` + msg + `"}`
	}
	fs := func(code int, msg string) string {
		return `{"code":` + itoa64(int64(code)) + `,"data":{},"msg":"` + msg + `"}`
	}
	tests := []struct {
		name     string
		p        Platform
		status   int
		body     string
		want     Class
		code     string
		retry    time.Duration
		contains string
	}{
		// DingTalk, docs/PLATFORMS.md §1.6
		{"dt ok", DingTalk, 200, `{"errcode":0,"errmsg":"ok"}`, Delivered, "0", 0, "Delivered"},
		{"dt busy", DingTalk, 200, dt(-1, "系统繁忙"), Retry, "-1", 0, "busy"},
		{"dt 410100", DingTalk, 200, dt(410100, "send too fast"), RateLimited, "410100", time.Minute, "20 messages a minute"},
		{"dt 130101", DingTalk, 200, `{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute","wait":60,"punish":"deny"}`, RateLimited, "130101", time.Minute, "throttling"},
		{"dt keywords", DingTalk, 200, dt(310000, "keywords not in content, more: [x]"), Misconfigured, "310000", 0, "none of the robot's keywords appears in it"},
		{"dt keywords zh", DingTalk, 200, dt(310000, "description:关键词不匹配;solution:请联系群管理员查看此机器人的关键词"), Misconfigured, "310000", 0, "keywords"},
		{"dt sign", DingTalk, 200, dt(310000, "sign not match, more: [x]"), Misconfigured, "310000", 0, "check the signing secret"},
		{"dt timestamp", DingTalk, 200, dt(310000, "invalid timestamp"), Misconfigured, "310000", 0, "clock"},
		{"dt timestamp zh", DingTalk, 200, dt(310000, "机器人发送签名过期"), Misconfigured, "310000", 0, "clock"},
		{"dt ip", DingTalk, 200, dt(310000, "ip 1.2.3.4 not in whitelist"), Misconfigured, "310000", 0, "IP allowlist"},
		{"dt 300001", DingTalk, 200, dt(300001, "token is not exist"), Misconfigured, "300001", 0, "access token"},
		{"dt 300005", DingTalk, 200, dt(300005, "token is not exist"), Misconfigured, "300005", 0, "access token"},
		{"dt 400101", DingTalk, 200, dt(400101, "access_token不存在"), Misconfigured, "400101", 0, "access token"},
		{"dt 400102", DingTalk, 200, dt(400102, "机器人已停用"), Misconfigured, "400102", 0, "disabled"},
		{"dt 400013", DingTalk, 200, dt(400013, "群已被解散"), Misconfigured, "400013", 0, "dissolved"},
		{"dt 400106", DingTalk, 200, dt(400106, "robot 不存在"), Misconfigured, "400106", 0, "removed from the group"},
		{"dt 400105", DingTalk, 200, dt(400105, "不支持的消息类型"), Rejected, "400105", 0, "message type"},
		{"dt 400402", DingTalk, 200, dt(400402, "缺少参数"), Rejected, "400402", 0, "parameter"},
		{"dt 40035", DingTalk, 200, dt(40035, "缺少参数 json"), Rejected, "40035", 0, "missing"},
		{"dt 43002", DingTalk, 200, dt(43002, "需要POST请求"), Rejected, "43002", 0, "POST"},
		{"dt 43004", DingTalk, 200, dt(43004, "无效的HTTP HEADER Content-Type"), Rejected, "43004", 0, "Content-Type"},
		{"dt 430101", DingTalk, 200, dt(430101, "含有不安全的外链"), Rejected, "430101", 0, "unsafe"},
		{"dt 430102", DingTalk, 200, dt(430102, "含有不合适的文本"), Rejected, "430102", 0, "unsafe"},
		{"dt 430103", DingTalk, 200, dt(430103, "含有不合适的图片"), Rejected, "430103", 0, "unsafe"},
		{"dt 430104", DingTalk, 200, dt(430104, "含有不合适的内容"), Rejected, "430104", 0, "unsafe"},
		{"dt body size", DingTalk, 200, dt(460101, "body 大小不合法，请控制在 20000bytes 以内"), Rejected, "460101", 0, "20000 bytes"},
		{"dt unknown code", DingTalk, 200, dt(90030, "monthly limit"), Rejected, "90030", 0, "90030"},
		{"dt unknown code on 5xx", DingTalk, 503, dt(12345, "x"), Retry, "12345", 0, "server error"},
		{"dt code 0 but 500", DingTalk, 500, `{"errcode":0,"errmsg":"ok"}`, Retry, "0", 0, "HTTP 500"},
		{"dt absent code", DingTalk, 200, `{"errmsg":"ok"}`, Retry, "", 0, "unknown response"},
		{"dt code as string", DingTalk, 200, `{"errcode":"0","errmsg":"ok"}`, Retry, "", 0, "unknown response"},
		{"dt html 200", DingTalk, 200, `<html>ok</html>`, Retry, "", 0, "not valid JSON"},
		{"dt empty 200", DingTalk, 200, ``, Retry, "", 0, "unknown response"},
		{"dt 502 html", DingTalk, 502, `<html>502 Bad Gateway</html>`, Retry, "", 0, "HTTP 502"},
		{"dt 429", DingTalk, 429, ``, RateLimited, "", time.Minute, "HTTP 429"},
		{"dt 404", DingTalk, 404, `not found`, Misconfigured, "", 0, "HTTP 404"},

		// Feishu/Lark, docs/PLATFORMS.md §2.6
		{"fs ok", Feishu, 200, `{"StatusCode":0,"StatusMessage":"success","code":0,"data":{},"msg":"success"}`, Delivered, "0", 0, "Delivered"},
		{"fs ok lark", Lark, 200, `{"code":0,"data":{},"msg":"success"}`, Delivered, "0", 0, "Delivered"},
		{"fs legacy StatusCode only", Feishu, 200, `{"StatusCode":0,"StatusMessage":"success"}`, Delivered, "0", 0, "Delivered"},
		{"fs legacy StatusCode 0 without success", Feishu, 200, `{"StatusCode":0}`, Retry, "", 0, "unknown response"},
		{"fs error has no StatusCode", Feishu, 200, fs(19021, "sign match fail or timestamp is not within one hour from current time"), Misconfigured, "19021", 0, "signing secret"},
		{"fs 19022", Feishu, 200, fs(19022, "Ip Not Allowed"), Misconfigured, "19022", 0, "IP"},
		{"fs 19024", Lark, 200, fs(19024, "Key Words Not Found"), Misconfigured, "19024", 0, "Lark refused the message: none of the bot's keywords"},
		{"fs 19001", Feishu, 200, fs(19001, "param invalid: incoming webhook access token invalid"), Misconfigured, "19001", 0, "deleted"},
		{"fs 19002", Feishu, 200, fs(19002, "params error, msg_type need"), Rejected, "19002", 0, "parameter"},
		{"fs 11232", Feishu, 200, fs(11232, "frequency limited psm[x]"), RateLimited, "11232", time.Second, "rate limiting"},
		{"fs 9499 too many", Feishu, 400, fs(9499, "too many request"), RateLimited, "9499", time.Second, "too many requests"},
		{"fs 9499 bad request", Feishu, 400, fs(9499, "Bad Request"), Rejected, "9499", 0, "malformed"},
		{"fs 9499 bad request 200", Feishu, 200, fs(9499, "Bad Request"), Rejected, "9499", 0, "malformed"},
		{"fs unknown on 503", Feishu, 503, fs(503, "busy"), Retry, "503", 0, "server error"},
		{"fs absent code", Feishu, 200, `{"data":{},"msg":"success"}`, Retry, "", 0, "unknown response"},
		{"fs unparsable", Feishu, 200, `{"code":0,`, Retry, "", 0, "not valid JSON"},
		{"fs 500 no body", Feishu, 500, ``, Retry, "", 0, "HTTP 500"},
		{"fs 429", Lark, 429, `{}`, RateLimited, "", time.Second, "HTTP 429"},

		// WeCom, docs/PLATFORMS.md §3.4
		{"wc ok", WeCom, 200, `{"errcode":0,"errmsg":"ok"}`, Delivered, "0", 0, "Delivered"},
		{"wc busy", WeCom, 200, dt(-1, "system busy"), Retry, "-1", 0, "busy"},
		{"wc 45009", WeCom, 200, dt(45009, "api freq out of limit, hint: [x]"), RateLimited, "45009", time.Minute, "20 messages a minute"},
		{"wc 45033", WeCom, 200, dt(45033, "api concurrent out of limit"), RateLimited, "45033", time.Minute, "concurrent"},
		{"wc 93000", WeCom, 200, dt(93000, "invalid webhook url, hint: [x]"), Misconfigured, "93000", 0, "removed from the group"},
		{"wc 40008", WeCom, 200, dt(40008, "invalid message type"), Rejected, "40008", 0, "message type"},
		{"wc 40058", WeCom, 200, dt(40058, "markdown.content exceed max length 4096"), Rejected, "40058", 0, "too long"},
		{"wc 44004", WeCom, 200, dt(44004, "empty content"), Rejected, "44004", 0, "empty"},
		{"wc 40035", WeCom, 200, dt(40035, "invalid parameter"), Rejected, "40035", 0, "parameter"},
		{"wc 40063", WeCom, 200, dt(40063, "empty parameter"), Rejected, "40063", 0, "parameter"},
		{"wc 45002", WeCom, 200, dt(45002, "content size out of limit"), Rejected, "45002", 0, "too large"},
		{"wc absent code", WeCom, 200, `{"errmsg":"ok"}`, Retry, "", 0, "unknown response"},
		{"wc null code", WeCom, 200, `{"errcode":null,"errmsg":"ok"}`, Retry, "", 0, "unknown response"},
		{"wc array", WeCom, 200, `[{"errcode":0}]`, Retry, "", 0, "not valid JSON"},
		{"wc 504", WeCom, 504, `gateway timeout`, Retry, "", 0, "HTTP 504"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Classify(tt.p, tt.status, []byte(tt.body))
			if o.Class != tt.want {
				t.Errorf("Class = %q, want %q (summary %q)", o.Class, tt.want, o.Summary)
			}
			if o.Code != tt.code {
				t.Errorf("Code = %q, want %q", o.Code, tt.code)
			}
			if o.RetryAfter != tt.retry {
				t.Errorf("RetryAfter = %v, want %v", o.RetryAfter, tt.retry)
			}
			if !strings.Contains(o.Summary, tt.contains) {
				t.Errorf("Summary = %q, want it to contain %q", o.Summary, tt.contains)
			}
			if o.HTTPStatus != tt.status || o.Response != tt.body {
				t.Errorf("HTTPStatus/Response = %d %q", o.HTTPStatus, o.Response)
			}
			if tt.want != Delivered && tt.code != "" && tt.code != "0" && !strings.Contains(o.Summary, tt.code) {
				t.Errorf("Summary %q does not name the code %s", o.Summary, tt.code)
			}
			if tt.want != Delivered && !strings.Contains(o.Summary, tt.p.Label()) {
				t.Errorf("Summary %q does not name the platform", o.Summary)
			}
		})
	}
}

func TestClassifyPlatformMessageAndCap(t *testing.T) {
	o := Classify(WeCom, 200, []byte(`{"errcode":93000,"errmsg":"invalid webhook url"}`))
	if o.PlatformMessage != "invalid webhook url" {
		t.Errorf("PlatformMessage = %q", o.PlatformMessage)
	}
	big := `{"errcode":-1,"errmsg":"` + strings.Repeat("界", 3000) + `"}`
	o = Classify(DingTalk, 200, []byte(big))
	if len(o.Response) > 4096 || o.Class != Retry {
		t.Errorf("Response len %d, class %s", len(o.Response), o.Class)
	}
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
