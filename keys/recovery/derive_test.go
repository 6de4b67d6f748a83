package recovery

import (
	"bytes"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
)

// golden pins derivation version 1: if any of these change, every user's
// rotation key changes with them.
var golden = []struct{ mnemonic, scalar, didKey string }{
	{
		"abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art",
		"d8e5b6314523f51d09bf7f969d5b109867e8ba8ccd4736f362fb2faa35ed7fed",
		"did:key:zQ3shYUcbvi5TiE5KxzVGrXRLvmaUZYLggxYNvj27g9cYsmV4",
	},
	{
		"hamster diagram private dutch cause delay private meat slide toddler razor book happy fancy gospel tennis maple dilemma loan word shrug inflict delay length",
		"6d454f8203320904b6ae268002802a096560872040b167e3ee15a621f3ed68eb",
		"did:key:zQ3shvu1koSoLrcE6FCGjwAYCRmuCZQG3iFNo8HT7KTAwdxx2",
	},
}

func TestPhrase_RotationKey(t *testing.T) {
	for _, g := range golden {
		t.Run("golden/"+g.mnemonic[:12], func(t *testing.T) {
			p := mustParse(t, g.mnemonic)
			s, err := p.RotationKey()
			if err != nil {
				t.Fatal(err)
			}
			if got := s.PublicKey().DIDKey(); got != g.didKey {
				t.Fatalf("did:key = %s, want %s", got, g.didKey)
			}
			if got := hex.EncodeToString(independentScalar(t, g.mnemonic)); got != g.scalar {
				t.Fatalf("independently derived scalar = %s, want %s", got, g.scalar)
			}
			checkScalarMatches(t, g.scalar, s)
		})
	}
	t.Run("deterministic", func(t *testing.T) {
		p := mustNew(t)
		a, b := mustRotationKey(t, p), mustRotationKey(t, mustParse(t, p.Mnemonic()))
		if !a.PublicKey().Equal(b.PublicKey()) {
			t.Fatalf("same phrase, different keys: %s, %s", a.PublicKey(), b.PublicKey())
		}
		if c := mustRotationKey(t, mustNew(t)); c.PublicKey().Equal(a.PublicKey()) {
			t.Fatal("two fresh phrases gave the same key")
		}
	})
	t.Run("secp256k1 and signs", func(t *testing.T) {
		s := mustRotationKey(t, mustNew(t))
		if s.PublicKey().Curve() != keys.K256 {
			t.Fatalf("curve = %s, want secp256k1", s.PublicKey().Curve())
		}
		sig, err := s.Sign([]byte("plc operation"))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.PublicKey().Verify([]byte("plc operation"), sig); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("zero phrase", func(t *testing.T) {
		_, err := Phrase{}.RotationKey()
		if !rhizome.Is(err, rhizome.Invalid) {
			t.Fatalf("err = %v, want kind invalid", err)
		}
	})
}

// independentScalar derives the first HKDF block by hand (RFC 5869 with
// crypto/hmac, the seed through the standard library's PBKDF2), sharing no
// code with the package.
func independentScalar(t *testing.T, mnemonic string) []byte {
	t.Helper()
	seed, err := pbkdf2.Key(sha512.New, mnemonic, []byte("mnemonic"), 2048, 64)
	if err != nil {
		t.Fatal(err)
	}
	extract := hmac.New(sha256.New, make([]byte, sha256.Size)) // empty salt = HashLen zeros
	extract.Write(seed)
	expand := hmac.New(sha256.New, extract.Sum(nil))
	expand.Write([]byte("rhizome rotation key v1"))
	expand.Write([]byte{1})
	return expand.Sum(nil)
}

// checkScalarMatches loads the scalar directly and compares public keys.
func checkScalarMatches(t *testing.T, scalarHex string, s keys.Signer) {
	t.Helper()
	b, _ := hex.DecodeString(scalarHex)
	direct, err := keys.SignerFromBytes(keys.K256, b)
	if err != nil {
		t.Fatal(err)
	}
	if !direct.PublicKey().Equal(s.PublicKey()) {
		t.Fatalf("scalar %s gives %s, derived key is %s", scalarHex, direct.PublicKey(), s.PublicKey())
	}
}

func TestFirstValidScalar(t *testing.T) {
	n := k256Order[:]
	nMinus1 := bytes.Clone(n)
	nMinus1[31]--
	valid := bytes.Repeat([]byte{0x42}, 32)
	zero := make([]byte, 32)
	ff := bytes.Repeat([]byte{0xff}, 32)
	cases := []struct {
		name string
		okm  [][]byte
		want []byte
	}{
		{"first block", [][]byte{valid, nMinus1}, valid},
		{"skips zero", [][]byte{zero, valid}, valid},
		{"skips n and above", [][]byte{n, ff, nMinus1, valid}, nMinus1},
		{"none", [][]byte{zero, n, ff}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := firstValidScalar(bytes.Join(c.okm, nil))
			if ok != (c.want != nil) || !bytes.Equal(got, c.want) {
				t.Fatalf("got %x, %v; want %x", got, ok, c.want)
			}
		})
	}
}

func TestValidScalar(t *testing.T) {
	one := make([]byte, 32)
	one[31] = 1
	nPlus1 := bytes.Clone(k256Order[:])
	nPlus1[31]++
	cases := []struct {
		name string
		b    []byte
		want bool
	}{
		{"zero", make([]byte, 32), false},
		{"one", one, true},
		{"n", k256Order[:], false},
		{"n+1", nPlus1, false},
		{"all ones", bytes.Repeat([]byte{0xff}, 32), false},
		{"p256-sized but below n", bytes.Repeat([]byte{0x7f}, 32), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := validScalar(c.b); got != c.want {
				t.Fatalf("validScalar(%x) = %v, want %v", c.b, got, c.want)
			}
		})
	}
}

func mustRotationKey(t *testing.T, p Phrase) keys.Signer {
	t.Helper()
	s, err := p.RotationKey()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
