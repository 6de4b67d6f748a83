package keys

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rhizome-pds/rhizome"
)

func TestKeyring_SealOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "keyring.key")
	kr, err := LoadOrCreateKeyring(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("master key file: %v %v", fi, err)
	}
	for _, curve := range []Curve{K256, P256} {
		t.Run(curve.String(), func(t *testing.T) {
			s, _ := Generate(curve)
			sealed, err := kr.Seal(s, "did:plc:alice")
			if err != nil {
				t.Fatal(err)
			}
			again, err := LoadOrCreateKeyring(path) // reload from disk
			if err != nil {
				t.Fatal(err)
			}
			got, err := again.Open(sealed, "did:plc:alice")
			if err != nil || !got.PublicKey().Equal(s.PublicKey()) {
				t.Fatalf("reopened key differs: %v", err)
			}
			if _, err := again.Open(sealed, "did:plc:mallory"); !rhizome.Is(err, rhizome.Corrupt) {
				t.Fatalf("opened under another label: %v", err)
			}
			sealed[len(sealed)-1] ^= 1
			if _, err := again.Open(sealed, "did:plc:alice"); !rhizome.Is(err, rhizome.Corrupt) {
				t.Fatalf("opened a tampered key: %v", err)
			}
		})
	}
	other, _ := NewKeyring(make([]byte, 32))
	s, _ := Generate(K256)
	sealed, _ := kr.Seal(s, "x")
	if _, err := other.Open(sealed, "x"); !rhizome.Is(err, rhizome.Corrupt) {
		t.Fatalf("opened under another master key: %v", err)
	}
	if _, err := NewKeyring(make([]byte, 16)); !rhizome.Is(err, rhizome.Invalid) {
		t.Fatalf("short master key accepted: %v", err)
	}
}
