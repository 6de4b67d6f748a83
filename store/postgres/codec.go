package postgres

import (
	"strconv"
	"time"

	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/store"
)

// ms is how times are stored: UTC, at millisecond precision.
func ms(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// orNow returns t at millisecond precision, or the store clock's time if t
// is zero.
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return store.Now()
	}
	return ms(t)
}

// readCID parses a stored binary CID.
func readCID(b []byte) (cid.CID, error) {
	c, err := cid.FromBytes(b)
	if err != nil {
		return c, corrupt("stored CID: %v", err)
	}
	return c, nil
}

// readCIDString parses a stored CID string.
func readCIDString(s string) (cid.CID, error) {
	c, err := cid.Parse(s)
	if err != nil {
		return c, corrupt("stored CID: %v", err)
	}
	return c, nil
}

// nonNil returns b, or an empty slice for nil: the driver sends nil as
// NULL.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// cidBytes returns the binary forms of cs, for a bytea[] parameter.
func cidBytes(cs []cid.CID) [][]byte {
	out := make([][]byte, len(cs))
	for i, c := range cs {
		out[i] = c.Bytes()
	}
	return out
}

// param appends v to args and returns its placeholder ($n).
func param(args *[]any, v any) string {
	*args = append(*args, v)
	return "$" + strconv.Itoa(len(*args))
}

// pageSQL returns a listing's cursor condition (" AND col > $n", or none
// without a cursor) and its order and limit, adding their arguments to
// args. Key columns are compared in byte order (COLLATE "C").
func pageSQL(col string, p store.Page, args *[]any) (cond, order string) {
	cmp, dir := " > ", " ASC"
	if p.Reverse {
		cmp, dir = " < ", " DESC"
	}
	if p.Cursor != "" {
		cond = " AND " + col + cmp + param(args, p.Cursor)
	}
	return cond, " ORDER BY " + col + dir + " LIMIT " + param(args, p.N())
}

// arena copies many small byte slices into a few large chunks: one
// allocation per chunk instead of one per block, and chunks hold no
// pointers for the collector to scan.
type arena struct{ chunk []byte }

const arenaChunk = 256 << 10

func (a *arena) copy(p []byte) []byte {
	switch {
	case len(p) == 0:
		return []byte{}
	case len(p) > arenaChunk/4:
		return append([]byte(nil), p...)
	}
	if cap(a.chunk)-len(a.chunk) < len(p) {
		a.chunk = make([]byte, 0, arenaChunk)
	}
	n := len(a.chunk)
	a.chunk = append(a.chunk, p...)
	return a.chunk[n:len(a.chunk):len(a.chunk)]
}
