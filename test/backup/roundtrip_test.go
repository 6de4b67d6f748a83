package backup

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// TestBackup_RoundTrip drives the command: an account with posts, images
// and a profile is backed up into an archive encrypted to an age
// recipient; the archive holds none of its plaintext; it verifies; the
// pod and its data are destroyed; the account is restored on another pod
// from the archive and the recovery phrase, every record and blob
// identical.
func TestBackup_RoundTrip(t *testing.T) {
	w := newWorld(t)
	dataA := filepath.Join(w.Tmp, "pod-a")
	a := w.Pod(dataA)
	acct := w.create(a, "alice")
	ca := podtest.NewClient(a)
	secret := "zebra-" + hex.EncodeToString(rnd(8)) // a text no one else writes
	blobs := map[string][]byte{}
	for i := range 12 {
		rec := post(i, secret)
		if i%4 == 0 {
			ref, b := uploadBlob(t, ca, acct.token, 5000+i*700)
			blobs[ref["ref"].(map[string]any)["$link"].(string)] = b
			rec = withImage(rec, ref)
		}
		ca.MustCall(t, "com.atproto.repo.createRecord", acct.token, map[string]any{"repo": acct.DID, "collection": "app.bsky.feed.post", "record": rec}, nil)
	}
	want := repoRecords(t, a, acct.DID)
	prefs := []any{map[string]any{"$type": "app.bsky.actor.defs#savedFeedsPrefV2", "items": []any{
		map[string]any{"id": "3l6", "type": "timeline", "value": "following-" + secret, "pinned": true}}}}
	ca.MustCall(t, "app.bsky.actor.putPreferences", acct.token, map[string]any{"preferences": prefs}, nil)
	wantPrefs := ca.MustQueryAs(t, "app.bsky.actor.getPreferences", acct.token)

	id, err := age.GenerateX25519Identity()
	must(t, err, "make an age identity")
	idFile := w.File("backup.key", id.String()+"\n")
	archive := filepath.Join(w.Tmp, "archive")
	var snap struct {
		Snapshot, DID string
		Created       bool `json:"createdArchive"`
		Records       int
		Blobs         []string
		Preferences   bool
		WrittenBytes  int64
	}
	cr := w.try("backup", "create", "--to", archive, "--did", acct.DID, "--pod", a.URL(""), "--recipient", id.Recipient().String(),
		"--login", acct.Handle, "--password-file", w.File("a.password", acct.password+"\n"), "--progress", "json")
	if cr.Code != 0 || json.Unmarshal([]byte(cr.Stdout), &snap) != nil {
		t.Fatalf("backup create: exit %d\nstdout: %s\nstderr: %s", cr.Code, cr.Stdout, cr.Stderr)
	}
	if !strings.Contains(cr.Stderr, `"phase":"blobs"`) || !strings.Contains(cr.Stderr, `"done":true`) || !strings.Contains(cr.Stderr, `"bytes_written":`) {
		t.Errorf("no JSON progress lines on stderr: %s", cr.Stderr)
	}
	if !snap.Created || snap.DID != acct.DID || snap.Records != len(want) || len(snap.Blobs) != len(blobs) || snap.WrittenBytes <= 0 {
		t.Fatalf("create: %+v; want %d records and %d blobs", snap, len(want), len(blobs))
	}
	t.Logf("snapshot %s: %d records, %d blobs, %d bytes, preferences saved: %t", snap.Snapshot, snap.Records, len(snap.Blobs), snap.WrittenBytes, snap.Preferences)

	t.Run("the archive holds no plaintext", func(t *testing.T) {
		needles := map[string][]byte{"a record's text": []byte(secret), "the DID": []byte(acct.DID), "the handle": []byte(acct.Handle)}
		for c, b := range blobs {
			needles["blob "+c] = b[:64]
			needles["the CID of blob "+c] = []byte(c)
		}
		n := grep(t, archive, needles)
		if n < 4 {
			t.Fatalf("searched only %d files", n)
		}
	})
	t.Run("verify", func(t *testing.T) {
		var v []struct{ Records, Blobs, Objects int }
		w.run(&v, "backup", "verify", "--from", archive, "--identity", idFile)
		if len(v) != 1 || v[0].Records != len(want) || v[0].Blobs != len(blobs) || v[0].Objects < 1+len(blobs) {
			t.Fatalf("verify: %+v", v)
		}
		if r := w.try("backup", "verify", "--from", archive, "--passphrase-file", w.File("wrong", "not it\n")); r.Code == 0 || !strings.Contains(r.Stderr, "does not open") {
			t.Fatalf("verify with a passphrase of an archive made for a recipient: exit %d, %s", r.Code, r.Stderr)
		}
	})

	t.Run("a second snapshot", func(t *testing.T) {
		ca.MustCall(t, "com.atproto.repo.createRecord", acct.token, map[string]any{"repo": acct.DID, "collection": "app.bsky.feed.post", "record": post(99, secret)}, nil)
		if r := w.try("backup", "create", "--to", archive, "--did", acct.DID, "--pod", a.URL(""), "--recipient", id.Recipient().String()); r.Code == 0 {
			t.Errorf("a second create named recipients again: they are fixed; exit 0")
		}
		var again struct {
			Records      int
			WrittenBytes int64
		}
		w.run(&again, "backup", "create", "--to", archive, "--did", acct.DID, "--pod", a.URL(""), "--identity", idFile,
			"--login", acct.Handle, "--password-file", w.File("a.password", acct.password+"\n"))
		if again.Records != len(want)+1 || again.WrittenBytes <= 0 || again.WrittenBytes*4 > snap.WrittenBytes {
			t.Errorf("second snapshot: %+v; the first wrote %d bytes", again, snap.WrittenBytes)
		}
		var list []struct{ Snapshot string }
		w.run(&list, "backup", "list", "--from", archive, "--identity", idFile)
		var v []struct{ Snapshot string }
		w.run(&v, "backup", "verify", "--all", "--from", archive, "--identity", idFile)
		if len(list) != 2 || list[0].Snapshot != snap.Snapshot || len(v) != 2 {
			t.Errorf("list %+v, verify --all %+v", list, v)
		}
		snap.Snapshot = list[len(list)-1].Snapshot
	})
	want = repoRecords(t, a, acct.DID)

	a.Stop()
	must(t, os.RemoveAll(dataA), "delete pod A's data")
	b := w.Pod(filepath.Join(w.Tmp, "pod-b"))
	var r struct {
		DID, Handle, Snapshot string
		Records, Blobs        int
	}
	w.run(&r, "backup", "restore", "--from", archive, "--identity", idFile, "--pod", b.URL(""), "--email", "alice@example.test",
		"--password-file", w.File("b.password", "new-password\n"), "--phrase-file", acct.phraseFile)
	if r.DID != acct.DID || r.Handle != acct.Handle || r.Records != len(want) || r.Blobs != len(blobs) || r.Snapshot != snap.Snapshot {
		t.Fatalf("restore: %+v", r)
	}
	if got := repoRecords(t, b, acct.DID); !maps.Equal(got, want) {
		t.Errorf("pod B holds %d records; pod A held %d (or their CIDs differ)", len(got), len(want))
	}
	cb := podtest.NewClient(b)
	for c, data := range blobs {
		got := cb.MustQuery(t, "com.atproto.sync.getBlob", url.Values{"did": {acct.DID}, "cid": {c}}, nil)
		if !bytes.Equal(got, data) {
			t.Errorf("blob %s differs after the restore", c)
		}
	}
	var sess struct{ AccessJwt string }
	cb.MustCall(t, "com.atproto.server.createSession", "", map[string]string{"identifier": acct.DID, "password": "new-password"}, &sess)
	if got := cb.MustQueryAs(t, "app.bsky.actor.getPreferences", sess.AccessJwt); !bytes.Equal(got, wantPrefs) {
		t.Errorf("preferences after the restore:\n%s\nwant\n%s", got, wantPrefs)
	}
	readWithOfficialClient(t, w, acct, b, want, blobs)
}

// grep fails the test if any file under dir contains a needle; it
// returns how many files it searched.
func grep(t *testing.T, dir string, needles map[string][]byte) int {
	t.Helper()
	n := 0
	must(t, filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		n++
		for what, needle := range needles {
			if bytes.Contains(b, needle) {
				t.Errorf("%s holds %s in clear", p, what)
			}
		}
		return nil
	}), "search the archive")
	return n
}

func rnd(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}
