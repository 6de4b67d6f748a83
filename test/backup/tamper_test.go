package backup

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rhizome-pds/rhizome/backup"
	"github.com/rhizome-pds/rhizome/custody"
	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// TestArchive_Tampered changes one object of an archive in each way an
// attacker or a failing disk could; verify and restore must fail naming
// the object, and the pod restored to and the DID must stay unchanged.
// The untouched archive then restores, so the failures are the tamper's.
func TestArchive_Tampered(t *testing.T) {
	w := newWorld(t)
	a := w.Pod(filepath.Join(w.Tmp, "pod-a"))
	b := w.Pod(filepath.Join(w.Tmp, "pod-b"))
	acct := w.create(a, "bob")
	ca := podtest.NewClient(a)
	for i := range 30 {
		rec := post(i, "tamper")
		if i%10 == 0 {
			ref, _ := uploadBlob(t, ca, acct.token, 100_000) // two age chunks
			rec = withImage(rec, ref)
		}
		ca.MustCall(t, "com.atproto.repo.createRecord", acct.token, map[string]any{"repo": acct.DID, "collection": "app.bsky.feed.post", "record": rec}, nil)
	}
	pass := []byte("correct horse battery staple")
	acc, err := backup.Passphrase(pass)
	must(t, err, "passphrase")
	good := filepath.Join(w.Tmp, "archive")
	ar, err := backup.Create(ctx, backup.Dir(good), acc)
	must(t, err, "create the archive")
	snap, err := ar.Backup(ctx, backup.CreateInput{Pod: &custody.Pod{URL: a.URL("")}, DID: didOf(acct), Tool: w.tool()})
	must(t, err, "back up")
	if len(snap.Packs) != 1 || len(snap.Blobs) != 3 {
		t.Fatalf("snapshot: %d packs, %d blobs", len(snap.Packs), len(snap.Blobs))
	}
	pack, blob := snap.Packs[0].Object, snap.Blobs[1].Object
	before := pdsOf(t, w, acct)

	cases := []struct {
		name, object string
		tamper       func(path string) error
		want         string
	}{
		{"one byte of a pack flipped", pack, flipAt(0.5), "fails authentication"},
		{"one byte of a blob's header flipped", blob, flipByte(40), "does not decrypt"},
		{"a blob cut short", blob, func(p string) error { return truncate(p, 0.6) }, "fails authentication"},
		{"a pack's last chunk dropped", pack, func(p string) error { return truncate(p, 0.999) }, "fails authentication"},
		{"a blob missing", blob, os.Remove, "missing"},
		{"a blob swapped for the pack", blob, func(p string) error { return copyFile(filepath.Join(good, pack), p) }, "another name"},
		{"the manifest flipped", snap.ID, flipAt(0.7), snap.ID},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "archive")
			must(t, os.CopyFS(dir, os.DirFS(good)), "copy the archive")
			must(t, c.tamper(filepath.Join(dir, c.object)), "tamper")
			bad, err := backup.Open(ctx, backup.Dir(dir), acc)
			must(t, err, "open the tampered archive")
			_, verr := verifyLatest(bad)
			if verr == nil || !strings.Contains(verr.Error(), c.object) || !strings.Contains(verr.Error(), c.want) {
				t.Fatalf("verify: %v; want an error naming %s and saying %q", verr, c.object, c.want)
			}
			t.Logf("verify: %v", verr)
			_, rerr := restore(t, w, bad, acct, b)
			if rerr == nil || !strings.Contains(rerr.Error(), c.object) {
				t.Fatalf("restore: %v; want an error naming %s", rerr, c.object)
			}
			if st := repoStatus(t, b, acct.DID); st != "RepoNotFound" {
				t.Errorf("pod B after the failed restore: %s; want RepoNotFound", st)
			}
			if now := pdsOf(t, w, acct); now != before {
				t.Errorf("the DID names %s after the failed restore; it named %s", now, before)
			}
		})
	}
	t.Run("the untouched archive restores", func(t *testing.T) {
		res, err := restore(t, w, ar, acct, b)
		must(t, err, "restore the untouched archive")
		if res.Session.DID != acct.DID || pdsOf(t, w, acct) != b.URL("") {
			t.Fatalf("restored %+v; the DID names %s", res.Session, pdsOf(t, w, acct))
		}
	})
}

func verifyLatest(a *backup.Archive) (*backup.Verified, error) {
	s, err := a.Find(ctx, "", "")
	if err != nil {
		return nil, err
	}
	return a.Verify(ctx, s, nil)
}

// restore restores a's latest snapshot onto p. A snapshot that cannot be
// found (a tampered manifest) is an error like any other.
func restore(t *testing.T, w *world, a *backup.Archive, acct *account, p *podtest.Pod) (*backup.Restored, error) {
	s, err := a.Find(ctx, "", didOf(acct))
	if err != nil {
		return nil, err
	}
	in := custody.RestoreInput{Pod: &custody.Pod{URL: p.URL("")}, Email: "x@example.test", Password: "new-password"}
	return a.Restore(ctx, w.tool(), s, in, acct.signer(t), nil)
}

func pdsOf(t *testing.T, w *world, acct *account) string {
	t.Helper()
	d, err := w.Dir.Client().VerifiedData(ctx, didOf(acct))
	must(t, err, "resolve %s", acct.DID)
	p, _ := d.PDS()
	return p
}

// flipAt flips one bit of the byte at fraction f of the file.
func flipAt(f float64) func(string) error {
	return func(p string) error {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		b[int(float64(len(b)-1)*f)] ^= 0x01
		return os.WriteFile(p, b, 0o600)
	}
}

// flipByte flips one bit of byte i.
func flipByte(i int) func(string) error {
	return func(p string) error {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		b[i] ^= 0x01
		return os.WriteFile(p, b, 0o600)
	}
}

func truncate(p string, f float64) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	return os.Truncate(p, int64(float64(fi.Size())*f))
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o600)
}
