package recovery

import (
	"crypto/pbkdf2"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
)

// bip39Vector is one entry of testdata/bip39-english.json.
type bip39Vector struct {
	Entropy  string `json:"entropy"`
	Mnemonic string `json:"mnemonic"`
	Seed     string `json:"seed"`
}

func loadVectors(t *testing.T) (passphrase string, vs []bip39Vector) {
	t.Helper()
	b, err := os.ReadFile("testdata/bip39-english.json")
	if err != nil {
		t.Fatalf("vectors: %v", err)
	}
	var f struct {
		Passphrase string        `json:"passphrase"`
		Vectors    []bip39Vector `json:"vectors"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("vectors: %v", err)
	}
	if len(f.Vectors) == 0 {
		t.Fatal("vectors: none loaded")
	}
	return f.Passphrase, f.Vectors
}

// TestVectors_BIP39 checks entropy → mnemonic → entropy and mnemonic →
// seed against the reference vectors, the seed both through the library
// the package uses and through the standard library's PBKDF2.
func TestVectors_BIP39(t *testing.T) {
	pass, vs := loadVectors(t)
	for _, v := range vs {
		t.Run(v.Mnemonic[:20], func(t *testing.T) {
			e := mustEntropy(t, v.Entropy)
			p := fromEntropy(e)
			if got := p.Mnemonic(); got != v.Mnemonic {
				t.Fatalf("Mnemonic() = %q, want %q", got, v.Mnemonic)
			}
			q, err := Parse(v.Mnemonic)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if q.entropy != e {
				t.Fatalf("Parse entropy = %x, want %x", q.entropy, e)
			}
			checkSeed(t, q, pass, v.Seed)
		})
	}
}

func checkSeed(t *testing.T, p Phrase, pass, want string) {
	t.Helper()
	std, err := pbkdf2.Key(sha512.New, p.Mnemonic(), []byte("mnemonic"+pass), 2048, 64)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(std); got != want {
		t.Fatalf("standard-library seed = %s, want %s", got, want)
	}
	// The package's own seed uses the empty passphrase: check it agrees
	// with the standard library there too.
	empty, _ := pbkdf2.Key(sha512.New, p.Mnemonic(), []byte("mnemonic"), 2048, 64)
	if got := p.seed(); hex.EncodeToString(got) != hex.EncodeToString(empty) {
		t.Fatalf("seed() = %x, want %x", got, empty)
	}
}

func mustEntropy(t *testing.T, s string) (e [EntropyBytes]byte) {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != EntropyBytes {
		t.Fatalf("bad entropy %q: %v", s, err)
	}
	copy(e[:], b)
	return e
}
