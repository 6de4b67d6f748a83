package identity

import (
	"context"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

func TestResolver_VerifyHandle(t *testing.T) {
	key := newKey(t)
	w := newWorld(t)
	w.publish(alicePLC, "alice.test", key)
	w.setTXT("_atproto.alice.test.", "did="+string(alicePLC))
	w.publish(bobPLC, "bob.test", key)
	w.setTXT("_atproto.mallory.test.", "did="+string(bobPLC)) // claims bob, who does not claim it
	w.publish(carolWeb, "", key)
	w.set(wellKnownPath("carol.test"), reply{body: string(carolWeb)}) // carol claims no handle
	r := w.resolver(nil)
	ctx := context.Background()

	t.Run("confirmed", func(t *testing.T) {
		id, err := r.VerifyHandle(ctx, "ALICE.test")
		if err != nil {
			t.Fatalf("verify: %v", err)
		}
		if id.DID != alicePLC || id.Handle != "alice.test" || id.Doc == nil || !id.Doc.SigningKey.Equal(key) {
			t.Fatalf("got %+v", id)
		}
	})
	t.Run("document claims another handle", func(t *testing.T) {
		_, err := r.VerifyHandle(ctx, "mallory.test")
		wantKind(t, err, rhizome.NotFound)
	})
	t.Run("document claims no handle", func(t *testing.T) {
		_, err := r.VerifyHandle(ctx, "carol.test")
		wantKind(t, err, rhizome.NotFound)
	})
	t.Run("handle does not resolve", func(t *testing.T) {
		_, err := r.VerifyHandle(ctx, "nobody.test")
		wantKind(t, err, rhizome.NotFound)
	})
	t.Run("DID does not resolve", func(t *testing.T) {
		w.setTXT("_atproto.ghost.test.", "did=did:plc:gggggggggggggggggggggggg")
		_, err := r.VerifyHandle(ctx, "ghost.test")
		wantKind(t, err, rhizome.NotFound)
	})
}

func TestResolver_ResolveIdentity(t *testing.T) {
	key := newKey(t)
	w := newWorld(t)
	w.publish(alicePLC, "alice.test", key)
	w.setTXT("_atproto.alice.test.", "did="+string(alicePLC))
	w.publish(bobPLC, "alice.test", key) // bob claims alice's handle
	w.publish(carolWeb, "", key)
	r := w.resolver(nil)
	ctx := context.Background()

	cases := []struct {
		id         syntax.AtIdentifier
		did        syntax.DID
		handle     syntax.Handle
		kind       rhizome.Kind
		wantsError bool
	}{
		{id: alicePLC.AtIdentifier(), did: alicePLC, handle: "alice.test"},
		{id: "alice.test", did: alicePLC, handle: "alice.test"},
		{id: bobPLC.AtIdentifier(), did: bobPLC, handle: syntax.HandleInvalid},
		{id: carolWeb.AtIdentifier(), did: carolWeb, handle: syntax.HandleInvalid},
		{id: "did:plc:gggggggggggggggggggggggg", wantsError: true, kind: rhizome.NotFound},
		{id: "nobody.test", wantsError: true, kind: rhizome.NotFound},
		{id: "did:nope", wantsError: true, kind: rhizome.Invalid},
		{id: "@alice.test", wantsError: true, kind: rhizome.Invalid},
	}
	for _, c := range cases {
		t.Run(string(c.id), func(t *testing.T) {
			id, err := r.ResolveIdentity(ctx, c.id)
			if c.wantsError {
				wantKind(t, err, c.kind)
				return
			}
			if err != nil {
				t.Fatalf("resolve: %v", err)
			}
			if id.DID != c.did || id.Handle != c.handle || id.Doc == nil || id.Doc.DID != c.did {
				t.Fatalf("got DID %q handle %q, want %q %q", id.DID, id.Handle, c.did, c.handle)
			}
		})
	}
}

// Purging a DID also forgets the handle its document claimed, so a
// handle change announced for the DID is seen in both directions.
func TestResolver_Purge(t *testing.T) {
	key := newKey(t)
	w := newWorld(t)
	w.publish(alicePLC, "alice.test", key)
	w.setTXT("_atproto.alice.test.", "did="+string(alicePLC))
	r := w.resolver(nil)
	ctx := context.Background()
	if _, err := r.ResolveIdentity(ctx, alicePLC.AtIdentifier()); err != nil {
		t.Fatal(err)
	}
	r.Purge(alicePLC.AtIdentifier())
	if _, err := r.ResolveIdentity(ctx, alicePLC.AtIdentifier()); err != nil {
		t.Fatal(err)
	}
	if d, h := w.hitsOf(plcPath(alicePLC)), w.dnsHitsOf("_atproto.alice.test."); d != 2 || h != 2 {
		t.Fatalf("after purge: %d document fetches, %d handle lookups; want 2 and 2", d, h)
	}
	r.Purge("not an identifier") // ignored
}
