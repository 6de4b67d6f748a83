package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/auth"
	"github.com/rhizome-pds/rhizome/blobstore/disk"
	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/lexicon"
	"github.com/rhizome-pds/rhizome/pds"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/store/sqlite"
	"github.com/rhizome-pds/rhizome/syntax"
)

// srcPod is a pod's data folder with a PDS over it (SQLite, disk blobs,
// the embedded PLC directory), filled with the test's data.
type srcPod struct {
	dir  string
	st   store.Store
	pds  *pds.PDS
	dids []syntax.DID
}

// newPodDir assembles a PDS in dir, as rhizome serve does.
func newPodDir(t *testing.T, dir string) *srcPod {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(dir, "rhizome.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	blobs, err := disk.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	kr, err := keys.LoadOrCreateKeyring(filepath.Join(dir, "keyring.key"))
	if err != nil {
		t.Fatal(err)
	}
	rot, _ := keys.Generate(keys.K256)
	cfg := &serveConfig{plcURL: "embedded", publicURL: "http://127.0.0.1:1"}
	ids, _, err := newIdentities(cfg, st, rot)
	if err != nil {
		t.Fatal(err)
	}
	cat, _ := lexicon.Embedded()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := pds.New(pds.Config{PublicURL: cfg.publicURL, Logger: quiet}, pds.Deps{Store: st, Blobs: blobs, Keyring: kr,
		Identities: ids, Schemas: cat, Secret: auth.NewSecret()})
	if err != nil {
		t.Fatal(err)
	}
	return &srcPod{dir: dir, st: st, pds: p}
}

// fill creates accounts, each with records (some referencing a blob),
// an app password and a session, plus an invite code.
func (s *srcPod) fill(t *testing.T, accounts, records int) {
	t.Helper()
	ctx := context.Background()
	for i := range accounts {
		sess, err := s.pds.CreateAccount(ctx, pds.NewAccount{Handle: syntax.Handle(fmt.Sprintf("user%d.test", i)),
			Email: fmt.Sprintf("u%d@example.com", i), Password: "password-1234"})
		if err != nil {
			t.Fatal(err)
		}
		did := sess.Account.DID
		s.dids = append(s.dids, did)
		if _, _, err := s.pds.CreateAppPassword(ctx, did, "phone", false); err != nil {
			t.Fatal(err)
		}
		s.setPrefs(t, did, i)
		s.write(t, did, 0, records)
	}
	if err := s.st.CreateInvite(ctx, store.Invite{Code: "invite-1", Available: 2, CreatedBy: "admin", UsedBy: []syntax.DID{s.dids[0]}}); err != nil {
		t.Fatal(err)
	}
}

// setPrefs gives an account two preferences carrying n.
func (s *srcPod) setPrefs(t *testing.T, did syntax.DID, n int) {
	t.Helper()
	var prefs []store.Preference
	for _, typ := range []string{"app.bsky.actor.defs#adultContentPref", "app.bsky.actor.defs#savedFeedsPrefV2"} {
		prefs = append(prefs, store.Preference{Type: typ, Value: []byte(fmt.Sprintf(`{"$type":%q,"n":%d}`, typ, n))})
	}
	if err := s.st.PutPreferences(context.Background(), did, prefs); err != nil {
		t.Fatal(err)
	}
}

// write adds records from..to-1 to an account; every tenth references a
// blob of its own.
func (s *srcPod) write(t *testing.T, did syntax.DID, from, to int) {
	t.Helper()
	ctx := context.Background()
	for i := from; i < to; i++ {
		text := fmt.Sprintf(`{"$type":"com.example.note","text":"note %d"}`, i)
		if i%10 == 0 {
			b, err := s.pds.UploadBlob(ctx, did, "image/png", strings.NewReader(strings.Repeat(fmt.Sprint(i), 3000)))
			if err != nil {
				t.Fatal(err)
			}
			text = fmt.Sprintf(`{"$type":"com.example.note","text":"note %d","image":{"$type":"blob","ref":{"$link":"%s"},"mimeType":"image/png","size":%d}}`,
				i, b.Ref, b.Size)
		}
		v, err := data.DecodeRecordJSON([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		w := pds.Write{Collection: "com.example.note", RKey: syntax.RecordKey(fmt.Sprintf("n%05d", i)), Value: v}
		if _, _, err := s.pds.CreateRecord(ctx, did, w, pds.ValidateAuto, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// copyTo runs a copy from the pod into target (a folder for SQLite and
// disk), returning the counts; st, if set, stands in for the target store.
func (s *srcPod) copyTo(t *testing.T, target string, st store.Store) (copyCounts, error) {
	t.Helper()
	from, err := sqlite.Open(filepath.Join(s.dir, "rhizome.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer from.Close()
	if st == nil {
		to, err := sqlite.Open(filepath.Join(target, "rhizome.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer to.Close()
		st = to
	}
	kr, err := openKeyring(s.dir)
	if err != nil {
		t.Fatal(err)
	}
	bfrom, _ := disk.Open(filepath.Join(s.dir, "blobs"))
	bto, _ := disk.Open(filepath.Join(target, "blobs"))
	c := &copier{from: from, to: st, bfrom: bfrom, bto: bto, keyring: kr, keyringPath: s.dir,
		prog: newProgress(io.Discard, progressNone), chunkBlocks: 40, chunkBytes: 1 << 20}
	err = c.run(context.Background())
	return c.prog.counts(), err
}

func TestCopier_Run(t *testing.T) {
	src := newPodDir(t, t.TempDir())
	src.fill(t, 3, 60)
	target := t.TempDir()
	first, err := src.copyTo(t, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("copies everything and verifies it", func(t *testing.T) {
		if first.VerifiedRepos != 3 || first.Records != 180 || first.Blobs != 18 || first.VerifiedBlobs != 18 ||
			first.Sessions < 3 || first.Invites != 1 || first.PLCOps < 3 || first.Events == 0 || first.EventSeqShift != 0 {
			t.Fatalf("counts %+v", first)
		}
		sameStores(t, src.st, filepath.Join(target, "rhizome.db"), src.dids)
	})
	t.Run("a second run writes nothing", func(t *testing.T) {
		again, err := src.copyTo(t, target, nil)
		if err != nil {
			t.Fatal(err)
		}
		if again.Records != 0 || again.Blocks != 0 || again.Blobs != 0 || again.Events != 0 || again.PLCOps != 0 ||
			again.Sessions != 0 || again.VerifiedRepos != 3 || again.VerifiedBlobs != 18 || again.Skipped == 0 {
			t.Fatalf("second run: %+v", again)
		}
	})
	t.Run("a source that moved on is copied again", func(t *testing.T) {
		src.write(t, src.dids[1], 60, 75)
		src.setPrefs(t, src.dids[2], 99)
		again, err := src.copyTo(t, target, nil)
		if err != nil {
			t.Fatal(err)
		}
		if again.Records != 75 || again.Blobs != 2 || again.Events != 15 {
			t.Fatalf("after 15 more records: %+v", again)
		}
		sameStores(t, src.st, filepath.Join(target, "rhizome.db"), src.dids)
	})
	t.Run("a target ahead of the source is refused", func(t *testing.T) {
		key, err := os.ReadFile(filepath.Join(src.dir, "keyring.key"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(target, "keyring.key"), key, 0o600); err != nil {
			t.Fatal(err)
		}
		dst := newPodDir(t, target) // a pod started on the target too early
		if _, _, err := dst.pds.CreateRecord(context.Background(), src.dids[2], pds.Write{Collection: "com.example.note",
			RKey: "ahead", Value: map[string]any{"$type": "com.example.note", "text": "x"}}, pds.ValidateAuto, nil); err != nil {
			t.Fatal(err)
		}
		_, err = src.copyTo(t, target, dst.st)
		if !rhizome.Is(err, rhizome.Conflict) || !strings.Contains(err.Error(), "not behind") {
			t.Fatalf("copy onto a target ahead: %v, want a refusal", err)
		}
	})
}

// sameStores checks that the target at path holds the source's heads,
// records and blobs metadata for the accounts.
func sameStores(t *testing.T, src store.Store, path string, dids []syntax.DID) {
	t.Helper()
	ctx := context.Background()
	dst, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	for _, did := range dids {
		sh, err1 := src.Head(ctx, did)
		dh, err2 := dst.Head(ctx, did)
		if err1 != nil || err2 != nil || sh != dh {
			t.Fatalf("%s: heads %v (%v) and %v (%v)", did, sh, err1, dh, err2)
		}
		srecs, _ := src.ListRecords(ctx, did, "com.example.note", store.Page{Limit: 1000})
		drecs, _ := dst.ListRecords(ctx, did, "com.example.note", store.Page{Limit: 1000})
		if len(srecs) != len(drecs) || len(srecs) == 0 {
			t.Fatalf("%s: %d records on the target, %d on the source", did, len(drecs), len(srecs))
		}
		for i := range srecs {
			if srecs[i].CID != drecs[i].CID || !bytes.Equal(srecs[i].Value, drecs[i].Value) {
				t.Fatalf("%s: record %s differs", did, srecs[i].RKey)
			}
		}
		sp, err1 := src.Preferences(ctx, did)
		dp, err2 := dst.Preferences(ctx, did)
		if err1 != nil || err2 != nil || len(sp) == 0 || fmt.Sprint(sp) != fmt.Sprint(dp) {
			t.Fatalf("%s: preferences %s (%v) on the source, %s (%v) on the target", did, sp, err1, dp, err2)
		}
		sb, _ := src.ListBlobs(ctx, did, "", store.Page{Limit: 1000})
		db, _ := dst.ListBlobs(ctx, did, "", store.Page{Limit: 1000})
		if len(sb) != len(db) || len(sb) == 0 {
			t.Fatalf("%s: %d permanent blobs on the target, %d on the source", did, len(db), len(sb))
		}
	}
}

// failingStore fails ApplyCommit after a number of calls, as a copy cut
// short would stop.
type failingStore struct {
	store.Store
	left atomic.Int64
}

func (f *failingStore) ApplyCommit(ctx context.Context, c store.Commit) (int64, error) {
	if f.left.Add(-1) < 0 {
		return 0, rhizome.E("apply commit", rhizome.Unavailable, "cut short")
	}
	return f.Store.ApplyCommit(ctx, c)
}

func TestCopier_Resumes(t *testing.T) {
	src := newPodDir(t, t.TempDir())
	src.fill(t, 2, 120)
	target := t.TempDir()
	to, err := sqlite.Open(filepath.Join(target, "rhizome.db"))
	if err != nil {
		t.Fatal(err)
	}
	f := &failingStore{Store: to}
	f.left.Store(3) // the first account's repository, part way
	if _, err := src.copyTo(t, target, f); !rhizome.Is(err, rhizome.Unavailable) {
		t.Fatalf("interrupted copy: %v", err)
	}
	firstDID := slices.Min(src.dids) // accounts are copied in DID order
	if _, err := to.Head(context.Background(), firstDID); err != nil {
		t.Fatalf("the interrupted copy left no head to resume from: %v", err)
	}
	to.Close()
	got, err := src.copyTo(t, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.VerifiedRepos != 2 || got.VerifiedBlobs != 24 || got.Records != 240 {
		t.Fatalf("resumed copy: %+v", got)
	}
	sameStores(t, src.st, filepath.Join(target, "rhizome.db"), src.dids)
}

func TestOpenCopy_Refuses(t *testing.T) {
	dir := t.TempDir()
	if _, err := openKeyring(dir); err == nil {
		t.Fatal("opened a keyring in a folder that has none")
	}
	if _, err := keys.LoadOrCreateKeyring(filepath.Join(dir, "keyring.key")); err != nil {
		t.Fatal(err)
	}
	cfg := &copyConfig{data: dir, from: dbURL{kind: dbSQLite, path: filepath.Join(dir, "rhizome.db")},
		to: dbURL{kind: dbSQLite, path: filepath.Join(t.TempDir(), "rhizome.db")}}
	t.Run("a source that does not exist", func(t *testing.T) {
		_, _, err := openCopy(context.Background(), cfg)
		if err == nil || !strings.Contains(err.Error(), "does not exist") {
			t.Fatalf("copy from a missing database: %v", err)
		}
	})
	t.Run("a pod running on the data folder", func(t *testing.T) {
		unlock, err := lockData(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer unlock()
		_, _, err = openCopy(context.Background(), cfg)
		if err == nil || !strings.Contains(err.Error(), "stop the pod first") {
			t.Fatalf("copy beside a running pod: %v", err)
		}
	})
}
