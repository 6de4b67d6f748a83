package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/car"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/store/sqlite"
	"github.com/rhizome-pds/rhizome/syntax"
	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

func TestMain(m *testing.M) { podtest.Main(m) }

func TestSweep_UpgradedDatabase(t *testing.T) {
	bin, dir := podtest.Binary(t), t.TempDir()
	pod := podtest.Start(t, bin, dir, podtest.FreeAddr(t))
	if _, err := os.Stat(filepath.Join(dir, "blocks-swept")); err != nil {
		t.Fatalf("a new pod has no sweep marker: %v", err)
	}
	c := podtest.NewClient(pod)
	var acct struct{ DID, AccessJwt string }
	c.MustCall(t, "com.atproto.server.createAccount", "", map[string]string{
		"handle": "alice.test", "email": "alice@example.test", "password": "password-alice"}, &acct)
	for i := range 5 {
		c.MustCall(t, "com.atproto.repo.createRecord", acct.AccessJwt, map[string]any{"repo": acct.DID,
			"collection": "app.bsky.feed.post", "record": map[string]any{"$type": "app.bsky.feed.post",
				"text": "post " + string(rune('a'+i)), "createdAt": "2026-01-02T03:04:05.000Z"}}, nil)
	}
	pod.Stop()

	stray := putStray(t, filepath.Join(dir, "rhizome.db"), syntax.DID(acct.DID))
	if err := os.Remove(filepath.Join(dir, "blocks-swept")); err != nil {
		t.Fatal(err)
	}
	pod = podtest.Start(t, bin, dir, pod.Addr)
	defer pod.Stop()
	c = podtest.NewClient(pod)
	deadline := time.Now().Add(20 * time.Second)
	for exported(t, c, acct.DID)[stray] {
		if time.Now().After(deadline) {
			t.Fatalf("getRepo still sends the stray block %s after 20 s\n%s", stray, pod.Logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	waitFile(t, filepath.Join(dir, "blocks-swept"))
	if n := len(exported(t, c, acct.DID)); n < 7 { // commit, the tree, 5 posts
		t.Fatalf("the swept repository exports %d blocks", n)
	}
	var list struct{ Records []json.RawMessage }
	c.MustQuery(t, "com.atproto.repo.listRecords", url.Values{"repo": {acct.DID}, "collection": {"app.bsky.feed.post"}}, &list)
	if len(list.Records) != 5 {
		t.Fatalf("%d posts after the sweep, want 5", len(list.Records))
	}
}

// putStray stores, under the repository's current head, a block no head
// reaches, as a database from before block collection holds them.
func putStray(t *testing.T, path string, did syntax.DID) cid.CID {
	t.Helper()
	st, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	b, err := data.MarshalCBOR(map[string]any{"$type": "app.bsky.feed.post", "text": "deleted before blocks were collected", "createdAt": "2025-01-02T03:04:05.000Z"})
	if err != nil {
		t.Fatal(err)
	}
	stray := rhizome.Block{CID: cid.Sum(cid.DagCBOR, b), Data: b}
	ctx := context.Background()
	h, err := st.Head(ctx, did)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ApplyCommit(ctx, store.Commit{Prev: h.Commit, Head: h, Blocks: []rhizome.Block{stray}}); err != nil {
		t.Fatal(err)
	}
	return stray.CID
}

// exported is the set of CIDs in the repository's getRepo CAR.
func exported(t *testing.T, c *podtest.Client, did string) map[cid.CID]bool {
	t.Helper()
	r, err := c.Query(context.Background(), "com.atproto.sync.getRepo", url.Values{"did": {did}})
	if err != nil || r.Status != http.StatusOK {
		t.Fatalf("getRepo: %v %s", err, r)
	}
	out := map[cid.CID]bool{}
	if _, err := car.ReadAll(bytes.NewReader(r.Body), func(k cid.CID, _ []byte) error { out[k] = true; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func waitFile(t *testing.T, path string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
	}
	t.Fatalf("%s was not written", path)
}
