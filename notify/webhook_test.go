package notify

import (
	"strings"
	"testing"
)

func TestCheckWebhook(t *testing.T) {
	hp := HostPolicy{ExtraHosts: []string{"127.0.0.1:8080", "sandbox.internal:9000", "proxy.example"}}
	const tok = "0123456789abcdef"
	tests := []struct {
		name    string
		p       Platform
		raw     string
		wantErr string // "" = accepted; else a substring of the error
	}{
		{"dingtalk ok", DingTalk, "https://oapi.dingtalk.com/robot/send?access_token=" + tok, ""},
		{"dingtalk ok spaces", DingTalk, "  https://oapi.dingtalk.com/robot/send?access_token=" + tok + "\n", ""},
		{"dingtalk ok with stale sign", DingTalk, "https://oapi.dingtalk.com/robot/send?access_token=" + tok + "&timestamp=1&sign=x", ""},
		{"feishu ok", Feishu, "https://open.feishu.cn/open-apis/bot/v2/hook/4e4b5c3a-1b2c-4d5e-8f90-a1b2c3d4e5f6", ""},
		{"lark ok", Lark, "https://open.larksuite.com/open-apis/bot/v2/hook/4e4b5c3a-1b2c", ""},
		{"wecom ok", WeCom, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa", ""},

		{"wecom URL for dingtalk", DingTalk, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + tok,
			"this is a WeCom webhook URL; a DingTalk robot's URL looks like https://oapi.dingtalk.com/robot/send?access_token=…"},
		{"dingtalk URL for feishu", Feishu, "https://oapi.dingtalk.com/robot/send?access_token=" + tok, "this is a DingTalk webhook URL"},
		{"lark URL for feishu", Feishu, "https://open.larksuite.com/open-apis/bot/v2/hook/" + tok, "this is a Lark webhook URL"},
		{"feishu URL for lark", Lark, "https://open.feishu.cn/open-apis/bot/v2/hook/" + tok, "this is a Feishu webhook URL"},
		{"feishu URL for wecom", WeCom, "https://open.feishu.cn/open-apis/bot/v2/hook/" + tok, "this is a Feishu webhook URL"},
		{"bare token", DingTalk, tok, "paste the whole webhook URL, not only the token"},
		{"bare uuid key", WeCom, "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa", "paste the whole webhook URL, not only the token"},
		{"empty", WeCom, "", "paste the robot's webhook URL"},
		{"no scheme", DingTalk, "oapi.dingtalk.com/robot/send?access_token=" + tok, "must start with https://"},
		{"malformed", DingTalk, "https://oapi.dingtalk.com:xx/robot/send?access_token=" + tok, "not a valid URL"},
		{"malformed percent", DingTalk, "https://oapi.dingtalk.com/robot/send%zz?access_token=" + tok, "not a valid URL"},
		{"ftp", DingTalk, "ftp://oapi.dingtalk.com/robot/send?access_token=" + tok, "must start with https://"},
		{"missing token", DingTalk, "https://oapi.dingtalk.com/robot/send", "the URL has no access_token"},
		{"empty token", DingTalk, "https://oapi.dingtalk.com/robot/send?access_token=", "the URL has no access_token"},
		{"whole URL as token", DingTalk, "https://oapi.dingtalk.com/robot/send?access_token=https://oapi.dingtalk.com/robot/send?access_token=" + tok, "looks wrong"},
		{"missing key", WeCom, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?foo=1", "the URL has no key"},
		{"missing hook token", Feishu, "https://open.feishu.cn/open-apis/bot/v2/hook/", "no hook token"},
		{"feishu v1 hook", Feishu, "https://open.feishu.cn/open-apis/bot/hook/" + tok, "legacy v1"},
		{"wrong path", DingTalk, "https://oapi.dingtalk.com/robot/sendx?access_token=" + tok, "path must be /robot/send"},
		{"userinfo", DingTalk, "https://user:pw@oapi.dingtalk.com/robot/send?access_token=" + tok, "user name or password"},
		{"http official", DingTalk, "http://oapi.dingtalk.com/robot/send?access_token=" + tok, "use https://"},
		{"http official wecom", WeCom, "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + tok, "use https://"},
		{"odd port official", DingTalk, "https://oapi.dingtalk.com:8443/robot/send?access_token=" + tok, "standard https port"},
		{"loopback", DingTalk, "https://127.0.0.1/robot/send?access_token=" + tok, "host 127.0.0.1 is not a DingTalk host"},
		{"loopback unlisted port", DingTalk, "http://127.0.0.1:8081/sandbox/robot/send?access_token=" + tok, "host 127.0.0.1 is not a DingTalk host"},
		{"metadata", WeCom, "http://169.254.169.254/cgi-bin/webhook/send?key=" + tok, "host 169.254.169.254 is not a WeCom host"},
		{"private", Feishu, "https://10.1.2.3/open-apis/bot/v2/hook/" + tok, "host 10.1.2.3 is not a Feishu host"},
		{"ipv6 loopback", DingTalk, "https://[::1]/robot/send?access_token=" + tok, "is not a DingTalk host"},
		{"lookalike host", DingTalk, "https://oapi.dingtalk.com.evil.example/robot/send?access_token=" + tok, "is not a DingTalk host"},
		{"fragment", DingTalk, "https://oapi.dingtalk.com/robot/send?access_token=" + tok + "#x", "fragment"},

		{"extra host dingtalk", DingTalk, "http://127.0.0.1:8080/sandbox/robot/send?access_token=" + tok, ""},
		{"extra host feishu", Feishu, "http://127.0.0.1:8080/sandbox/open-apis/bot/v2/hook/" + tok, ""},
		{"extra host lark", Lark, "http://127.0.0.1:8080/sandbox/open-apis/bot/v2/hook/" + tok, ""},
		{"extra host wecom https", WeCom, "https://sandbox.internal:9000/cgi-bin/webhook/send?key=" + tok, ""},
		{"extra host without port", WeCom, "https://proxy.example/cgi-bin/webhook/send?key=" + tok, ""},
		{"extra host without port, other port", WeCom, "https://proxy.example:8443/cgi-bin/webhook/send?key=" + tok, "is not a WeCom host"},
		{"extra host wrong path", DingTalk, "http://127.0.0.1:8080/sandbox/admin?access_token=" + tok, "path must be /robot/send"},
		{"extra host other platform path", DingTalk, "http://127.0.0.1:8080/sandbox/cgi-bin/webhook/send?key=" + tok, "path must be /robot/send"},
		{"extra host path prefix trick", DingTalk, "http://127.0.0.1:8080/sandbox/xrobot/send?access_token=" + tok, "path must be /robot/send"},
		{"extra host feishu wrong path", Feishu, "http://127.0.0.1:8080/sandbox/hook/" + tok, "path must be /open-apis/bot/v2/hook/"},
		{"extra host feishu extra segment", Feishu, "http://127.0.0.1:8080/sandbox/open-apis/bot/v2/hook/" + tok + "/x", "looks wrong"},
		{"extra host missing token", WeCom, "http://127.0.0.1:8080/cgi-bin/webhook/send", "the URL has no key"},
		{"unknown platform", Platform("slack"), "https://hooks.slack.com/x", "unknown platform"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := hp.CheckWebhook(tt.p, tt.raw)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("accepted, want error containing %q", tt.wantErr)
			case err != nil && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("error %q, want it to contain %q", err, tt.wantErr)
			}
			if err != nil && len(tok) > 0 && strings.Contains(err.Error(), tok) {
				t.Errorf("error repeats the token: %q", err)
			}
		})
	}
}

func TestCheckWebhookNoExtraHosts(t *testing.T) {
	err := HostPolicy{}.CheckWebhook(DingTalk, "http://127.0.0.1:8080/sandbox/robot/send?access_token=abc")
	if err == nil || !strings.Contains(err.Error(), "host 127.0.0.1 is not a DingTalk host") {
		t.Errorf("err = %v", err)
	}
}
