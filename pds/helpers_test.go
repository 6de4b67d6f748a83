package pds

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/blobstore/disk"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/lexicon"
	"github.com/rhizome-pds/rhizome/store/sqlite"
	"github.com/rhizome-pds/rhizome/syntax"
)

// fakeIDs is an in-memory stand-in for the PLC directory (unit tests of
// the pod's logic only; the real directory is tested in package plc and
// end to end in test/).
type fakeIDs struct {
	mu   sync.Mutex
	keys map[syntax.DID]keys.PublicKey
	hdl  map[syntax.DID]syntax.Handle
}

func (f *fakeIDs) CreateDID(_ context.Context, k keys.PublicKey, h syntax.Handle, _ string) (syntax.DID, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	sum := sha256.Sum256([]byte(k.DIDKey()))
	did := syntax.DID("did:plc:" + strings.ToLower(base32.StdEncoding.EncodeToString(sum[:]))[:24])
	f.keys[did], f.hdl[did] = k, h
	return did, nil
}

func (f *fakeIDs) UpdateHandle(_ context.Context, did syntax.DID, h syntax.Handle) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hdl[did] = h
	return nil
}

func (f *fakeIDs) SigningKey(_ context.Context, did syntax.DID) (keys.PublicKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if k, ok := f.keys[did]; ok {
		return k, nil
	}
	return nil, rhizome.E("resolve", rhizome.NotFound, "no such DID")
}

func (f *fakeIDs) Document(ctx context.Context, did syntax.DID) (json.RawMessage, error) {
	k, err := f.SigningKey(ctx, did)
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{"id": did, "key": k.DIDKey()})
}

func (f *fakeIDs) ResolveHandle(context.Context, syntax.Handle) (syntax.DID, error) {
	return "", rhizome.E("resolve handle", rhizome.NotFound, "unknown")
}

type testPod struct {
	*PDS
	ids *fakeIDs
}

// newTestPod assembles a PDS on a real SQLite store and disk blob store.
// testDeps are the parts of a test pod on a fresh data folder: a SQLite
// store, a disk blob store, a keyring, the embedded schemas and fake
// identities (a *fakeIDs).
func testDeps(t *testing.T) Deps {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(filepath.Join(dir, "pod.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	blobs, err := disk.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	kr, _ := keys.NewKeyring(make([]byte, 32))
	cat, err := lexicon.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	ids := &fakeIDs{keys: map[syntax.DID]keys.PublicKey{}, hdl: map[syntax.DID]syntax.Handle{}}
	return Deps{Store: st, Blobs: blobs, Keyring: kr, Identities: ids, Schemas: cat,
		Secret: []byte("0123456789abcdef0123456789abcdef")}
}

func newTestPod(t *testing.T) *testPod {
	t.Helper()
	d := testDeps(t)
	p, err := New(Config{PublicURL: "http://127.0.0.1:1"}, d)
	if err != nil {
		t.Fatal(err)
	}
	return &testPod{PDS: p, ids: d.Identities.(*fakeIDs)}
}

func (p *testPod) account(t *testing.T, name string) *Session {
	t.Helper()
	s, err := p.CreateAccount(context.Background(), NewAccount{Handle: syntax.Handle(name + ".test"),
		Email: name + "@example.com", Password: "password-" + name})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func post(text string) map[string]any {
	return map[string]any{"$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-01-01T00:00:00.000Z"}
}
