package car

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"testing"
	"testing/iotest"

	rhizome "github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
)

type block struct {
	c    cid.CID
	data []byte
}

// randBlocks makes n blocks of random content with sizes in [lo, hi],
// alternating dag-cbor and raw CIDs unless codec is set.
func randBlocks(rng *rand.Rand, n, lo, hi int, codecs ...cid.Codec) []block {
	if len(codecs) == 0 {
		codecs = []cid.Codec{cid.DagCBOR, cid.Raw}
	}
	out := make([]block, n)
	for i := range out {
		data := make([]byte, lo+rng.IntN(hi-lo+1))
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		out[i] = block{cid.Sum(codecs[i%len(codecs)], data), data}
	}
	return out
}

// writeCAR writes roots and blocks with a Writer and returns the bytes.
func writeCAR(t testing.TB, roots []cid.CID, blocks []block) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, roots...)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range blocks {
		if err := w.Put(b.c, b.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.Written() != int64(buf.Len()) {
		t.Fatalf("Written() = %d, wrote %d bytes", w.Written(), buf.Len())
	}
	if w.Blocks() != int64(len(blocks)) {
		t.Fatalf("Blocks() = %d, want %d", w.Blocks(), len(blocks))
	}
	return buf.Bytes()
}

// readCAR reads a whole CAR with Next.
func readCAR(data []byte, opts ...Option) ([]cid.CID, []block, error) {
	r, err := NewReader(bytes.NewReader(data), opts...)
	if err != nil {
		return nil, nil, err
	}
	var out []block
	for {
		c, b, err := r.Next()
		if err == io.EOF {
			return r.Roots(), out, nil
		}
		if err != nil {
			return r.Roots(), out, err
		}
		out = append(out, block{c, slices.Clone(b)})
	}
}

func sameBlocks(t *testing.T, got, want []block) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("read %d blocks, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].c != want[i].c || !bytes.Equal(got[i].data, want[i].data) {
			t.Fatalf("block %d: got %s (%d bytes), want %s (%d bytes)",
				i, got[i].c, len(got[i].data), want[i].c, len(want[i].data))
		}
	}
}

func TestReader_Next(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	small := randBlocks(rng, 500, 0, 600)
	cases := []struct {
		name   string
		roots  []cid.CID
		blocks []block
		opts   []Option
	}{
		{"mixed codecs", []cid.CID{small[0].c}, small, nil},
		{"dag-cbor only", []cid.CID{small[0].c}, randBlocks(rng, 50, 1, 400, cid.DagCBOR), nil},
		{"raw only", nil, randBlocks(rng, 50, 1, 400, cid.Raw), nil},
		{"no blocks", []cid.CID{small[1].c}, nil, nil},
		{"no roots", nil, small[:3], nil},
		{"several roots", []cid.CID{small[3].c, small[2].c, small[3].c}, small[:4], nil},
		{"large blocks", []cid.CID{small[0].c}, randBlocks(rng, 6, 100<<10, 1<<20), nil},
		{"block at the limit", nil, randBlocks(rng, 3, 1000, 1000), []Option{MaxBlockSize(1000)}},
		{"reuse buffer", nil, append(randBlocks(rng, 5, 70<<10, 200<<10), small...), []Option{ReuseBuffer()}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := writeCAR(t, tc.roots, tc.blocks)
			roots, got, err := readCAR(data, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(roots, tc.roots) {
				t.Fatalf("roots = %v, want %v", roots, tc.roots)
			}
			sameBlocks(t, got, tc.blocks)
		})
	}
}

