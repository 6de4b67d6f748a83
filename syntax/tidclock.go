package syntax

import (
	"crypto/rand"
	"encoding/binary"
	"sync/atomic"
	"time"
)

// TIDClock issues TIDs that are strictly increasing: every TID it returns is
// greater than every TID it returned before, even when many calls land in
// the same microsecond or the wall clock steps backwards. When that happens
// the clock runs ahead of wall time by a microsecond per TID and catches up
// once wall time passes it. A TIDClock is safe for concurrent use.
//
// Two clocks with different clock ids never issue the same TID, so processes
// that may write to the same repository should each use a clock with its own
// id; a RandomClockID makes a clash between two processes a 1-in-1024 chance
// (and a clash matters only if both also hit the same microsecond). A clock
// keeps its state only in memory: after a restart, use NextAfter with the
// last stored TID where ordering across the restart matters.
//
// The zero TIDClock is ready to use, with clock id 0 and the system time.
type TIDClock struct {
	clockID uint
	now     func() time.Time
	last    atomic.Int64 // timestamp, in Unix microseconds, of the last TID issued
}

// NewTIDClock returns a clock reading the system time and stamping its TIDs
// with clockID (only the low 10 bits are used).
func NewTIDClock(clockID uint) *TIDClock {
	return NewTIDClockWithSource(clockID, time.Now)
}

// NewTIDClockWithSource is NewTIDClock with another time source, for tests
// and for replaying history. A nil now means time.Now.
func NewTIDClockWithSource(clockID uint, now func() time.Time) *TIDClock {
	if now == nil {
		now = time.Now
	}
	return &TIDClock{clockID: clockID & tidClockMask, now: now}
}

// RandomClockID returns a clock id drawn uniformly from the 1024 possible,
// from the system's secure random source.
func RandomClockID() uint {
	var b [2]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return uint(binary.BigEndian.Uint16(b[:])) & tidClockMask
}

// ClockID returns the clock id c stamps on its TIDs.
func (c *TIDClock) ClockID() uint { return c.clockID }

// Next returns a new TID for the current time, greater than any TID c has
// returned before.
func (c *TIDClock) Next() TID { return c.issue(-1) }

// NextAfter returns a new TID greater than prev and than any TID c has
// returned before, and advances c so that later TIDs also exceed prev. Use
// it for a repository revision, which must exceed the last stored one even
// if that was issued by another clock or under a clock running ahead. An
// invalid prev counts as the zero TID.
func (c *TIDClock) NextAfter(prev TID) TID { return c.issue(prev.UnixMicro()) }

// issue returns the TID for the later of the current time, one microsecond
// past the last TID issued and one microsecond past floor. (Timestamps have
// 53 bits, which last until the year 2255; past that they would wrap.)
func (c *TIDClock) issue(floor int64) TID {
	clock := c.now
	if clock == nil {
		clock = time.Now
	}
	now := clock().UnixMicro()
	for {
		last := c.last.Load()
		next := max(now, last+1, floor+1)
		if c.last.CompareAndSwap(last, next) {
			return NewTID(next, c.clockID)
		}
	}
}
