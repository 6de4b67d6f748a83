package mst

import (
	"context"
	"fmt"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cbor"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/mem"
)

// keysOfHeight returns n sorted keys of height h.
func keysOfHeight(h, n int) []string {
	var out []string
	for i := 0; len(out) < n; i++ {
		k := fmt.Sprintf("com.example.x/k%06d", i)
		if Height(k) == h {
			out = append(out, k)
		}
	}
	return out
}

type rawEntry struct {
	p      int
	suffix string
	right  *cid.CID
}

// rawNode encodes a node exactly as given, canonical or not.
func rawNode(left *cid.CID, entries ...rawEntry) []byte {
	val := cid.Sum(cid.Raw, []byte("v"))
	b := cbor.AppendMapHeader(nil, 2)
	b = cbor.AppendText(b, "e")
	b = cbor.AppendArrayHeader(b, len(entries))
	for _, e := range entries {
		b = cbor.AppendMapHeader(b, 4)
		b = cbor.AppendText(b, "k")
		b = cbor.AppendBytes(b, []byte(e.suffix))
		b = cbor.AppendText(b, "p")
		b = cbor.AppendInt(b, int64(e.p))
		b = cbor.AppendText(b, "t")
		b = optLink(b, e.right)
		b = cbor.AppendText(b, "v")
		b = cbor.AppendLink(b, val)
	}
	b = cbor.AppendText(b, "l")
	return optLink(b, left)
}

func optLink(b []byte, c *cid.CID) []byte {
	if c == nil {
		return cbor.AppendNull(b)
	}
	return cbor.AppendLink(b, *c)
}

func TestDecodeNode_RejectsBrokenStructure(t *testing.T) {
	ctx := context.Background()
	h0, h1 := keysOfHeight(0, 3), keysOfHeight(1, 2)
	bs := mem.NewBlocks()
	leaf := bs.Put(cid.DagCBOR, rawNode(nil, rawEntry{suffix: h0[0]}))
	empty := bs.Put(cid.DagCBOR, rawNode(nil))
	big := bs.Put(cid.DagCBOR, rawNode(nil, rawEntry{suffix: "zzz.example/late"}))
	p := commonPrefix(h0[0], h0[1])
	cases := map[string][]byte{
		"unsorted keys":        rawNode(nil, rawEntry{suffix: h0[1]}, rawEntry{p: p, suffix: h0[0][p:]}),
		"duplicate keys":       rawNode(nil, rawEntry{suffix: h0[0]}, rawEntry{p: len(h0[0])}),
		"mixed heights":        rawNode(nil, rawEntry{suffix: h0[0]}, rawEntry{suffix: h1[0]}),
		"prefix not maximal":   rawNode(nil, rawEntry{suffix: h0[0]}, rawEntry{p: 0, suffix: h0[1]}),
		"prefix too long":      rawNode(nil, rawEntry{suffix: h0[0]}, rawEntry{p: 99, suffix: "x"}),
		"untrimmed root":       rawNode(&leaf),
		"leaf with subtree":    rawNode(nil, rawEntry{suffix: h0[1], right: &leaf}),
		"empty subtree":        rawNode(&empty, rawEntry{suffix: h1[0]}),
		"child out of range":   rawNode(&big, rawEntry{suffix: h1[0]}),
		"invalid key":          rawNode(nil, rawEntry{suffix: "no-slash"}),
		"trailing bytes":       append(rawNode(nil, rawEntry{suffix: h0[0]}), 0),
		"not a map":            {0x80},
		"wrong field name":     {0xa2, 0x61, 0x65, 0x80, 0x61, 0x6d, 0xf6},
		"entry count too high": {0xa2, 0x61, 0x65, 0x9b, 0x10, 0, 0, 0, 0, 0, 0, 0},
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			root := bs.Put(cid.DagCBOR, data)
			tree := Load(bs, root)
			err := tree.Walk(ctx, "", func(string, cid.CID) error { return nil })
			if !rhizome.Is(err, rhizome.Invalid) {
				t.Fatalf("accepted or wrong error: %v", err)
			}
		})
	}
}

func FuzzDecodeNode(f *testing.F) {
	h0 := keysOfHeight(0, 2)
	f.Add(rawNode(nil))
	f.Add(rawNode(nil, rawEntry{suffix: h0[0]}))
	f.Add(rawNode(nil, rawEntry{suffix: h0[0]}, rawEntry{p: 14, suffix: h0[1][14:]}))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := cid.Sum(cid.DagCBOR, data)
		n, err := decodeNode(c, data, -1, bounds{})
		if err != nil {
			return
		}
		// A node that decodes is canonical: it encodes back to the same bytes.
		if got := n.encode(nil); string(got) != string(data) {
			t.Fatalf("decoded node re-encodes differently:\n%x\n%x", data, got)
		}
	})
}
