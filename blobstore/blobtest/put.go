package blobtest

import (
	"bytes"
	"fmt"
	"testing"

	rhizome "github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/blobstore"
	"github.com/rhizome-pds/rhizome/cid"
)

// testPut: Put returns the raw CID of the bytes and their size, for small,
// empty and multi-MiB blobs streamed in small chunks.
func testPut(t *testing.T, s blobstore.Store) {
	did := mustDID(t, didA)
	for i, n := range []int{1, 1000, 64<<10 + 3} {
		t.Run(fmt.Sprintf("%d bytes", n), func(t *testing.T) {
			data := content(uint64(i+1), n)
			wantBlob(t, s, did, put(t, s, did, data), data)
		})
	}
	t.Run("empty", func(t *testing.T) {
		c := put(t, s, did, nil)
		if c != cid.Sum(cid.Raw, []byte{}) {
			t.Fatalf("empty blob CID = %s", c)
		}
		wantBlob(t, s, did, c, nil)
	})
	t.Run("streamed multi-MiB", func(t *testing.T) {
		data := content(10, 5<<20+12345)
		r := newChunkReader(data)
		c, n, err := s.Put(t.Context(), did, r, 8<<20)
		if err != nil {
			t.Fatalf("Put: %v", err)
		}
		checkPut(t, data, c, n)
		if r.read.Load() != int64(len(data)) {
			t.Fatalf("reader handed out %d bytes, want %d", r.read.Load(), len(data))
		}
		wantBlob(t, s, did, c, data)
	})
}

// testPutMax: exactly max bytes is accepted; one more is TooLarge, stops
// reading at max+1 and leaves nothing.
func testPutMax(t *testing.T, s blobstore.Store) {
	did := mustDID(t, didA)
	t.Run("exactly max", func(t *testing.T) {
		data := content(20, 4096)
		c, n, err := s.Put(t.Context(), did, newChunkReader(data), 4096)
		if err != nil {
			t.Fatalf("Put: %v", err)
		}
		checkPut(t, data, c, n)
		wantBlob(t, s, did, c, data)
	})
	t.Run("max plus one", func(t *testing.T) {
		data := content(21, 4097)
		_, _, err := s.Put(t.Context(), did, newChunkReader(data), 4096)
		wantKind(t, "Put 4097 bytes, max 4096", err, rhizome.TooLarge)
		wantAbsent(t, s, did, cid.Sum(cid.Raw, data))
		wantAbsent(t, s, did, cid.Sum(cid.Raw, data[:4096]))
	})
	t.Run("stops reading", func(t *testing.T) {
		r := &endlessReader{}
		_, _, err := s.Put(t.Context(), did, r, 1000)
		wantKind(t, "Put endless, max 1000", err, rhizome.TooLarge)
		if r.read > 1001 {
			t.Fatalf("Put read %d bytes with max 1000, want at most 1001", r.read)
		}
	})
	t.Run("max zero", func(t *testing.T) {
		c, n, err := s.Put(t.Context(), did, bytes.NewReader(nil), 0)
		if err != nil {
			t.Fatalf("Put empty, max 0: %v", err)
		}
		checkPut(t, nil, c, n)
		_, _, err = s.Put(t.Context(), did, bytes.NewReader([]byte{7}), 0)
		wantKind(t, "Put 1 byte, max 0", err, rhizome.TooLarge)
		wantAbsent(t, s, did, cid.Sum(cid.Raw, []byte{7}))
	})
	t.Run("too large keeps existing", func(t *testing.T) {
		data := content(22, 3000)
		c := put(t, s, did, data)
		_, _, err := s.Put(t.Context(), did, bytes.NewReader(data), 2999)
		wantKind(t, "re-Put 3000 bytes, max 2999", err, rhizome.TooLarge)
		wantBlob(t, s, did, c, data)
	})
}

// testPutIdempotent: putting bytes the account has succeeds, returns the
// same CID and size, and leaves one blob.
func testPutIdempotent(t *testing.T, s blobstore.Store) {
	did := mustDID(t, didA)
	data := content(30, 70000)
	c := put(t, s, did, data)
	c2, n, err := s.Put(t.Context(), did, newChunkReader(data), 1<<20)
	if err != nil {
		t.Fatalf("second Put: %v", err)
	}
	checkPut(t, data, c2, n)
	wantBlob(t, s, did, c, data)
	if err := s.Delete(t.Context(), did, c); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantAbsent(t, s, did, c)
}

// testAccounts: blobs are per account, even with the same bytes.
func testAccounts(t *testing.T, s blobstore.Store) {
	a, b, c := mustDID(t, didA), mustDID(t, didB), mustDID(t, didC)
	data := content(40, 5000)
	id := put(t, s, a, data)
	t.Run("other account does not see it", func(t *testing.T) {
		wantAbsent(t, s, b, id)
		wantAbsent(t, s, c, id)
	})
	t.Run("same bytes, separate blobs", func(t *testing.T) {
		if got := put(t, s, b, data); got != id {
			t.Fatalf("CID in B = %s, in A %s", got, id)
		}
		if err := s.Delete(t.Context(), a, id); err != nil {
			t.Fatalf("Delete in A: %v", err)
		}
		wantAbsent(t, s, a, id)
		wantBlob(t, s, b, id, data)
	})
}
