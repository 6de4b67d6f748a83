package car

import (
	"io"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/rhizome-pds/rhizome/cid"
)

// blockSize draws block sizes shaped like a repository: mostly MST nodes
// and records of a few hundred bytes, some larger records, and now and
// then a block near the 1 MB record limit.
func blockSize(rng *rand.Rand) int {
	switch p := rng.IntN(1000); {
	case p < 900:
		return 80 + rng.IntN(520)
	case p < 998:
		return 16<<10 + rng.IntN(240<<10)
	default:
		return 1 << 20
	}
}

// generate writes a CAR of at least size bytes to w, made on the fly from
// a fixed pool of random bytes, and reports the blocks and bytes written.
func generate(w io.Writer, size int64, seed uint64) (blocks, written int64, err error) {
	rng := rand.New(rand.NewPCG(seed, seed))
	pool := make([]byte, 2<<20)
	for i := range pool {
		pool[i] = byte(rng.Uint32())
	}
	root := cid.Sum(cid.DagCBOR, pool[:100])
	cw, err := NewWriter(w, root)
	if err != nil {
		return 0, 0, err
	}
	for cw.Written() < size {
		n := blockSize(rng)
		off := rng.IntN(len(pool) - n + 1)
		data := pool[off : off+n]
		codec := cid.DagCBOR
		if n > 4096 {
			codec = cid.Raw
		}
		if err := cw.Put(cid.Sum(codec, data), data); err != nil {
			return cw.Blocks(), cw.Written(), err
		}
	}
	err = cw.Close()
	return cw.Blocks(), cw.Written(), err
}

// TestReader_BoundedMemory streams a CAR far larger than the heap bound
// through a pipe, generated as it is read, and samples the heap.
func TestReader_BoundedMemory(t *testing.T) {
	size := int64(256 << 20)
	if testing.Short() {
		size = 32 << 20
	}
	const bound = 32 << 20
	modes := []struct {
		name string
		opts []Option
	}{
		{"fresh blocks", nil},
		{"reuse buffer", []Option{ReuseBuffer()}},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			base := ms.HeapInuse

			pr, pw := io.Pipe()
			type result struct{ blocks, written int64 }
			done := make(chan result, 1)
			go func() {
				b, n, err := generate(pw, size, 42)
				pw.CloseWithError(err)
				done <- result{b, n}
			}()

			r, err := NewReader(pr, m.opts...)
			if err != nil {
				t.Fatal(err)
			}
			var peak uint64
			next := int64(0)
			for {
				_, _, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if r.Offset() >= next {
					runtime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapInuse)
					next += 4 << 20
				}
			}
			gen := <-done
			if r.Blocks() != gen.blocks || r.Offset() != gen.written {
				t.Fatalf("read %d blocks, %d bytes; wrote %d, %d", r.Blocks(), r.Offset(), gen.blocks, gen.written)
			}
			growth := int64(peak) - int64(base)
			t.Logf("%d MiB in %d blocks; heap in use peaked %.1f MiB above the %.1f MiB baseline",
				r.Offset()>>20, r.Blocks(), float64(growth)/(1<<20), float64(base)/(1<<20))
			if growth > bound {
				t.Errorf("heap grew by %d bytes, over the %d bound", growth, bound)
			}
		})
	}
}
