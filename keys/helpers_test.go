package keys

import (
	"crypto/elliptic"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/rhizome-pds/rhizome"
)

// fixtureDir holds the atproto interop crypto vectors, shared read-only
// next to the repository.
const fixtureDir = "../../shared/testdata/atproto-interop/crypto"

// loadFixture decodes a JSON fixture into v. A missing or unreadable
// fixture fails the test: it never skips.
func loadFixture(tb testing.TB, name string, v any) {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		tb.Fatalf("fixture %s: %v", name, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		tb.Fatalf("fixture %s: %v", name, err)
	}
}

// wantInvalid fails unless err is a *rhizome.Error of kind Invalid whose
// outermost op is op.
func wantInvalid(tb testing.TB, err error, op string) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("%s: got nil error, want kind invalid", op)
	}
	if !rhizome.Is(err, rhizome.Invalid) {
		tb.Fatalf("%s: got kind %v (%v), want invalid", op, rhizome.KindOf(err), err)
	}
	var e *rhizome.Error
	if !errors.As(err, &e) || e.Op != op {
		tb.Fatalf("got error %q, want op %q", err, op)
	}
}

// Curve orders, written out independently of the package's own table.
var orders = map[Curve]*big.Int{
	P256: elliptic.P256().Params().N,
	K256: bigHex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141"),
}

func bigHex(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("bad hex " + s)
	}
	return n
}

// sOf returns the S half of a compact signature.
func sOf(sig []byte) *big.Int { return new(big.Int).SetBytes(sig[32:]) }

// isLowS reports whether the compact signature's S is at most N/2.
func isLowS(c Curve, sig []byte) bool {
	half := new(big.Int).Rsh(orders[c], 1)
	return sOf(sig).Cmp(half) <= 0
}

// highSTwin returns sig with S replaced by N-S: the other valid signature
// over the same digest.
func highSTwin(c Curve, sig []byte) []byte {
	out := append([]byte(nil), sig...)
	new(big.Int).Sub(orders[c], sOf(sig)).FillBytes(out[32:])
	return out
}

// uncompressed returns the 65-byte SEC1 form of a compressed point,
// computed with math/big so the test does not lean on the code under test.
func uncompressed(tb testing.TB, c Curve, comp []byte) []byte {
	tb.Helper()
	var p, b *big.Int
	if c == P256 {
		params := elliptic.P256().Params()
		p, b = params.P, params.B
	} else {
		p, b = bigHex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F"), big.NewInt(7)
	}
	x := new(big.Int).SetBytes(comp[1:])
	// y² = x³ + a·x + b, with a = -3 for P-256 and 0 for secp256k1.
	rhs := new(big.Int).Exp(x, big.NewInt(3), p)
	if c == P256 {
		rhs.Sub(rhs, new(big.Int).Mul(x, big.NewInt(3)))
	}
	rhs.Add(rhs, b).Mod(rhs, p)
	y := new(big.Int).ModSqrt(rhs, p)
	if y == nil {
		tb.Fatal("compressed point is not on the curve")
	}
	if y.Bit(0) != uint(comp[0]&1) {
		y.Sub(p, y)
	}
	out := make([]byte, 65)
	out[0] = 0x04
	x.FillBytes(out[1:33])
	y.FillBytes(out[33:])
	return out
}

// mustGenerate returns a fresh signer on c.
func mustGenerate(tb testing.TB, c Curve) Signer {
	tb.Helper()
	s, err := Generate(c)
	if err != nil {
		tb.Fatalf("Generate(%s): %v", c, err)
	}
	return s
}

var curves = []Curve{P256, K256}
