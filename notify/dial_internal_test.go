package notify

import "testing"

func TestListedAddr(t *testing.T) {
	hp := HostPolicy{ExtraHosts: []string{"relay.internal", "hooks.internal:8443", "[::1]:9000"}}
	for _, tc := range []struct {
		host, port string
		want       bool
	}{
		{"relay.internal", "80", true},
		{"relay.internal", "443", true},
		{"relay.internal", "8080", false},
		{"hooks.internal", "8443", true},
		{"hooks.internal", "443", false},
		{"::1", "9000", true},
		{"evil.example", "443", false},
	} {
		if got := hp.listedAddr(tc.host, tc.port); got != tc.want {
			t.Errorf("listedAddr(%s, %s) = %v, want %v", tc.host, tc.port, got, tc.want)
		}
	}
}
