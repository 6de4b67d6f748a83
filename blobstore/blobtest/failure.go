package blobtest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/rhizome-pds/rhizome/blobstore"
	"github.com/rhizome-pds/rhizome/cid"
)

// testConcurrent: many goroutines putting the same bytes all succeed and
// leave one blob; different bytes in parallel do not disturb each other.
func testConcurrent(t *testing.T, s blobstore.Store) {
	did := mustDID(t, didA)
	t.Run("same content", func(t *testing.T) {
		data := content(90, 300<<10)
		cids := putAll(t, s, 16, func(int) []byte { return data })
		for i, c := range cids {
			if c != cid.Sum(cid.Raw, data) {
				t.Fatalf("goroutine %d got CID %s", i, c)
			}
		}
		wantBlob(t, s, did, cids[0], data)
		mustDelete(t, s, did, cids[0])
		wantAbsent(t, s, did, cids[0])
	})
	t.Run("different content", func(t *testing.T) {
		blob := func(i int) []byte { return content(uint64(100+i), 20000+i) }
		for i, c := range putAll(t, s, 8, blob) {
			wantBlob(t, s, did, c, blob(i))
		}
	})
}

// putAll runs n Puts into did A at once, the i-th of blob(i) through a
// chunked reader, and returns their CIDs once all succeeded.
func putAll(t *testing.T, s blobstore.Store, n int, blob func(i int) []byte) []cid.CID {
	t.Helper()
	did := mustDID(t, didA)
	cids, errs := make([]cid.CID, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			data := blob(i)
			cids[i], _, errs[i] = s.Put(t.Context(), did, newChunkReader(data), int64(len(data)))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent Put: %v", err)
	}
	return cids
}

// testFailedPut: a reader that fails midway fails the Put with its error
// and leaves nothing, not even the part read; an existing blob survives a
// failed re-Put.
func testFailedPut(t *testing.T, s blobstore.Store) {
	did := mustDID(t, didA)
	data := content(110, 1<<20)
	t.Run("nothing visible", func(t *testing.T) {
		_, _, err := s.Put(t.Context(), did, newFailingReader(data, 300<<10), 2<<20)
		if !errors.Is(err, errBoom) {
			t.Fatalf("Put err = %v, want one wrapping the reader's error", err)
		}
		wantAbsent(t, s, did, cid.Sum(cid.Raw, data))
		wantAbsent(t, s, did, cid.Sum(cid.Raw, data[:300<<10]))
	})
	t.Run("existing blob survives", func(t *testing.T) {
		c := put(t, s, did, data)
		_, _, err := s.Put(t.Context(), did, newFailingReader(data, len(data)-1), 2<<20)
		if !errors.Is(err, errBoom) {
			t.Fatalf("re-Put err = %v, want one wrapping the reader's error", err)
		}
		wantBlob(t, s, did, c, data)
	})
}

// testCancel: a Put whose context is cancelled, before or while it reads,
// fails with context.Canceled and leaves nothing.
func testCancel(t *testing.T, s blobstore.Store) {
	did := mustDID(t, didA)
	data := content(120, 4<<20)
	t.Run("before", func(t *testing.T) {
		_, _, err := s.Put(ctxCancelled(t), did, newChunkReader(data[:1000]), 1<<20)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Put err = %v, want context.Canceled", err)
		}
		wantAbsent(t, s, did, cid.Sum(cid.Raw, data[:1000]))
	})
	t.Run("while reading", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		r := &cancelReader{chunkReader: chunkReader{data: data}, at: 1 << 20, cancel: cancel}
		_, _, err := s.Put(ctx, did, r, 8<<20)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Put err = %v, want context.Canceled", err)
		}
		wantAbsent(t, s, did, cid.Sum(cid.Raw, data))
		wantAbsent(t, s, did, cid.Sum(cid.Raw, data[:r.read.Load()]))
	})
}
