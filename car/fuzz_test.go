package car

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/rhizome-pds/rhizome/cid"
)

// FuzzReader feeds arbitrary bytes to the Reader. It must not panic or
// allocate beyond its limits, and whatever it accepts must be exactly
// what the Writer produces for the same roots and blocks: every accepted
// varint is minimal, the header is canonical DRISL with exactly two keys,
// CIDs have one binary form, and trailing bytes are read as (failing)
// sections, so an accepted CAR has one spelling.
func FuzzReader(f *testing.F) {
	for _, fr := range loadFirehose(f) {
		f.Add(fr.car)
	}
	rng := rand.New(rand.NewPCG(9, 9))
	blocks := randBlocks(rng, 4, 0, 40)
	f.Add(writeCAR(f, nil, nil))
	f.Add(writeCAR(f, []cid.CID{blocks[0].c}, blocks))
	f.Add(writeCAR(f, []cid.CID{blocks[1].c, blocks[2].c}, blocks[:2]))
	f.Add(cat(goodHeader, goodSection))
	f.Add(cat(goodHeader, goodSection, []byte{0x00}))
	f.Add(cat(goodHeader, appendUvarint(nil, 1<<62)))
	f.Add(lp(headerBody("version", 2)))

	const maxBlock = 64 << 10 // keeps each run cheap; the default is tested elsewhere
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := NewReader(bytes.NewReader(in), MaxBlockSize(maxBlock))
		if err != nil {
			return
		}
		var got []block
		var buf []byte
		for {
			c, b, err := r.NextInto(buf)
			if err == io.EOF {
				break
			}
			if err != nil {
				return
			}
			if len(b) > maxBlock || !c.Matches(b) {
				t.Fatalf("returned a %d-byte block that does not verify", len(b))
			}
			got = append(got, block{c, bytes.Clone(b)})
			buf = b
		}
		if r.Offset() != int64(len(in)) {
			t.Fatalf("clean EOF at byte %d of %d", r.Offset(), len(in))
		}
		if again := writeCAR(t, r.Roots(), got); !bytes.Equal(again, in) {
			t.Fatalf("rewriting an accepted CAR changed it\n in  %x\n out %x", in, again)
		}
	})
}
