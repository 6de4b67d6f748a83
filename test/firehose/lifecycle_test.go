package firehose

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	irepo "github.com/bluesky-social/indigo/atproto/repo"
	car "github.com/ipld/go-car"
)

// TestFirehose_AccountLifecycle checks the events of an account's life, in
// order: creation (#identity, #account active, genesis #commit),
// deactivation (#account), activation (#identity, #account active and
// #sync at the current commit, as after a migration), a handle change (#identity),
// importRepo (#sync with the signed commit) and deletion (#account
// deleted). Changes that change nothing (deactivating twice, taking the
// handle one has) emit nothing.
func TestFirehose_AccountLifecycle(t *testing.T) {
	p := newPod(t)
	c := newClient(p)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	col := newCollector(t, ctx, p, "0")
	defer col.f.stop()
	lc := &lifecycle{t: t, c: c, col: col}

	a := createAccount(t, c, "life0")
	lc.created(a)
	for _, rkey := range []string{"one", "two"} {
		rev := createRecordAt(t, c, a, rkey)
		if e := lc.next("#commit"); e.commit.Rev != rev || len(e.commit.Ops) != 1 {
			t.Errorf("createRecord %s: got %s rev %s with %d ops; want rev %s with 1 op", rkey, e, e.commit.Rev, len(e.commit.Ops), rev)
		}
	}
	t.Run("deactivate", func(t *testing.T) {
		c.MustCall(t, "com.atproto.server.deactivateAccount", a.access, map[string]any{}, nil)
		lc.status(a.did, false, "deactivated")
		c.MustCall(t, "com.atproto.server.deactivateAccount", a.access, map[string]any{}, nil) // no change: no event
	})
	t.Run("activate", func(t *testing.T) {
		c.MustCall(t, "com.atproto.server.activateAccount", a.access, map[string]any{}, nil)
		lc.activated(a)
	})
	t.Run("update handle", func(t *testing.T) {
		lc.handleChange(a, "life0b.test")
		c.MustCall(t, "com.atproto.identity.updateHandle", a.access, map[string]string{"handle": "life0b.test"}, nil) // no change
	})
	t.Run("import repo", func(t *testing.T) {
		lc.importOwn(ctx, a)
	})
	rev := createRecordAt(t, c, a, "after-import")
	if e := lc.next("#commit"); e.commit.Rev != rev {
		t.Errorf("the write after the import: got %s rev %s; want rev %s", e, e.commit.Rev, rev)
	}
	t.Run("delete account", func(t *testing.T) {
		in := map[string]string{"did": a.did, "password": "password-life0", "token": "unused"}
		c.MustCall(t, "com.atproto.server.deleteAccount", "", in, nil)
		lc.status(a.did, false, "deleted")
	})
	time.Sleep(300 * time.Millisecond)
	if n := col.count(); n != lc.taken {
		t.Errorf("%d events more than the changes made", n-lc.taken)
	}
}

// lifecycle reads the lifecycle test's events one by one.
type lifecycle struct {
	t     *testing.T
	c     *client
	col   *collector
	taken int
}

// next returns the next event, which must be of type typ.
func (lc *lifecycle) next(typ string) *event {
	lc.t.Helper()
	e := lc.col.take(lc.t, lc.taken, 1)[0]
	lc.taken++
	if e.typ != typ {
		lc.t.Fatalf("event %d is %s; want %s", lc.taken, e, typ)
	}
	return e
}

// created checks the three events of a new account.
func (lc *lifecycle) created(a account) {
	t := lc.t
	t.Helper()
	id := lc.next("#identity").identity
	if id.Did != a.did || id.Handle == nil || *id.Handle != a.handle {
		t.Errorf("#identity of a new account: did %s handle %s; want %s %s", id.Did, str(id.Handle), a.did, a.handle)
	}
	lc.status(a.did, true, "")
	e := lc.next("#commit")
	m := e.commit
	h := latestCommit(t, lc.c, a.did)
	if m.Repo != a.did || m.Rev != h.Rev || m.Commit.String() != h.CID || len(m.Ops) != 0 || len(m.Blobs) != 0 {
		t.Errorf("genesis #commit: repo %s rev %s commit %s, %d ops, %d blobs; want %s rev %s commit %s, none",
			m.Repo, m.Rev, m.Commit, len(m.Ops), len(m.Blobs), a.did, h.Rev, h.CID)
	}
	body, err := bodyMap(e)
	if err != nil {
		t.Fatal(err)
	}
	since, hasSince := body["since"]
	if _, hasPrev := body["prevData"]; hasPrev || !hasSince || since != nil {
		t.Errorf("genesis #commit: since %v (present %v), prevData present %v; want since null and no prevData", since, hasSince, hasPrev)
	}
}

