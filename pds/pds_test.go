package pds

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/mem"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

var ctx = context.Background()

func TestPDS_CreateAccount(t *testing.T) {
	p := newTestPod(t)
	s := p.account(t, "alice")
	if s.Account.Handle != "alice.test" || s.AccessJWT == "" || s.RefreshJWT == "" {
		t.Fatalf("session %+v", s)
	}
	cases := map[string]struct {
		in   NewAccount
		name string
	}{
		"taken handle":     {NewAccount{Handle: "alice.test", Email: "x@example.com", Password: "password1"}, "HandleNotAvailable"},
		"foreign domain":   {NewAccount{Handle: "bob.example.com", Email: "b@example.com", Password: "password1"}, "UnsupportedDomain"},
		"two labels":       {NewAccount{Handle: "a.bob.test", Email: "b@example.com", Password: "password1"}, "UnsupportedDomain"},
		"bad handle":       {NewAccount{Handle: "-bob.test", Email: "b@example.com", Password: "password1"}, "InvalidHandle"},
		"short password":   {NewAccount{Handle: "bob.test", Email: "b@example.com", Password: "short"}, ""},
		"bad email":        {NewAccount{Handle: "bob.test", Email: "not an email", Password: "password1"}, ""},
		"bad recovery key": {NewAccount{Handle: "bob.test", Email: "b@example.com", Password: "password1", RecoveryKey: "did:key:zzz"}, ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := p.CreateAccount(ctx, c.in)
			if err == nil || (c.name != "" && rhizome.NameOf(err) != c.name) {
				t.Fatalf("got %v (name %q), want %q", err, rhizome.NameOf(err), c.name)
			}
		})
	}
	list, _ := p.Store().ListAccounts(ctx, store.Page{})
	if len(list) != 1 {
		t.Fatalf("%d accounts after failed attempts, want 1", len(list))
	}
}

func TestPDS_Sessions(t *testing.T) {
	p := newTestPod(t)
	s := p.account(t, "alice")
	for _, id := range []string{"alice.test", "ALICE.test", "alice@example.com", string(s.Account.DID)} {
		if _, err := p.CreateSession(ctx, id, "password-alice"); err != nil {
			t.Errorf("login as %s: %v", id, err)
		}
	}
	if _, err := p.CreateSession(ctx, "alice.test", "wrong"); !rhizome.Is(err, rhizome.Unauthorized) {
		t.Fatalf("wrong password: %v", err)
	}
	next, err := p.RefreshSession(ctx, s.RefreshJWT)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.RefreshSession(ctx, s.RefreshJWT); rhizome.NameOf(err) != "ExpiredToken" {
		t.Fatalf("reused refresh token: %v", err)
	}
	if err := p.DeleteSession(ctx, next.RefreshJWT); err != nil {
		t.Fatal(err)
	}
	if _, err := p.RefreshSession(ctx, next.RefreshJWT); rhizome.NameOf(err) != "ExpiredToken" {
		t.Fatalf("refresh after logout: %v", err)
	}
	ap, pw, err := p.CreateAppPassword(ctx, s.Account.DID, "phone", false)
	if err != nil || ap.Name != "phone" || len(pw) != 19 {
		t.Fatalf("app password %q: %v", pw, err)
	}
	as, err := p.CreateSession(ctx, "alice.test", pw)
	if err != nil || as.Scope != "com.atproto.appPass" {
		t.Fatalf("app password login: %+v %v", as, err)
	}
	if _, _, err := p.CreateAppPassword(ctx, s.Account.DID, "phone", false); rhizome.NameOf(err) != "DuplicateName" {
		t.Fatalf("duplicate app password: %v", err)
	}
}

