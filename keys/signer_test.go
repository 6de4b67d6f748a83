package keys

import (
	"bytes"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"

	"github.com/mr-tron/base58"
)

func TestGenerate(t *testing.T) {
	for _, c := range curves {
		t.Run(c.String(), func(t *testing.T) {
			a, b := mustGenerate(t, c), mustGenerate(t, c)
			if a.PublicKey().Curve() != c {
				t.Fatalf("Curve() = %s", a.PublicKey().Curve())
			}
			if a.PublicKey().Equal(b.PublicKey()) {
				t.Fatal("two generated keys are equal")
			}
			want := map[Curve]string{P256: "did:key:zDnae", K256: "did:key:zQ3s"}[c]
			if did := a.PublicKey().DIDKey(); !strings.HasPrefix(did, want) {
				t.Fatalf("DIDKey() = %s, want prefix %s", did, want)
			}
		})
	}
	t.Run("unknown curve", func(t *testing.T) {
		for _, c := range []Curve{0, 3, 255} {
			_, err := Generate(c)
			wantInvalid(t, err, "generate key")
		}
	})
}

func TestSigner_Sign(t *testing.T) {
	for _, c := range curves {
		t.Run(c.String()+"/round trip", func(t *testing.T) {
			s := mustGenerate(t, c)
			for _, msg := range [][]byte{nil, {}, []byte("hello"), bytes.Repeat([]byte{0xab}, 1<<16)} {
				sig, err := s.Sign(msg)
				if err != nil {
					t.Fatal(err)
				}
				if len(sig) != 64 {
					t.Fatalf("signature is %d bytes", len(sig))
				}
				if err := s.PublicKey().Verify(msg, sig); err != nil {
					t.Fatalf("own signature rejected: %v", err)
				}
			}
		})
		t.Run(c.String()+"/always low-S", func(t *testing.T) {
			// Raw ECDSA yields high S half the time, so 256 low-S
			// signatures in a row show normalisation at work.
			s := mustGenerate(t, c)
			for i := range 256 {
				sig, err := s.Sign(fmt.Appendf(nil, "message %d", i))
				if err != nil {
					t.Fatal(err)
				}
				if !isLowS(c, sig) {
					t.Fatalf("signature %d has high S: %x", i, sig)
				}
				if r := new(big.Int).SetBytes(sig[:32]); r.Sign() == 0 || r.Cmp(orders[c]) >= 0 {
					t.Fatalf("signature %d has r out of range", i)
				}
			}
		})
		t.Run(c.String()+"/concurrent", func(t *testing.T) {
			s := mustGenerate(t, c)
			var wg sync.WaitGroup
			for i := range 8 {
				wg.Go(func() {
					msg := fmt.Appendf(nil, "goroutine %d", i)
					sig, err := s.Sign(msg)
					if err == nil {
						err = s.PublicKey().Verify(msg, sig)
					}
					if err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
		})
	}
}

func TestPublicKey_Verify(t *testing.T) {
	msg := []byte("the content")
	signers := map[Curve]Signer{P256: mustGenerate(t, P256), K256: mustGenerate(t, K256)}
	for _, c := range curves {
		s := signers[c]
		pub := s.PublicKey()
		sig, err := s.Sign(msg)
		if err != nil {
			t.Fatal(err)
		}
		reject := func(name string, content, sig []byte) {
			t.Run(c.String()+"/"+name, func(t *testing.T) {
				wantInvalid(t, pub.Verify(content, sig), "verify signature")
			})
		}
		reject("tampered message", []byte("the Content"), sig)
		reject("extended message", append(bytes.Clone(msg), 0), sig)
		reject("empty message", nil, sig)
		for _, bit := range []int{0, 255, 256, 511} {
			bad := bytes.Clone(sig)
			bad[bit/8] ^= 1 << (bit % 8)
			reject(fmt.Sprintf("signature bit %d flipped", bit), msg, bad)
		}
		reject("high-S twin", msg, highSTwin(c, sig))
		reject("DER encoding", msg, derOf(t, sig))
		reject("empty signature", msg, nil)
		reject("truncated signature", msg, sig[:63])
		reject("extra byte", msg, append(bytes.Clone(sig), 0))
		reject("zero signature", msg, make([]byte, 64))
		reject("r = N", msg, append(orders[c].FillBytes(make([]byte, 32)), sig[32:]...))
		other := map[Curve]Curve{P256: K256, K256: P256}[c]
		reject("other curve's key", msg, mustSign(t, signers[other], msg))
		reject("same curve, other key", msg, mustSign(t, mustGenerate(t, c), msg))
		t.Run(c.String()+"/wrong key verifies nothing", func(t *testing.T) {
			wantInvalid(t, signers[other].PublicKey().Verify(msg, sig), "verify signature")
		})
	}
	t.Run("high-S error names the rule", func(t *testing.T) {
		sig := mustSign(t, signers[K256], msg)
		err := signers[K256].PublicKey().Verify(msg, highSTwin(K256, sig))
		if err == nil || !strings.Contains(err.Error(), "high-S") {
			t.Fatalf("error %v does not mention high-S", err)
		}
	})
}

func mustSign(t *testing.T, s Signer, msg []byte) []byte {
	t.Helper()
	sig, err := s.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// derOf re-encodes a compact signature as an ASN.1 DER ECDSA-Sig-Value.
func derOf(t *testing.T, sig []byte) []byte {
	t.Helper()
	der, err := asn1.Marshal(struct{ R, S *big.Int }{
		new(big.Int).SetBytes(sig[:32]), sOf(sig),
	})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestExportPrivateMultibase(t *testing.T) {
	for _, c := range curves {
		t.Run(c.String(), func(t *testing.T) {
			s := mustGenerate(t, c)
			mb, err := ExportPrivateMultibase(s)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := base58.Decode(strings.TrimPrefix(mb, "z"))
			if err != nil || mb[0] != 'z' || len(raw) != 34 {
				t.Fatalf("export %q is not z + base58(2-byte prefix + 32 bytes)", mb)
			}
			want := map[Curve][]byte{P256: {0x86, 0x26}, K256: {0x81, 0x26}}[c]
			if !bytes.Equal(raw[:2], want) {
				t.Fatalf("multicodec prefix % x, want % x", raw[:2], want)
			}
			back, err := SignerFromMultibase(mb)
			if err != nil {
				t.Fatal(err)
			}
			if !back.PublicKey().Equal(s.PublicKey()) {
				t.Fatal("re-imported key differs")
			}
			fromBytes, err := SignerFromBytes(c, raw[2:])
			if err != nil || !fromBytes.PublicKey().Equal(s.PublicKey()) {
				t.Fatalf("SignerFromBytes of exported scalar: %v", err)
			}
		})
	}
	t.Run("foreign signer", func(t *testing.T) {
		_, err := ExportPrivateMultibase(fakeSigner{})
		wantInvalid(t, err, "export private key")
		_, err = ExportPrivateMultibase(nil)
		wantInvalid(t, err, "export private key")
	})
}

type fakeSigner struct{}

func (fakeSigner) Sign([]byte) ([]byte, error) { return nil, nil }
func (fakeSigner) PublicKey() PublicKey        { return nil }

func TestSignerFromBytes(t *testing.T) {
	zero := make([]byte, 32)
	for _, c := range curves {
		n := orders[c].FillBytes(make([]byte, 32))
		nMinus1 := new(big.Int).Sub(orders[c], big.NewInt(1)).FillBytes(make([]byte, 32))
		for name, b := range map[string][]byte{
			"empty": nil, "31 bytes": zero[:31], "33 bytes": make([]byte, 33),
			"zero": zero, "order N": n, "all ones": bytes.Repeat([]byte{0xff}, 32),
		} {
			t.Run(c.String()+"/"+name, func(t *testing.T) {
				_, err := SignerFromBytes(c, b)
				wantInvalid(t, err, "load private key")
				if len(b) > 0 && strings.Contains(err.Error(), hex.EncodeToString(b)) {
					t.Fatal("error quotes the key bytes")
				}
			})
		}
		t.Run(c.String()+"/order N-1", func(t *testing.T) {
			s, err := SignerFromBytes(c, nMinus1)
			if err != nil {
				t.Fatal(err)
			}
			msg := []byte("edge scalar")
			if err := s.PublicKey().Verify(msg, mustSign(t, s, msg)); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("unknown curve", func(t *testing.T) {
		_, err := SignerFromBytes(0, bytes.Repeat([]byte{1}, 32))
		wantInvalid(t, err, "load private key")
	})
}

func TestSignerFromMultibase(t *testing.T) {
	pub := mustGenerate(t, K256).PublicKey()
	priv := func(prefix []byte, scalar []byte) string {
		return "z" + base58.Encode(append(append([]byte{}, prefix...), scalar...))
	}
	one := append(make([]byte, 31), 1)
	for name, s := range map[string]string{
		"empty":           "",
		"public multikey": pub.Multibase(),
		"did:key":         pub.DIDKey(),
		"no z prefix":     priv([]byte{0x81, 0x26}, one)[1:],
		"bad base58":      "z0OIl",
		"unknown codec":   priv([]byte{0x80, 0x26}, one),
		"short scalar":    priv([]byte{0x81, 0x26}, one[1:]),
		"long scalar":     priv([]byte{0x86, 0x26}, append(bytes.Clone(one), 0)),
		"zero scalar":     priv([]byte{0x86, 0x26}, make([]byte, 32)),
		"too long":        "z" + strings.Repeat("2", 500),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := SignerFromMultibase(s)
			wantInvalid(t, err, "load private key")
			if len(s) > 8 && strings.Contains(err.Error(), s) {
				t.Fatal("error quotes the input")
			}
		})
	}
	t.Run("scalar one", func(t *testing.T) {
		for _, p := range [][]byte{{0x86, 0x26}, {0x81, 0x26}} {
			s, err := SignerFromMultibase(priv(p, one))
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := ExportPrivateMultibase(s); got != priv(p, one) {
				t.Fatalf("export = %s, want %s", got, priv(p, one))
			}
		}
	})
}

func TestSigner_String(t *testing.T) {
	for _, c := range curves {
		t.Run(c.String(), func(t *testing.T) {
			s := mustGenerate(t, c)
			mb, err := ExportPrivateMultibase(s)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := base58.Decode(mb[1:])
			secretHex := hex.EncodeToString(raw[2:])
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x"} {
				out := fmt.Sprintf(verb, s)
				if strings.Contains(out, mb) || strings.Contains(strings.ToLower(out), secretHex) {
					t.Fatalf("fmt %s leaks the private key: %s", verb, out)
				}
			}
			if got := fmt.Sprint(s); !strings.Contains(got, s.PublicKey().DIDKey()) {
				t.Fatalf("String() = %s, want the did:key", got)
			}
			if _, ok := s.(interface{ Bytes() []byte }); ok {
				t.Fatal("Signer exposes Bytes()")
			}
		})
	}
}
