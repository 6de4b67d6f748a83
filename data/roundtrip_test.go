package data

import (
	"bytes"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/rhizome-pds/rhizome/cid"
)

// gen makes random valid values.
type gen struct{ r *rand.Rand }

func newGen(seed uint64) gen { return gen{rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))} }

// value returns a random value; containers stop nesting at maxDepth.
func (g gen) value(depth, maxDepth int) any {
	kinds := 9
	if depth >= maxDepth {
		kinds = 6
	}
	switch g.r.IntN(kinds) {
	case 0:
		return nil
	case 1:
		return g.r.IntN(2) == 0
	case 2:
		return g.integer()
	case 3:
		return g.text(12)
	case 4:
		return g.bytes()
	case 5:
		return g.link()
	case 6:
		return g.list(depth, maxDepth)
	case 7:
		return g.blob()
	}
	return g.object(depth, maxDepth)
}

var edgeInts = []int64{0, 1, -1, 23, 24, -24, -25, 255, 256, 65535, 65536,
	math.MaxUint32, math.MaxUint32 + 1, 1<<53 + 1, math.MaxInt64, math.MinInt64}

func (g gen) integer() int64 {
	switch g.r.IntN(3) {
	case 0:
		return edgeInts[g.r.IntN(len(edgeInts))]
	case 1:
		return g.r.Int64N(2000) - 1000
	}
	return int64(g.r.Uint64())
}

// runes mixes ASCII, characters JSON must escape, and multi-byte UTF-8.
var runes = []rune("abcXYZ09 $._-\"\\/\n\t\x00\x1f\x7fé中\u2028\u2029\uFFFD😀👩‍👧")

func (g gen) text(maxLen int) string {
	var sb strings.Builder
	for range g.r.IntN(maxLen + 1) {
		sb.WriteRune(runes[g.r.IntN(len(runes))])
	}
	return sb.String()
}

func (g gen) bytes() []byte {
	b := make([]byte, g.r.IntN(40))
	for i := range b {
		b[i] = byte(g.r.Uint32())
	}
	return b
}

func (g gen) link() cid.CID {
	var d [32]byte
	for i := range d {
		d[i] = byte(g.r.Uint32())
	}
	if g.r.IntN(2) == 0 {
		return cid.FromDigest(cid.Raw, d)
	}
	return cid.FromDigest(cid.DagCBOR, d)
}

func (g gen) list(depth, maxDepth int) []any {
	l := make([]any, g.r.IntN(5))
	for i := range l {
		l[i] = g.value(depth+1, maxDepth)
	}
	return l
}

func (g gen) blob() map[string]any {
	return Blob{Ref: g.link(), MimeType: g.text(8), Size: g.r.Int64N(1 << 40)}.Map()
}

func (g gen) object(depth, maxDepth int) map[string]any {
	m := make(map[string]any)
	for range g.r.IntN(6) {
		k := g.text(6)
		if k == keyType || k == keyLink || k == keyBytes {
			continue
		}
		m[k] = g.value(depth+1, maxDepth)
	}
	if g.r.IntN(4) == 0 {
		m[keyType] = "com.example." + g.text(5) + "x"
	}
	return m
}

func TestRoundTrip_RandomValues(t *testing.T) {
	g := newGen(1)
	for i := range 3000 {
		v := g.value(0, 1+i%7)
		checkRoundTrip(t, v)
		if t.Failed() {
			t.Fatalf("value %d: %#v", i, v)
		}
	}
}

func TestRoundTrip_DeepValues(t *testing.T) {
	g := newGen(2)
	for range 20 {
		v := any(g.value(0, 0))
		for range MaxDepth {
			if g.r.IntN(2) == 0 {
				v = []any{v, g.value(0, 0)}
			} else {
				v = map[string]any{g.text(3): v}
			}
		}
		checkRoundTrip(t, v)
	}
}

// checkRoundTrip expects v to survive CBOR and JSON exactly: decode(encode
// v) deep-equals v, and re-encoding reproduces the bytes.
func checkRoundTrip(t *testing.T, v any) {
	t.Helper()
	c, err := MarshalCBOR(v)
	if err != nil {
		t.Errorf("MarshalCBOR: %v", err)
		return
	}
	back, err := UnmarshalCBOR(c)
	if err != nil || !reflect.DeepEqual(back, v) {
		t.Errorf("UnmarshalCBOR(%x) = %#v, %v", c, back, err)
		return
	}
	if c2, err := MarshalCBOR(back); err != nil || !bytes.Equal(c2, c) {
		t.Errorf("re-encoding gave %x, %v; want %x", c2, err, c)
	}
	j, err := MarshalJSON(v)
	if err != nil {
		t.Errorf("MarshalJSON: %v", err)
		return
	}
	back, err = UnmarshalJSON(j)
	if err != nil || !reflect.DeepEqual(back, v) {
		t.Errorf("UnmarshalJSON(%s) = %#v, %v", j, back, err)
	}
}
