package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

func (h harness) blobs(t *testing.T) {
	t.Run("PutBlob", h.putBlob)
	t.Run("References", h.blobRefs)
	t.Run("ListBlobs", h.listBlobs)
	t.Run("ListMissingBlobs", h.listMissingBlobs)
	t.Run("TempBlobs", h.tempBlobs)
	t.Run("DeleteTempBlob", h.deleteTempBlob)
}

// tempBlob is a temporary blob of did uploaded at t0+age.
func tempBlob(did syntax.DID, name string, age time.Duration) store.Blob {
	return store.Blob{DID: did, CID: blobCID(name), MimeType: "image/jpeg", Size: int64(len(name)) * 100,
		CreatedAt: t0.Add(age), Temp: true}
}

// wantBlob checks a stored blob's fields.
func wantBlob(t *testing.T, s store.Store, want store.Blob) {
	t.Helper()
	got, err := s.Blob(t.Context(), want.DID, want.CID)
	must(t, err)
	if got.DID != want.DID || got.CID != want.CID || got.MimeType != want.MimeType || got.Size != want.Size ||
		!got.CreatedAt.Equal(want.CreatedAt) || got.Temp != want.Temp {
		t.Fatalf("got blob %+v, want %+v", got, want)
	}
}

func (h harness) putBlob(t *testing.T) {
	h.test(t, "put and read", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		b := tempBlob(testDID(1), "cat", 0)
		must(t, s.PutBlob(t.Context(), b))
		wantBlob(t, s, b)
	})
	h.test(t, "again keeps the row", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		b := tempBlob(r.did, "cat", 0)
		must(t, s.PutBlob(t.Context(), b))
		r.apply(t, s, r.commit(t, put(posts, "a", post("a"), b.CID)))
		again := b
		again.MimeType, again.CreatedAt = "image/png", t0.Add(time.Hour)
		must(t, s.PutBlob(t.Context(), again))
		b.Temp = false
		wantBlob(t, s, b)
	})
	h.test(t, "per account", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		createAccount(t, s, 2)
		must(t, s.PutBlob(t.Context(), tempBlob(testDID(1), "cat", 0)))
		_, err := s.Blob(t.Context(), testDID(2), blobCID("cat"))
		wantNotFound(t, err)
		_, err = s.Blob(t.Context(), testDID(1), blobCID("dog"))
		wantNotFound(t, err)
	})
}

func (h harness) blobRefs(t *testing.T) {
	h.test(t, "commit makes a blob permanent", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		b, other := tempBlob(r.did, "cat", 0), tempBlob(r.did, "dog", 0)
		must(t, s.PutBlob(t.Context(), b))
		must(t, s.PutBlob(t.Context(), other))
		r.apply(t, s, r.commit(t, put(posts, "a", post("a"), b.CID)))
		b.Temp = false
		wantBlob(t, s, b)
		wantBlob(t, s, other)
		temps, err := s.TempBlobs(t.Context(), t0.Add(time.Hour), 10)
		must(t, err)
		if len(temps) != 1 || temps[0].CID != other.CID {
			t.Fatalf("temporary blobs %+v", temps)
		}
	})
	h.test(t, "upload after reference is permanent", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		b := tempBlob(r.did, "cat", 0)
		r.apply(t, s, r.commit(t, put(posts, "a", post("a"), b.CID)))
		must(t, s.PutBlob(t.Context(), b))
		b.Temp = false
		wantBlob(t, s, b)
	})
	h.test(t, "reference of another account's blob", func(t *testing.T, s store.Store) {
		a, b := createAccount(t, s, 1), createAccount(t, s, 2)
		blob := tempBlob(a.did, "cat", 0)
		must(t, s.PutBlob(t.Context(), blob))
		b.apply(t, s, b.commit(t, put(posts, "a", post("a"), blob.CID)))
		wantBlob(t, s, blob)
		missing, err := s.ListMissingBlobs(t.Context(), b.did, store.Page{})
		must(t, err)
		if len(missing) != 1 || missing[0].CID != blob.CID {
			t.Fatalf("missing blobs of the referencing account: %+v", missing)
		}
	})
}