func TestReader_NextInto(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	blocks := randBlocks(rng, 200, 10, 5000)
	data := writeCAR(t, nil, blocks)
	r, err := NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var buf []byte
	grew := 0
	for i := 0; ; i++ {
		c, b, err := r.NextInto(buf)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if c != blocks[i].c || !bytes.Equal(b, blocks[i].data) {
			t.Fatalf("block %d differs", i)
		}
		if cap(b) > cap(buf) {
			grew++
		} else if len(b) > 0 && &b[:1][0] != &buf[:1][0] {
			t.Fatalf("block %d did not reuse a buffer large enough", i)
		}
		buf = b
	}
	if r.Blocks() != int64(len(blocks)) || r.Offset() != int64(len(data)) {
		t.Fatalf("Blocks() = %d, Offset() = %d; want %d, %d", r.Blocks(), r.Offset(), len(blocks), len(data))
	}
	if grew > 20 {
		t.Errorf("buffer grew %d times for 200 blocks", grew)
	}
}

func TestReader_Roots(t *testing.T) {
	root := cid.Sum(cid.DagCBOR, []byte{0xa0})
	r, err := NewReader(bytes.NewReader(writeCAR(t, []cid.CID{root}, nil)))
	if err != nil {
		t.Fatal(err)
	}
	r.Roots()[0] = cid.CID{}
	if got := r.Roots(); len(got) != 1 || got[0] != root {
		t.Fatalf("Roots() = %v after the caller changed its copy", got)
	}
}

