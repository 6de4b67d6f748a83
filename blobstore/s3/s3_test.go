package s3

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	rhizome "github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/blobstore"
	"github.com/rhizome-pds/rhizome/blobstore/blobtest"
	"github.com/rhizome-pds/rhizome/blobstore/s3/s3test"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/syntax"
)

// minPart is the smallest part S3 accepts but for the last.
const minPart = 5 << 20

// TestBlobStore_Conformance runs the suite on a fresh bucket per store, once
// with the real part size (the suite's blobs then go in single PUTs) and
// once with the smallest part S3 allows, so its multi-MiB blobs go through
// the multipart upload to a temporary key and the copy into place.
func TestBlobStore_Conformance(t *testing.T) {
	srv := s3test.Start(t)
	for _, tc := range []struct {
		name     string
		partSize int
	}{
		{"single put", PartSize},
		{"multipart", minPart},
	} {
		t.Run(tc.name, func(t *testing.T) {
			blobtest.Run(t, func(t *testing.T) blobstore.Store {
				s := openStore(t, srv.NewBucket(t))
				s.partSize = tc.partSize
				t.Cleanup(func() { wantOnlyBlobs(t, s) })
				return s
			})
		})
	}
}

// openStore opens the store of url, failing the test on error.
func openStore(t *testing.T, url string) *BlobStore {
	t.Helper()
	s, err := Open(t.Context(), url)
	if err != nil {
		t.Fatalf("Open(%s): %v", url, err)
	}
	return s
}

// wantOnlyBlobs fails unless the bucket holds nothing but blobs at their
// keys: no temporary objects, no unfinished uploads.
func wantOnlyBlobs(t *testing.T, s *BlobStore) {
	t.Helper()
	ctx := context.Background() // t.Context is done in cleanups
	for _, key := range listKeys(t, ctx, s, "") {
		if !isBlobKey(strings.TrimPrefix(key, s.prefix)) {
			t.Errorf("left in the bucket: %s", key)
		}
	}
	res, err := s.c.ListMultipartUploads(ctx, s.bucket, "", "", "", "", 1000)
	if err != nil {
		t.Fatalf("list uploads: %v", err)
	}
	for _, u := range res.Uploads {
		t.Errorf("unfinished upload left: %s", u.Key)
	}
}

// isBlobKey reports whether key is <escaped DID>/<two CID characters>/<raw CID>.
func isBlobKey(key string) bool {
	parts := strings.Split(key, "/")
	if len(parts) != 3 || !strings.HasPrefix(parts[0], "did_3a") {
		return false
	}
	c, err := cid.Parse(parts[2])
	return err == nil && c.Codec() == cid.Raw && parts[1] == parts[2][fanAt:fanAt+2]
}

// listKeys lists every key under prefix.
func listKeys(t *testing.T, ctx context.Context, s *BlobStore, prefix string) []string {
	t.Helper()
	var keys []string
	for o := range s.c.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + prefix, Recursive: true}) {
		if o.Err != nil {
			t.Fatalf("list %s: %v", prefix, o.Err)
		}
		keys = append(keys, o.Key)
	}
	return keys
}

func mustDID(t testing.TB, s string) syntax.DID {
	t.Helper()
	d, err := syntax.ParseDID(s)
	if err != nil {
		t.Fatalf("ParseDID(%q): %v", s, err)
	}
	return d
}

func mustPut(t *testing.T, s *BlobStore, did syntax.DID, data []byte) cid.CID {
	t.Helper()
	c, _, err := s.Put(t.Context(), did, bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	return c
}

func TestBlobStore_Layout(t *testing.T) {
	srv := s3test.Start(t)
	did := mustDID(t, "did:plc:ewvi7nxzyoun6zhxrhs64oiz")
	for _, tc := range []struct{ name, query, prefix string }{
		{"no prefix", "", ""},
		{"prefix", "&prefix=pods/one", "pods/one/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openStore(t, srv.NewBucket(t)+tc.query)
			c := mustPut(t, s, did, []byte("hello blob"))
			name := c.String()
			want := tc.prefix + "did_3aplc_3aewvi7nxzyoun6zhxrhs64oiz/" + name[8:10] + "/" + name
			if got := listKeys(t, t.Context(), s, ""); len(got) != 1 || got[0] != want {
				t.Fatalf("keys = %q, want [%q] (blobstore/disk's layout)", got, want)
			}
			mustPut(t, s, did, []byte("hello blob"))
			if got := listKeys(t, t.Context(), s, ""); len(got) != 1 {
				t.Fatalf("keys = %q after re-Put, want one", got)
			}
		})
	}
}

