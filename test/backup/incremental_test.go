package backup

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/backup"
	"github.com/rhizome-pds/rhizome/custody"
	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// TestBackup_Incremental measures what a second backup writes after 1%
// of a 10,000-record repository's records change (100 records rewritten
// at random places in the tree), without blobs and with 100 image posts
// (one more image among the changes): at most 5% of the first backup's
// bytes, counted on the target's files.
func TestBackup_Incremental(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 20,000 records")
	}
	w := newWorld(t)
	p := w.Pod(filepath.Join(w.Tmp, "pod"))
	for _, blobs := range []int{0, 100} {
		t.Run(fmt.Sprintf("%d blobs", blobs), func(t *testing.T) {
			acct := w.create(p, fmt.Sprintf("inc%d", blobs))
			c := podtest.NewClient(p)
			rkeys := fill(t, c, acct, 10_000, blobs)
			dir := filepath.Join(t.TempDir(), "archive")
			acc, err := backup.Passphrase([]byte("incremental"))
			must(t, err, "passphrase")
			a, err := backup.Create(ctx, backup.Dir(dir), acc)
			must(t, err, "create the archive")
			base := dirSize(t, dir) // the marker and key.age
			in := backup.CreateInput{Pod: &custody.Pod{URL: p.URL("")}, DID: didOf(acct), Tool: w.tool()}
			began := time.Now()
			first, err := a.Backup(ctx, in)
			must(t, err, "first backup")
			took := time.Since(began)
			firstBytes := dirSize(t, dir) - base
			if first.Records != 10_000 || len(first.Blobs) != blobs {
				t.Fatalf("first snapshot: %d records, %d blobs", first.Records, len(first.Blobs))
			}

			change(t, c, acct, rkeys, 100, blobs > 0)
			second, err := a.Backup(ctx, in)
			must(t, err, "second backup")
			secondBytes := dirSize(t, dir) - base - firstBytes
			ratio := float64(secondBytes) / float64(firstBytes)
			t.Logf("first backup took %s (%.1f MB/s written)", took.Round(time.Millisecond), float64(firstBytes)/took.Seconds()/1e6)
			t.Logf("first backup %d bytes (%d objects, %d blocks in %d packs, %d blobs); second after 100 records changed: %d bytes (%d objects, %d packs), %.2f%% of the first",
				firstBytes, first.WrittenObjects+1, first.Blocks, len(first.Packs), len(first.Blobs),
				secondBytes, second.WrittenObjects+1, len(second.Packs), 100*ratio)
			if second.Previous != first.ID || second.Rev == first.Rev {
				t.Errorf("second snapshot: previous %s rev %s; first %s rev %s", second.Previous, second.Rev, first.ID, first.Rev)
			}
			if ratio > 0.05 {
				t.Errorf("the second backup wrote %.2f%% of the first's bytes; want at most 5%%", 100*ratio)
			}
			_, err = a.Verify(ctx, second, nil)
			must(t, err, "verify the second snapshot")

			// Deletions and appends: the third snapshot's index is a
			// chain of three, and it restores on another pod.
			deleteAndAppend(t, c, acct, rkeys[:50], 50)
			third, err := a.Backup(ctx, in)
			must(t, err, "third backup")
			t.Logf("third backup after 50 deletions and 50 new records: %d bytes; %d blobs saved, %d listed by the pod but used by no record", third.WrittenBytes, len(third.Blobs), third.UnreferencedBlobs)
			if len(third.Index) != 3 || third.Records != 10_000 {
				t.Errorf("third snapshot: index chain of %d, %d records", len(third.Index), third.Records)
			}
			want := repoRecords(t, p, acct.DID)
			q := w.Pod(filepath.Join(t.TempDir(), "pod-b"))
			ri := custody.RestoreInput{Pod: &custody.Pod{URL: q.URL("")}, Email: "x@example.test", Password: "new-password"}
			began = time.Now()
			_, err = a.Restore(ctx, w.tool(), third, ri, acct.signer(t), nil)
			must(t, err, "restore the third snapshot")
			t.Logf("verify and restore of the third snapshot took %s", time.Since(began).Round(time.Millisecond))
			if got := repoRecords(t, q, acct.DID); !maps.Equal(got, want) {
				t.Errorf("the restored pod holds %d records; the pod backed up %d (or their CIDs differ)", len(got), len(want))
			}
		})
	}
}

// fill writes n posts in batches of 200, every n/blobs-th with an image,
// and returns their record keys.
func fill(t *testing.T, c *podtest.Client, acct *account, n, blobs int) []string {
	t.Helper()
	var rkeys []string
	for start := 0; start < n; start += 200 {
		var writes []any
		for i := start; i < min(start+200, n); i++ {
			rec := post(i, "filler")
			if blobs > 0 && i%(n/blobs) == 0 {
				ref, _ := uploadBlob(t, c, acct.token, 30_000)
				rec = withImage(rec, ref)
			}
			writes = append(writes, map[string]any{"$type": "com.atproto.repo.applyWrites#create", "collection": "app.bsky.feed.post", "value": rec})
		}
		var out struct {
			Results []struct{ URI string }
		}
		c.MustCall(t, "com.atproto.repo.applyWrites", acct.token, map[string]any{"repo": acct.DID, "writes": writes}, &out)
		for _, r := range out.Results {
			rkeys = append(rkeys, r.URI[strings.LastIndexByte(r.URI, '/')+1:])
		}
	}
	if len(rkeys) != n {
		t.Fatalf("wrote %d records, want %d", len(rkeys), n)
	}
	return rkeys
}

// deleteAndAppend deletes the records of rkeys and creates n.
func deleteAndAppend(t *testing.T, c *podtest.Client, acct *account, rkeys []string, n int) {
	t.Helper()
	var writes []any
	for _, k := range rkeys {
		writes = append(writes, map[string]any{"$type": "com.atproto.repo.applyWrites#delete", "collection": "app.bsky.feed.post", "rkey": k})
	}
	for i := range n {
		writes = append(writes, map[string]any{"$type": "com.atproto.repo.applyWrites#create", "collection": "app.bsky.feed.post", "value": post(i, "appended")})
	}
	c.MustCall(t, "com.atproto.repo.applyWrites", acct.token, map[string]any{"repo": acct.DID, "writes": writes}, nil)
}

// change rewrites k records chosen at random; with image, one of them
// gets a new image.
func change(t *testing.T, c *podtest.Client, acct *account, rkeys []string, k int, image bool) {
	t.Helper()
	var writes []any
	for j, i := range rand.Perm(len(rkeys))[:k] {
		rec := post(i, "edited")
		if image && j == 0 {
			ref, _ := uploadBlob(t, c, acct.token, 30_000)
			rec = withImage(rec, ref)
		}
		writes = append(writes, map[string]any{"$type": "com.atproto.repo.applyWrites#update", "collection": "app.bsky.feed.post", "rkey": rkeys[i], "value": rec})
	}
	c.MustCall(t, "com.atproto.repo.applyWrites", acct.token, map[string]any{"repo": acct.DID, "writes": writes}, nil)
}
