package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// t0 is the base time of fixtures, at millisecond precision.
var t0 = time.Date(2025, 3, 4, 5, 6, 7, 8_000_000, time.UTC)

// Collections used by fixtures.
const (
	posts   = syntax.NSID("app.bsky.feed.post")
	likes   = syntax.NSID("app.bsky.feed.like")
	profile = syntax.NSID("app.bsky.actor.profile")
)

// testDID returns the nth test DID.
func testDID(n int) syntax.DID { return syntax.DID(fmt.Sprintf("did:plc:storetest%07d", n)) }

// testHandle returns the nth test handle.
func testHandle(n int) syntax.Handle { return syntax.Handle(fmt.Sprintf("user%d.example.test", n)) }

// testEmail returns the nth test email.
func testEmail(n int) string { return fmt.Sprintf("user%d@example.test", n) }

// tid returns the nth TID of the fixtures; TIDs increase with n.
func tid(n int) syntax.TID { return syntax.NewTID(t0.UnixMicro()+int64(n), 0) }

// block encodes v as DRISL and returns it as a dag-cbor block.
func block(t *testing.T, v any) rhizome.Block {
	t.Helper()
	b, err := data.MarshalCBOR(v)
	must(t, err)
	return rhizome.Block{CID: cid.Sum(cid.DagCBOR, b), Data: b}
}

// blobCID returns the CID of a fake blob named by s.
func blobCID(s string) cid.CID { return cid.Sum(cid.Raw, []byte("blob "+s)) }

// post returns a record value.
func post(text string) map[string]any {
	return map[string]any{"$type": string(posts), "text": text, "createdAt": "2025-03-04T05:06:07.008Z"}
}

// rec is one record change of a fake commit; a nil value deletes.
type rec struct {
	coll  syntax.NSID
	rkey  syntax.RecordKey
	value any
	blobs []cid.CID
}

// put and del build record changes.
func put(coll syntax.NSID, rkey string, value any, blobs ...cid.CID) rec {
	return rec{coll: coll, rkey: syntax.RecordKey(rkey), value: value, blobs: blobs}
}

func del(coll syntax.NSID, rkey string) rec { return rec{coll: coll, rkey: syntax.RecordKey(rkey)} }

// fakeRepo builds commits for one DID. The store checks neither signatures
// nor MST structure, so a commit is a commit-shaped block, a stand-in MST
// root and the record blocks.
type fakeRepo struct {
	did  syntax.DID
	head store.Head // zero before genesis
	n    int        // commits built, for revs
	salt string     // makes commits of racing builders differ
}

// commit builds the next commit from the current head.
func (r *fakeRepo) commit(t *testing.T, recs ...rec) store.Commit {
	t.Helper()
	r.n++
	rev := tid(r.n)
	var blocks []rhizome.Block
	var ops []store.RecordOp
	for _, x := range recs {
		op := store.RecordOp{Collection: x.coll, RKey: x.rkey}
		if x.value != nil {
			b := block(t, x.value)
			blocks = append(blocks, b)
			op.CID, op.Blobs = b.CID, x.blobs
		}
		ops = append(ops, op)
	}
	root := block(t, map[string]any{"e": []any{}, "l": nil, "rev": string(rev), "salt": r.salt + string(r.did)})
	sc := block(t, map[string]any{"did": string(r.did), "version": int64(3), "data": root.CID,
		"rev": string(rev), "prev": nil, "sig": []byte(r.salt + "sig")})
	return store.Commit{
		Prev:   r.head.Commit,
		Head:   store.Head{DID: r.did, Commit: sc.CID, Rev: rev, Data: root.CID},
		Blocks: append([]rhizome.Block{sc, root}, blocks...),
		Ops:    ops,
	}
}

// withEvent adds a commit event to c.
func withEvent(c store.Commit) store.Commit {
	c.Event = &store.Event{DID: c.Head.DID, Type: "commit", Time: t0, Body: []byte("event " + string(c.Head.Rev))}
	return c
}

// apply applies c, which must succeed, and moves the head.
func (r *fakeRepo) apply(t *testing.T, s store.Store, c store.Commit) int64 {
	t.Helper()
	seq, err := s.ApplyCommit(t.Context(), c)
	must(t, err)
	r.head = c.Head
	return seq
}

