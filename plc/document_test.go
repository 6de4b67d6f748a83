package plc

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
)

func TestData_Document(t *testing.T) {
	a := newAccount(t)
	g := a.genesis(t)
	did, _ := g.DID()
	op := update(t, g, a.user, func(op *Operation) {
		op.VerificationMethods["other"] = a.user.PublicKey().DIDKey() // a P-256 key
	})
	data, err := DataFor(did, op)
	if err != nil {
		t.Fatal(err)
	}
	doc := data.Document()
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got["id"] != string(did) || got["@context"] == nil || got["alsoKnownAs"].([]any)[0] != "at://alice.test" {
		t.Fatalf("document %s", b)
	}
	wantCtx := []string{contextDID, contextMultikey, contextP256, contextK256} // "other" (P-256) sorts first
	if !slices.Equal(doc.Context, wantCtx) {
		t.Errorf("context %v, want %v", doc.Context, wantCtx)
	}
	vm := doc.VerificationMethod
	if len(vm) != 2 || vm[0].ID != string(did)+"#other" || vm[1].ID != string(did)+"#atproto" {
		t.Fatalf("verification methods %+v (want DRISL key order: shorter first)", vm)
	}
	if vm[1].Type != "Multikey" || vm[1].Controller != did || vm[1].PublicKeyMultibase != a.signing.PublicKey().Multibase() {
		t.Errorf("atproto method %+v", vm[1])
	}
	if len(doc.Service) != 1 || doc.Service[0] != (DocService{ID: "#atproto_pds", Type: ServiceTypePDS, ServiceEndpoint: "https://pds.test"}) {
		t.Errorf("services %+v", doc.Service)
	}
}

func TestDataFor(t *testing.T) {
	a := newAccount(t)
	g := a.genesis(t)
	did, _ := g.DID()
	t.Run("accessors", func(t *testing.T) {
		data, err := DataFor(did, g)
		if err != nil {
			t.Fatal(err)
		}
		if h, ok := data.Handle(); !ok || h != "alice.test" {
			t.Errorf("handle %q %t", h, ok)
		}
		if p, ok := data.PDS(); !ok || p != "https://pds.test" {
			t.Errorf("pds %q %t", p, ok)
		}
		if k, err := data.SigningKey(); err != nil || !k.Equal(a.signing.PublicKey()) {
			t.Errorf("signing key %v %v", k, err)
		}
		b, _ := json.Marshal(data)
		for _, f := range []string{`"did"`, `"verificationMethods"`, `"rotationKeys"`, `"alsoKnownAs"`, `"services"`} {
			if !strings.Contains(string(b), f) {
				t.Errorf("data JSON %s lacks %s", b, f)
			}
		}
	})
	t.Run("empty", func(t *testing.T) {
		data, err := DataFor(did, &Operation{Type: TypeOperation})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := data.Handle(); ok {
			t.Error("handle of an empty state")
		}
		if _, ok := data.PDS(); ok {
			t.Error("pds of an empty state")
		}
		if _, err := data.SigningKey(); !rhizome.Is(err, rhizome.NotFound) {
			t.Errorf("signing key err %v", err)
		}
		b, _ := json.Marshal(data.Document())
		if strings.Contains(string(b), "null") {
			t.Errorf("empty document has nulls: %s", b)
		}
	})
	t.Run("tombstone", func(t *testing.T) {
		ts, _ := Tombstone(g)
		_, err := DataFor(did, ts)
		if !rhizome.Is(err, rhizome.NotFound) || !errors.Is(err, ErrGone) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("legacy create", func(t *testing.T) {
		create := loadLegacyCreate(t)
		data, err := DataFor("did:plc:yk4dd2qkboz2yv6tpubpc6co", create)
		if err != nil {
			t.Fatal(err)
		}
		if h, _ := data.Handle(); h != "dan.bsky.social" {
			t.Errorf("handle %q", h)
		}
		if p, _ := data.PDS(); p != "https://bsky.social" {
			t.Errorf("pds %q", p)
		}
		if k, err := data.SigningKey(); err != nil || k.Curve() != keys.K256 {
			t.Errorf("signing key %v", err)
		}
		if !slices.Equal(data.RotationKeys, []string{create.RecoveryKey, create.SigningKey}) {
			t.Errorf("rotation keys %v", data.RotationKeys)
		}
	})
}

func TestData_FixtureHeads(t *testing.T) {
	// Every valid fixture's current state renders to a document whose
	// methods all carry the DID as controller.
	for _, f := range fixtureFiles(t, "valid") {
		entries := loadAuditLog(t, f)
		t.Run(filepath.Base(f), func(t *testing.T) {
			head, err := VerifyLog(entries[0].DID, entries)
			if err != nil {
				t.Fatal(err)
			}
			data, err := DataFor(entries[0].DID, head)
			if head.Type == TypeTombstone {
				if !errors.Is(err, ErrGone) {
					t.Fatalf("tombstone head: err %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, vm := range data.Document().VerificationMethod {
				if vm.Controller != entries[0].DID || !strings.HasPrefix(vm.PublicKeyMultibase, "z") {
					t.Errorf("method %+v", vm)
				}
			}
		})
	}
}
