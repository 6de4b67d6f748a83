package repo

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/mem"
	"github.com/rhizome-pds/rhizome/mst"
	"github.com/rhizome-pds/rhizome/syntax"
)

const testDID = syntax.DID("did:plc:testtesttesttesttesttest")

type fixture struct {
	bs    *mem.Blocks
	key   keys.Signer
	clock *syntax.TIDClock
	repo  *Repo
}

func newFixture(t testing.TB, curve keys.Curve) *fixture {
	t.Helper()
	key, err := keys.Generate(curve)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{bs: mem.NewBlocks(), key: key, clock: syntax.NewTIDClock(syntax.RandomClockID())}
	r, res, err := New(context.Background(), f.bs, testDID, key, f.clock)
	if err != nil {
		t.Fatal(err)
	}
	f.persist(t, res)
	f.repo = r
	return f
}

func (f *fixture) persist(t testing.TB, res *Result) {
	t.Helper()
	if err := f.bs.PutBlocks(context.Background(), res.Blocks); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) apply(t testing.TB, ws ...Write) *Result {
	t.Helper()
	res, err := f.repo.Apply(context.Background(), ws, f.key, f.clock)
	if err != nil {
		t.Fatal(err)
	}
	f.persist(t, res)
	return res
}

func record(t testing.TB, text string) []byte {
	t.Helper()
	b, err := data.MarshalCBOR(map[string]any{"$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-11-21T00:00:00Z"})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func create(rkey string, rec []byte) Write {
	return Write{Action: Create, Collection: "app.bsky.feed.post", RKey: syntax.RecordKey(rkey), Record: rec}
}

func TestRepo_Apply(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, keys.K256)
	first := f.repo.Rev()
	res := f.apply(t, create("a1", record(t, "one")), create("a2", record(t, "two")))
	if len(res.Ops) != 2 || !res.Ops[0].IsCreate() {
		t.Fatalf("ops = %+v", res.Ops)
	}
	if res.Since != first || res.Commit.Rev <= first {
		t.Fatalf("rev %s does not follow %s", res.Commit.Rev, first)
	}
	if err := res.Commit.Verify(f.key.PublicKey()); err != nil {
		t.Fatal(err)
	}
	c, body, err := f.repo.Get(ctx, "app.bsky.feed.post", "a1")
	if err != nil || !bytes.Equal(body, record(t, "one")) || !c.Matches(body) {
		t.Fatalf("Get: %v", err)
	}
	t.Run("update with swap", func(t *testing.T) {
		res := f.apply(t, Write{Action: Update, Collection: "app.bsky.feed.post", RKey: "a1", Record: record(t, "uno"), Swap: &c})
		if !res.Ops[0].IsUpdate() || res.Ops[0].Old != c {
			t.Fatalf("op = %+v", res.Ops[0])
		}
	})
	t.Run("delete", func(t *testing.T) {
		res := f.apply(t, Write{Action: Delete, Collection: "app.bsky.feed.post", RKey: "a2"})
		if !res.Ops[0].IsDelete() {
			t.Fatalf("op = %+v", res.Ops[0])
		}
		if _, _, err := f.repo.Get(ctx, "app.bsky.feed.post", "a2"); !rhizome.Is(err, rhizome.NotFound) {
			t.Fatalf("deleted record: %v", err)
		}
	})
}

