package backup

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// scheduled is a pod taking scheduled backups of its accounts, and one
// account on it.
type scheduled struct {
	t             *testing.T
	w             *world
	p             *podtest.Pod
	c             *podtest.Client
	archive, pass string
	did, token    string
}

func newScheduled(t *testing.T, extra ...string) *scheduled {
	w := newWorld(t)
	s := &scheduled{t: t, w: w, archive: filepath.Join(w.Tmp, "archive"), pass: filepath.Join(w.Tmp, "archive.pass")}
	must(t, os.WriteFile(s.pass, []byte("the archive's long passphrase\n"), 0o600), "write the passphrase")
	addr := podtest.FreeAddr(t)
	args := append(podtest.ServeArgsPLC(filepath.Join(w.Tmp, "pod"), addr, w.Dir.URL),
		append([]string{"--backup-every", "1s", "--backup-to", s.archive, "--backup-passphrase-file", s.pass}, extra...)...)
	s.p = podtest.StartArgs(t, w.Bin, addr, args)
	t.Cleanup(s.p.Kill)
	s.c = podtest.NewClient(s.p)
	var acct struct{ DID, AccessJwt string }
	s.c.MustCall(t, "com.atproto.server.createAccount", "", map[string]string{"handle": "sched.test", "email": "s@example.test", "password": "password-sched"}, &acct)
	s.did, s.token = acct.DID, acct.AccessJwt
	return s
}

// write creates a record and returns the commit's rev and the record's key.
func (s *scheduled) write(record map[string]any) (rev, rkey string) {
	var out struct {
		URI    string
		Commit struct{ Rev string }
	}
	s.c.MustCall(s.t, "com.atproto.repo.createRecord", s.token, map[string]any{"repo": s.did, "collection": "app.example.note", "record": record}, &out)
	return out.Commit.Rev, filepath.Base(out.URI)
}

type listed struct{ DID, Rev string }

func (s *scheduled) list() []listed {
	r, err := podtest.Run(ctx, s.w.Bin, nil, "backup", "list", "--from", s.archive, "--passphrase-file", s.pass, "--json")
	if err != nil || r.Code != 0 {
		return nil // the archive may not exist yet
	}
	var out []listed
	must(s.t, json.Unmarshal([]byte(r.Stdout), &out), "decode backup list --json")
	return out
}

// waitForRev waits until the newest snapshot is of the account at rev and
// returns the snapshots.
func (s *scheduled) waitForRev(rev string) []listed {
	s.t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if l := s.list(); len(l) > 0 && l[len(l)-1].DID == s.did && l[len(l)-1].Rev == rev {
			return l
		}
	}
	s.t.Fatalf("no snapshot of %s at rev %s within 30 s: %+v\n%s", s.did, rev, s.list(), s.p.Logs)
	return nil
}

func (s *scheduled) verifyAll() {
	s.t.Helper()
	r, err := podtest.Run(ctx, s.w.Bin, nil, "backup", "verify", "--all", "--from", s.archive, "--passphrase-file", s.pass, "--plc", s.w.Dir.URL)
	if err != nil || r.Code != 0 {
		s.t.Fatalf("backup verify --all: %v exit %d\n%s\n%s", err, r.Code, r.Stdout, r.Stderr)
	}
}

// TestScheduledBackups: rhizome serve --backup-every snapshots every
// active account into one encrypted archive, again only when an account
// changed, and the archive verifies.
func TestScheduledBackups(t *testing.T) {
	s := newScheduled(t)
	rev, _ := s.write(map[string]any{"text": "first"})
	n1 := len(s.waitForRev(rev))
	time.Sleep(3 * time.Second) // three rounds with nothing new
	if n := len(s.list()); n != n1 {
		t.Errorf("an unchanged account was snapshotted again: %d snapshots, then %d", n1, n)
	}
	rev, _ = s.write(map[string]any{"text": "second"})
	if n2 := len(s.waitForRev(rev)); n2 != n1+1 {
		t.Errorf("after one write: %d snapshots, want %d", n2, n1+1)
	}
	s.verifyAll()
}

// TestScheduledBackups_Keep: with --backup-keep 1 each round prunes the
// older snapshot and what only it needed (here, a blob whose record was
// deleted): the archive shrinks and still verifies.
func TestScheduledBackups_Keep(t *testing.T) {
	s := newScheduled(t, "--backup-keep", "1")
	blob, data := uploadBlob(t, s.c, s.token, 200_000)
	rev, rkey := s.write(map[string]any{"text": "with a picture", "embed": map[string]any{"$type": "app.example.image", "image": blob}})
	if l := s.waitForRev(rev); len(l) != 1 {
		t.Fatalf("snapshots %+v, want one", l)
	}
	before := dirSize(t, s.archive)
	var out struct{ Commit struct{ Rev string } }
	s.c.MustCall(t, "com.atproto.repo.deleteRecord", s.token, map[string]any{"repo": s.did, "collection": "app.example.note", "rkey": rkey}, &out)
	if l := s.waitForRev(out.Commit.Rev); len(l) != 1 {
		t.Fatalf("after pruning: snapshots %+v, want only the newest", l)
	}
	if after := dirSize(t, s.archive); after > before-int64(len(data)) {
		t.Errorf("the archive holds %d bytes after pruning, %d before: the deleted record's %d-byte blob was not swept", after, before, len(data))
	}
	s.verifyAll()
}
