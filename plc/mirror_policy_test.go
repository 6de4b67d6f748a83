package plc

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/store"
)

// TestMirror_RejectedDIDLater shows what the mirror serves for a DID after
// rejecting one of its operations: the verified history; a later
// operation building on the rejected one is rejected too (and says so), a
// later one building on verified history is accepted; other DIDs are
// untouched.
func TestMirror_RejectedDIDLater(t *testing.T) {
	a, b := newAccount(t), newAccount(t)
	g, gb := a.genesis(t), b.genesis(t)
	did, didB := didOf(t, g), didOf(t, gb)
	stranger := newKey(t, keys.P256)
	hijack := update(t, g, stranger, func(op *Operation) { op.RotationKeys = []string{stranger.PublicKey().DIDKey()} })
	onHijack := update(t, hijack, stranger, nil)
	recovery := update(t, g, a.user, func(op *Operation) { op.AlsoKnownAs = []string{"at://mine.test"} })
	bUpdate := update(t, gb, b.host, nil)
	at := func(min int) time.Time { return testEpoch.Add(time.Duration(min) * time.Minute) }
	lines := []upLine{
		opLine(t, did, g, at(0)), opLine(t, didB, gb, at(1)),
		opLine(t, did, hijack, at(2)), opLine(t, did, onHijack, at(3)),
		opLine(t, didB, bUpdate, at(4)), opLine(t, did, recovery, at(5)),
	}
	up := newFakeUpstream(t, lines, true)
	f := newMirrorFixture(t, up.srv.URL, newMemPLC(), NewMirrorStateFile(filepath.Join(t.TempDir(), "m.json")), nil)
	if err := f.m.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	rs := f.m.Rejections(did)
	if len(rs) != 2 || rs[0].CID != mustCID(t, hijack).String() || rs[1].CID != mustCID(t, onHijack).String() {
		t.Fatalf("reports %+v", rs)
	}
	if !strings.Contains(rs[0].Reason, "signature") || !strings.Contains(rs[1].Reason, "follows rejected operation "+rs[0].CID) {
		t.Errorf("reasons %q, %q", rs[0].Reason, rs[1].Reason)
	}
	data, err := f.m.Directory().Data(context.Background(), did)
	if err != nil || data.AlsoKnownAs[0] != "at://mine.test" {
		t.Fatalf("data of the DID after the rejections: %+v, %v", data, err)
	}
	if _, _, flag := get(t, f.srv, "/"+string(did)); flag != "2" {
		t.Errorf("flag %q, want 2", flag)
	}
	last, err := f.m.Directory().LastOp(context.Background(), didB)
	if err != nil || mustCID(t, last) != mustCID(t, bUpdate) || len(f.m.Rejections(didB)) != 0 {
		t.Errorf("the other DID: last %v, %v", last, err)
	}
}

func TestMirror_DialsOnlyUpstream(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	redirecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.RequestURI(), http.StatusFound)
	}))
	defer redirecting.Close()
	f := newMirrorFixture(t, redirecting.URL, newMemPLC(), NewMirrorStateFile(filepath.Join(t.TempDir(), "m.json")), nil)
	if err := f.m.Sync(context.Background()); err == nil || !strings.Contains(err.Error(), "redirect") {
		t.Fatalf("sync against a redirect: %v", err)
	}
	// The client itself refuses any other address, whatever asks it.
	_, err := pinnedHTTPClient(redirecting.URL, time.Second).Get(other.URL)
	if err == nil || !strings.Contains(err.Error(), "refusing to dial") {
		t.Fatalf("dial elsewhere: %v", err)
	}
	if n := elsewhere.Load(); n != 0 {
		t.Fatalf("%d requests reached a server other than the upstream", n)
	}
}

func TestNewMirror_Refuses(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	state := NewMirrorStateFile(filepath.Join(dir, "m.json"))
	open := func(upstream string, st store.PLC, state MirrorStateStore) error {
		_, err := NewMirror(ctx, MirrorConfig{Upstream: upstream, Store: st, State: state})
		return err
	}
	for _, u := range []string{"", "ftp://plc.test", "http://user:pw@plc.test", "http://plc.test/?a=1", "http://plc.test/#x", "plc.test"} {
		if err := open(u, newMemPLC(), state); !rhizome.Is(err, rhizome.Invalid) {
			t.Errorf("upstream %q: err %v, want invalid", u, err)
		}
	}
	if err := state.Save(&MirrorState{Upstream: "http://127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
	if err := open("http://127.0.0.1:2", newMemPLC(), state); !rhizome.Is(err, rhizome.Conflict) {
		t.Errorf("state of another upstream: err %v, want conflict", err)
	}
	if err := open("http://127.0.0.1:1/", newMemPLC(), state); err != nil {
		t.Errorf("same upstream with a trailing slash: %v", err)
	}
	own := newDirFixture(t) // a directory's own log, without mirror state
	fresh := NewMirrorStateFile(filepath.Join(dir, "fresh.json"))
	if err := open("http://127.0.0.1:1", own.store, fresh); !rhizome.Is(err, rhizome.Conflict) {
		t.Errorf("store with its own operations: err %v, want conflict", err)
	}
	if err := os.WriteFile(state.Path(), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := open("http://127.0.0.1:1", newMemPLC(), state); !rhizome.Is(err, rhizome.Corrupt) {
		t.Errorf("damaged state file: err %v, want corrupt", err)
	}
}