// newAccount returns the nth test account with its genesis commit.
func newAccount(t *testing.T, n int) (store.NewAccount, *fakeRepo) {
	t.Helper()
	r := &fakeRepo{did: testDID(n)}
	a := store.NewAccount{
		Account: store.Account{
			DID: r.did, Handle: testHandle(n), Email: testEmail(n),
			PasswordHash: fmt.Sprintf("$argon2id$v=19$m=65536,t=3,p=4$salt%d$hash", n),
			SigningKey:   []byte(fmt.Sprintf("sealed key %d", n)),
			Status:       store.Active, CreatedAt: t0.Add(time.Duration(n) * time.Second),
		},
		Genesis: r.commit(t),
	}
	return a, r
}

// createAccount creates the nth test account and returns its repository.
func createAccount(t *testing.T, s store.Store, n int) *fakeRepo {
	t.Helper()
	a, r := newAccount(t, n)
	_, err := s.CreateAccount(t.Context(), a)
	must(t, err)
	r.head = a.Genesis.Head
	return r
}

// cids returns the CIDs of blocks.
func cids(blocks []rhizome.Block) []cid.CID {
	out := make([]cid.CID, len(blocks))
	for i, b := range blocks {
		out[i] = b.CID
	}
	return out
}

// wantBlocks checks that did's repository holds exactly the given blocks
// (present) or none of them (absent).
func wantBlocks(t *testing.T, s store.Store, did syntax.DID, blocks []rhizome.Block, present bool) {
	t.Helper()
	got, err := s.RepoBlocks(did).GetBlocks(t.Context(), cids(blocks))
	must(t, err)
	if len(got) != len(blocks) {
		t.Fatalf("GetBlocks returned %d entries for %d CIDs", len(got), len(blocks))
	}
	for i, b := range blocks {
		switch {
		case present && !bytes.Equal(got[i], b.Data):
			t.Fatalf("block %s of %s: got %q, want %q", b.CID, did, got[i], b.Data)
		case !present && got[i] != nil:
			t.Fatalf("block %s is visible in %s, want absent", b.CID, did)
		}
	}
}

// repoState is what a failed write must leave unchanged.
type repoState struct {
	head    store.Head
	headErr rhizome.Kind
	records []store.Record
	lastSeq int64
}

// stateOf captures did's head, every record and the last event seq.
func stateOf(t *testing.T, s store.Store, did syntax.DID) repoState {
	t.Helper()
	var st repoState
	var err error
	st.head, err = s.Head(t.Context(), did)
	if err != nil {
		st.headErr = rhizome.KindOf(err)
	}
	colls, err := s.Collections(t.Context(), did)
	if err != nil && !rhizome.Is(err, rhizome.NotFound) {
		t.Fatal(err)
	}
	for _, c := range colls {
		recs, err := s.ListRecords(t.Context(), did, c, store.Page{Limit: 1000})
		must(t, err)
		st.records = append(st.records, recs...)
	}
	st.lastSeq, err = s.LastSeq(t.Context())
	must(t, err)
	return st
}

// wantState fails the test if did's state is not want.
func wantState(t *testing.T, s store.Store, did syntax.DID, want repoState) {
	t.Helper()
	got := stateOf(t, s, did)
	if got.head != want.head || got.headErr != want.headErr || got.lastSeq != want.lastSeq {
		t.Fatalf("state changed: head %+v (%v) seq %d, want %+v (%v) seq %d",
			got.head, got.headErr, got.lastSeq, want.head, want.headErr, want.lastSeq)
	}
	if !slices.EqualFunc(got.records, want.records, sameRecord) {
		t.Fatalf("records changed: got %d, want %d", len(got.records), len(want.records))
	}
}

// sameRecord compares records including their values.
func sameRecord(a, b store.Record) bool {
	return a.Collection == b.Collection && a.RKey == b.RKey && a.CID == b.CID && bytes.Equal(a.Value, b.Value)
}

// rkeys returns the record keys of recs.
func rkeys(recs []store.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r.RKey)
	}
	return out
}
