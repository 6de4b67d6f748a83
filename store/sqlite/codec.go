package sqlite

import (
	"time"

	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/store"
)

// millis is how times are stored: Unix milliseconds.
func millis(t time.Time) int64 { return t.UnixMilli() }

// fromMillis reads a stored time.
func fromMillis(v int64) time.Time { return time.UnixMilli(v).UTC() }

// orNow returns t, or the store clock's time if t is zero.
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return store.Now()
	}
	return t
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

// nonNil returns b, or an empty slice for nil: the driver binds nil as
// NULL.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// boolInt is how booleans are stored.
func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// afterKey is the cursor to use for a page: the given one, or a bound
// beyond every stored key in the page's direction. Stored keys are UTF-8,
// which never holds the byte 0xff.
func afterKey(p store.Page) string {
	switch {
	case p.Cursor != "":
		return p.Cursor
	case p.Reverse:
		return "\xff"
	}
	return ""
}

// dir is the index of a page's direction in a pair of statements.
func dir(p store.Page) int {
	if p.Reverse {
		return 1
	}
	return 0
}
