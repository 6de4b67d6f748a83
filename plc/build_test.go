package plc

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
)

// account is a test identity: two rotation keys (user first) and a signing
// key.
type account struct {
	user, host, signing keys.Signer
	rotation            []string
}

func newAccount(t *testing.T) *account {
	a := &account{user: newKey(t, keys.P256), host: newKey(t, keys.K256), signing: newKey(t, keys.K256)}
	a.rotation = []string{a.user.PublicKey().DIDKey(), a.host.PublicKey().DIDKey()}
	return a
}

func (a *account) genesis(t *testing.T) *Operation {
	t.Helper()
	op, err := Genesis(a.rotation, a.signing.PublicKey().DIDKey(), "alice.test", "https://pds.test")
	if err != nil {
		t.Fatal(err)
	}
	return signed(t, op, a.host)
}

func update(t *testing.T, prev *Operation, k keys.Signer, mutate func(*Operation)) *Operation {
	t.Helper()
	op, err := Update(prev, mutate)
	if err != nil {
		t.Fatal(err)
	}
	return signed(t, op, k)
}

func TestGenesis(t *testing.T) {
	a := newAccount(t)
	op := a.genesis(t)
	did, err := op.DID()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseDID(string(did)); err != nil {
		t.Fatal(err)
	}
	if err := op.Validate(); err != nil {
		t.Fatal(err)
	}
	entry := LogEntry{DID: did, Operation: op, CID: mustCID(t, op), CreatedAt: time.Unix(0, 0)}
	if _, err := VerifyLog(did, []LogEntry{entry}); err != nil {
		t.Fatal(err)
	}
	t.Run("bad rotation key", func(t *testing.T) {
		if _, err := Genesis([]string{"did:key:nope"}, a.rotation[0], "alice.test", "https://pds.test"); err == nil {
			t.Fatal("accepted a bad rotation key")
		}
	})
	t.Run("bad signing key", func(t *testing.T) {
		if _, err := Genesis(a.rotation, "zQ3sh", "alice.test", "https://pds.test"); err == nil {
			t.Fatal("accepted a bad signing key")
		}
	})
}

