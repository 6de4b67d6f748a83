package backup

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// TestScheduledBackups: rhizome serve --backup-every snapshots every
// active account into one encrypted archive, again only when an account
// changed, and the archive verifies.
func TestScheduledBackups(t *testing.T) {
	w := newWorld(t)
	archive, pass := filepath.Join(w.tmp, "archive"), filepath.Join(w.tmp, "archive.pass")
	if err := os.WriteFile(pass, []byte("the archive's long passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := podtest.FreeAddr(t)
	args := append(podtest.ServeArgsPLC(filepath.Join(w.tmp, "pod"), addr, w.dir.URL),
		"--backup-every", "1s", "--backup-to", archive, "--backup-passphrase-file", pass)
	p := podtest.StartArgs(t, w.bin, addr, args)
	defer p.Kill()
	c := podtest.NewClient(p)
	var acct struct{ DID, AccessJwt string }
	c.MustCall(t, "com.atproto.server.createAccount", "", map[string]string{"handle": "sched.test", "email": "s@example.test", "password": "password-sched"}, &acct)
	write := func(text string) string {
		var out struct{ Commit struct{ Rev string } }
		c.MustCall(t, "com.atproto.repo.createRecord", acct.AccessJwt, map[string]any{"repo": acct.DID, "collection": "app.example.note", "record": map[string]any{"text": text}}, &out)
		return out.Commit.Rev
	}
	list := func() []struct{ DID, Rev string } {
		r, err := podtest.Run(ctx, w.bin, nil, "backup", "list", "--from", archive, "--passphrase-file", pass, "--json")
		var out []struct{ DID, Rev string }
		if err != nil || r.Code != 0 {
			return nil // the archive may not exist yet
		}
		if err := json.Unmarshal([]byte(r.Stdout), &out); err != nil {
			t.Fatalf("backup list --json: %v\n%s", err, r.Stdout)
		}
		return out
	}
	waitForRev := func(rev string) int {
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			snaps := list()
			if n := len(snaps); n > 0 && snaps[n-1].DID == acct.DID && snaps[n-1].Rev == rev {
				return n
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Fatalf("no snapshot of %s at rev %s within 30 s: %+v\n%s", acct.DID, rev, list(), p.Logs)
		return 0
	}
	n1 := waitForRev(write("first"))
	time.Sleep(3 * time.Second) // three rounds with nothing new
	if n := len(list()); n != n1 {
		t.Errorf("an unchanged account was snapshotted again: %d snapshots, then %d", n1, n)
	}
	n2 := waitForRev(write("second"))
	if n2 != n1+1 {
		t.Errorf("after one write: %d snapshots, want %d", n2, n1+1)
	}
	r, err := podtest.Run(ctx, w.bin, nil, "backup", "verify", "--all", "--from", archive, "--passphrase-file", pass, "--plc", w.dir.URL)
	if err != nil || r.Code != 0 {
		t.Fatalf("backup verify --all: %v exit %d\n%s\n%s", err, r.Code, r.Stdout, r.Stderr)
	}
}
