package pipeline

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"alertdesk/db"
)

// DefaultLinkTTL is how long a chat action link works unless configured otherwise.
const DefaultLinkTTL = 7 * 24 * time.Hour

// Why a chat action link is refused; the confirmation page says so in these words.
var (
	ErrLinkTampered = errors.New("this link is damaged or was not made by this console")
	ErrLinkExpired  = errors.New("this link has expired")
)

// LinkActions are the actions a chat message offers, in the order it shows them.
var LinkActions = []struct{ Action, Label string }{
	{db.ActAck, "Acknowledge"}, {db.ActClaim, "Claim"}, {db.ActClose, "Close"},
	{db.ActSilence1h, "Silence 1h"}, {db.ActSilence4h, "Silence 4h"}, {db.ActSilence24h, "Silence 24h"},
}

// ActionLabel is the button label of an action ("" for an unknown one).
func ActionLabel(action string) string {
	for _, a := range LinkActions {
		if a.Action == action {
			return a.Label
		}
	}
	return ""
}

// LinkSigner makes and checks the signed links chat messages carry: each names one
// incident and one action and expires. The HMAC key is kept in the data directory with
// the console's other keys.
type LinkSigner struct {
	key []byte
	ttl time.Duration
}

// NewLinkSigner returns a signer with key; ttl ≤ 0 means DefaultLinkTTL.
func NewLinkSigner(key []byte, ttl time.Duration) *LinkSigner {
	if ttl <= 0 {
		ttl = DefaultLinkTTL
	}
	return &LinkSigner{key: key, ttl: ttl}
}

// LinkClaim is what a valid link says.
type LinkClaim struct {
	IncidentID int64
	Action     string
	Expires    time.Time
}

// Token signs incident × action, valid until now + ttl: "<id>.<action>.<unix>.<mac>".
func (s *LinkSigner) Token(incidentID int64, action string, now time.Time) string {
	payload := strconv.FormatInt(incidentID, 10) + "." + action + "." + strconv.FormatInt(now.Add(s.ttl).Unix(), 10)
	return payload + "." + s.mac(payload)
}

func (s *LinkSigner) mac(payload string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("alertdesk incident link v1\n" + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Verify checks token's signature and expiry at now. The signature is checked first, so
// an expired link is only called expired when it is genuine.
func (s *LinkSigner) Verify(token string, now time.Time) (LinkClaim, error) {
	i := strings.LastIndexByte(token, '.')
	if i < 0 {
		return LinkClaim{}, ErrLinkTampered
	}
	payload, sig := token[:i], token[i+1:]
	if !hmac.Equal([]byte(sig), []byte(s.mac(payload))) {
		return LinkClaim{}, ErrLinkTampered
	}
	parts := strings.Split(payload, ".")
	if len(parts) != 3 {
		return LinkClaim{}, ErrLinkTampered
	}
	id, err1 := strconv.ParseInt(parts[0], 10, 64)
	exp, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || ActionLabel(parts[1]) == "" {
		return LinkClaim{}, ErrLinkTampered
	}
	c := LinkClaim{IncidentID: id, Action: parts[1], Expires: time.Unix(exp, 0)}
	if !now.Before(c.Expires) {
		return c, fmt.Errorf("%w (on %s)", ErrLinkExpired, c.Expires.UTC().Format("2006-01-02 15:04 UTC"))
	}
	return c, nil
}

// ActionPath is the console path of a link: the incident's id is in the path as well as in
// the signed token, so a token pasted under another incident is refused.
func ActionPath(incidentID int64, token string) string {
	return "/act/" + strconv.FormatInt(incidentID, 10) + "/" + token
}
