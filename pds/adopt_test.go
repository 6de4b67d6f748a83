package pds

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/auth"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/mem"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// inspectIDs adds DIDInspector to fakeIDs: the state of DIDs the test
// sets.
type inspectIDs struct {
	*fakeIDs
	mu     sync.Mutex
	states map[syntax.DID]DIDState
}

func (f *inspectIDs) InspectDID(_ context.Context, did syntax.DID) (DIDState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.states[did]
	if !ok {
		return DIDState{}, rhizome.E("inspect", rhizome.NotFound, "unknown DID")
	}
	return st, nil
}

func (f *inspectIDs) set(did syntax.DID, st DIDState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.states[did] = st
}

const adoptURL = "http://127.0.0.1:2"

// newAdoptPod is a pod whose identities can inspect DIDs.
func newAdoptPod(t *testing.T) (*PDS, *inspectIDs) {
	t.Helper()
	d := testDeps(t)
	ids := &inspectIDs{fakeIDs: d.Identities.(*fakeIDs), states: map[syntax.DID]DIDState{}}
	d.Identities = ids
	p, err := New(Config{PublicURL: adoptURL}, d)
	if err != nil {
		t.Fatal(err)
	}
	return p, ids
}

func newKey(t *testing.T) keys.Signer {
	t.Helper()
	k, err := keys.Generate(keys.K256)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func token(t *testing.T, s keys.Signer, iss syntax.DID, aud string, lxm syntax.NSID) string {
	t.Helper()
	tok, err := auth.SignService(s, iss, aud, lxm, time.Now(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestPDS_ReserveSigningKey(t *testing.T) {
	p, _ := newAdoptPod(t)
	a, err := p.ReserveSigningKey(ctx, "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa")
	if err != nil {
		t.Fatal(err)
	}
	again, _ := p.ReserveSigningKey(ctx, "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa")
	other, _ := p.ReserveSigningKey(ctx, "did:plc:bbbbbbbbbbbbbbbbbbbbbbbb")
	if !a.Equal(again) || a.Equal(other) {
		t.Fatalf("reservations: %s, again %s, other DID %s", a, again, other)
	}
	s, err := p.CreateAccount(ctx, NewAccount{Handle: "carol.test", Email: "carol@example.com", Password: "password-carol"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.ReserveSigningKey(ctx, s.Account.DID); !rhizome.Is(err, rhizome.Exists) {
		t.Fatalf("reserve for a hosted DID: %v", err)
	}
}

func TestPDS_AdoptDID(t *testing.T) {
	p, ids := newAdoptPod(t)
	const did syntax.DID = "did:plc:cccccccccccccccccccccccc"
	rotation, stranger := newKey(t), newKey(t)
	reserved, err := p.ReserveSigningKey(ctx, did)
	if err != nil {
		t.Fatal(err)
	}
	ids.set(did, DIDState{SigningKey: reserved, RotationKeys: []keys.PublicKey{rotation.PublicKey()}, PDS: adoptURL + "/"})
	in := func(tok string) NewAccount {
		return NewAccount{DID: did, Handle: "alice.test", Email: "alice@example.com", Password: "password-alice", Auth: tok}
	}
	refusals := []struct {
		name string
		in   NewAccount
		kind rhizome.Kind
	}{
		{"no token", in(""), rhizome.Unauthorized},
		{"a stranger's token", in(token(t, stranger, did, p.DID(), LxmCreateAccount)), rhizome.Unauthorized},
		{"another audience", in(token(t, rotation, did, "did:web:elsewhere.example", LxmCreateAccount)), rhizome.Unauthorized},
		{"another method", in(token(t, rotation, did, p.DID(), "com.atproto.repo.createRecord")), rhizome.Unauthorized},
		{"another issuer", in(token(t, rotation, "did:plc:dddddddddddddddddddddddd", p.DID(), LxmCreateAccount)), rhizome.Unauthorized},
		{"a recovery key", func() NewAccount {
			a := in(token(t, rotation, did, p.DID(), LxmCreateAccount))
			a.RecoveryKey = rotation.PublicKey().DIDKey()
			return a
		}(), rhizome.Invalid},
		{"an unknown DID", func() NewAccount {
			a := in(token(t, rotation, did, p.DID(), LxmCreateAccount))
			a.DID = "did:plc:eeeeeeeeeeeeeeeeeeeeeeee"
			return a
		}(), rhizome.Invalid},
	}
	for _, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			if _, err := p.CreateAccount(ctx, c.in); !rhizome.Is(err, c.kind) {
				t.Fatalf("got %v; want %s", err, c.kind)
			}
		})
	}
	t.Run("by the rotation key, the DID naming this pod", func(t *testing.T) {
		s, err := p.CreateAccount(ctx, in(token(t, rotation, did, p.DID(), LxmCreateAccount)))
		if err != nil {
			t.Fatal(err)
		}
		if s.Account.Status != store.Active || s.AccessJWT == "" {
			t.Fatalf("account %+v", s.Account)
		}
		signer, err := p.signer(ctx, did)
		if err != nil || !signer.PublicKey().Equal(reserved) {
			t.Fatalf("the account signs with %v, not the reserved key %s (%v)", signer, reserved, err)
		}
		if _, err := p.reserved.Reserved(ctx, did); !rhizome.Is(err, rhizome.NotFound) {
			t.Fatalf("the reservation was not released: %v", err)
		}
	})
	t.Run("twice", func(t *testing.T) {
		if _, err := p.CreateAccount(ctx, in(token(t, rotation, did, p.DID(), LxmCreateAccount))); !rhizome.Is(err, rhizome.Exists) {
			t.Fatalf("got %v; want Exists", err)
		}
	})
}

// TestPDS_AdoptDID_Migration is the usual move: the old pod's service
// token (signed by the DID's current signing key), the DID still naming
// the old pod. The account starts deactivated, takes an import and
// blobs, refuses writes until activated.
func TestPDS_AdoptDID_Migration(t *testing.T) {
	src := newTestPod(t)
	did := src.account(t, "alice").Account.DID
	for i := range 5 {
		if _, _, err := src.CreateRecord(ctx, did, Write{Collection: "app.bsky.feed.post", Value: post(fmt.Sprint(i))}, ValidateAuto, nil); err != nil {
			t.Fatal(err)
		}
	}
	var car bytes.Buffer
	if err := src.GetRepo(ctx, did, "", &car); err != nil {
		t.Fatal(err)
	}
	oldKey, err := src.signer(ctx, did)
	if err != nil {
		t.Fatal(err)
	}
	p, ids := newAdoptPod(t)
	ids.set(did, DIDState{SigningKey: oldKey.PublicKey(), RotationKeys: []keys.PublicKey{newKey(t).PublicKey()}, PDS: "http://old.example"})
	s, err := p.CreateAccount(ctx, NewAccount{DID: did, Handle: "alice.test", Email: "alice@example.com",
		Password: "password-alice", Auth: token(t, oldKey, did, p.DID(), LxmCreateAccount)})
	if err != nil {
		t.Fatal(err)
	}
	if s.Account.Status != store.Deactivated {
		t.Fatalf("status %s; want deactivated until the DID names this pod", s.Account.Status)
	}
	if err := p.ImportRepo(ctx, did, bytes.NewReader(car.Bytes())); err != nil {
		t.Fatalf("import into a deactivated account: %v", err)
	}
	if _, err := p.UploadBlob(ctx, did, "image/png", strings.NewReader("png bytes")); err != nil {
		t.Fatalf("upload to a deactivated account: %v", err)
	}
	if _, _, err := p.CreateRecord(ctx, did, Write{Collection: "app.bsky.feed.post", Value: post("x")}, ValidateAuto, nil); rhizome.NameOf(err) != "RepoDeactivated" {
		t.Fatalf("write before activation: %v", err)
	}
	if err := p.SetStatus(ctx, did, store.Active); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := p.GetRepo(ctx, did, "", &out); err != nil {
		t.Fatal(err)
	}
	newKey, _ := p.signer(ctx, did)
	_, st, err := repo.ReadCAR(ctx, &out, mem.NewBlocks(), repo.ImportOptions{DID: did, Key: newKey.PublicKey()})
	if err != nil || st.Records != 5 {
		t.Fatalf("the imported repository, re-signed by the new pod: %d records, %v", st.Records, err)
	}
}

func TestPDS_AdoptDID_NotSupported(t *testing.T) {
	p := newTestPod(t) // fakeIDs cannot inspect DIDs
	_, err := p.CreateAccount(ctx, NewAccount{DID: "did:plc:cccccccccccccccccccccccc", Handle: "alice.test",
		Email: "alice@example.com", Password: "password-alice", Auth: "x"})
	if rhizome.NameOf(err) != "IncompatibleDidDoc" {
		t.Fatalf("got %v; want IncompatibleDidDoc", err)
	}
}