// trickyDIDs are valid DIDs that would be dangerous or ambiguous as raw key
// segments, above all on a service that maps keys to file paths.
var trickyDIDs = []string{
	"did:web:..",
	"did:web:.",
	"did:plc:..:..:etc",
	"did:web:Example.com",
	"did:web:example.com",
	"did:web:example.com%3A8080",
	"did:web:example.com:8080",
	"did:web:a_3ab",
	"did:web:a%2Fb",
	"did:web:tmp",
	"did:key:" + strings.Repeat("z", 2040),
	"did:key:" + strings.Repeat("z", 2039) + "y",
}

func TestBlobStore_TrickyDIDs(t *testing.T) {
	s := openStore(t, s3test.URL(t))
	data := []byte("confined")
	t.Run("one blob key each", func(t *testing.T) {
		for _, d := range trickyDIDs {
			mustPut(t, s, mustDID(t, d), data)
		}
		keys := listKeys(t, t.Context(), s, "")
		if len(keys) != len(trickyDIDs) {
			t.Fatalf("%d keys for %d DIDs: %q", len(keys), len(trickyDIDs), keys)
		}
		for _, k := range keys {
			if seg := strings.SplitN(k, "/", 2)[0]; !isBlobKey(k) && !strings.HasPrefix(seg, "sha256-") {
				t.Fatalf("key %q is not <did>/<fan>/<cid>", k)
			}
		}
	})
	t.Run("each reads its own", func(t *testing.T) {
		for _, d := range trickyDIDs {
			if n, err := s.Stat(t.Context(), mustDID(t, d), cid.Sum(cid.Raw, data)); err != nil || n != int64(len(data)) {
				t.Fatalf("Stat(%.30s) = %d, %v", d, n, err)
			}
		}
	})
	t.Run("unparsed DIDs are refused", func(t *testing.T) {
		for _, d := range []string{"../../evil", "did:plc:../../x", "did:web:a/b", "", "did:plc:x\x00"} {
			wantRefused(t, s, syntax.DID(d), data)
		}
	})
}

// wantRefused checks that every method refuses did with Invalid.
func wantRefused(t *testing.T, s *BlobStore, did syntax.DID, data []byte) {
	t.Helper()
	ctx, c := t.Context(), cid.Sum(cid.Raw, data)
	_, _, perr := s.Put(ctx, did, bytes.NewReader(data), 100)
	_, _, gerr := s.Get(ctx, did, c, 0, -1)
	_, serr := s.Stat(ctx, did, c)
	for name, err := range map[string]error{
		"Put": perr, "Get": gerr, "Stat": serr,
		"Delete": s.Delete(ctx, did, c), "DeleteAll": s.DeleteAll(ctx, did),
	} {
		if !rhizome.Is(err, rhizome.Invalid) {
			t.Errorf("%s(%q) err = %v, want Invalid", name, did, err)
		}
	}
}

func TestBlobStore_Errors(t *testing.T) {
	s := openStore(t, s3test.URL(t))
	did := mustDID(t, "did:plc:ewvi7nxzyoun6zhxrhs64oiz")
	t.Run("negative max", func(t *testing.T) {
		_, _, err := s.Put(t.Context(), did, bytes.NewReader(nil), -1)
		if !rhizome.Is(err, rhizome.Invalid) {
			t.Fatalf("err = %v, want Invalid", err)
		}
	})
	t.Run("cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		c := cid.Sum(cid.Raw, []byte("x"))
		_, _, gerr := s.Get(ctx, did, c, 0, -1)
		_, serr := s.Stat(ctx, did, c)
		for name, err := range map[string]error{
			"Get": gerr, "Stat": serr, "Delete": s.Delete(ctx, did, c), "DeleteAll": s.DeleteAll(ctx, did),
		} {
			if err == nil || !strings.Contains(err.Error(), context.Canceled.Error()) {
				t.Errorf("%s err = %v, want context.Canceled", name, err)
			}
		}
	})
	t.Run("errors carry an op", func(t *testing.T) {
		_, err := s.Stat(t.Context(), did, cid.Sum(cid.Raw, []byte("absent")))
		var e *rhizome.Error
		if !asError(err, &e) || e.Op != "blobstore stat" || e.Kind != rhizome.NotFound {
			t.Fatalf("Stat err = %#v, want a *rhizome.Error{Op: blobstore stat, Kind: NotFound}", err)
		}
	})
}

func asError(err error, e **rhizome.Error) bool { return errors.As(err, e) }
