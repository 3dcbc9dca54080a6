// Package keys loads the console's secret keys from its data directory, creating them on
// first start (mode 0600) so that restarts keep sessions valid and stored credentials readable.
package keys

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Keys are the console's secrets.
type Keys struct {
	SessionAuth []byte // 64 bytes: signs session cookies
	SessionEnc  []byte // 32 bytes: encrypts session cookies
	Data        []byte // 32 bytes: encrypts webhook URLs and signing secrets at rest
	Links       []byte // 32 bytes: signs the incident action links chat messages carry
}

type file struct {
	SessionAuth string `json:"session_auth"`
	SessionEnc  string `json:"session_enc"`
	Data        string `json:"data"`
	Links       string `json:"links,omitempty"`
}

// FileName is the keys file inside the data directory.
const FileName = "keys.json"

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// Load reads <dataDir>/keys.json, creating it with fresh random keys when missing.
func Load(dataDir string) (Keys, error) {
	path := filepath.Join(dataDir, FileName)
	var f file
	raw, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		f = file{SessionAuth: randomHex(64), SessionEnc: randomHex(32), Data: randomHex(32), Links: randomHex(32)}
		if err := write(path, f); err != nil {
			return Keys{}, err
		}
	case err != nil:
		return Keys{}, fmt.Errorf("read %s: %w", path, err)
	default:
		if err := json.Unmarshal(raw, &f); err != nil {
			return Keys{}, fmt.Errorf("%s is damaged: %w", path, err)
		}
		if f.Links == "" { // a keys file from before chat action links: add their key
			f.Links = randomHex(32)
			if err := write(path, f); err != nil {
				return Keys{}, err
			}
		}
	}
	var k Keys
	for _, x := range []struct {
		dst *[]byte
		src string
		n   int
	}{{&k.SessionAuth, f.SessionAuth, 64}, {&k.SessionEnc, f.SessionEnc, 32}, {&k.Data, f.Data, 32}, {&k.Links, f.Links, 32}} {
		b, err := hex.DecodeString(x.src)
		if err != nil || len(b) != x.n {
			return Keys{}, fmt.Errorf("%s: a key is damaged", path)
		}
		*x.dst = b
	}
	return k, nil
}

func write(path string, f file) error {
	out, _ := json.MarshalIndent(f, "", "  ")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