// putPermanent uploads blobs by name and commits record rkey referencing
// them, and returns their CIDs.
func putPermanent(t *testing.T, s store.Store, r *fakeRepo, rkey string, names ...string) []cid.CID {
	t.Helper()
	var out []cid.CID
	for _, n := range names {
		b := tempBlob(r.did, n, 0)
		must(t, s.PutBlob(t.Context(), b))
		out = append(out, b.CID)
	}
	r.apply(t, s, r.commit(t, put(posts, rkey, post(rkey), out...)))
	return out
}

// sortedByString sorts CIDs as their strings sort.
func sortedByString(cs []cid.CID) []cid.CID {
	out := slices.Clone(cs)
	slices.SortFunc(out, func(a, b cid.CID) int { return strings.Compare(a.String(), b.String()) })
	return out
}

func (h harness) listBlobs(t *testing.T) {
	h.test(t, "permanent ones by CID string", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		var names []string
		for i := range 7 {
			names = append(names, fmt.Sprint("blob-", i))
		}
		all := sortedByString(putPermanent(t, s, r, "a", names...))
		must(t, s.PutBlob(t.Context(), tempBlob(r.did, "temporary", 0)))
		other := createAccount(t, s, 2)
		putPermanent(t, s, other, "b", "other")
		list := func(p store.Page) []cid.CID {
			got, err := s.ListBlobs(t.Context(), r.did, "", p)
			must(t, err)
			return got
		}
		wantCIDs(t, list(store.Page{}), all...)
		wantCIDs(t, list(store.Page{Limit: 3}), all[:3]...)
		wantCIDs(t, list(store.Page{Limit: 3, Cursor: all[2].String()}), all[3:6]...)
		wantCIDs(t, list(store.Page{Limit: 3, Cursor: all[5].String()}), all[6:]...)
		rev := slices.Clone(all)
		slices.Reverse(rev)
		wantCIDs(t, list(store.Page{Limit: 4, Reverse: true}), rev[:4]...)
		wantCIDs(t, list(store.Page{Reverse: true, Cursor: rev[3].String()}), rev[4:]...)
	})
	h.test(t, "since a rev", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		putPermanent(t, s, r, "a", "first")
		since := r.head.Rev
		second := putPermanent(t, s, r, "b", "second", "third")
		got, err := s.ListBlobs(t.Context(), r.did, since, store.Page{})
		must(t, err)
		wantCIDs(t, got, sortedByString(second)...)
		got, err = s.ListBlobs(t.Context(), r.did, r.head.Rev, store.Page{})
		wantEmpty(t, "blobs since the head", got, err)
	})
}

func wantCIDs(t *testing.T, got []cid.CID, want ...cid.CID) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func (h harness) listMissingBlobs(t *testing.T) {
	h.test(t, "referenced but not uploaded", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		var cs []cid.CID
		for i := range 5 {
			cs = append(cs, blobCID(fmt.Sprint("missing-", i)))
		}
		uploaded := tempBlob(r.did, "uploaded", 0)
		must(t, s.PutBlob(t.Context(), uploaded))
		r.apply(t, s, r.commit(t, put(posts, "a", post("a"), append(cs[:3:3], uploaded.CID)...),
			put(likes, "b", post("b"), cs[2:]...)))
		sorted := sortedByString(cs)
		list := func(p store.Page) []store.MissingBlob {
			got, err := s.ListMissingBlobs(t.Context(), r.did, p)
			must(t, err)
			return got
		}
		got := list(store.Page{})
		if len(got) != len(cs) {
			t.Fatalf("missing blobs %+v, want %d", got, len(cs))
		}
		uris := map[cid.CID][]syntax.ATURI{}
		for i, c := range cs {
			if i < 3 {
				uris[c] = append(uris[c], syntax.NewATURI(r.did.AtIdentifier(), posts, "a"))
			}
			if i >= 2 {
				uris[c] = append(uris[c], syntax.NewATURI(r.did.AtIdentifier(), likes, "b"))
			}
		}
		for i, m := range got {
			if m.CID != sorted[i] || !slices.Contains(uris[m.CID], m.Record) {
				t.Fatalf("missing blob %d: %+v, want %s from one of %v", i, m, sorted[i], uris[sorted[i]])
			}
		}
		page := list(store.Page{Limit: 2, Cursor: sorted[1].String()})
		if len(page) != 2 || page[0].CID != sorted[2] || page[1].CID != sorted[3] {
			t.Fatalf("second page %+v", page)
		}
		must(t, s.PutBlob(t.Context(), tempBlob(r.did, "missing-0", 0)))
		r.apply(t, s, r.commit(t, del(likes, "b")))
		var left []cid.CID
		for _, m := range list(store.Page{}) {
			left = append(left, m.CID)
		}
		wantCIDs(t, left, sortedByString(cs[1:3])...)
	})
}

