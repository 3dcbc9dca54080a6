package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"time"
)

// DingTalkSign returns the raw (not percent-encoded) base64 signature for a
// DingTalk robot: HMAC-SHA256 with key = secret over tsMillis+"\n"+secret
// (docs/PLATFORMS.md §1.5). Put it into url.Values and let Encode escape it once.
func DingTalkSign(secret string, tsMillis int64) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(tsMillis, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// FeishuSign returns the body "sign" value for a Feishu/Lark bot: HMAC-SHA256
// with key = tsSeconds+"\n"+secret over an empty message, base64, not URL-encoded
// (docs/PLATFORMS.md §2.5). Note the key/message inversion compared with DingTalk.
func FeishuSign(secret string, tsSeconds int64) string {
	mac := hmac.New(sha256.New, []byte(strconv.FormatInt(tsSeconds, 10)+"\n"+secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// SignatureWindow is how far a signed request's timestamp may be from the
// platform's clock (DingTalk ±1 h, Feishu 1 h).
const SignatureWindow = time.Hour
