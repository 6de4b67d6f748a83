package backup

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/mem"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/syntax"
)

var ctx = context.Background()

func init() { WorkFactor = 10 }

func TestIndex_Encode(t *testing.T) {
	c1, c2 := cid.Sum(cid.DagCBOR, []byte("a")), cid.Sum(cid.DagCBOR, []byte("b"))
	old := []op{{Key: "app.bsky.feed.post/3a", Val: c1}, {Key: "app.bsky.feed.post/3b", Val: c1}, {Key: "app.bsky.feed.post/3c", Val: c1}}
	cur := []op{{Key: "app.bsky.feed.post/3a", Val: c1}, {Key: "app.bsky.feed.post/3b", Val: c2}, {Key: "app.bsky.feed.post/3d", Val: c2}}
	d := diff(old, cur)
	want := []op{{Key: "app.bsky.feed.post/3b", Val: c2}, {Key: "app.bsky.feed.post/3c"}, {Key: "app.bsky.feed.post/3d", Val: c2}}
	if !slices.Equal(d, want) {
		t.Fatalf("diff = %v; want %v", d, want)
	}
	t.Run("round trip", func(t *testing.T) {
		for _, c := range []struct {
			kind indexKind
			ops  []op
		}{{fullIndex, old}, {deltaIndex, d}, {fullIndex, nil}} {
			kind, got, err := decodeIndex(encodeIndex(c.kind, c.ops))
			if err != nil || kind != c.kind || !slices.Equal(got, c.ops) {
				t.Errorf("%c %v: decoded %c %v, %v", c.kind, c.ops, kind, got, err)
			}
		}
	})
	t.Run("rejects", func(t *testing.T) {
		good := encodeIndex(deltaIndex, d)
		for name, b := range map[string][]byte{
			"a delete in a full index": encodeIndex(fullIndex, d),
			"keys out of order":        encodeIndex(fullIndex, []op{old[1], old[0]}),
			"a cut CID":                good[:len(good)-3],
			"another magic":            append([]byte("x"), good[1:]...),
		} {
			if _, _, err := decodeIndex(b); !rhizome.Is(err, rhizome.Corrupt) {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
}

func TestArchive_Open(t *testing.T) {
	dir := Dir(t.TempDir())
	acc, err := Passphrase([]byte("right"))
	must(t, err)
	if _, err := Open(ctx, dir, acc); !rhizome.Is(err, rhizome.NotFound) {
		t.Fatalf("open an empty folder: %v", err)
	}
	_, err = Create(ctx, dir, acc)
	must(t, err)
	if _, err := Create(ctx, dir, acc); !rhizome.Is(err, rhizome.Exists) {
		t.Errorf("create over an archive: %v", err)
	}
	wrong, _ := Passphrase([]byte("wrong"))
	if _, err := Open(ctx, dir, wrong); !rhizome.Is(err, rhizome.Unauthorized) {
		t.Errorf("open with the wrong passphrase: %v", err)
	}
	if _, err := Open(ctx, dir, acc); err != nil {
		t.Errorf("open with the right passphrase: %v", err)
	}
	t.Run("recipients", func(t *testing.T) {
		id, _ := age.GenerateX25519Identity()
		other, _ := age.GenerateX25519Identity()
		d := Dir(t.TempDir())
		_, err := Create(ctx, d, Access{Recipients: []age.Recipient{id.Recipient()}})
		must(t, err)
		if _, err := Open(ctx, d, Access{Identities: []age.Identity{other}}); !rhizome.Is(err, rhizome.Unauthorized) {
			t.Errorf("open with another identity: %v", err)
		}
		if _, err := Open(ctx, d, Access{Identities: []age.Identity{id}}); err != nil {
			t.Errorf("open with the identity: %v", err)
		}
	})
}

func TestDir_Put(t *testing.T) { checkTarget(t, Dir(t.TempDir())) }

// checkTarget is what every Target must do, and an archive on it.
func checkTarget(t *testing.T, d Target) {
	t.Run("files", func(t *testing.T) {
		must(t, d.Put(ctx, "objects/ab/abc", []byte("x")))
		must(t, d.Put(ctx, "snapshots/s1", []byte("y")))
		must(t, d.Put(ctx, "snapshots/s1", []byte("z")))
		if got, err := d.List(ctx, "objects/"); err != nil || !slices.Equal(got, []string{"objects/ab/abc"}) {
			t.Errorf("list = %v, %v", got, err)
		}
		if got, err := d.Get(ctx, "snapshots/s1"); err != nil || string(got) != "z" {
			t.Errorf("get = %q, %v", got, err)
		}
		if got, err := d.List(ctx, "nothing/"); err != nil || len(got) != 0 {
			t.Errorf("list an empty folder = %v, %v", got, err)
		}
		if ok, err := d.Has(ctx, "objects/ab/abd"); ok || err != nil {
			t.Errorf("has a file never put: %v", err)
		}
		if _, err := d.Get(ctx, "objects/ab/abd"); !rhizome.Is(err, rhizome.NotFound) || !strings.Contains(err.Error(), "objects/ab/abd") {
			t.Errorf("get a missing file: %v", err)
		}
		for _, bad := range []string{"../x", "/etc/passwd", "a/../../b", "", "a//b"} {
			if err := d.Put(ctx, bad, nil); !rhizome.Is(err, rhizome.Invalid) {
				t.Errorf("put %q: %v", bad, err)
			}
		}
	})
	t.Run("an archive", func(t *testing.T) {
		acc, _ := Passphrase([]byte("p"))
		a, err := Create(ctx, d, acc)
		must(t, err)
		name, wrote, err := a.put(ctx, objectsDir, []byte("hello"))
		must(t, err)
		_, again, err := a.put(ctx, objectsDir, []byte("hello"))
		must(t, err)
		if !wrote || again {
			t.Errorf("put wrote %t, then %t", wrote, again)
		}
		b, err := Open(ctx, d, acc)
		must(t, err)
		if got, err := b.get(ctx, name); err != nil || string(got) != "hello" {
			t.Errorf("get = %q, %v", got, err)
		}
	})
}

// TestArchive_Verify_Tree stores snapshots by hand that a pod could not
// produce: a record missing from the packs, an index that does not
// rebuild the signed tree, a commit signed by another key.
func TestArchive_Verify_Tree(t *testing.T) {
	r := newRepo(t, 40)
	cases := []struct {
		name  string
		edit  func(*handmade)
		error string
	}{
		{"complete", func(*handmade) {}, ""},
		{"a record missing from the packs", func(h *handmade) { h.skip = h.entries[7].Val }, "is in none of the snapshot's"},
		{"an index entry changed", func(h *handmade) { h.entries[3].Val = h.entries[4].Val }, "rebuilds a tree with root"},
		{"an index entry dropped", func(h *handmade) { h.entries = slices.Delete(h.entries, 5, 6) }, "rebuilds a tree with root"},
		{"another signing key", func(h *handmade) { h.key = genKey(t).PublicKey().DIDKey() }, "is not signed by"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			acc, _ := Passphrase([]byte("p"))
			a, err := Create(ctx, Dir(t.TempDir()), acc)
			must(t, err)
			h := r.clone()
			c.edit(h)
			s := h.store(t, a)
			_, err = a.Verify(ctx, s, nil)
			switch {
			case c.error == "" && err != nil:
				t.Fatalf("verify: %v", err)
			case c.error != "" && (err == nil || !strings.Contains(err.Error(), c.error)):
				t.Fatalf("verify: %v; want %q", err, c.error)
			}
		})
	}
}

// handmade is a repository and what a snapshot of it stores.
type handmade struct {
	bs      *mem.Blocks
	head    cid.CID
	entries []op
	key     string
	skip    cid.CID
}

func (h *handmade) clone() *handmade {
	c := *h
	c.entries = slices.Clone(h.entries)
	return &c
}

func newRepo(t *testing.T, n int) *handmade {
	t.Helper()
	s := genKey(t)
	did := syntax.DID("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa")
	bs := mem.NewBlocks()
	clock := syntax.NewTIDClock(1)
	r, res, err := repo.New(ctx, bs, did, s, clock)
	must(t, err)
	must(t, bs.PutBlocks(ctx, res.Blocks))
	var writes []repo.Write
	for i := range n {
		rec, err := data.MarshalCBOR(map[string]any{"$type": "app.bsky.feed.post", "text": fmt.Sprintf("post %d", i), "createdAt": time.Now().UTC().Format(time.RFC3339)})
		must(t, err)
		writes = append(writes, repo.Write{Action: repo.Create, Collection: "app.bsky.feed.post", RKey: syntax.RecordKey(clock.NextAfter("")), Record: rec})
	}
	res, err = r.Apply(ctx, writes, s, clock)
	must(t, err)
	must(t, bs.PutBlocks(ctx, res.Blocks))
	h := &handmade{bs: bs, head: res.CID, key: s.PublicKey().DIDKey()}
	must(t, r.Tree().Walk(ctx, "", func(k string, v cid.CID) error { h.entries = append(h.entries, op{Key: k, Val: v}); return nil }))
	return h
}

// store writes the snapshot as Backup would, with the edits.
func (h *handmade) store(t *testing.T, a *Archive) Snapshot {
	t.Helper()
	r, err := repo.Open(ctx, h.bs, h.head)
	must(t, err)
	commit, _ := r.Head()
	entries, blocks, err := contents(ctx, r, h.bs)
	must(t, err)
	c := &creator{a: a, prog: func(Progress) {}, m: &Manifest{Format: Version, DID: commit.DID, SigningKey: h.key,
		Commit: h.head.String(), Data: commit.Data.String(), Rev: string(commit.Rev), Records: len(entries), Blocks: len(blocks)}}
	pw := &packer{c: c}
	for _, b := range blocks {
		if b.CID != h.skip {
			must(t, pw.add(ctx, b))
		}
	}
	must(t, pw.flush(ctx))
	must(t, c.index(ctx, h.entries))
	id, err := a.putManifest(ctx, c.m)
	must(t, err)
	return Snapshot{ID: id, Manifest: c.m}
}

func genKey(t *testing.T) keys.Signer {
	t.Helper()
	k, err := keys.Generate(keys.K256)
	must(t, err)
	return k
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