func TestUpdate(t *testing.T) {
	a := newAccount(t)
	g := a.genesis(t)
	newSigning := newKey(t, keys.P256).PublicKey().DIDKey()
	op := update(t, g, a.user, func(op *Operation) {
		op.VerificationMethods[VerificationMethodAtproto] = newSigning
		op.AlsoKnownAs = []string{"at://bob.test"}
	})
	if op.Prev != mustCID(t, g) || op.Type != TypeOperation {
		t.Fatalf("prev %s, type %s", op.Prev, op.Type)
	}
	if g.VerificationMethods[VerificationMethodAtproto] == newSigning || g.AlsoKnownAs[0] != "at://alice.test" {
		t.Fatal("Update changed prev")
	}
	t.Run("from tombstone", func(t *testing.T) {
		ts, err := Tombstone(g)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Update(signed(t, ts, a.user), nil); !rhizome.Is(err, rhizome.Invalid) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("mutation breaking a limit", func(t *testing.T) {
		_, err := Update(g, func(op *Operation) { op.RotationKeys = nil })
		if !rhizome.Is(err, rhizome.Invalid) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("from legacy create", func(t *testing.T) {
		legacy := loadAuditLog(t, filepath.Join(auditFixtures, "valid", "log_legacy_dholms.json"))
		create, next := legacy[0].Operation, legacy[1].Operation
		op, err := Update(create, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{create.RecoveryKey, create.SigningKey}
		if fmt.Sprint(op.RotationKeys) != fmt.Sprint(want) || op.Services[ServiceAtprotoPDS] != next.Services[ServiceAtprotoPDS] ||
			op.VerificationMethods[VerificationMethodAtproto] != create.SigningKey || op.AlsoKnownAs[0] != "at://dan.bsky.social" {
			t.Fatalf("converted %+v", op)
		}
	})
}

func TestOperation_Validate(t *testing.T) {
	a := newAccount(t)
	base := a.genesis(t)
	keysN := func(n int) []string {
		var ks []string
		for range n {
			ks = append(ks, newKey(t, keys.K256).PublicKey().DIDKey())
		}
		return ks
	}
	long := strings.Repeat("a", 600)
	cases := []struct {
		name   string
		mutate func(*Operation)
		kind   rhizome.Kind
	}{
		{"no rotation keys", func(op *Operation) { op.RotationKeys = nil }, rhizome.Invalid},
		{"six rotation keys", func(op *Operation) { op.RotationKeys = keysN(6) }, rhizome.Invalid},
		{"duplicate rotation key", func(op *Operation) { op.RotationKeys = []string{a.rotation[0], a.rotation[0]} }, rhizome.Invalid},
		{"non-canonical rotation key", func(op *Operation) { op.RotationKeys = []string{"did:key:z123"} }, rhizome.Invalid},
		{"verification method not did:key", func(op *Operation) { op.VerificationMethods["x"] = "zQ3abc" }, rhizome.Invalid},
		{"verification method bad base58", func(op *Operation) { op.VerificationMethods["x"] = "did:key:z0OIl" }, rhizome.Invalid},
		{"verification method id with #", func(op *Operation) { op.VerificationMethods["#x"] = a.rotation[0] }, rhizome.Invalid},
		{"verification method id too long", func(op *Operation) { op.VerificationMethods[long[:33]] = a.rotation[0] }, rhizome.Invalid},
		{"eleven verification methods", func(op *Operation) {
			for i := range 11 {
				op.VerificationMethods[fmt.Sprint("k", i)] = a.rotation[0]
			}
		}, rhizome.Invalid},
		{"duplicate alsoKnownAs", func(op *Operation) { op.AlsoKnownAs = []string{"at://a", "at://a"} }, rhizome.Invalid},
		{"alsoKnownAs too long", func(op *Operation) { op.AlsoKnownAs = []string{"at://" + long[:252]} }, rhizome.Invalid},
		{"eleven alsoKnownAs", func(op *Operation) {
			op.AlsoKnownAs = nil
			for i := range 11 {
				op.AlsoKnownAs = append(op.AlsoKnownAs, fmt.Sprint("at://", i))
			}
		}, rhizome.Invalid},
		{"service endpoint too long", func(op *Operation) {
			op.Services["x"] = Service{Type: "t", Endpoint: "https://" + long[:505]}
		}, rhizome.Invalid},
		{"service type too long", func(op *Operation) { op.Services["x"] = Service{Type: long[:257], Endpoint: "e"} }, rhizome.Invalid},
		{"eleven services", func(op *Operation) {
			for i := range 11 {
				op.Services[fmt.Sprint("s", i)] = Service{Type: "t", Endpoint: "e"}
			}
		}, rhizome.Invalid},
		{"too large", func(op *Operation) {
			for i := range 10 {
				op.AlsoKnownAs = append(op.AlsoKnownAs, fmt.Sprint(i, long[:250]))
			}
			op.AlsoKnownAs = op.AlsoKnownAs[1:]
			for i := range 10 {
				op.Services[fmt.Sprint("s", i)] = Service{Type: "t", Endpoint: long[:500]}
			}
		}, rhizome.TooLarge},
		{"legacy create", func(op *Operation) { *op = *loadLegacyCreate(t) }, rhizome.Invalid},
		{"unsigned", func(op *Operation) { op.Sig = "" }, rhizome.Invalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			op := base.Clone()
			tc.mutate(op)
			if err := op.Validate(); !rhizome.Is(err, tc.kind) {
				t.Fatalf("err %v, want %v", err, tc.kind)
			}
		})
	}
	t.Run("limits reached exactly", func(t *testing.T) {
		op := base.Clone()
		op.RotationKeys = keysN(MaxRotationKeys)
		op.AlsoKnownAs = []string{"at://" + long[:MaxAlsoKnownAsLen-5]}
		op.Services["x"] = Service{Type: long[:MaxServiceTypeLen], Endpoint: long[:MaxServiceEndpointLen]}
		op.VerificationMethods[long[:MaxIDLen]] = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
		if err := op.Validate(); err != nil {
			t.Fatal(err)
		}
	})
}

func loadLegacyCreate(t *testing.T) *Operation {
	t.Helper()
	return loadAuditLog(t, filepath.Join(auditFixtures, "valid", "log_legacy_dholms.json"))[0].Operation
}
