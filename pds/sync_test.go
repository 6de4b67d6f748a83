package pds

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/car"
	"github.com/rhizome-pds/rhizome/cid"
)

func TestPDS_GetRepo(t *testing.T) {
	p := newTestPod(t)
	did := p.account(t, "alice").Account.DID
	var gone cid.CID
	for i := range 40 {
		res, _, err := p.CreateRecord(ctx, did, Write{Collection: "app.bsky.feed.post", Value: post(fmt.Sprint("post ", i))}, ValidateAuto, nil)
		if err != nil {
			t.Fatal(err)
		}
		if i == 7 {
			gone = res.CID
			if _, err := p.DeleteRecord(ctx, did, Write{Collection: "app.bsky.feed.post", RKey: res.URI.RecordKey()}, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	export := func(t *testing.T) []byte {
		var buf bytes.Buffer
		if err := p.GetRepo(ctx, did, "", &buf); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	scanned := export(t)
	t.Run("walked from the store when over the snapshot budget", func(t *testing.T) {
		defer func(n int) { snapshotBytes = n }(snapshotBytes)
		snapshotBytes = 0
		walked := carBlocks(t, export(t))
		if got := carBlocks(t, scanned); !maps.EqualFunc(walked, got, bytes.Equal) {
			t.Fatalf("walked export (%d blocks) differs from the scanned one (%d blocks)", len(walked), len(got))
		}
	})
	t.Run("holds no block the head does not reach", func(t *testing.T) {
		_, err := car.ReadAll(bytes.NewReader(scanned), func(c cid.CID, _ []byte) error {
			if c == gone {
				return fmt.Errorf("the deleted record's block %s is in the export", c)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := verifyRepo(t, p, did); n != 39 {
			t.Fatalf("export holds %d records, want 39", n)
		}
	})
}

// withBlock returns the CAR b with one more block at its end.
func withBlock(t *testing.T, b []byte, extra rhizome.Block) []byte {
	t.Helper()
	r, err := car.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w, err := car.NewWriter(&out, r.Roots()...)
	for err == nil {
		var c cid.CID
		var data []byte
		if c, data, err = r.Next(); err == nil {
			err = w.Put(c, data)
		}
	}
	if err == io.EOF {
		if err = w.Put(extra.CID, extra.Data); err == nil {
			err = w.Close()
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// carBlocks reads a CAR whose root is its first block into a map.
func carBlocks(t *testing.T, b []byte) map[cid.CID][]byte {
	t.Helper()
	out := map[cid.CID][]byte{}
	var first cid.CID
	roots, err := car.ReadAll(bytes.NewReader(b), func(c cid.CID, data []byte) error {
		if len(out) == 0 {
			first = c
		}
		out[c] = bytes.Clone(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(roots) != 1 || roots[0] != first {
		t.Fatalf("CAR roots %v, first block %s", roots, first)
	}
	return out
}
