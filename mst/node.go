package mst

import (
	"crypto/sha256"
	"math/bits"
	"sync/atomic"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cbor"
	"github.com/rhizome-pds/rhizome/cid"
)

// MaxKeyLen is the longest key, in bytes, the tree accepts.
const MaxKeyLen = 1024

// link points at a child node: by CID when the child is stored, by pointer
// when it is in memory (always for dirty children). A link with neither is
// absent.
type link struct {
	cid cid.CID
	n   *node
}

func (l link) present() bool { return l.n != nil || l.cid.Defined() }

type entry struct {
	key   string
	val   cid.CID
	right link
}

// node is one MST node. A clean node (dirty == false) has a valid cid and is
// never modified again, so it can be shared between trees and goroutines.
// A dirty node belongs to exactly one Tree.
//
// A node decoded from a store remembers the children it has resolved in
// kids (index i+1 for link i), so walks follow pointers instead of looking
// up the cache. Those pointers are only a memo of what the CIDs already
// determine, so setting them does not change the node; they are atomic so
// shared nodes stay safe for concurrent readers. A Tree thus keeps the
// nodes it has touched alive until it is dropped.
type node struct {
	cid     cid.CID
	dirty   bool
	level   int
	left    link
	entries []entry
	kids    []atomic.Pointer[node]
}

// Height returns the level a key lives at: the number of leading pairs of
// zero bits in the SHA-256 of the key.
func Height(key string) int {
	h := sha256.Sum256([]byte(key))
	n := 0
	for i := 0; i < len(h); i += 8 {
		w := uint64(h[i])<<56 | uint64(h[i+1])<<48 | uint64(h[i+2])<<40 | uint64(h[i+3])<<32 |
			uint64(h[i+4])<<24 | uint64(h[i+5])<<16 | uint64(h[i+6])<<8 | uint64(h[i+7])
		z := bits.LeadingZeros64(w)
		n += z
		if z < 64 {
			break
		}
	}
	return n / 2
}

// ValidKey reports whether key is a well-formed repository path:
// "collection/rkey", both parts non-empty, made of [A-Za-z0-9._:~-], at most
// MaxKeyLen bytes.
func ValidKey(key string) bool {
	if len(key) < 3 || len(key) > MaxKeyLen {
		return false
	}
	slash := -1
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c == '/':
			if slash >= 0 {
				return false
			}
			slash = i
		case !keyChar[c]:
			return false
		}
	}
	return slash > 0 && slash < len(key)-1
}

var keyChar = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "._:~-" {
		t[c] = true
	}
	return t
}()

func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// encode appends the node's DAG-CBOR form. Children must already be hashed.
func (n *node) encode(b []byte) []byte {
	b = cbor.AppendMapHeader(b, 2)
	b = cbor.AppendText(b, "e")
	b = cbor.AppendArrayHeader(b, len(n.entries))
	prev := ""
	for i := range n.entries {
		e := &n.entries[i]
		p := commonPrefix(prev, e.key)
		b = cbor.AppendMapHeader(b, 4)
		b = cbor.AppendText(b, "k")
		b = cbor.AppendHeader(b, cbor.Bytes, uint64(len(e.key)-p))
		b = append(b, e.key[p:]...)
		b = cbor.AppendText(b, "p")
		b = cbor.AppendInt(b, int64(p))
		b = cbor.AppendText(b, "t")
		b = appendLink(b, e.right)
		b = cbor.AppendText(b, "v")
		b = cbor.AppendLink(b, e.val)
		prev = e.key
	}
	b = cbor.AppendText(b, "l")
	return appendLink(b, n.left)
}

func appendLink(b []byte, l link) []byte {
	if !l.present() {
		return cbor.AppendNull(b)
	}
	if l.n != nil {
		return cbor.AppendLink(b, l.n.cid)
	}
	return cbor.AppendLink(b, l.cid)
}

func errInvalid(format string, args ...any) error {
	return rhizome.Errorf("decode mst node", rhizome.Invalid, format, args...)
}
