package blobtest

import (
	"bytes"
	"testing"

	rhizome "github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/blobstore"
	"github.com/rhizome-pds/rhizome/cid"
)

// testGet: whole blobs and ranges; an offset at the end reads nothing, one
// beyond it (or negative) is Invalid.
func testGet(t *testing.T, s blobstore.Store) {
	did := mustDID(t, didA)
	data := content(50, 1000)
	c := put(t, s, did, data)
	for _, tc := range []struct {
		name     string
		off, n   int64
		from, to int
	}{
		{"whole", 0, -1, 0, 1000},
		{"whole by length", 0, 1000, 0, 1000},
		{"prefix", 0, 10, 0, 10},
		{"middle", 10, 20, 10, 30},
		{"suffix", 900, -1, 900, 1000},
		{"length past end", 990, 100, 990, 1000},
		{"last byte", 999, -1, 999, 1000},
		{"zero length", 500, 0, 500, 500},
		{"offset at end", 1000, -1, 1000, 1000},
		{"offset at end with length", 1000, 5, 1000, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, size := read(t, s, did, c, tc.off, tc.n)
			if size != 1000 {
				t.Fatalf("size = %d, want 1000", size)
			}
			if !bytes.Equal(got, data[tc.from:tc.to]) {
				t.Fatalf("read %d bytes, want bytes [%d:%d]", len(got), tc.from, tc.to)
			}
		})
	}
	t.Run("offset beyond end", func(t *testing.T) { wantBadOffset(t, s, c, 1001) })
	t.Run("negative offset", func(t *testing.T) { wantBadOffset(t, s, c, -1) })
	t.Run("empty blob", func(t *testing.T) {
		e := put(t, s, did, nil)
		if got, size := read(t, s, did, e, 0, -1); len(got) != 0 || size != 0 {
			t.Fatalf("empty blob read %d bytes, size %d", len(got), size)
		}
		wantBadOffset(t, s, e, 1)
	})
}

// wantBadOffset checks that Get at off fails with Invalid.
func wantBadOffset(t *testing.T, s blobstore.Store, c cid.CID, off int64) {
	t.Helper()
	rc, _, err := s.Get(t.Context(), mustDID(t, didA), c, off, -1)
	if err == nil {
		rc.Close()
	}
	wantKind(t, "Get at a bad offset", err, rhizome.Invalid)
}

// testNotFound: absent blobs are NotFound for Stat and Get, whether the
// account has other blobs or none; the undefined CID is never found.
func testNotFound(t *testing.T, s blobstore.Store) {
	a, b := mustDID(t, didA), mustDID(t, didB)
	put(t, s, a, content(60, 100))
	absent := cid.Sum(cid.Raw, content(61, 100))
	t.Run("account with blobs", func(t *testing.T) { wantAbsent(t, s, a, absent) })
	t.Run("account without blobs", func(t *testing.T) { wantAbsent(t, s, b, absent) })
	t.Run("dag-cbor CID of stored bytes", func(t *testing.T) {
		wantAbsent(t, s, a, cid.Sum(cid.DagCBOR, content(60, 100)))
	})
	t.Run("undefined CID", func(t *testing.T) {
		if _, err := s.Stat(t.Context(), a, cid.CID{}); !notFoundOrInvalid(err) {
			t.Fatalf("Stat(undefined) err = %v, want NotFound or Invalid", err)
		}
		rc, _, err := s.Get(t.Context(), a, cid.CID{}, 0, -1)
		if err == nil {
			rc.Close()
		}
		if !notFoundOrInvalid(err) {
			t.Fatalf("Get(undefined) err = %v, want NotFound or Invalid", err)
		}
	})
}

func notFoundOrInvalid(err error) bool {
	return rhizome.Is(err, rhizome.NotFound) || rhizome.Is(err, rhizome.Invalid)
}
