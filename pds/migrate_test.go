package pds

import (
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/plc"
	"github.com/rhizome-pds/rhizome/syntax"
)

func TestPDS_RecommendedCredentials(t *testing.T) {
	p, ids := newAdoptPod(t)
	p.cfg.RotationKeys = []string{newKey(t).PublicKey().DIDKey()}
	const did syntax.DID = "did:plc:ffffffffffffffffffffffff"
	t.Run("no account", func(t *testing.T) {
		if _, err := p.RecommendedCredentials(ctx, did); !rhizome.Is(err, rhizome.NotFound) {
			t.Fatalf("got %v; want NotFound", err)
		}
	})
	t.Run("a deactivated account moving here", func(t *testing.T) {
		rotation := newKey(t)
		ids.set(did, DIDState{SigningKey: newKey(t).PublicKey(), RotationKeys: []keys.PublicKey{rotation.PublicKey()}, PDS: "https://old.example"})
		in := NewAccount{DID: did, Handle: "mover.test", Email: "m@example.com", Password: "password-mover",
			Auth: token(t, rotation, did, p.DID(), LxmCreateAccount)}
		if _, err := p.CreateAccount(ctx, in); err != nil {
			t.Fatal(err)
		}
		c, err := p.RecommendedCredentials(ctx, did)
		if err != nil {
			t.Fatal(err)
		}
		s, err := p.signer(ctx, did)
		if err != nil {
			t.Fatal(err)
		}
		if c.VerificationMethods[plc.VerificationMethodAtproto] != s.PublicKey().DIDKey() {
			t.Errorf("signing key %v; the account signs with %s", c.VerificationMethods, s.PublicKey().DIDKey())
		}
		if pds := c.Services[plc.ServiceAtprotoPDS]; pds.Endpoint != p.cfg.PublicURL || pds.Type != plc.ServiceTypePDS {
			t.Errorf("services %v; want this pod %s", c.Services, p.cfg.PublicURL)
		}
		if len(c.AlsoKnownAs) != 1 || c.AlsoKnownAs[0] != "at://mover.test" {
			t.Errorf("alsoKnownAs %v", c.AlsoKnownAs)
		}
		if len(c.RotationKeys) != 1 || c.RotationKeys[0] != p.cfg.RotationKeys[0] {
			t.Errorf("rotation keys %v; want the pod's %v", c.RotationKeys, p.cfg.RotationKeys)
		}
	})
}