func TestReadAll(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	blocks := randBlocks(rng, 100, 1, 2000)
	root := blocks[7].c
	data := writeCAR(t, []cid.CID{root}, blocks)

	t.Run("all blocks", func(t *testing.T) {
		var got []block
		roots, err := ReadAll(bytes.NewReader(data), func(c cid.CID, b []byte) error {
			got = append(got, block{c, b})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(roots) != 1 || roots[0] != root {
			t.Fatalf("roots = %v", roots)
		}
		sameBlocks(t, got, blocks) // blocks kept without copying: no aliasing
	})
	t.Run("put error stops reading", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		roots, err := ReadAll(bytes.NewReader(data), func(cid.CID, []byte) error {
			if n++; n == 10 {
				return stop
			}
			return nil
		})
		if err != stop || n != 10 || len(roots) != 1 {
			t.Fatalf("err = %v after %d blocks, roots %v", err, n, roots)
		}
	})
	t.Run("corrupt block reports roots", func(t *testing.T) {
		bad := slices.Clone(data)
		bad[len(bad)-1] ^= 1
		roots, err := ReadAll(bytes.NewReader(bad), func(cid.CID, []byte) error { return nil }, ReuseBuffer())
		if !rhizome.Is(err, rhizome.Corrupt) || len(roots) != 1 {
			t.Fatalf("err = %v, roots %v", err, roots)
		}
	})
}

func TestWriter_Put(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	blocks := randBlocks(rng, 64, 100, 400)

	t.Run("no allocations per block", func(t *testing.T) {
		w, err := NewWriter(io.Discard, blocks[0].c)
		if err != nil {
			t.Fatal(err)
		}
		i := 0
		allocs := testing.AllocsPerRun(1000, func() {
			b := blocks[i%len(blocks)]
			i++
			if err := w.Put(b.c, b.data); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Fatalf("Put allocates %.1f times per block", allocs)
		}
	})
	t.Run("undefined CID", func(t *testing.T) {
		w, err := NewWriter(io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Put(cid.CID{}, []byte("x")); !rhizome.Is(err, rhizome.Invalid) {
			t.Fatalf("err = %v, want kind Invalid", err)
		}
		if _, err := NewWriter(io.Discard, cid.CID{}); !rhizome.Is(err, rhizome.Invalid) {
			t.Fatalf("NewWriter err = %v, want kind Invalid", err)
		}
	})
	t.Run("after close", func(t *testing.T) {
		w, err := NewWriter(io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if err := w.Put(blocks[0].c, blocks[0].data); !errors.Is(err, errClosed) {
			t.Fatalf("Put after Close: %v", err)
		}
	})
	t.Run("write error is sticky", func(t *testing.T) {
		fail := errors.New("disk full")
		w, err := NewWriter(failWriter{fail})
		if err != nil {
			t.Fatal(err)
		}
		big := make([]byte, writeBufferSize*2)
		if err := w.Put(cid.Sum(cid.Raw, big), big); !errors.Is(err, fail) {
			t.Fatalf("Put: %v, want %v", err, fail)
		}
		if err := w.Put(blocks[0].c, blocks[0].data); !errors.Is(err, fail) {
			t.Fatalf("second Put: %v", err)
		}
		if err := w.Close(); !errors.Is(err, fail) {
			t.Fatalf("Close: %v", err)
		}
	})
	t.Run("header bytes", func(t *testing.T) {
		root := cid.MustParse("bafyreib7z46femz4v6c2w4a564knd5zikmeo4igxzth67sxxesvx3ydpua")
		got := writeCAR(t, []cid.CID{root}, nil)
		// 0x3a = 58 bytes: a2 65"roots" 81 d82a 5825 00 <36> 67"version" 01
		want := append([]byte{0x3a, 0xa2, 0x65, 'r', 'o', 'o', 't', 's', 0x81, 0xd8, 0x2a, 0x58, 0x25, 0x00}, root.Bytes()...)
		want = append(want, 0x67, 'v', 'e', 'r', 's', 'i', 'o', 'n', 0x01)
		if !bytes.Equal(got, want) {
			t.Fatalf("header\n got %x\nwant %x", got, want)
		}
	})
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

func TestUvarint(t *testing.T) {
	for _, v := range []uint64{0, 1, 127, 128, 300, 1<<21 - 1, 1 << 21, 1<<63 - 1} {
		b := appendUvarint(nil, v)
		got, n, err := readUvarint(bytes.NewReader(b))
		if err != nil || got != v || n != len(b) {
			t.Errorf("round trip %d: got %d, %d bytes of %d, %v", v, got, n, len(b), err)
		}
	}
	bad := map[string][]byte{
		"non-minimal":  {0x81, 0x00},
		"non-minimal0": {0x80, 0x80, 0x00},
		"ten bytes":    {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		"truncated":    {0x80},
	}
	for name, b := range bad {
		if _, _, err := readUvarint(bytes.NewReader(b)); err == nil || err == io.EOF {
			t.Errorf("%s %x: err = %v", name, b, err)
		}
	}
}

func TestReader_Sources(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	blocks := append(randBlocks(rng, 20, 0, 300), randBlocks(rng, 2, 70<<10, 100<<10)...)
	data := writeCAR(t, []cid.CID{blocks[0].c}, blocks)
	for _, tc := range []struct {
		name string
		r    io.Reader
	}{
		{"one byte at a time", iotest.OneByteReader(bytes.NewReader(data))},
		{"half reads", iotest.HalfReader(bytes.NewReader(data))},
		{"EOF with the last data", iotest.DataErrReader(bytes.NewReader(data))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []block
			if _, err := ReadAll(tc.r, func(c cid.CID, b []byte) error {
				got = append(got, block{c, b})
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			sameBlocks(t, got, blocks)
		})
	}
	t.Run("read error passes through", func(t *testing.T) {
		fail := errors.New("connection reset")
		src := io.MultiReader(bytes.NewReader(data[:len(data)/2]), iotest.ErrReader(fail))
		_, err := ReadAll(src, func(cid.CID, []byte) error { return nil })
		if !errors.Is(err, fail) || rhizome.KindOf(err) != rhizome.Other {
			t.Fatalf("err = %v (kind %v), want %v with kind other", err, rhizome.KindOf(err), fail)
		}
		var se *SectionError
		if !errors.As(err, &se) {
			t.Fatalf("error %v carries no *SectionError", err)
		}
	})
}

func TestReader_NextAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	blocks := randBlocks(rng, 64, 100, 600)
	data := writeCAR(t, nil, blocks)
	body := data[len(appendHeader(nil, nil)):]
	src := &repeatReader{header: appendHeader(nil, nil), body: body, left: 1 << 20}
	r, err := NewReader(src, ReuseBuffer())
	if err != nil {
		t.Fatal(err)
	}
	for range blocks { // grow the buffer to the largest block
		if _, _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	}
	allocs := testing.AllocsPerRun(5000, func() {
		if _, _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("Next under ReuseBuffer allocates %.2f times per block", allocs)
	}
}
