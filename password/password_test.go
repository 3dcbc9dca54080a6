package password_test

import (
	"errors"
	"strings"
	"testing"

	"alertdesk/password"
)

// The passwords the attack report saw accepted, and friends, are refused; good ones pass.
func TestCheck(t *testing.T) {
	tests := []struct {
		pw   string
		want error
	}{
		{"", password.ErrEmpty},
		{"a", password.ErrTooShort},
		{"12345678", password.ErrTooShort},
		{"aaaaaaaa", password.ErrTooShort},
		{"password", password.ErrTooShort},
		{"elevenchars", password.ErrTooShort},
		{"aaaaaaaaaaaa", password.ErrCommon},
		{"qwertyqwerty", password.ErrCommon},
		{"1qaz2wsx3edc", password.ErrCommon},
		{"QwertyQwerty", password.ErrCommon}, // case does not help
		{"123456789012", password.ErrCommon},
		{strings.Repeat("x", 73), password.ErrTooLong},
		{"correct horse battery staple", nil},
		{"admin-e2e-Passw0rd", nil},
		{"Zürich-Brücke-7", nil}, // counted in characters, not bytes
	}
	for _, tt := range tests {
		if got := password.Check(tt.pw); !errors.Is(got, tt.want) {
			t.Errorf("Check(%q) = %v, want %v", tt.pw, got, tt.want)
		}
	}
}

func TestListShipped(t *testing.T) {
	if !password.IsCommon("123qweasdzxc") || password.IsCommon("no such password in any list 7") {
		t.Fatal("the embedded list of common passwords is not the expected one")
	}
}

func TestHashMatches(t *testing.T) {
	h, err := password.Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !password.Matches(h, "correct horse battery staple") || password.Matches(h, "correct horse battery stapl") {
		t.Fatal("Matches disagrees with Hash")
	}
}