func TestPDS_Writes(t *testing.T) {
	p := newTestPod(t)
	did := p.account(t, "alice").Account.DID
	res, meta, err := p.CreateRecord(ctx, did, Write{Collection: "app.bsky.feed.post", Value: post("one")}, ValidateAuto, nil)
	if err != nil || res.ValidationStatus != "valid" || !meta.CID.Defined() {
		t.Fatalf("create: %+v %+v %v", res, meta, err)
	}
	rkey := syntax.RecordKey(res.URI[strings.LastIndex(string(res.URI), "/")+1:])
	t.Run("get", func(t *testing.T) {
		r, err := p.GetRecord(ctx, did, "app.bsky.feed.post", rkey, nil)
		if err != nil || r.CID != res.CID {
			t.Fatalf("%+v %v", r, err)
		}
	})
	t.Run("unknown collection", func(t *testing.T) {
		r, _, err := p.PutRecord(ctx, did, Write{Collection: "com.example.thing", RKey: "a", Value: map[string]any{"x": int64(1)}}, ValidateAuto, nil)
		if err != nil || r.ValidationStatus != "unknown" {
			t.Fatalf("%+v %v", r, err)
		}
		_, _, err = p.PutRecord(ctx, did, Write{Collection: "com.example.thing", RKey: "b", Value: map[string]any{"x": int64(1)}}, ValidateOn, nil)
		if rhizome.NameOf(err) != "InvalidRecord" {
			t.Fatalf("validate=true on unknown: %v", err)
		}
	})
	t.Run("lexicon violation", func(t *testing.T) {
		_, _, err := p.CreateRecord(ctx, did, Write{Collection: "app.bsky.feed.post", Value: map[string]any{"text": "x"}}, ValidateAuto, nil)
		if rhizome.NameOf(err) != "InvalidRecord" {
			t.Fatalf("%v", err)
		}
	})
	t.Run("swap record", func(t *testing.T) {
		stale := cid.Sum(cid.DagCBOR, []byte("stale"))
		_, _, err := p.PutRecord(ctx, did, Write{Collection: "app.bsky.feed.post", RKey: rkey, Value: post("two"), Swap: &stale}, ValidateAuto, nil)
		if rhizome.NameOf(err) != "InvalidSwap" {
			t.Fatalf("%v", err)
		}
		up, _, err := p.PutRecord(ctx, did, Write{Collection: "app.bsky.feed.post", RKey: rkey, Value: post("two"), Swap: &res.CID}, ValidateAuto, nil)
		if err != nil || up.CID == res.CID {
			t.Fatalf("%+v %v", up, err)
		}
	})
	t.Run("swap commit", func(t *testing.T) {
		_, _, err := p.CreateRecord(ctx, did, Write{Collection: "app.bsky.feed.post", Value: post("x")}, ValidateAuto, &meta.CID)
		if rhizome.NameOf(err) != "InvalidSwap" {
			t.Fatalf("%v", err)
		}
	})
	t.Run("delete is idempotent", func(t *testing.T) {
		for i := 0; i < 2; i++ {
			if _, err := p.DeleteRecord(ctx, did, Write{Collection: "app.bsky.feed.post", RKey: rkey}, nil); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := p.GetRecord(ctx, did, "app.bsky.feed.post", rkey, nil); rhizome.NameOf(err) != "RecordNotFound" {
			t.Fatalf("%v", err)
		}
	})
	t.Run("batch is atomic", func(t *testing.T) {
		before, _ := p.LatestCommit(ctx, did)
		ws := []Write{{Action: repo.Create, Collection: "app.bsky.feed.post", RKey: "ok1", Value: post("a")},
			{Action: repo.Update, Collection: "app.bsky.feed.post", RKey: "missing", Value: post("b")}}
		if _, _, err := p.ApplyWrites(ctx, did, ws, ValidateAuto, nil); err == nil {
			t.Fatal("batch with a failing write applied")
		}
		after, _ := p.LatestCommit(ctx, did)
		if after != before {
			t.Fatal("failed batch moved the head")
		}
	})
	verifyRepo(t, p, did)
}

// verifyRepo exports the repository and verifies it against the account key.
func verifyRepo(t *testing.T, p *testPod, did syntax.DID) int {
	t.Helper()
	var buf bytes.Buffer
	if err := p.GetRepo(ctx, did, "", &buf); err != nil {
		t.Fatal(err)
	}
	k, _ := p.ids.SigningKey(ctx, did)
	_, st, err := repo.ReadCAR(ctx, &buf, mem.NewBlocks(), repo.ImportOptions{DID: did, Key: k})
	if err != nil {
		t.Fatalf("exported repo does not verify: %v", err)
	}
	return st.Records
}

func TestPDS_ConcurrentWrites(t *testing.T) {
	p := newTestPod(t)
	did := p.account(t, "alice").Account.DID
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				_, _, err := p.CreateRecord(ctx, did, Write{Collection: "app.bsky.feed.post", Value: post(fmt.Sprint(g, i))}, ValidateAuto, nil)
				if err != nil {
					errs <- err
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := verifyRepo(t, p, did); n != 40 {
		t.Fatalf("%d records, want 40", n)
	}
}

func TestPDS_Blobs(t *testing.T) {
	p := newTestPod(t)
	did := p.account(t, "alice").Account.DID
	b, err := p.UploadBlob(ctx, did, "image/png", strings.NewReader("not really a png"))
	if err != nil {
		t.Fatal(err)
	}
	rec := post("with image")
	rec["embed"] = map[string]any{"$type": "app.bsky.embed.images", "images": []any{
		map[string]any{"alt": "", "image": b.Map()}}}
	if _, _, err := p.CreateRecord(ctx, did, Write{Collection: "app.bsky.feed.post", Value: rec}, ValidateAuto, nil); err != nil {
		t.Fatal(err)
	}
	got, _ := p.ListBlobs(ctx, did, "", store.Page{})
	if len(got) != 1 || got[0] != b.Ref {
		t.Fatalf("listBlobs = %v", got)
	}
	missing := cid.Sum(cid.Raw, []byte("never uploaded"))
	rec2 := post("ghost")
	rec2["embed"] = map[string]any{"$type": "app.bsky.embed.images", "images": []any{
		map[string]any{"alt": "", "image": map[string]any{"$type": "blob", "ref": missing, "mimeType": "image/png", "size": int64(3)}}}}
	if _, _, err := p.CreateRecord(ctx, did, Write{Collection: "app.bsky.feed.post", Value: rec2}, ValidateAuto, nil); rhizome.NameOf(err) != "BlobNotFound" {
		t.Fatalf("record with a missing blob: %v", err)
	}
	r, err := p.GetBlob(ctx, did, b.Ref, 4, 6)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var buf bytes.Buffer
	buf.ReadFrom(r)
	if buf.String() != "really" || r.Blob.MimeType != "image/png" {
		t.Fatalf("range read %q %s", buf.String(), r.Blob.MimeType)
	}
}

func TestPDS_ImportRepo(t *testing.T) {
	p := newTestPod(t)
	src := p.account(t, "alice").Account.DID
	for i := 0; i < 30; i++ {
		if _, _, err := p.CreateRecord(ctx, src, Write{Collection: "app.bsky.feed.post", Value: post(fmt.Sprint(i))}, ValidateAuto, nil); err != nil {
			t.Fatal(err)
		}
	}
	var car bytes.Buffer
	if err := p.GetRepo(ctx, src, "", &car); err != nil {
		t.Fatal(err)
	}
	t.Run("wrong DID", func(t *testing.T) {
		other := p.account(t, "bob").Account.DID
		if err := p.ImportRepo(ctx, other, bytes.NewReader(car.Bytes())); !rhizome.Is(err, rhizome.Invalid) {
			t.Fatalf("imported alice's repo into bob: %v", err)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		if err := p.ImportRepo(ctx, src, bytes.NewReader(car.Bytes()[:car.Len()/2])); !rhizome.Is(err, rhizome.Invalid) {
			t.Fatalf("truncated CAR: %v", err)
		}
	})
	t.Run("round trip", func(t *testing.T) {
		before, _ := p.LatestCommit(ctx, src)
		if err := p.ImportRepo(ctx, src, bytes.NewReader(car.Bytes())); err != nil {
			t.Fatal(err)
		}
		after, _ := p.LatestCommit(ctx, src)
		if after.Data != before.Data || after.Rev <= before.Rev {
			t.Fatalf("import changed the tree or did not advance rev: %+v -> %+v", before, after)
		}
		if n := verifyRepo(t, p, src); n != 30 {
			t.Fatalf("%d records after import", n)
		}
		recs, _ := p.ListRecords(ctx, src, "app.bsky.feed.post", store.Page{Limit: 100})
		if len(recs) != 30 {
			t.Fatalf("record index has %d after import", len(recs))
		}
	})
	t.Run("stores only what the new head reaches", func(t *testing.T) {
		junk, err := data.MarshalCBOR(map[string]any{"$type": "app.bsky.feed.post", "text": "in the CAR, in no tree"})
		if err != nil {
			t.Fatal(err)
		}
		padded := withBlock(t, car.Bytes(), rhizome.Block{CID: cid.Sum(cid.DagCBOR, junk), Data: junk})
		if err := p.ImportRepo(ctx, src, bytes.NewReader(padded)); err != nil {
			t.Fatal(err)
		}
		if s, r := storedBlocks(t, p, src), reachableBlocks(t, p, src); s != r {
			t.Fatalf("after import the store holds %d blocks, the repository %d", s, r)
		}
	})
}

func TestPDS_Status(t *testing.T) {
	p := newTestPod(t)
	did := p.account(t, "alice").Account.DID
	if err := p.SetStatus(ctx, did, store.Deactivated); err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.CreateRecord(ctx, did, Write{Collection: "app.bsky.feed.post", Value: post("x")}, ValidateAuto, nil); rhizome.NameOf(err) != "RepoDeactivated" {
		t.Fatalf("write to deactivated: %v", err)
	}
	if _, err := p.ListRecords(ctx, did, "app.bsky.feed.post", store.Page{}); !rhizome.Is(err, rhizome.NotFound) {
		t.Fatalf("read of deactivated: %v", err)
	}
	if err := p.DeleteAccount(ctx, did); err != nil {
		t.Fatal(err)
	}
	if _, err := p.GetRepoStatus(ctx, did); !rhizome.Is(err, rhizome.NotFound) {
		t.Fatalf("deleted account still has a status: %v", err)
	}
}

func TestPDS_LifecycleEvents(t *testing.T) {
	p := newTestPod(t)
	notified := 0
	p.onEvent = func() { notified++ }
	did := p.account(t, "alice").Account.DID
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(p.SetStatus(ctx, did, store.Deactivated))
	must(p.SetStatus(ctx, did, store.Deactivated)) // no change, no event
	must(p.SetStatus(ctx, did, store.Active))
	must(p.UpdateHandle(ctx, did, "alicia.test"))
	evs, err := p.store.EventsAfter(ctx, 0, 100)
	must(err)
	var got []string
	for _, e := range evs {
		v, err := data.UnmarshalCBOR(e.Body)
		must(err)
		m := v.(map[string]any)
		desc := e.Type
		switch e.Type {
		case "account":
			desc += fmt.Sprintf("(%v,%v)", m["active"], m["status"])
		case "identity":
			desc += fmt.Sprintf("(%v)", m["handle"])
		case "commit":
			desc += fmt.Sprintf("(since=%v,ops=%d)", m["since"], len(m["ops"].([]any)))
		}
		got = append(got, desc)
	}
	want := []string{"identity(alice.test)", "account(true,<nil>)", "commit(since=<nil>,ops=0)",
		"account(false,deactivated)", "identity(alice.test)", "account(true,<nil>)", "sync", "identity(alicia.test)"}
	if !slices.Equal(got, want) {
		t.Fatalf("events\n got %v\nwant %v", got, want)
	}
	if notified != 5 {
		t.Fatalf("OnEvent called %d times, want 5 (one per write that appended events; activation is two)", notified)
	}
}

func TestPDS_ApplyWrites_RefusesCommitsTooBigForTheStream(t *testing.T) {
	p := newTestPod(t)
	did := p.account(t, "alice").Account.DID
	before, _ := p.LatestCommit(ctx, did)
	var ws []Write
	for i := range 5 {
		ws = append(ws, Write{Action: repo.Create, Collection: "com.example.blob", RKey: syntax.RecordKey(fmt.Sprint("k", i)),
			Value: map[string]any{"$type": "com.example.blob", "data": bytes.Repeat([]byte{byte(i)}, 500_000)}})
	}
	_, _, err := p.ApplyWrites(ctx, did, ws, ValidateAuto, nil)
	if !rhizome.Is(err, rhizome.TooLarge) {
		t.Fatalf("a 2.5 MB commit: %v, want TooLarge", err)
	}
	if after, _ := p.LatestCommit(ctx, did); after != before {
		t.Fatal("the refused commit moved the head")
	}
	if _, _, err := p.ApplyWrites(ctx, did, ws[:3], ValidateAuto, nil); err != nil {
		t.Fatalf("a 1.5 MB commit: %v", err)
	}
	verifyRepo(t, p, did)
}
