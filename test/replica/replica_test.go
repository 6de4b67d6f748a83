package replica

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/mem"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/syntax"
	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// TestReplica_Failover is the whole story: follow, survive a replica
// crash, lose the primary, promote, and use the promoted account with the
// official client.
func TestReplica_Failover(t *testing.T) {
	w := newWorld(t)
	a, b := w.pod(), w.pod()
	ca, cb := podtest.NewClient(a.Pod), podtest.NewClient(b.Pod)
	acct := w.create(a, "alice")
	l := newLedger()
	wr := &writer{t: t, c: ca, a: acct, l: l}
	var first []string
	for i := 0; i < 20; i++ {
		p, _ := wr.create()
		first = append(first, p)
	}
	wr.blobPost()

	t.Run("add copies the repository and blobs", func(t *testing.T) {
		r := w.replicate(b, "add", acct.DID, "--from", a.URL(""), "--json")
		if r.Code != 0 {
			t.Fatalf("replicate add: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
		sameAsPrimary(t, w, ca, cb, acct.DID, l)
	})

	t.Run("follows creates, updates, deletes, batches and blobs", func(t *testing.T) {
		for _, p := range first[:5] {
			wr.update(p)
		}
		for _, p := range first[5:8] {
			wr.delete(p)
		}
		wr.batch(10, first[8:10], first[10:12])
		wr.batch(50, nil, nil)
		wr.blobPost()
		for i := 0; i < 30; i++ {
			wr.create()
		}
		waitRev(t, cb, acct.DID, l.lastRev, 30*time.Second)
		sameAsPrimary(t, w, ca, cb, acct.DID, l)
		r := w.replicate(b, "list", "--json")
		var list struct {
			Replicas []struct {
				DID, Primary, Rev, Error string
				LagMs                    int64
			}
		}
		if r.Code != 0 || json.Unmarshal([]byte(r.Stdout), &list) != nil || len(list.Replicas) != 1 {
			t.Fatalf("replicate list: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
		if got := list.Replicas[0]; got.DID != acct.DID || got.Primary != a.URL("") || got.Rev != l.lastRev || got.Error != "" {
			t.Fatalf("replicate list says %+v; want %s from %s at %s", got, acct.DID, a.URL(""), l.lastRev)
		}
	})

	t.Run("a replica killed mid-stream catches up from its cursor", func(t *testing.T) {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var during atomic.Int64
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if i%10 == 9 {
					wr.batch(5, nil, nil)
				} else {
					wr.create()
				}
				during.Add(1)
			}
		}()
		time.Sleep(700 * time.Millisecond)
		b.Kill()
		before := during.Load()
		time.Sleep(700 * time.Millisecond)
		b.start()
		time.Sleep(700 * time.Millisecond)
		close(stop)
		wg.Wait()
		if during.Load()-before < 5 {
			t.Fatalf("only %d writes happened while the replica was down; the test proves nothing", during.Load()-before)
		}
		waitRev(t, cb, acct.DID, l.lastRev, 30*time.Second)
		sameAsPrimary(t, w, ca, cb, acct.DID, l)
		if logs := b.Logs.String(); strings.Contains(logs, "repository fetched from the primary") {
			t.Fatalf("the restarted replica fetched the whole repository instead of resuming from its cursor:\n%s", logs)
		}
	})

	t.Run("a replica refuses writes", func(t *testing.T) {
		r, _ := cb.Post(context.Background(), "com.atproto.server.createSession", "", map[string]string{"identifier": acct.DID, "password": acct.password})
		if r.OK() || r.ErrName() != "RepoReadOnlyReplica" {
			t.Fatalf("createSession on the replica: %s; want RepoReadOnlyReplica", r)
		}
		r, _ = cb.Post(context.Background(), "com.atproto.repo.createRecord", acct.token,
			map[string]any{"repo": acct.DID, "collection": "app.bsky.feed.post", "record": post("to the replica")})
		if r.OK() {
			t.Fatalf("createRecord on the replica with the primary's token succeeded: %s", r)
		}
	})

	want := l.snapshot()
	a.Kill()

	t.Run("promote without the user's key is refused", func(t *testing.T) {
		other := w.File("mallory.phrase", strings.Repeat("abandon ", 23)+"art\n")
		r := w.replicate(b, "promote", acct.DID, "--phrase-file", other, "--password-file", acct.passFile, "--plc", w.Dir.URL)
		if r.Code == 0 {
			t.Fatalf("promote with another key succeeded:\n%s", r.Stdout)
		}
		var st struct{ Status string }
		podtest.NewClient(b.Pod).MustQuery(t, "com.atproto.sync.getRepoStatus", url.Values{"did": {acct.DID}}, &st)
		if st.Status != "replica" {
			t.Fatalf("after a refused promotion the account is %q; want replica", st.Status)
		}
		r2, _ := cb.Post(context.Background(), "dev.rhizome.admin.promoteReplica", "", map[string]string{"did": acct.DID, "password": "whatever-password"})
		if r2.OK() {
			t.Fatalf("promoteReplica without auth succeeded")
		}
	})

	t.Run("promote with the user's key", func(t *testing.T) {
		r := w.replicate(b, "promote", acct.DID, "--phrase-file", acct.phraseFile, "--password-file", acct.passFile, "--plc", w.Dir.URL, "--json")
		if r.Code != 0 {
			t.Fatalf("replicate promote: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
		d, err := w.Dir.Client().Data(context.Background(), syntax.DID(acct.DID))
		if err != nil {
			t.Fatal(err)
		}
		if pds, _ := d.PDS(); strings.TrimSuffix(pds, "/") != b.URL("") {
			t.Fatalf("the DID names %s as its PDS; want %s", pds, b.URL(""))
		}
		if got := listAll(t, cb, acct.DID); !sameMap(got, want) {
			t.Fatalf("the promoted account has %d records; the primary acknowledged %d", len(got), len(want))
		}
		checkGoLive(t, b, acct.DID)
	})

	t.Run("the official client reads every acknowledged write and writes", func(t *testing.T) {
		readAndWrite(t, w, acct, want, l.blobs)
	})
}

// sameAsPrimary checks that the replica holds the primary's head commit
// (the same signed block), the same records by CID as the ledger, every
// blob, and that its repository verifies against the DID's key.
func sameAsPrimary(t *testing.T, w *world, ca, cb *podtest.Client, did string, l *ledger) {
	t.Helper()
	ac, ar, _ := head(ca, did)
	bc, br, ok := head(cb, did)
	if !ok || ac != bc || ar != br {
		t.Fatalf("the replica's head is %s@%s; the primary's %s@%s", bc, br, ac, ar)
	}
	want := l.snapshot()
	if got := listAll(t, cb, did); !sameMap(got, want) {
		t.Fatalf("the replica has %d records, the primary acknowledged %d (differences: %v)", len(got), len(want), diff(got, want))
	}
	if got := listAll(t, ca, did); !sameMap(got, want) {
		t.Fatalf("the primary itself has %d records; the ledger %d", len(got), len(want))
	}
	l.mu.Lock()
	blobs := l.blobs
	l.mu.Unlock()
	for c, data := range blobs {
		got := cb.MustQuery(t, "com.atproto.sync.getBlob", url.Values{"did": {did}, "cid": {c}}, nil)
		if !bytes.Equal(got, data) {
			t.Fatalf("blob %s on the replica differs", c)
		}
	}
	verifyRepo(t, w, cb, did, bc)
}

// verifyRepo fetches the replica's repository and verifies it: every
// block's hash, the tree, and the commit signed by the DID's key.
func verifyRepo(t *testing.T, w *world, c *podtest.Client, did, commit string) {
	t.Helper()
	d, err := w.Dir.Client().Data(context.Background(), syntax.DID(did))
	if err != nil {
		t.Fatal(err)
	}
	key, err := d.SigningKey()
	if err != nil {
		t.Fatal(err)
	}
	car := c.MustQuery(t, "com.atproto.sync.getRepo", url.Values{"did": {did}}, nil)
	r, _, err := repo.ReadCAR(context.Background(), bytes.NewReader(car), mem.NewBlocks(), repo.ImportOptions{DID: syntax.DID(did), Key: key})
	if err != nil {
		t.Fatalf("the replica's repository does not verify: %v", err)
	}
	if _, h := r.Head(); h.String() != commit {
		t.Fatalf("getRepo's commit is %s; getLatestCommit said %s", h, commit)
	}
}

func didOf(a account) syntax.DID { return syntax.DID(a.DID) }

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func diff(got, want map[string]string) []string {
	var out []string
	for k, v := range want {
		if got[k] != v {
			out = append(out, "want "+k+"="+v+" got "+got[k])
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			out = append(out, "extra "+k)
		}
	}
	if len(out) > 5 {
		out = out[:5]
	}
	return out
}
