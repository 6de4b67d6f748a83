package backup

import (
	"bytes"
	"context"
	"encoding/binary"
	"slices"
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/mst"
)

// An index object lists record keys (collection/rkey) with their record
// CIDs: all of them (a full index) or what changed since the snapshot
// before (a delta: a CID for a created or changed record, none for a
// deleted one). A snapshot's index is its chain: a full index and the
// deltas after it, in order.
//
// Encoding: the magic "rhizome-index-1\n", a kind byte ('F' full, 'D'
// delta), then entries in strictly ascending key order, each
// uvarint(bytes shared with the previous key) uvarint(len(rest)) rest,
// then a byte 1 and the 36-byte binary CID, or a byte 0 (delete, deltas
// only).
const indexMagic = "rhizome-index-1\n"

// Chain limits: a backup starts a new full index rather than add a delta
// when the chain would exceed MaxDeltas deltas, or its deltas would list
// more entries than a quarter of the records.
var MaxDeltas = 32

type indexKind byte

const (
	fullIndex  indexKind = 'F'
	deltaIndex indexKind = 'D'
)

// op is one index entry; an undefined Val deletes the key.
type op = mst.Entry

func encodeIndex(kind indexKind, ops []op) []byte {
	b := append([]byte(indexMagic), byte(kind))
	prev := ""
	for _, o := range ops {
		shared := commonPrefix(prev, o.Key)
		b = binary.AppendUvarint(b, uint64(shared))
		b = binary.AppendUvarint(b, uint64(len(o.Key)-shared))
		b = append(b, o.Key[shared:]...)
		if o.Val.Defined() {
			b = append(append(b, 1), o.Val.Bytes()...)
		} else {
			b = append(b, 0)
		}
		prev = o.Key
	}
	return b
}

func decodeIndex(b []byte) (indexKind, []op, error) {
	bad := func(format string, args ...any) (indexKind, []op, error) {
		return 0, nil, rhizome.Errorf("read index", rhizome.Corrupt, format, args...)
	}
	if !bytes.HasPrefix(b, []byte(indexMagic)) || len(b) < len(indexMagic)+1 {
		return bad("not an index")
	}
	kind := indexKind(b[len(indexMagic)])
	if kind != fullIndex && kind != deltaIndex {
		return bad("unknown index kind %q", kind)
	}
	r := bytes.NewReader(b[len(indexMagic)+1:])
	var ops []op
	prev := ""
	for r.Len() > 0 {
		shared, err1 := binary.ReadUvarint(r)
		n, err2 := binary.ReadUvarint(r)
		if err1 != nil || err2 != nil || shared > uint64(len(prev)) || n > uint64(r.Len()) {
			return bad("entry %d is malformed", len(ops))
		}
		rest := make([]byte, n)
		r.Read(rest)
		key := prev[:shared] + string(rest)
		if key <= prev || !mst.ValidKey(key) {
			return bad("entry %d: key %q is invalid or out of order", len(ops), key)
		}
		o := op{Key: key}
		flag, err := r.ReadByte()
		switch {
		case err != nil || flag > 1 || (flag == 0 && kind == fullIndex):
			return bad("entry %d (%s): bad flag", len(ops), key)
		case flag == 1:
			raw := make([]byte, cid.Len)
			if k, _ := r.Read(raw); k != cid.Len {
				return bad("entry %d (%s): CID cut short", len(ops), key)
			}
			if o.Val, err = cid.FromBytes(raw); err != nil {
				return bad("entry %d (%s): %v", len(ops), key, err)
			}
		}
		ops, prev = append(ops, o), key
	}
	return kind, ops, nil
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// readIndex replays a chain into the key → record CID map, sorted.
func (a *Archive) readIndex(ctx context.Context, chain []string) ([]op, error) {
	if len(chain) == 0 {
		return nil, rhizome.E("read index", rhizome.Corrupt, "the snapshot has no index")
	}
	m := map[string]cid.CID{}
	for i, name := range chain {
		b, err := a.get(ctx, name)
		if err != nil {
			return nil, rhizome.Errorf("read index", rhizome.KindOf(err), "index: %w", err)
		}
		kind, ops, err := decodeIndex(b)
		if err != nil {
			return nil, rhizome.Errorf("read index", rhizome.Corrupt, "index object %s: %w", name, err)
		}
		if (i == 0) != (kind == fullIndex) {
			return nil, rhizome.Errorf("read index", rhizome.Corrupt, "index object %s is a %c index at place %d of the chain", name, kind, i)
		}
		for _, o := range ops {
			if o.Val.Defined() {
				m[o.Key] = o.Val
			} else {
				delete(m, o.Key)
			}
		}
	}
	out := make([]op, 0, len(m))
	for k, v := range m {
		out = append(out, op{Key: k, Val: v})
	}
	slices.SortFunc(out, func(x, y op) int { return strings.Compare(x.Key, y.Key) })
	return out, nil
}

// diff lists what changed from old to cur (both sorted by key).
func diff(old, cur []op) []op {
	var out []op
	i, j := 0, 0
	for i < len(old) || j < len(cur) {
		switch {
		case j == len(cur) || (i < len(old) && old[i].Key < cur[j].Key):
			out = append(out, op{Key: old[i].Key})
			i++
		case i == len(old) || cur[j].Key < old[i].Key:
			out = append(out, cur[j])
			j++
		default:
			if old[i].Val != cur[j].Val {
				out = append(out, cur[j])
			}
			i, j = i+1, j+1
		}
	}
	return out
}
