package car

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/rhizome-pds/rhizome/cid"
)

// benchCAR builds an in-memory CAR of about size bytes whose blocks have
// sizes drawn by sizer.
func benchCAR(b *testing.B, size int, sizer func(*rand.Rand) int) ([]byte, []block) {
	rng := rand.New(rand.NewPCG(11, 12))
	var blocks []block
	total := 0
	for total < size {
		n := sizer(rng)
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		blocks = append(blocks, block{cid.Sum(cid.DagCBOR, data), data})
		total += n
	}
	return writeCAR(b, []cid.CID{blocks[0].c}, blocks), blocks
}

// smallBlock draws sizes like MST nodes and small records (~300 B).
func smallBlock(rng *rand.Rand) int { return 80 + rng.IntN(440) }

// largeBlock draws sizes like large records (256 KiB to 1 MiB).
func largeBlock(rng *rand.Rand) int { return 256<<10 + rng.IntN(768<<10) }

func BenchmarkReader(b *testing.B) {
	for _, bc := range []struct {
		name  string
		size  int
		sizer func(*rand.Rand) int
		opts  []Option
	}{
		{"small", 16 << 20, smallBlock, nil},
		{"small/reuse", 16 << 20, smallBlock, []Option{ReuseBuffer()}},
		{"mixed/reuse", 64 << 20, blockSize, []Option{ReuseBuffer()}},
		{"large", 64 << 20, largeBlock, nil},
		{"large/reuse", 64 << 20, largeBlock, []Option{ReuseBuffer()}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			data, blocks := benchCAR(b, bc.size, bc.sizer)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				r, err := NewReader(bytes.NewReader(data), bc.opts...)
				if err != nil {
					b.Fatal(err)
				}
				for {
					if _, _, err = r.Next(); err != nil {
						break
					}
				}
				if err != io.EOF || r.Blocks() != int64(len(blocks)) {
					b.Fatalf("read %d blocks: %v", r.Blocks(), err)
				}
			}
			b.ReportMetric(float64(len(blocks)), "blocks/op")
		})
	}
}

// repeatReader yields a CAR header and then the same run of sections
// over and over, so a reader sees a CAR of any size that is never held
// in memory.
type repeatReader struct {
	header, body []byte
	left         int // repetitions of body still to yield
	cur          []byte
}

func (r *repeatReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if r.header != nil {
			r.cur, r.header = r.header, nil
			continue
		}
		if r.left == 0 {
			return 0, io.EOF
		}
		r.cur, r.left = r.body, r.left-1
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// BenchmarkReader_Stream1GiB reads a 1 GiB CAR of repository-shaped
// blocks in bounded memory.
func BenchmarkReader_Stream1GiB(b *testing.B) {
	const reps = 64
	data, _ := benchCAR(b, 16<<20, blockSize)
	header := appendHeader(nil, nil)
	body := data[len(appendHeader(nil, []cid.CID{{}})):]
	b.SetBytes(int64(len(header) + reps*len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		src := &repeatReader{header: header, body: body, left: reps}
		if _, err := ReadAll(src, func(cid.CID, []byte) error { return nil }, ReuseBuffer()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriter(b *testing.B) {
	for _, bc := range []struct {
		name  string
		sizer func(*rand.Rand) int
	}{
		{"small", smallBlock},
		{"large", largeBlock},
	} {
		b.Run(bc.name, func(b *testing.B) {
			_, blocks := benchCAR(b, 16<<20, bc.sizer)
			var total int64
			for _, bl := range blocks {
				total += int64(len(bl.data))
			}
			b.SetBytes(total)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				w, err := NewWriter(io.Discard, blocks[0].c)
				if err != nil {
					b.Fatal(err)
				}
				for _, bl := range blocks {
					if err := w.Put(bl.c, bl.data); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReadAll_Firehose reads the CAR slices of real firehose events,
// the many-small-CARs case a relay or appview consumer sees.
func BenchmarkReadAll_Firehose(b *testing.B) {
	frames := loadFirehose(b)
	var total int64
	for _, fr := range frames {
		total += int64(len(fr.car))
	}
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		for _, fr := range frames {
			if _, err := ReadAll(bytes.NewReader(fr.car), func(cid.CID, []byte) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
	}
}
