package backup

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// TestBackup_WholePod: `backup create --all` snapshots every active
// account of a pod into one archive, skips deactivated ones, and a second
// run writes only what changed.
func TestBackup_WholePod(t *testing.T) {
	w := newWorld(t)
	p := w.Pod(filepath.Join(w.Tmp, "pod"))
	c := podtest.NewClient(p)
	alice, bob, carol := w.create(p, "alice"), w.create(p, "bob"), w.create(p, "carol")
	for i, a := range []*account{alice, bob, carol} {
		c.MustCall(t, "com.atproto.repo.createRecord", a.token, map[string]any{"repo": a.DID, "collection": "app.bsky.feed.post", "record": post(i, "whole pod")}, nil)
	}
	c.MustCall(t, "com.atproto.server.deactivateAccount", carol.token, map[string]any{}, nil)
	archive := filepath.Join(w.Tmp, "archive")
	pass := w.File("archive.pass", "the whole pod's archive passphrase\n")
	type snap struct {
		DID          string
		Records      int
		WrittenBytes int64
	}
	var first []snap
	w.run(&first, "backup", "create", "--all", "--to", archive, "--pod", p.URL(""), "--passphrase-file", pass)
	dids := []string{}
	for _, s := range first {
		dids = append(dids, s.DID)
	}
	slices.Sort(dids)
	want := []string{alice.DID, bob.DID}
	slices.Sort(want)
	if !slices.Equal(dids, want) {
		t.Fatalf("snapshots of %v, want the two active accounts %v (not the deactivated %s)", dids, want, carol.DID)
	}
	c.MustCall(t, "com.atproto.repo.createRecord", bob.token, map[string]any{"repo": bob.DID, "collection": "app.bsky.feed.post", "record": post(9, "again")}, nil)
	var second []snap
	w.run(&second, "backup", "create", "--all", "--to", archive, "--pod", p.URL(""), "--passphrase-file", pass)
	for _, s := range second {
		if s.DID == alice.DID && s.WrittenBytes > 2048 {
			t.Errorf("alice did not change, yet her second snapshot wrote %d bytes", s.WrittenBytes)
		}
		if s.DID == bob.DID && s.Records != 2 {
			t.Errorf("bob's second snapshot holds %d records, want 2", s.Records)
		}
	}
	var v []struct{ Snapshot string }
	w.run(&v, "backup", "verify", "--all", "--from", archive, "--passphrase-file", pass)
	if len(v) != 4 {
		t.Errorf("verify --all checked %d snapshots, want 4", len(v))
	}
}
