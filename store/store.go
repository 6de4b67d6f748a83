package store

import "time"

// Store is the whole contract. Implementations are safe for concurrent use.
type Store interface {
	Accounts
	Repos
	Sessions
	Blobs
	Invites
	Events
	PLC
	Preferences
	AccountTokens
	// Close releases the store. Calls after Close fail.
	Close() error
}

// Page asks for one page of a listing: items after Cursor (exclusive; empty
// means from the start), at most Limit of them, in ascending order unless
// Reverse. Limit ≤ 0 means the implementation's default of 100.
type Page struct {
	Cursor  string
	Limit   int
	Reverse bool
}

// DefaultLimit is the page size when Page.Limit is not positive.
const DefaultLimit = 100

// N returns the effective limit of p.
func (p Page) N() int {
	if p.Limit <= 0 {
		return DefaultLimit
	}
	return p.Limit
}

// Now is the clock implementations use for timestamps they set themselves;
// tests may replace it. Times are stored with millisecond precision in UTC.
var Now = func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }
