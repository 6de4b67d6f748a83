package data

import (
	"testing"
)

func TestItemLen(t *testing.T) {
	g := newGen(7)
	var items [][]byte
	for _, fx := range loadVectors[fixture](t, "data-model/data-model-fixtures.json") {
		items = append(items, fx.cborBytes(t))
	}
	for range 200 {
		items = append(items, mustCBOR(t, g.value(0, 5)))
	}
	items = append(items, mustCBOR(t, postRecord()))

	t.Run("each item", func(t *testing.T) {
		for _, it := range items {
			if n, err := ItemLen(it); err != nil || n != len(it) {
				t.Fatalf("ItemLen(%x) = %d, %v; want %d", it, n, err, len(it))
			}
		}
	})
	t.Run("items back to back", func(t *testing.T) {
		var run []byte
		for _, it := range items {
			run = append(run, it...)
		}
		for i, it := range items {
			n, err := ItemLen(run)
			if err != nil || n != len(it) {
				t.Fatalf("item %d: ItemLen = %d, %v; want %d", i, n, err, len(it))
			}
			run = run[n:]
		}
		if len(run) != 0 {
			t.Fatalf("%d bytes left over", len(run))
		}
	})
	t.Run("truncated", func(t *testing.T) {
		for _, it := range items {
			for cut := range len(it) {
				if n, err := ItemLen(it[:cut]); err == nil {
					t.Fatalf("ItemLen(%x) = %d, want an error (a cut of %x)", it[:cut], n, it)
				}
			}
		}
	})
	t.Run("refused", func(t *testing.T) {
		for name, in := range map[string][]byte{
			"indefinite array": {0x9f, 0x01, 0xff},
			"reserved length":  {0x1c},
			"huge map":         {0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
			"huge bytes":       {0x5b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00},
			"too deep":         deepArray(MaxDepth + 1),
			"empty":            {},
		} {
			if n, err := ItemLen(in); err == nil {
				t.Errorf("%s: ItemLen(%x) = %d, want an error", name, in, n)
			}
		}
		if n, err := ItemLen(deepArray(MaxDepth)); err != nil || n != MaxDepth+1 {
			t.Errorf("arrays %d deep: ItemLen = %d, %v", MaxDepth, n, err)
		}
	})
}

// deepArray is n arrays nested in each other around the integer 0.
func deepArray(n int) []byte {
	b := make([]byte, n+1)
	for i := range n {
		b[i] = 0x81
	}
	return b
}
