package keys

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// A keys file written before chat action links gets a link key added, kept across loads,
// and its other keys unchanged.
func TestLinkKeyAddedToAnOlderFile(t *testing.T) {
	dir := t.TempDir()
	old := file{SessionAuth: randomHex(64), SessionEnc: randomHex(32), Data: randomHex(32)}
	raw, _ := json.Marshal(old)
	if err := os.WriteFile(filepath.Join(dir, FileName), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	k1, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(k1.Links) != 32 {
		t.Fatalf("link key: %d bytes", len(k1.Links))
	}
	k2, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k1.Links, k2.Links) || !bytes.Equal(k1.Data, k2.Data) || !bytes.Equal(k1.SessionAuth, k2.SessionAuth) {
		t.Error("keys changed between loads")
	}
	if st, _ := os.Stat(filepath.Join(dir, FileName)); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
}