// status checks the next event: #account of did with active and status.
func (lc *lifecycle) status(did string, active bool, status string) {
	lc.t.Helper()
	acc := lc.next("#account").account
	if acc.Did != did || acc.Active != active || str(acc.Status) != orNull(status) {
		lc.t.Errorf("#account: did %s active %v status %s; want %s %v %s", acc.Did, acc.Active, str(acc.Status), did, active, orNull(status))
	}
}

// activated checks the events of an activation: #identity, #account
// active, and #sync naming the current commit.
func (lc *lifecycle) activated(a account) {
	t := lc.t
	t.Helper()
	if id := lc.next("#identity").identity; id.Did != a.did {
		t.Errorf("#identity on activation: did %s; want %s", id.Did, a.did)
	}
	lc.status(a.did, true, "")
	s := lc.next("#sync").sync
	h := latestCommit(t, lc.c, a.did)
	commit, root, err := irepo.LoadCommitFromCAR(context.Background(), bytes.NewReader(s.Blocks))
	if err != nil {
		t.Fatalf("#sync blocks: %v", err)
	}
	if s.Did != a.did || s.Rev != h.Rev || root.String() != h.CID || commit.Rev != h.Rev {
		t.Errorf("#sync on activation: did %s rev %s commit %s; getLatestCommit says %s rev %s", s.Did, s.Rev, root, h.CID, h.Rev)
	}
}

func orNull(s string) string {
	if s == "" {
		return "null"
	}
	return s
}

// handleChange changes the handle and checks the #identity event and the
// DID document.
func (lc *lifecycle) handleChange(a account, handle string) {
	t := lc.t
	t.Helper()
	lc.c.MustCall(t, "com.atproto.identity.updateHandle", a.access, map[string]string{"handle": handle}, nil)
	id := lc.next("#identity").identity
	if id.Did != a.did || str(id.Handle) != handle {
		t.Errorf("#identity after updateHandle: did %s handle %s; want %s %s", id.Did, str(id.Handle), a.did, handle)
	}
	resp, err := lc.c.HC.Get(lc.c.Base + "/plc/" + a.did)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct{ AlsoKnownAs []string }
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || len(doc.AlsoKnownAs) == 0 || doc.AlsoKnownAs[0] != "at://"+handle {
		t.Errorf("DID document after updateHandle: alsoKnownAs %v (%v); want at://%s", doc.AlsoKnownAs, err, handle)
	}
}

// importOwn imports the account's own repository (as exported by
// getRepo) and checks the #sync event: its CAR holds the new signed commit,
// which getLatestCommit reports, over the same tree.
func (lc *lifecycle) importOwn(ctx context.Context, a account) {
	t := lc.t
	t.Helper()
	before := latestCommit(t, lc.c, a.did)
	records := listAll(t, lc.c, a.did)
	car := lc.c.MustQuery(t, "com.atproto.sync.getRepo", url.Values{"did": {a.did}}, nil)
	r, err := lc.c.Do(ctx, http.MethodPost, "com.atproto.repo.importRepo", nil, a.access, "application/vnd.ipld.car", car)
	if err != nil || r.Status != http.StatusOK {
		t.Fatalf("importRepo: %v %s", err, r)
	}
	after := latestCommit(t, lc.c, a.did)
	s := lc.next("#sync").sync
	commit, root, err := irepo.LoadCommitFromCAR(ctx, bytes.NewReader(s.Blocks))
	if err != nil {
		t.Fatalf("#sync blocks: %v", err)
	}
	if s.Did != a.did || s.Rev != after.Rev || root.String() != after.CID || commit.Rev != after.Rev {
		t.Errorf("#sync: did %s rev %s commit %s (rev %s); getLatestCommit says %s rev %s", s.Did, s.Rev, root, commit.Rev, after.CID, after.Rev)
	}
	if after.Rev <= before.Rev {
		t.Errorf("the import's rev %s does not follow %s", after.Rev, before.Rev)
	}
	if n := carBlocks(t, s.Blocks); n != 1 {
		t.Errorf("#sync blocks hold %d blocks; want only the commit", n)
	}
	if got := listAll(t, lc.c, a.did); len(got) != len(records) {
		t.Errorf("the import of the same repository changed the records: %d before, %d after", len(records), len(got))
	}
}

// carBlocks counts the blocks of a CAR.
func carBlocks(t testing.TB, b []byte) int {
	t.Helper()
	cr, err := car.NewCarReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("read CAR: %v", err)
	}
	for n := 0; ; n++ {
		if _, err := cr.Next(); err == io.EOF {
			return n
		} else if err != nil {
			t.Fatalf("read CAR block %d: %v", n, err)
		}
	}
}
