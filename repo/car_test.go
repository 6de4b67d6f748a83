package repo

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/car"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/mem"
)

// populated returns a fixture holding n records written in batches.
func populated(t testing.TB, n int) *fixture {
	f := newFixture(t, keys.K256)
	for i := 0; i < n; {
		var ws []Write
		for j := 0; j < 100 && i < n; j, i = j+1, i+1 {
			rk := fmt.Sprintf("rec%06d", i)
			ws = append(ws, create(rk, record(t, rk)))
		}
		f.apply(t, ws...)
	}
	return f
}

func exportCAR(t testing.TB, f *fixture) []byte {
	t.Helper()
	var buf bytes.Buffer
	_, head := f.repo.Head()
	if err := WriteCAR(context.Background(), &buf, f.bs, head); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCAR_RoundTrip(t *testing.T) {
	ctx := context.Background()
	f := populated(t, 1500)
	raw := exportCAR(t, f)
	opts := ImportOptions{DID: testDID, Key: f.key.PublicKey()}
	r, st, err := ReadCAR(ctx, bytes.NewReader(raw), mem.NewBlocks(), opts)
	if err != nil {
		t.Fatal(err)
	}
	_, want := f.repo.Head()
	if _, got := r.Head(); got != want {
		t.Fatalf("imported head %s, want %s", got, want)
	}
	if st.Records != 1500 || st.Nodes == 0 {
		t.Fatalf("stats %+v", st)
	}
	// Exporting the import gives the same bytes: the order is deterministic.
	var again bytes.Buffer
	if err := WriteCAR(ctx, &again, f.bs, want); err != nil || !bytes.Equal(again.Bytes(), raw) {
		t.Fatalf("export is not deterministic (err %v)", err)
	}
}

func TestReadCAR_Rejects(t *testing.T) {
	ctx := context.Background()
	f := populated(t, 300)
	raw := exportCAR(t, f)
	other, _ := keys.Generate(keys.K256)
	good := ImportOptions{DID: testDID, Key: f.key.PublicKey()}
	cases := map[string]struct {
		data []byte
		opts ImportOptions
		kind rhizome.Kind
	}{
		"wrong key":        {raw, ImportOptions{Key: other.PublicKey()}, rhizome.Invalid},
		"wrong did":        {raw, ImportOptions{DID: "did:plc:someoneelseentirelyxx"}, rhizome.Invalid},
		"flipped byte":     {flip(raw, len(raw)/2), good, rhizome.Corrupt},
		"truncated":        {raw[:len(raw)-40], good, rhizome.Invalid},
		"missing record":   {dropBlock(t, raw, 3), good, rhizome.NotFound},
		"missing mst node": {dropBlock(t, raw, 1), good, rhizome.NotFound},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := ReadCAR(ctx, bytes.NewReader(c.data), mem.NewBlocks(), c.opts)
			if !rhizome.Is(err, c.kind) {
				t.Fatalf("err = %v, want kind %v", err, c.kind)
			}
		})
	}
}

func flip(b []byte, i int) []byte {
	out := bytes.Clone(b)
	out[i] ^= 0x01
	return out
}

// dropBlock rewrites a CAR without its i-th block.
func dropBlock(t testing.TB, raw []byte, i int) []byte {
	t.Helper()
	r, err := car.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := car.NewWriter(&buf, r.Roots()...)
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; ; n++ {
		c, data, err := r.Next()
		if err != nil {
			break
		}
		if n != i {
			if err := w.Put(c, data); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWriteDiffCAR_AppliesOnTop(t *testing.T) {
	ctx := context.Background()
	f := populated(t, 800)
	_, from := f.repo.Head()
	f.apply(t, create("new1", record(t, "n1")), Write{Action: Delete, Collection: "app.bsky.feed.post", RKey: "rec000010"})
	f.apply(t, Write{Action: Update, Collection: "app.bsky.feed.post", RKey: "rec000020", Record: record(t, "changed")})
	_, to := f.repo.Head()
	var full, diff bytes.Buffer
	if err := WriteCAR(ctx, &full, f.bs, from); err != nil {
		t.Fatal(err)
	}
	if err := WriteDiffCAR(ctx, &diff, f.bs, from, to); err != nil {
		t.Fatal(err)
	}
	if diff.Len()*10 > full.Len() {
		t.Fatalf("diff CAR of %d bytes is not small beside the full %d", diff.Len(), full.Len())
	}
	replica := mem.NewBlocks()
	if _, _, err := ReadCAR(ctx, &full, replica, ImportOptions{Key: f.key.PublicKey()}); err != nil {
		t.Fatal(err)
	}
	if _, err := car.ReadAll(&diff, func(c cid.CID, d []byte) error {
		return replica.PutBlocks(ctx, []rhizome.Block{{CID: c, Data: d}})
	}); err != nil {
		t.Fatal(err)
	}
	r, err := Open(ctx, replica, to)
	if err != nil {
		t.Fatal(err)
	}
	if _, recs, err := r.Verify(ctx); err != nil || recs != 800 {
		t.Fatalf("replica after diff: %d records, %v", recs, err)
	}
}
