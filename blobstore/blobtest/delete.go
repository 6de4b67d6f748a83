package blobtest

import (
	"testing"

	"github.com/rhizome-pds/rhizome/blobstore"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/syntax"
)

// testDelete: Delete removes one blob of one account; deleting what is
// absent is not an error.
func testDelete(t *testing.T, s blobstore.Store) {
	a, b := mustDID(t, didA), mustDID(t, didB)
	x, y := content(70, 2000), content(71, 3000)
	cx, cy := put(t, s, a, x), put(t, s, a, y)
	put(t, s, b, x)
	t.Run("removes", func(t *testing.T) {
		mustDelete(t, s, a, cx)
		wantAbsent(t, s, a, cx)
	})
	t.Run("leaves the rest", func(t *testing.T) {
		wantBlob(t, s, a, cy, y)
		wantBlob(t, s, b, cx, x)
	})
	t.Run("absent is nil", func(t *testing.T) {
		mustDelete(t, s, a, cx)
		mustDelete(t, s, a, cid.Sum(cid.Raw, content(72, 10)))
		mustDelete(t, s, mustDID(t, didC), cx)
	})
	t.Run("put again", func(t *testing.T) {
		put(t, s, a, x)
		wantBlob(t, s, a, cx, x)
	})
}

// testDeleteAll: DeleteAll removes every blob of one account and nothing
// of the others; the account can upload again afterwards.
func testDeleteAll(t *testing.T, s blobstore.Store) {
	a, b := mustDID(t, didA), mustDID(t, didB)
	x, y, z := content(80, 2000), content(81, 0), content(82, 70000)
	cx, cy := put(t, s, a, x), put(t, s, a, y)
	put(t, s, b, x)
	cz := put(t, s, b, z)
	if err := s.DeleteAll(t.Context(), a); err != nil {
		t.Fatalf("DeleteAll(A): %v", err)
	}
	t.Run("that account is empty", func(t *testing.T) {
		wantAbsent(t, s, a, cx)
		wantAbsent(t, s, a, cy)
	})
	t.Run("others untouched", func(t *testing.T) {
		wantBlob(t, s, b, cx, x)
		wantBlob(t, s, b, cz, z)
	})
	t.Run("empty account is nil", func(t *testing.T) {
		if err := s.DeleteAll(t.Context(), a); err != nil {
			t.Fatalf("DeleteAll(A) again: %v", err)
		}
		if err := s.DeleteAll(t.Context(), mustDID(t, didC)); err != nil {
			t.Fatalf("DeleteAll(C), never used: %v", err)
		}
	})
	t.Run("put again", func(t *testing.T) {
		put(t, s, a, x)
		wantBlob(t, s, a, cx, x)
	})
}

func mustDelete(t *testing.T, s blobstore.Store, did syntax.DID, c cid.CID) {
	t.Helper()
	if err := s.Delete(t.Context(), did, c); err != nil {
		t.Fatalf("Delete(%s, %s): %v", did, c, err)
	}
}