func (h harness) tempBlobs(t *testing.T) {
	h.test(t, "before cutoff, oldest first", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		createAccount(t, s, 2)
		for i, age := range []time.Duration{3, 1, 4, 2, 9} {
			b := tempBlob(testDID(1+i%2), fmt.Sprint("t", i), age*time.Minute)
			must(t, s.PutBlob(t.Context(), b))
		}
		got, err := s.TempBlobs(t.Context(), t0.Add(4*time.Minute), 0)
		must(t, err)
		var ages []time.Duration
		for _, b := range got {
			if !b.Temp {
				t.Fatalf("permanent blob %+v listed", b)
			}
			ages = append(ages, b.CreatedAt.Sub(t0)/time.Minute)
		}
		if !slices.Equal(ages, []time.Duration{1, 2, 3}) {
			t.Fatalf("ages %v, want [1 2 3]", ages)
		}
		got, err = s.TempBlobs(t.Context(), t0.Add(time.Hour), 2)
		must(t, err)
		if len(got) != 2 || got[0].CID != blobCID("t1") {
			t.Fatalf("limited list %+v", got)
		}
	})
}

func (h harness) deleteTempBlob(t *testing.T) {
	h.test(t, "temporary", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		b := tempBlob(testDID(1), "cat", 0)
		must(t, s.PutBlob(t.Context(), b))
		must(t, s.DeleteTempBlob(t.Context(), b.DID, b.CID))
		_, err := s.Blob(t.Context(), b.DID, b.CID)
		wantNotFound(t, err)
		wantNotFound(t, s.DeleteTempBlob(t.Context(), b.DID, b.CID))
	})
	h.test(t, "referenced", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		b := tempBlob(r.did, "cat", 0)
		must(t, s.PutBlob(t.Context(), b))
		r.apply(t, s, r.commit(t, put(posts, "a", post("a"), b.CID)))
		wantKind(t, s.DeleteTempBlob(t.Context(), b.DID, b.CID), rhizome.Conflict)
		b.Temp = false
		wantBlob(t, s, b)
	})
	h.test(t, "permanent after its record is gone", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		b := tempBlob(r.did, "cat", 0)
		must(t, s.PutBlob(t.Context(), b))
		r.apply(t, s, r.commit(t, put(posts, "a", post("a"), b.CID)))
		r.apply(t, s, r.commit(t, del(posts, "a")))
		if err := s.DeleteTempBlob(t.Context(), b.DID, b.CID); err == nil {
			t.Fatal("a permanent blob was deleted as temporary")
		}
		b.Temp = false
		wantBlob(t, s, b)
	})
	h.test(t, "of another account", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		createAccount(t, s, 2)
		b := tempBlob(testDID(1), "cat", 0)
		must(t, s.PutBlob(t.Context(), b))
		wantNotFound(t, s.DeleteTempBlob(t.Context(), testDID(2), b.CID))
		wantBlob(t, s, b)
	})
}