func TestRepo_ApplyRejects(t *testing.T) {
	f := newFixture(t, keys.P256)
	f.apply(t, create("x", record(t, "x")))
	before, _ := f.repo.Head()
	stale := cid.Sum(cid.DagCBOR, []byte("stale"))
	many := make([]Write, MaxOps+1)
	for i := range many {
		many[i] = create(fmt.Sprintf("k%d", i), record(t, "m"))
	}
	cases := map[string]struct {
		writes []Write
		kind   rhizome.Kind
	}{
		"empty batch":       {nil, rhizome.Invalid},
		"too many":          {many, rhizome.TooLarge},
		"create existing":   {[]Write{create("x", record(t, "again"))}, rhizome.Exists},
		"update missing":    {[]Write{{Action: Update, Collection: "app.bsky.feed.post", RKey: "nope", Record: record(t, "n")}}, rhizome.NotFound},
		"delete missing":    {[]Write{{Action: Delete, Collection: "app.bsky.feed.post", RKey: "nope"}}, rhizome.NotFound},
		"stale swap":        {[]Write{{Action: Delete, Collection: "app.bsky.feed.post", RKey: "x", Swap: &stale}}, rhizome.Conflict},
		"same path twice":   {[]Write{create("y", record(t, "1")), create("y", record(t, "2"))}, rhizome.Invalid},
		"not a record":      {[]Write{create("z", []byte{0x01})}, rhizome.Invalid},
		"float in record":   {[]Write{create("z", []byte{0xa1, 0x61, 0x61, 0xf9, 0x3c, 0x00})}, rhizome.Invalid},
		"record too large":  {[]Write{create("z", make([]byte, MaxRecordSize+1))}, rhizome.TooLarge},
		"bad path":          {[]Write{{Action: Create, Collection: "app.bsky.feed.post", RKey: "a/b", Record: record(t, "p")}}, rhizome.Invalid},
		"partial then fail": {[]Write{create("ok", record(t, "ok")), create("x", record(t, "dup"))}, rhizome.Exists},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := f.repo.Apply(context.Background(), c.writes, f.key, f.clock)
			if !rhizome.Is(err, c.kind) {
				t.Fatalf("err = %v, want kind %v", err, c.kind)
			}
			if after, _ := f.repo.Head(); after != before {
				t.Fatal("a failed batch moved the head")
			}
		})
	}
	if _, _, err := f.repo.Get(context.Background(), "app.bsky.feed.post", "ok"); !rhizome.Is(err, rhizome.NotFound) {
		t.Fatalf("a write from a failed batch is visible: %v", err)
	}
}

func TestCommit_Verify(t *testing.T) {
	f := newFixture(t, keys.K256)
	res := f.apply(t, create("a", record(t, "a")))
	other, _ := keys.Generate(keys.K256)
	if err := res.Commit.Verify(other.PublicKey()); !rhizome.Is(err, rhizome.Invalid) {
		t.Fatalf("verified with the wrong key: %v", err)
	}
	decoded, err := DecodeCommit(res.Commit.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := decoded.Verify(f.key.PublicKey()); err != nil {
		t.Fatal(err)
	}
	tampered := *decoded
	tampered.Rev = f.clock.Next()
	if err := tampered.Verify(f.key.PublicKey()); err == nil {
		t.Fatal("tampered commit verified")
	}
	sig := append([]byte(nil), decoded.Sig...)
	sig[10] ^= 1
	tampered = *decoded
	tampered.Sig = sig
	if err := tampered.Verify(f.key.PublicKey()); err == nil {
		t.Fatal("tampered signature verified")
	}
}

func TestResult_ProofInvertsToPrevData(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, keys.K256)
	rng := rand.New(rand.NewPCG(1, 1))
	var live []string
	for i := 0; i < 60; i++ {
		var ws []Write
		for j := 0; j < 1+rng.IntN(8); j++ {
			rk := fmt.Sprintf("r%d-%d", i, j)
			ws = append(ws, create(rk, record(t, rk)))
			live = append(live, rk)
		}
		if i%3 == 2 && len(live) > 10 {
			k := rng.IntN(len(live) - 8)
			ws = append(ws, Write{Action: Delete, Collection: "app.bsky.feed.post", RKey: syntax.RecordKey(live[k])})
			live = append(live[:k], live[k+1:]...)
		}
		res := f.apply(t, ws...)
		// A consumer has only the event's blocks: the new ones and the proof.
		ev := mem.NewBlocks()
		if err := ev.PutBlocks(ctx, res.Blocks); err != nil {
			t.Fatal(err)
		}
		for _, c := range res.Proof {
			b, err := rhizome.GetBlock(ctx, f.bs, c)
			if err != nil {
				t.Fatal(err)
			}
			ev.Put(cid.DagCBOR, b)
		}
		tree := mst.Load(ev, res.Commit.Data)
		if err := tree.Invert(ctx, res.Ops); err != nil {
			t.Fatalf("commit %d: %v", i, err)
		}
		if tree.Root() != res.PrevData {
			t.Fatalf("commit %d: inverted root is not prevData", i)
		}
	}
}
