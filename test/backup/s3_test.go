package backup

import (
	"maps"
	"path/filepath"
	"testing"

	"github.com/rhizome-pds/rhizome/backup"
	"github.com/rhizome-pds/rhizome/blobstore/s3/s3test"
	"github.com/rhizome-pds/rhizome/custody"
	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// TestBackup_S3 keeps the archive in a bucket (versitygw on loopback):
// two snapshots, the second incremental, both verify, the latest
// restores.
func TestBackup_S3(t *testing.T) {
	srv := s3test.Start(t)
	w := newWorld(t)
	a := w.Pod(filepath.Join(w.Tmp, "pod-a"))
	acct := w.create(a, "carol")
	ca := podtest.NewClient(a)
	write := func(n int) {
		for i := range n {
			rec := post(i, "to a bucket")
			if i == 0 {
				ref, _ := uploadBlob(t, ca, acct.token, 70_000)
				rec = withImage(rec, ref)
			}
			ca.MustCall(t, "com.atproto.repo.createRecord", acct.token, map[string]any{"repo": acct.DID, "collection": "app.bsky.feed.post", "record": rec}, nil)
		}
	}
	write(20)
	tgt, err := backup.OpenS3(ctx, srv.NewBucket(t)+"&prefix=rhizome/")
	must(t, err, "open the bucket")
	acc, _ := backup.Passphrase([]byte("bucket"))
	ar, err := backup.Create(ctx, tgt, acc)
	must(t, err, "create the archive")
	in := backup.CreateInput{Pod: &custody.Pod{URL: a.URL("")}, DID: didOf(acct), Tool: w.tool()}
	first, err := ar.Backup(ctx, in)
	must(t, err, "first backup")
	write(5)
	second, err := ar.Backup(ctx, in)
	must(t, err, "second backup")
	if second.Previous != first.ID || len(second.Blobs) != 2 || second.WrittenBytes >= first.WrittenBytes {
		t.Fatalf("second snapshot: previous %s, %d blobs, %d bytes (first %d)", second.Previous, len(second.Blobs), second.WrittenBytes, first.WrittenBytes)
	}
	reopened, err := backup.Open(ctx, tgt, acc)
	must(t, err, "reopen")
	all, err := reopened.Snapshots(ctx)
	must(t, err, "list")
	for _, s := range all {
		_, err := reopened.Verify(ctx, s, nil)
		must(t, err, "verify %s", s.ShortID())
	}
	want := repoRecords(t, a, acct.DID)
	b := w.Pod(filepath.Join(w.Tmp, "pod-b"))
	ri := custody.RestoreInput{Pod: &custody.Pod{URL: b.URL("")}, Email: "c@example.test", Password: "new-password"}
	_, err = reopened.Restore(ctx, w.tool(), all[len(all)-1], ri, acct.signer(t), nil)
	must(t, err, "restore from the bucket")
	if got := repoRecords(t, b, acct.DID); !maps.Equal(got, want) || len(all) != 2 {
		t.Errorf("restored %d records of %d; %d snapshots", len(got), len(want), len(all))
	}
}
