package integrations

import (
	"strings"
	"testing"
)

func TestMaskPayload(t *testing.T) {
	body := `{"name":"x","token":"abc123456","nested":{"Signature":"sig-value","list":[{"api_key":"k-1234"}]},` +
		`"message":"{\"password\":\"hunter22\",\"host\":\"db\"}","note":"sent with ad_secretsecret"}`
	got, cut := MaskPayload([]byte(body), "application/json", "ad_secretsecret")
	if cut {
		t.Error("a small body was cut")
	}
	for _, leak := range []string{"abc123456", "sig-value", "k-1234", "hunter22", "ad_secretsecret"} {
		if strings.Contains(got, leak) {
			t.Errorf("masked payload still holds %q:\n%s", leak, got)
		}
	}
	if !strings.Contains(got, `"name": "x"`) || !strings.Contains(got, `\"host\":\"db\"`) {
		t.Errorf("masking lost ordinary fields:\n%s", got)
	}

	form, _ := MaskPayload([]byte("alertName=CPU&signature=eEq1zHuC&curValue=9"), "application/x-www-form-urlencoded")
	if strings.Contains(form, "eEq1zHuC") || !strings.Contains(form, "alertName=CPU") {
		t.Errorf("form masked as %q", form)
	}

	big := strings.Repeat("é", MaxLoggedBody)
	out, cut := MaskPayload([]byte(big), "text/plain")
	if !cut || len(out) > MaxLoggedBody || !strings.HasPrefix(big, out) {
		t.Errorf("cut to %d bytes (cut=%v), want at most %d on a rune boundary", len(out), cut, MaxLoggedBody)
	}
	bad, _ := MaskPayload([]byte("a\xffb"), "text/plain")
	if bad != "a\uFFFDb" {
		t.Errorf("invalid UTF-8 kept as %q", bad)
	}
}
