package storetest

import (
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/store"
)

// populated is an account with something in every table.
type populated struct {
	n      int
	repo   *fakeRepo
	commit store.Commit // the commit with the records
}

// populate creates account n with records, a referenced and a temporary
// blob, a missing blob, an app password, sessions and events.
func populate(t *testing.T, s store.Store, n int) populated {
	t.Helper()
	ctx := t.Context()
	r := createAccount(t, s, n)
	did := r.did
	kept, temp, missing := blobCID(string(did)+" kept"), blobCID(string(did)+" temp"), blobCID(string(did)+" missing")
	must(t, s.PutBlob(ctx, store.Blob{DID: did, CID: kept, MimeType: "image/png", Size: 10, CreatedAt: t0, Temp: true}))
	must(t, s.PutBlob(ctx, store.Blob{DID: did, CID: temp, MimeType: "image/png", Size: 20, CreatedAt: t0, Temp: true}))
	c := withEvent(r.commit(t,
		put(posts, "p1", post("one "+string(did)), kept, missing),
		put(likes, "l1", map[string]any{"subject": "x " + string(did)})))
	r.apply(t, s, c)
	must(t, s.CreateAppPassword(ctx, store.AppPassword{DID: did, Name: "app", PasswordHash: "h", CreatedAt: t0}))
	exp := time.Now().Add(time.Hour).UTC().Truncate(time.Millisecond)
	must(t, s.PutRefreshToken(ctx, store.RefreshToken{ID: "full " + string(did), DID: did, ExpiresAt: exp}))
	must(t, s.PutRefreshToken(ctx, store.RefreshToken{ID: "app " + string(did), DID: did, AppPassword: "app", ExpiresAt: exp}))
	return populated{n: n, repo: r, commit: c}
}

// wantPopulated checks that everything populate wrote is there.
func wantPopulated(t *testing.T, s store.Store, p populated) {
	t.Helper()
	ctx, did := t.Context(), p.repo.did
	if _, err := s.Account(ctx, did); err != nil {
		t.Fatal(err)
	}
	head, err := s.Head(ctx, did)
	must(t, err)
	if head != p.repo.head {
		t.Fatalf("head %+v, want %+v", head, p.repo.head)
	}
	_, err = s.Record(ctx, did, posts, "p1")
	must(t, err)
	wantBlocks(t, s, did, p.commit.Blocks, true)
	_, err = s.Blob(ctx, did, blobCID(string(did)+" temp"))
	must(t, err)
	blobs, err := s.ListBlobs(ctx, did, "", store.Page{})
	must(t, err)
	missing, err := s.ListMissingBlobs(ctx, did, store.Page{})
	must(t, err)
	aps, err := s.AppPasswords(ctx, did)
	must(t, err)
	if len(blobs) != 1 || len(missing) != 1 || len(aps) != 1 {
		t.Fatalf("blobs %v, missing %v, app passwords %v", blobs, missing, aps)
	}
	for _, id := range []string{"full ", "app "} {
		_, err := s.RefreshToken(ctx, id+string(did))
		must(t, err)
	}
}

// wantGone checks that nothing of did is left but its events.
func wantGone(t *testing.T, s store.Store, p populated) {
	t.Helper()
	ctx, did := t.Context(), p.repo.did
	_, err := s.Account(ctx, did)
	wantNotFound(t, err)
	_, err = s.AccountByHandle(ctx, testHandle(p.n))
	wantNotFound(t, err)
	_, err = s.Head(ctx, did)
	wantNotFound(t, err)
	_, err = s.Record(ctx, did, posts, "p1")
	wantNotFound(t, err)
	recs, err := s.ListRecords(ctx, did, posts, store.Page{})
	wantEmpty(t, "records", recs, err)
	colls, err := s.Collections(ctx, did)
	wantEmpty(t, "collections", colls, err)
	wantBlocks(t, s, did, p.commit.Blocks, false)
	_, err = s.Blob(ctx, did, blobCID(string(did)+" temp"))
	wantNotFound(t, err)
	blobs, err := s.ListBlobs(ctx, did, "", store.Page{})
	wantEmpty(t, "blobs", blobs, err)
	missing, err := s.ListMissingBlobs(ctx, did, store.Page{})
	wantEmpty(t, "missing blobs", missing, err)
	aps, err := s.AppPasswords(ctx, did)
	wantEmpty(t, "app passwords", aps, err)
	for _, id := range []string{"full ", "app "} {
		_, err := s.RefreshToken(ctx, id+string(did))
		wantNotFound(t, err)
	}
	temps, err := s.TempBlobs(ctx, t0.Add(time.Hour), 100)
	must(t, err)
	for _, b := range temps {
		if b.DID == did {
			t.Fatalf("temporary blob %s of deleted account is listed", b.CID)
		}
	}
}

func (h harness) deleteAccount(t *testing.T) {
	h.test(t, "removes everything of the DID only", func(t *testing.T, s store.Store) {
		a, b := populate(t, s, 1), populate(t, s, 2)
		wantPopulated(t, s, a)
		evs, err := s.EventsAfter(t.Context(), 0, 100)
		must(t, err)
		must(t, s.DeleteAccount(t.Context(), a.repo.did))
		wantGone(t, s, a)
		wantPopulated(t, s, b)
		after, err := s.EventsAfter(t.Context(), 0, 100)
		must(t, err)
		var want []store.Event
		for _, e := range evs {
			if e.DID != a.repo.did {
				want = append(want, e)
			}
		}
		if len(after) != len(want) || len(want) == 0 || len(want) == len(evs) {
			t.Fatalf("%d events after deletion, want the other account's %d of %d", len(after), len(want), len(evs))
		}
		for i := range want {
			if after[i].Seq != want[i].Seq || after[i].DID != b.repo.did {
				t.Fatalf("event %d after deletion: %+v, want seq %d of %s", i, after[i], want[i].Seq, b.repo.did)
			}
		}
		repos, err := s.ListRepos(t.Context(), store.Page{})
		must(t, err)
		if len(repos) != 1 || repos[0].Head.DID != b.repo.did {
			t.Fatalf("repos after deletion: %+v", repos)
		}
	})
	h.test(t, "frees DID, handle and email", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		must(t, s.DeleteAccount(t.Context(), testDID(1)))
		a, _ := newAccount(t, 1)
		_, err := s.CreateAccount(t.Context(), a)
		must(t, err)
		recs, err := s.ListRecords(t.Context(), testDID(1), posts, store.Page{})
		must(t, err)
		if len(recs) != 0 {
			t.Fatalf("recreated account has %d old records", len(recs))
		}
	})
	h.test(t, "unknown", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		wantNotFound(t, s.DeleteAccount(t.Context(), testDID(2)))
		_, err := s.Account(t.Context(), testDID(1))
		must(t, err)
	})
}
